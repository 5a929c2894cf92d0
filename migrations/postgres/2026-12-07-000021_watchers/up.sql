-- Colleagues who follow a request: they get its public updates by mail. An address need not
-- belong to a changedesk user.
CREATE TABLE watchers (
    request_id TEXT COLLATE "C" NOT NULL REFERENCES requests (id),
    email TEXT COLLATE "C" NOT NULL,
    added_by TEXT COLLATE "C" REFERENCES users (id),
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (request_id, email)
);
