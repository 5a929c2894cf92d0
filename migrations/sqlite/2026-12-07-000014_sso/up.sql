-- Single sign-on. A login in progress: the hash of its `state`, the hash of the browser's
-- cookie it belongs to, its nonce and PKCE verifier, where to go after; used once, within 10
-- minutes.
CREATE TABLE sso_logins (
    state_hash    TEXT PRIMARY KEY NOT NULL,
    browser_hash  TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next_path     TEXT NOT NULL,
    expires_at    TIMESTAMP NOT NULL
);
CREATE INDEX sso_logins_by_expiry ON sso_logins (expires_at);

-- A person's identity at a provider, linked to their account after the first sign-in by
-- verified email: afterwards they are found by (issuer, subject), whatever their email becomes.
CREATE TABLE identities (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (issuer, subject)
);
