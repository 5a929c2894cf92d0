DROP INDEX requests_resolved_by_time;
CREATE INDEX requests_resolved_by_time ON requests (status, resolved_at, id);
DROP INDEX requests_ended_by_time;
CREATE INDEX requests_ended_by_time ON requests (status, closed_at) WHERE status IN ('rejected', 'withdrawn');
