-- A message's bodies in a table of their own, written once. The outbox row keeps what changes
-- (status, attempts, lease, error, when sent): marking two hundred messages sent rewrote every
-- one of their rows, bodies and all (two pages a message, 400 log frames a batch, copied again
-- at the checkpoint); now it rewrites a dozen pages of small rows.
CREATE TABLE mail_bodies (
    id         TEXT PRIMARY KEY NOT NULL REFERENCES mail_outbox (id),
    text_body  TEXT NOT NULL,
    html_body  TEXT NOT NULL,
    -- A PNG the HTML part shows by Content-ID (the digest's trend chart).
    inline_png BYTEA
);
INSERT INTO mail_bodies (id, text_body, html_body, inline_png)
    SELECT id, text_body, html_body, inline_png FROM mail_outbox;
ALTER TABLE mail_outbox DROP COLUMN text_body;
ALTER TABLE mail_outbox DROP COLUMN html_body;
ALTER TABLE mail_outbox DROP COLUMN inline_png;
