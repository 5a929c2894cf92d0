CREATE INDEX request_facts_by_start ON request_facts (scope, started_at);
DROP INDEX request_facts_by_cell;
DROP INDEX requests_open_by_team;
DROP INDEX request_facts_by_fr_breach;
DROP INDEX request_facts_by_res_breach;
CREATE INDEX request_facts_by_fr_breach ON request_facts (fr_breached_at);
CREATE INDEX request_facts_by_res_breach ON request_facts (res_breached_at);
