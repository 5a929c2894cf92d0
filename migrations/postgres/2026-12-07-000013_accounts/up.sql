-- Links mailed to people: an invitation to choose a first password, or a password reset.
-- Only the SHA-256 of each link's token is stored; a link works once, until it expires.
CREATE TABLE account_links (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    purpose    TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);
CREATE INDEX account_links_by_user ON account_links (user_id, purpose);

-- The security log: sign-ins, failed sign-ins, tokens and account changes, apart from the
-- configuration audit. Append-only.
CREATE TABLE security_log (
    id         BIGSERIAL PRIMARY KEY,
    at         TIMESTAMP NOT NULL,
    kind       TEXT NOT NULL,
    email      TEXT,
    actor_id   TEXT,
    address    TEXT,
    detail     TEXT NOT NULL
);
CREATE INDEX security_log_by_at ON security_log (at);
