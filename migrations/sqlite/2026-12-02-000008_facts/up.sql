-- What the reports count, stored (docs/metrics.md): for a request one team held all along, one
-- row serving both views (seq 0, scope 'only'); for one handed over, a row for the request as
-- its requester sees it (seq 0, scope 'request') and one for each team's hold (seq 1, 2, ...). Clocks
-- are stored by their moments, never by a state: fr_ (first response), res_ (resolution),
-- fa_ (first answer); a clock's columns are null when no policy applies (its _target is null).
-- Instants are microseconds since 1970 (UTC): reports compare and read millions of them, and
-- integers cost neither engine a conversion.
CREATE TABLE request_facts (
    request_id TEXT NOT NULL REFERENCES requests (id),
    seq INTEGER NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('only', 'request', 'hold')),
    team_key TEXT NOT NULL,
    category TEXT NOT NULL,
    sla_version INTEGER NOT NULL,
    started_at BIGINT NOT NULL,
    passed_on_at BIGINT,
    held_business_minutes BIGINT,
    click_without_answer BOOLEAN NOT NULL,
    fr_breach_team TEXT,
    res_breach_team TEXT,
    fr_target INTEGER,
    fr_calendar TEXT,
    fr_due_at BIGINT,
    fr_at_risk_at BIGINT,
    fr_breached_at BIGINT,
    fr_stopped_at BIGINT,
    fr_elapsed_ns BIGINT,
    fr_running_since BIGINT,
    fr_business_minutes BIGINT,
    fr_wall_minutes BIGINT,
    res_target INTEGER,
    res_calendar TEXT,
    res_due_at BIGINT,
    res_at_risk_at BIGINT,
    res_breached_at BIGINT,
    res_stopped_at BIGINT,
    res_elapsed_ns BIGINT,
    res_running_since BIGINT,
    res_business_minutes BIGINT,
    res_wall_minutes BIGINT,
    fa_target INTEGER,
    fa_calendar TEXT,
    fa_due_at BIGINT,
    fa_at_risk_at BIGINT,
    fa_breached_at BIGINT,
    fa_stopped_at BIGINT,
    fa_elapsed_ns BIGINT,
    fa_running_since BIGINT,
    fa_business_minutes BIGINT,
    fa_wall_minutes BIGINT,
    PRIMARY KEY (request_id, seq)
);
CREATE INDEX request_facts_by_start ON request_facts (scope, started_at);
CREATE INDEX request_facts_by_team ON request_facts (scope, team_key, started_at);
CREATE INDEX request_facts_by_fr_breach ON request_facts (fr_breached_at);
CREATE INDEX request_facts_by_res_breach ON request_facts (res_breached_at);

-- Requests already stored get their facts from `changedesk migrate`, as their ledger.
UPDATE counters SET value = 0 WHERE name = 'ledger' AND EXISTS (SELECT 1 FROM requests);

-- The backlog at a moment: stretches still lasting, or ended since.
CREATE INDEX request_stretches_by_end ON request_stretches (ended_at, started_at);
