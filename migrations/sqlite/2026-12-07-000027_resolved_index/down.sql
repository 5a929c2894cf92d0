DROP INDEX requests_resolved_by_time;
