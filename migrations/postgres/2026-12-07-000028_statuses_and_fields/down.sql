-- Back to the seven statuses: a withdrawn request reads as rejected, a waiting one as in
-- progress; fields and waiting reasons are dropped.
DROP TABLE request_type_versions;
UPDATE request_stretches SET holder = 'team' WHERE holder = 'waiting';
ALTER TABLE request_stretches DROP COLUMN waiting_on;
ALTER TABLE request_stretches DROP CONSTRAINT request_stretches_holder_check;
ALTER TABLE request_stretches ADD CONSTRAINT request_stretches_holder_check
    CHECK (holder IN ('team', 'requester', 'resolved'));
UPDATE requests SET status = 'rejected' WHERE status = 'withdrawn';
UPDATE requests SET status = 'in_progress' WHERE status = 'waiting';
ALTER TABLE requests DROP COLUMN waiting_reason, DROP COLUMN fields, DROP COLUMN type_version;
DROP INDEX requests_open_by_team;
CREATE INDEX requests_open_by_team ON requests (team_key)
    WHERE status IN ('new', 'acknowledged', 'in_progress', 'waiting_on_requester');
ALTER TABLE requests DROP CONSTRAINT requests_status_check;
ALTER TABLE requests ADD CONSTRAINT requests_status_check CHECK (status IN ('new', 'acknowledged',
    'in_progress', 'waiting_on_requester', 'resolved', 'closed', 'rejected'));
