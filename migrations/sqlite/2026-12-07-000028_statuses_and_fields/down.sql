-- Back to the seven statuses: a withdrawn request reads as rejected, a waiting one as in
-- progress; fields and waiting reasons are dropped. Rebuilt as the up migration explains.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
DROP TABLE IF EXISTS requests_new;
DROP TABLE IF EXISTS request_stretches_new;
DROP TABLE request_type_versions;
CREATE TABLE requests_new (
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
    closed_at         TIMESTAMP,
    sla_version       INTEGER NOT NULL DEFAULT 1,
    fr_due_at         TIMESTAMP,
    fr_at_risk_at     TIMESTAMP,
    fr_breached_at    TIMESTAMP,
    res_due_at        TIMESTAMP,
    res_at_risk_at    TIMESTAMP,
    res_breached_at   TIMESTAMP,
    queue_due_at      TIMESTAMP NOT NULL DEFAULT '9999-12-31 00:00:00',
    sla_check_at      TIMESTAMP NOT NULL DEFAULT '9999-12-31 00:00:00',
    escalate_from     TIMESTAMP,
    first_answer_at   TIMESTAMP,
    team_first_response_at TIMESTAMP,
    team_first_answer_at   TIMESTAMP
);
INSERT INTO requests_new (id, number, title, description, category, priority, page_url, desired_date, status, requester_id, team_key, assignee_id, routing_version, routing_rule, routing_reason, created_at, updated_at, first_response_at, resolved_at, closed_at, sla_version, fr_due_at, fr_at_risk_at, fr_breached_at, res_due_at, res_at_risk_at, res_breached_at, queue_due_at, sla_check_at, escalate_from, first_answer_at, team_first_response_at, team_first_answer_at)
SELECT id, number, title, description, category, priority, page_url, desired_date, CASE status WHEN 'withdrawn' THEN 'rejected' WHEN 'waiting' THEN 'in_progress' ELSE status END, requester_id, team_key, assignee_id, routing_version, routing_rule, routing_reason, created_at, updated_at, first_response_at, resolved_at, closed_at, sla_version, fr_due_at, fr_at_risk_at, fr_breached_at, res_due_at, res_at_risk_at, res_breached_at, queue_due_at, sla_check_at, escalate_from, first_answer_at, team_first_response_at, team_first_answer_at FROM requests;
DROP TABLE requests;
ALTER TABLE requests_new RENAME TO requests;
CREATE INDEX requests_by_created ON requests (created_at, id);
CREATE INDEX requests_by_team ON requests (team_key, status, created_at, id);
CREATE INDEX requests_by_requester ON requests (requester_id, created_at, id);
CREATE INDEX requests_by_status ON requests (status, created_at, id);
CREATE INDEX requests_by_queue_due ON requests (queue_due_at, id);
CREATE INDEX requests_by_team_queue_due ON requests (team_key, queue_due_at, id);
CREATE INDEX requests_by_sla_check ON requests (sla_check_at);
CREATE INDEX requests_by_fr_breach ON requests (fr_breached_at);
CREATE INDEX requests_by_res_breach ON requests (res_breached_at);
CREATE INDEX requests_open_by_team ON requests (team_key)
    WHERE status IN ('new', 'acknowledged', 'in_progress', 'waiting_on_requester');
CREATE INDEX requests_by_assignee ON requests (assignee_id, created_at, id) WHERE assignee_id IS NOT NULL;
CREATE INDEX requests_p1_by_team_queue_due ON requests (team_key, queue_due_at, id) WHERE priority = 'P1';
CREATE INDEX requests_resolved_by_time ON requests (status, resolved_at, id);
CREATE TABLE request_stretches_new (
    request_id TEXT NOT NULL REFERENCES requests (id),
    seq INTEGER NOT NULL,
    holder TEXT NOT NULL CHECK (holder IN ('team', 'requester', 'resolved')),
    team_key TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    business_minutes BIGINT,
    wall_minutes BIGINT,
    PRIMARY KEY (request_id, seq)
);
INSERT INTO request_stretches_new (request_id, seq, holder, team_key, started_at, ended_at, business_minutes, wall_minutes) SELECT request_id, seq, CASE holder WHEN 'waiting' THEN 'team' ELSE holder END, team_key, started_at, ended_at, business_minutes, wall_minutes FROM request_stretches;
DROP TABLE request_stretches;
ALTER TABLE request_stretches_new RENAME TO request_stretches;
CREATE INDEX request_stretches_by_team ON request_stretches (team_key, started_at);
CREATE INDEX request_stretches_by_end ON request_stretches (ended_at, started_at);
COMMIT;
PRAGMA foreign_keys = ON;
