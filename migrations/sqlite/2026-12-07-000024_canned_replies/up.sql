-- A team's canned replies: texts its staff pick on a request's page, with placeholders for the
-- requester's name, the key and the next due time (service::canned).
CREATE TABLE canned_replies (
    id TEXT PRIMARY KEY NOT NULL,
    team_key TEXT NOT NULL REFERENCES teams (key),
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_by TEXT REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (team_key, name)
);
