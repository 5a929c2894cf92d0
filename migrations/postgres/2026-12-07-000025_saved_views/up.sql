-- A person's saved views: the filters of a queue or of their requests under a name, listed in
-- their navigation (service::views).
CREATE TABLE saved_views (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    path TEXT COLLATE "C" NOT NULL,
    query TEXT COLLATE "C" NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, name)
);
