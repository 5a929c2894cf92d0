ALTER TABLE account_links
    ALTER COLUMN purpose TYPE TEXT COLLATE "default",
    ALTER COLUMN token_hash TYPE TEXT COLLATE "default",
    ALTER COLUMN user_id TYPE TEXT COLLATE "default";
ALTER TABLE api_tokens
    ALTER COLUMN id TYPE TEXT COLLATE "default",
    ALTER COLUMN token_hash TYPE TEXT COLLATE "default",
    ALTER COLUMN user_id TYPE TEXT COLLATE "default";
ALTER TABLE audit_events
    ALTER COLUMN actor_id TYPE TEXT COLLATE "default",
    ALTER COLUMN kind TYPE TEXT COLLATE "default";
ALTER TABLE idempotency_keys
    ALTER COLUMN caller_id TYPE TEXT COLLATE "default",
    ALTER COLUMN key TYPE TEXT COLLATE "default",
    ALTER COLUMN request_id TYPE TEXT COLLATE "default";
ALTER TABLE identities
    ALTER COLUMN user_id TYPE TEXT COLLATE "default";
ALTER TABLE mail_outbox
    ALTER COLUMN dedupe_key TYPE TEXT COLLATE "default",
    ALTER COLUMN id TYPE TEXT COLLATE "default",
    ALTER COLUMN kind TYPE TEXT COLLATE "default",
    ALTER COLUMN message_id TYPE TEXT COLLATE "default",
    ALTER COLUMN request_id TYPE TEXT COLLATE "default",
    ALTER COLUMN status TYPE TEXT COLLATE "default";
ALTER TABLE request_events
    ALTER COLUMN actor_id TYPE TEXT COLLATE "default",
    ALTER COLUMN kind TYPE TEXT COLLATE "default",
    ALTER COLUMN request_id TYPE TEXT COLLATE "default";
ALTER TABLE request_facts
    ALTER COLUMN category TYPE TEXT COLLATE "default",
    ALTER COLUMN fr_breach_team TYPE TEXT COLLATE "default",
    ALTER COLUMN request_id TYPE TEXT COLLATE "default",
    ALTER COLUMN res_breach_team TYPE TEXT COLLATE "default",
    ALTER COLUMN scope TYPE TEXT COLLATE "default",
    ALTER COLUMN team_key TYPE TEXT COLLATE "default";
ALTER TABLE request_stretches
    ALTER COLUMN holder TYPE TEXT COLLATE "default",
    ALTER COLUMN request_id TYPE TEXT COLLATE "default",
    ALTER COLUMN team_key TYPE TEXT COLLATE "default";
ALTER TABLE requests
    ALTER COLUMN assignee_id TYPE TEXT COLLATE "default",
    ALTER COLUMN category TYPE TEXT COLLATE "default",
    ALTER COLUMN id TYPE TEXT COLLATE "default",
    ALTER COLUMN priority TYPE TEXT COLLATE "default",
    ALTER COLUMN requester_id TYPE TEXT COLLATE "default",
    ALTER COLUMN status TYPE TEXT COLLATE "default",
    ALTER COLUMN team_key TYPE TEXT COLLATE "default";
ALTER TABLE security_log
    ALTER COLUMN actor_id TYPE TEXT COLLATE "default",
    ALTER COLUMN email TYPE TEXT COLLATE "default",
    ALTER COLUMN kind TYPE TEXT COLLATE "default";
ALTER TABLE sessions
    ALTER COLUMN token_hash TYPE TEXT COLLATE "default",
    ALTER COLUMN user_id TYPE TEXT COLLATE "default";
ALTER TABLE sign_in_throttle
    ALTER COLUMN key TYPE TEXT COLLATE "default";
ALTER TABLE sla_escalations
    ALTER COLUMN request_id TYPE TEXT COLLATE "default";
ALTER TABLE sso_logins
    ALTER COLUMN state_hash TYPE TEXT COLLATE "default";
ALTER TABLE team_members
    ALTER COLUMN team_key TYPE TEXT COLLATE "default",
    ALTER COLUMN user_id TYPE TEXT COLLATE "default";
ALTER TABLE teams
    ALTER COLUMN email TYPE TEXT COLLATE "default",
    ALTER COLUMN key TYPE TEXT COLLATE "default";
ALTER TABLE users
    ALTER COLUMN email TYPE TEXT COLLATE "default",
    ALTER COLUMN id TYPE TEXT COLLATE "default";
