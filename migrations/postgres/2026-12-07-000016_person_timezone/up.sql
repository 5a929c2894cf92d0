-- The time zone a person reads the pages in (an IANA name); none: the organisation's.
ALTER TABLE users ADD COLUMN timezone TEXT;
