-- Files on requests and comments, stored in the database (a backup of it is a backup of them;
-- every instance on one PostgreSQL sees them; keys in byte order, as since 000017). A file is staged first (request_id null), written
-- in chunks in short transactions of their own, then attached by reference in the transaction
-- of the request or comment it came with; staged files never attached are swept.
CREATE TABLE attachments (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    request_id TEXT COLLATE "C" REFERENCES requests (id),
    -- The comment it came with; null: with the request itself.
    event_id BIGINT,
    -- Came with an internal note: staff only.
    internal BOOLEAN NOT NULL DEFAULT FALSE,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    uploader_id TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    attached_at TIMESTAMP
);
CREATE INDEX attachments_by_request ON attachments (request_id, created_at) WHERE request_id IS NOT NULL;
CREATE INDEX attachments_staged ON attachments (created_at) WHERE request_id IS NULL;
CREATE TABLE attachment_chunks (
    attachment_id TEXT COLLATE "C" NOT NULL REFERENCES attachments (id),
    seq INTEGER NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (attachment_id, seq)
);
