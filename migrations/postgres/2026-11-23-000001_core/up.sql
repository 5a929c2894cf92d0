-- Core schema. Portable types only (TEXT, INTEGER/BIGINT, BOOLEAN, DATE, TIMESTAMP):
-- ids are UUIDs as TEXT, times are UTC TIMESTAMPs, enums are TEXT with a CHECK.
-- Keep in step with migrations/postgres/ (same tables, same names).

CREATE TABLE teams (
    key         TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL,
    lead_emails TEXT NOT NULL DEFAULT '[]',
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('requester', 'agent', 'lead', 'admin')),
    password_hash TEXT,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMP NOT NULL
);

CREATE TABLE team_members (
    user_id  TEXT NOT NULL REFERENCES users (id),
    team_key TEXT NOT NULL REFERENCES teams (key),
    PRIMARY KEY (user_id, team_key)
);
CREATE INDEX team_members_by_team ON team_members (team_key);

CREATE TABLE api_tokens (
    id         TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    label      TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

-- Each admin change of the ownership map or the routing rules writes a whole new snapshot.
CREATE TABLE routing_versions (
    version    INTEGER PRIMARY KEY NOT NULL,
    map        TEXT NOT NULL,
    note       TEXT NOT NULL,
    created_by TEXT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);

-- Monotonic counters (the CR-n request keys); a number is never handed out twice.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('request', 0);

CREATE TABLE requests (
    id                TEXT PRIMARY KEY NOT NULL,
    number            BIGINT NOT NULL UNIQUE,
    title             TEXT NOT NULL,
    description       TEXT NOT NULL,
    category          TEXT NOT NULL,
    priority          TEXT NOT NULL CHECK (priority IN ('P1', 'P2', 'P3', 'P4')),
    page_url          TEXT,
    desired_date      DATE,
    status            TEXT NOT NULL CHECK (status IN ('new', 'acknowledged', 'in_progress',
                          'waiting_on_requester', 'resolved', 'closed', 'rejected')),
    requester_id      TEXT NOT NULL REFERENCES users (id),
    team_key          TEXT NOT NULL REFERENCES teams (key),
    assignee_id       TEXT REFERENCES users (id),
    routing_version   INTEGER NOT NULL REFERENCES routing_versions (version),
    routing_rule      TEXT,
    routing_reason    TEXT NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    first_response_at TIMESTAMP,
    resolved_at       TIMESTAMP,
    closed_at         TIMESTAMP
);
-- The list endpoint pages newest first by (created_at, id), optionally within a team,
-- a requester or an assignee.
CREATE INDEX requests_by_created ON requests (created_at, id);
CREATE INDEX requests_by_team ON requests (team_key, status, created_at, id);
CREATE INDEX requests_by_requester ON requests (requester_id, created_at, id);
CREATE INDEX requests_by_assignee ON requests (assignee_id, created_at, id);
CREATE INDEX requests_by_status ON requests (status, created_at, id);

-- Append-only history of every request: its events are its history.
CREATE TABLE request_events (
    id         BIGSERIAL PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id),
    kind       TEXT NOT NULL,
    actor_id   TEXT REFERENCES users (id),
    at         TIMESTAMP NOT NULL,
    data       TEXT NOT NULL
);
CREATE INDEX request_events_by_request ON request_events (request_id, id);

-- Append-only audit of configuration changes (teams, ownership map, routing rules).
CREATE TABLE audit_events (
    id       BIGSERIAL PRIMARY KEY,
    kind     TEXT NOT NULL,
    actor_id TEXT REFERENCES users (id),
    at       TIMESTAMP NOT NULL,
    data     TEXT NOT NULL
);
