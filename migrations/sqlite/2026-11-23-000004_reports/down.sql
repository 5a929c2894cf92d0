DROP INDEX request_events_by_kind_at;
