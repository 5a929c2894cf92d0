-- SLA engine: versioned calendars and policies, derived clock columns on requests, and the
-- escalation log whose primary key makes each (request, clock, level) happen once.

CREATE TABLE sla_versions (
    version    INTEGER PRIMARY KEY NOT NULL,
    config     TEXT NOT NULL,
    note       TEXT NOT NULL,
    created_by TEXT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);

-- Derived from the request's events and its SLA version (see src/domain/sla.rs); stored for
-- fast queries and kept equal to the derivation by every unit of work that adds an event.
ALTER TABLE requests ADD COLUMN sla_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE requests ADD COLUMN fr_due_at TIMESTAMP;
ALTER TABLE requests ADD COLUMN fr_at_risk_at TIMESTAMP;
ALTER TABLE requests ADD COLUMN fr_breached_at TIMESTAMP;
ALTER TABLE requests ADD COLUMN res_due_at TIMESTAMP;
ALTER TABLE requests ADD COLUMN res_at_risk_at TIMESTAMP;
ALTER TABLE requests ADD COLUMN res_breached_at TIMESTAMP;
-- Soonest due time among running clocks; 9999-12-31 when none runs (sorts last on both engines).
ALTER TABLE requests ADD COLUMN queue_due_at TIMESTAMP NOT NULL DEFAULT '9999-12-31 00:00:00';
-- Next moment the sweeper has something to record; 9999-12-31 when nothing is pending.
ALTER TABLE requests ADD COLUMN sla_check_at TIMESTAMP NOT NULL DEFAULT '9999-12-31 00:00:00';

CREATE INDEX requests_by_queue_due ON requests (queue_due_at, id);
CREATE INDEX requests_by_team_queue_due ON requests (team_key, queue_due_at, id);
CREATE INDEX requests_by_sla_check ON requests (sla_check_at);
CREATE INDEX requests_by_fr_breach ON requests (fr_breached_at);
CREATE INDEX requests_by_res_breach ON requests (res_breached_at);

CREATE TABLE sla_escalations (
    request_id    TEXT NOT NULL REFERENCES requests (id),
    clock         TEXT NOT NULL CHECK (clock IN ('first_response', 'resolution')),
    level         INTEGER NOT NULL CHECK (level IN (1, 2, 3)),
    reached_at    TIMESTAMP NOT NULL,
    recipients    TEXT NOT NULL,
    deliver_after TIMESTAMP NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (request_id, clock, level)
);
CREATE INDEX sla_escalations_by_delivery ON sla_escalations (deliver_after);
