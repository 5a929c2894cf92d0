-- The sign-in throttle, shared by every instance: one row per key ('account:<email>' or
-- 'address:<ip>') holding its current window and how many password checks it has taken.
-- A check is taken by a conditional UPDATE (attempts below the limit) before argon2 runs;
-- expired windows are deleted as new checks come.
CREATE TABLE sign_in_throttle (
    key               TEXT PRIMARY KEY NOT NULL,
    window_started_at TIMESTAMP NOT NULL,
    attempts          INTEGER NOT NULL
);
CREATE INDEX sign_in_throttle_by_window ON sign_in_throttle (window_started_at);
