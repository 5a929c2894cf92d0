-- Fewer index entries written by every filing (issue 9). A new request has no assignee, and
-- its two events are not reassignments: partial indexes skip both. The outbox's list pages by
-- id (a UUIDv7, in creation order), so its created_at index goes.
DROP INDEX requests_by_assignee;
CREATE INDEX requests_by_assignee ON requests (assignee_id, created_at, id) WHERE assignee_id IS NOT NULL;
DROP INDEX request_events_by_kind_at;
CREATE INDEX request_events_reassigned ON request_events (at) WHERE kind = 'reassigned';
DROP INDEX mail_outbox_by_created;
