-- Indexes a new request does not need to enter. A filing wrote a b-tree page for every index of
-- its rows, at SQLite's commit and again at its checkpoint; these five held an entry for every
-- request or fact, though their queries only ever ask for a time that is set (a breach, a
-- resolution): `x >= ? AND x < ?` or `x <= ?` implies `x IS NOT NULL`, which both engines prove
-- (bound parameters included), so the same queries read the same index ranges.
DROP INDEX requests_by_fr_breach;
CREATE INDEX requests_by_fr_breach ON requests (fr_breached_at) WHERE fr_breached_at IS NOT NULL;
DROP INDEX requests_by_res_breach;
CREATE INDEX requests_by_res_breach ON requests (res_breached_at) WHERE res_breached_at IS NOT NULL;
DROP INDEX requests_resolved_by_time;
CREATE INDEX requests_resolved_by_time ON requests (status, resolved_at, team_key, id) WHERE resolved_at IS NOT NULL;
DROP INDEX request_facts_by_fr_breach;
CREATE INDEX request_facts_by_fr_breach ON request_facts (fr_breached_at, fr_breach_team) WHERE fr_breached_at IS NOT NULL;
DROP INDEX request_facts_by_res_breach;
CREATE INDEX request_facts_by_res_breach ON request_facts (res_breached_at, res_breach_team) WHERE res_breached_at IS NOT NULL;
