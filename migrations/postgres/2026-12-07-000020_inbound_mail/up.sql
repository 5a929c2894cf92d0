-- Every mail that came in (by `changedesk mailgate`), used or not: each Message-ID once (a mail
-- delivered twice becomes one comment), and the message as received, so none is lost.
CREATE TABLE inbound_mail (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    message_id TEXT COLLATE "C" NOT NULL UNIQUE,
    sender TEXT NOT NULL,
    subject TEXT NOT NULL,
    -- used or rejected
    status TEXT NOT NULL,
    reason TEXT,
    request_id TEXT COLLATE "C" REFERENCES requests (id),
    size BIGINT NOT NULL,
    raw BYTEA NOT NULL,
    received_at TIMESTAMP NOT NULL
);
CREATE INDEX inbound_mail_by_time ON inbound_mail (received_at);
-- The per-sender rate limit counts a sender's last hour.
CREATE INDEX inbound_mail_by_sender ON inbound_mail (sender, received_at);
