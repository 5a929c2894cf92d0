ALTER TABLE mail_outbox ADD COLUMN text_body TEXT NOT NULL DEFAULT '';
ALTER TABLE mail_outbox ADD COLUMN html_body TEXT NOT NULL DEFAULT '';
ALTER TABLE mail_outbox ADD COLUMN inline_png BLOB;
UPDATE mail_outbox SET
    text_body = (SELECT b.text_body FROM mail_bodies b WHERE b.id = mail_outbox.id),
    html_body = (SELECT b.html_body FROM mail_bodies b WHERE b.id = mail_outbox.id),
    inline_png = (SELECT b.inline_png FROM mail_bodies b WHERE b.id = mail_outbox.id)
    WHERE id IN (SELECT id FROM mail_bodies);
DROP TABLE mail_bodies;
