-- Keys the service makes for itself on first use and every instance on this database shares:
-- the key of the reply addresses (mail::reply) lives here, so a backup of the database is a
-- backup of it and no configuration has to carry it.
CREATE TABLE service_keys (
    name TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    value BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Work one instance at a time does (the IMAP mailbox): held by `holder` until `expires_at`,
-- renewed while it works, taken over by another instance once it has expired.
CREATE TABLE leases (
    name TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    holder TEXT COLLATE "C" NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
