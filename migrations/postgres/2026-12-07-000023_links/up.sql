-- Links between requests, stored once from the side that names them: "CR-5 duplicate_of CR-3",
-- "CR-7 blocks CR-8", "CR-9 parent_of CR-10". The other side reads them reversed
-- (duplicated_by, blocked_by, child_of), through the index on target_id.
CREATE TABLE request_links (
    request_id TEXT COLLATE "C" NOT NULL REFERENCES requests (id),
    kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('duplicate_of', 'blocks', 'parent_of')),
    target_id TEXT COLLATE "C" NOT NULL REFERENCES requests (id),
    created_by TEXT COLLATE "C" REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (request_id, kind, target_id),
    CHECK (request_id <> target_id)
);
CREATE INDEX request_links_to ON request_links (target_id, kind);
