-- The configuration's stamp: every change to the teams, the ownership map or the SLA
-- configuration adds one in its own transaction, so a process holding them in memory knows
-- by one primary-key read whether what it holds is still current.
INSERT INTO counters (name, value) VALUES ('config', 1);
