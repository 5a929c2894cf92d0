-- Two statuses join the lifecycle (docs/sla.md): `waiting` (on a vendor, an agency, another
-- team, a scheduled date: the reason is `waiting_reason`, from the admins' list) and `withdrawn`
-- (taken back by its requester). Requests carry the fields of their request type (`fields`, a
-- JSON object, and `type_version`, the version of the types they were filed under). The ledger
-- gains the `waiting` holder and what a stretch waits on.
ALTER TABLE requests DROP CONSTRAINT requests_status_check;
ALTER TABLE requests ADD CONSTRAINT requests_status_check CHECK (status IN ('new', 'acknowledged',
    'in_progress', 'waiting_on_requester', 'waiting', 'resolved', 'closed', 'rejected', 'withdrawn'));
ALTER TABLE requests ADD COLUMN waiting_reason TEXT, ADD COLUMN fields TEXT, ADD COLUMN type_version INTEGER;
DROP INDEX requests_open_by_team;
CREATE INDEX requests_open_by_team ON requests (team_key)
    WHERE status IN ('new', 'acknowledged', 'in_progress', 'waiting_on_requester', 'waiting');

ALTER TABLE request_stretches DROP CONSTRAINT request_stretches_holder_check;
ALTER TABLE request_stretches ADD CONSTRAINT request_stretches_holder_check
    CHECK (holder IN ('team', 'requester', 'waiting', 'resolved'));
ALTER TABLE request_stretches ADD COLUMN waiting_on TEXT;

-- Request types: per category, the fields a request of that kind asks for; versioned like the
-- ownership map (each admin change is a new version; a request keeps the one it was filed under).
CREATE TABLE request_type_versions (
    version    INTEGER PRIMARY KEY NOT NULL,
    types      TEXT NOT NULL,
    note       TEXT NOT NULL,
    created_by TEXT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
