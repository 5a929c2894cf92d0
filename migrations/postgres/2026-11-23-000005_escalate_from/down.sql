ALTER TABLE requests DROP COLUMN escalate_from;
