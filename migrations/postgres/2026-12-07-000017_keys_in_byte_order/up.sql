-- Keys, codes and addresses compared byte by byte (COLLATE "C") instead of by the database's
-- locale: every index lookup and join on a UUID or a team key called strcoll under C.UTF-8 (a
-- fifth of a lookup's time, measured) and far more under en_US.UTF-8; sorting them at an
-- import's index rebuild likewise. None of them is sorted for a reader, and equality is the
-- same either way. Titles, names and other words keep the database's collation. Both sides of
-- every join change together: PostgreSQL refuses to compare two columns of different
-- collations. SQLite compares bytes already (its migration 000017 changes nothing).
ALTER TABLE account_links
    ALTER COLUMN purpose TYPE TEXT COLLATE "C",
    ALTER COLUMN token_hash TYPE TEXT COLLATE "C",
    ALTER COLUMN user_id TYPE TEXT COLLATE "C";
ALTER TABLE api_tokens
    ALTER COLUMN id TYPE TEXT COLLATE "C",
    ALTER COLUMN token_hash TYPE TEXT COLLATE "C",
    ALTER COLUMN user_id TYPE TEXT COLLATE "C";
ALTER TABLE audit_events
    ALTER COLUMN actor_id TYPE TEXT COLLATE "C",
    ALTER COLUMN kind TYPE TEXT COLLATE "C";
ALTER TABLE idempotency_keys
    ALTER COLUMN caller_id TYPE TEXT COLLATE "C",
    ALTER COLUMN key TYPE TEXT COLLATE "C",
    ALTER COLUMN request_id TYPE TEXT COLLATE "C";
ALTER TABLE identities
    ALTER COLUMN user_id TYPE TEXT COLLATE "C";
ALTER TABLE mail_outbox
    ALTER COLUMN dedupe_key TYPE TEXT COLLATE "C",
    ALTER COLUMN id TYPE TEXT COLLATE "C",
    ALTER COLUMN kind TYPE TEXT COLLATE "C",
    ALTER COLUMN message_id TYPE TEXT COLLATE "C",
    ALTER COLUMN request_id TYPE TEXT COLLATE "C",
    ALTER COLUMN status TYPE TEXT COLLATE "C";
ALTER TABLE request_events
    ALTER COLUMN actor_id TYPE TEXT COLLATE "C",
    ALTER COLUMN kind TYPE TEXT COLLATE "C",
    ALTER COLUMN request_id TYPE TEXT COLLATE "C";
ALTER TABLE request_facts
    ALTER COLUMN category TYPE TEXT COLLATE "C",
    ALTER COLUMN fr_breach_team TYPE TEXT COLLATE "C",
    ALTER COLUMN request_id TYPE TEXT COLLATE "C",
    ALTER COLUMN res_breach_team TYPE TEXT COLLATE "C",
    ALTER COLUMN scope TYPE TEXT COLLATE "C",
    ALTER COLUMN team_key TYPE TEXT COLLATE "C";
ALTER TABLE request_stretches
    ALTER COLUMN holder TYPE TEXT COLLATE "C",
    ALTER COLUMN request_id TYPE TEXT COLLATE "C",
    ALTER COLUMN team_key TYPE TEXT COLLATE "C";
ALTER TABLE requests
    ALTER COLUMN assignee_id TYPE TEXT COLLATE "C",
    ALTER COLUMN category TYPE TEXT COLLATE "C",
    ALTER COLUMN id TYPE TEXT COLLATE "C",
    ALTER COLUMN priority TYPE TEXT COLLATE "C",
    ALTER COLUMN requester_id TYPE TEXT COLLATE "C",
    ALTER COLUMN status TYPE TEXT COLLATE "C",
    ALTER COLUMN team_key TYPE TEXT COLLATE "C";
ALTER TABLE security_log
    ALTER COLUMN actor_id TYPE TEXT COLLATE "C",
    ALTER COLUMN email TYPE TEXT COLLATE "C",
    ALTER COLUMN kind TYPE TEXT COLLATE "C";
ALTER TABLE sessions
    ALTER COLUMN token_hash TYPE TEXT COLLATE "C",
    ALTER COLUMN user_id TYPE TEXT COLLATE "C";
ALTER TABLE sign_in_throttle
    ALTER COLUMN key TYPE TEXT COLLATE "C";
ALTER TABLE sla_escalations
    ALTER COLUMN request_id TYPE TEXT COLLATE "C";
ALTER TABLE sso_logins
    ALTER COLUMN state_hash TYPE TEXT COLLATE "C";
ALTER TABLE team_members
    ALTER COLUMN team_key TYPE TEXT COLLATE "C",
    ALTER COLUMN user_id TYPE TEXT COLLATE "C";
ALTER TABLE teams
    ALTER COLUMN email TYPE TEXT COLLATE "C",
    ALTER COLUMN key TYPE TEXT COLLATE "C";
ALTER TABLE users
    ALTER COLUMN email TYPE TEXT COLLATE "C",
    ALTER COLUMN id TYPE TEXT COLLATE "C";
