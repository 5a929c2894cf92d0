ALTER TABLE mail_outbox DROP COLUMN inline_png;
ALTER TABLE users DROP COLUMN digest_opt_out;
