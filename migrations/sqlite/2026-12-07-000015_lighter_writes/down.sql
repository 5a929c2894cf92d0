CREATE INDEX mail_outbox_by_created ON mail_outbox (created_at);
DROP INDEX request_events_reassigned;
CREATE INDEX request_events_by_kind_at ON request_events (kind, at);
DROP INDEX requests_by_assignee;
CREATE INDEX requests_by_assignee ON requests (assignee_id, created_at, id);
