DELETE FROM counters WHERE name IN ('ledger', 'ledger_claim');
ALTER TABLE requests DROP COLUMN team_first_answer_at;
ALTER TABLE requests DROP COLUMN team_first_response_at;
ALTER TABLE requests DROP COLUMN first_answer_at;
DROP TABLE request_stretches;
