-- Idempotency-Key of filings: the request a caller filed under a key, with the fingerprint of
-- the body it was filed with. Written in the filing's own transaction; read by a retry with the
-- same key (the same request back) or another body (refused). Kept 24 hours.
CREATE TABLE idempotency_keys (
    caller_id  TEXT NOT NULL REFERENCES users (id),
    key        TEXT NOT NULL,
    body_hash  TEXT NOT NULL,
    request_id TEXT NOT NULL REFERENCES requests (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (caller_id, key)
);
CREATE INDEX idempotency_keys_by_created ON idempotency_keys (created_at);
