-- The durable outbox: a message is written in the same transaction as the change that causes
-- it, and a worker sends it. Rendered when written, so a resend is the same message.
CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY NOT NULL,
    -- Stable Message-ID header: a resend after a crash is recognisably the same message.
    message_id      TEXT NOT NULL UNIQUE,
    -- Makes "once ever" mails (escalations, digests) idempotent across instances.
    dedupe_key      TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    request_id      TEXT REFERENCES requests (id),
    recipients      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until    TIMESTAMP,
    last_error      TEXT,
    created_at      TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP
);
CREATE INDEX mail_outbox_by_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_by_created ON mail_outbox (created_at);
