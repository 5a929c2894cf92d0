-- Imported history: escalation levels reached before this moment are history, not news.
ALTER TABLE requests ADD COLUMN escalate_from TIMESTAMP;
