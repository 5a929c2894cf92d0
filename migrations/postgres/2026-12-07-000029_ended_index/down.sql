DROP INDEX requests_ended_by_time;
