-- A person who no longer wants the weekly digest (the organisation's or their team's).
ALTER TABLE users ADD COLUMN digest_opt_out BOOLEAN NOT NULL DEFAULT 0;
-- A PNG shown inside the HTML part by Content-ID (the digest's trend chart).
ALTER TABLE mail_outbox ADD COLUMN inline_png BLOB;
