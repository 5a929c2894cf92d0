ALTER TABLE inbound_mail ALTER COLUMN status TYPE TEXT COLLATE "default";
ALTER TABLE sla_signatures
    ALTER COLUMN team_key TYPE TEXT COLLATE "default",
    ALTER COLUMN signed_by TYPE TEXT COLLATE "default";
ALTER TABLE request_type_versions ALTER COLUMN created_by TYPE TEXT COLLATE "default";
ALTER TABLE sla_versions ALTER COLUMN created_by TYPE TEXT COLLATE "default";
ALTER TABLE routing_versions ALTER COLUMN created_by TYPE TEXT COLLATE "default";
ALTER TABLE request_search ALTER COLUMN request_id TYPE TEXT COLLATE "default";
ALTER TABLE mail_bodies ALTER COLUMN id TYPE TEXT COLLATE "default";
