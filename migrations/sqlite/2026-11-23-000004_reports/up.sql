-- Reports count routing misses (reassignments) per period.
CREATE INDEX request_events_by_kind_at ON request_events (kind, at);
