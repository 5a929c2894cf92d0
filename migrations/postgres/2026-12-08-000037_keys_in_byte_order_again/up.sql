-- Keys made since migration 000017 in the database's collation, where the column they join is
-- byte ordered (COLLATE "C"). A join of two collations cannot use the other side's index:
-- the outbox's sender joined `mail_bodies` by scanning all of it (190 ms a batch at 14,000
-- messages, and growing with every message ever sent). tests/api/schema.rs keeps every
-- foreign key in the collation of the key it names.
ALTER TABLE mail_bodies ALTER COLUMN id TYPE TEXT COLLATE "C";
ALTER TABLE request_search ALTER COLUMN request_id TYPE TEXT COLLATE "C";
ALTER TABLE routing_versions ALTER COLUMN created_by TYPE TEXT COLLATE "C";
ALTER TABLE sla_versions ALTER COLUMN created_by TYPE TEXT COLLATE "C";
ALTER TABLE request_type_versions ALTER COLUMN created_by TYPE TEXT COLLATE "C";
ALTER TABLE sla_signatures
    ALTER COLUMN team_key TYPE TEXT COLLATE "C",
    ALTER COLUMN signed_by TYPE TEXT COLLATE "C";
ALTER TABLE inbound_mail ALTER COLUMN status TYPE TEXT COLLATE "C";
