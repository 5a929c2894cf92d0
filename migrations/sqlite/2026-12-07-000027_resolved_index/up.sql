-- The sweep that closes resolved requests nobody answered reads a window of resolution times
-- (service::requests::auto_close): by status, then time, without walking every resolved request.
CREATE INDEX requests_resolved_by_time ON requests (status, resolved_at, id);
