-- The reports sum each (category, team) cell of requests over one range of this index: a
-- request one team held all along is one row that counts for its team and for its category,
-- read once. (A GROUP BY over a million rows sorted them first, for over a second.) The
-- start-only index served the queries that grouped and is gone.
-- Covering: every column a report reads of a row follows its key, so a report scans the index
-- alone, in start order (reading the table's 42-column rows as well took twice as long).
CREATE INDEX request_facts_by_cell ON request_facts (scope, category, team_key, started_at,
    sla_version, seq, passed_on_at, held_business_minutes, click_without_answer, fr_target,
    fr_calendar, fr_breached_at, fr_stopped_at, fr_elapsed_ns, fr_running_since,
    fr_business_minutes, fr_wall_minutes, res_breached_at, res_stopped_at, res_business_minutes,
    res_wall_minutes, fa_breached_at, fa_stopped_at, fa_business_minutes, fa_wall_minutes);
DROP INDEX request_facts_by_start;

-- The backlog: each team's open requests counted over this index's entries alone (counting
-- them over requests_by_team read half a million wide entries at a million requests).
CREATE INDEX requests_open_by_team ON requests (team_key)
    WHERE status IN ('new', 'acknowledged', 'in_progress', 'waiting_on_requester');

-- Breaches charged: counted per team from the breach-moment indexes alone.
DROP INDEX request_facts_by_fr_breach;
DROP INDEX request_facts_by_res_breach;
CREATE INDEX request_facts_by_fr_breach ON request_facts (fr_breached_at, fr_breach_team);
CREATE INDEX request_facts_by_res_breach ON request_facts (res_breached_at, res_breach_team);
