-- The responsibility ledger: each stretch of a request's life, held by one party, with its
-- length on the owning team's business calendar (docs/metrics.md). `ended_at` and the minutes
-- are null while the stretch lasts.
CREATE TABLE request_stretches (
    request_id TEXT NOT NULL REFERENCES requests (id),
    seq INTEGER NOT NULL,
    holder TEXT NOT NULL CHECK (holder IN ('team', 'requester', 'resolved')),
    team_key TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    business_minutes BIGINT,
    wall_minutes BIGINT,
    PRIMARY KEY (request_id, seq)
);
CREATE INDEX request_stretches_by_team ON request_stretches (team_key, started_at);

-- The first message the requester could see from the holding team; the holding team's own
-- first response and first answer in its hold (reset by a hand-over).
ALTER TABLE requests ADD COLUMN first_answer_at TIMESTAMP;
ALTER TABLE requests ADD COLUMN team_first_response_at TIMESTAMP;
ALTER TABLE requests ADD COLUMN team_first_answer_at TIMESTAMP;

-- Answers: first answers, and first responses by comment (before first answers were
-- recorded, the only answers the history can tell).
UPDATE requests SET first_answer_at = (
    SELECT MIN(e.at) FROM request_events e
    WHERE e.request_id = requests.id
      AND (e.kind = 'first_answer' OR (e.kind = 'first_response' AND e.data LIKE '%"via":"comment"%'))
);
-- The holding team has responded in its hold unless the request was handed over since.
UPDATE requests SET team_first_response_at = first_response_at
WHERE first_response_at IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM request_events e
    WHERE e.request_id = requests.id AND e.kind = 'reassigned' AND e.at >= requests.first_response_at
);
UPDATE requests SET team_first_answer_at = first_answer_at
WHERE first_answer_at IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM request_events e
    WHERE e.request_id = requests.id AND e.kind = 'reassigned' AND e.at >= requests.first_answer_at
);

-- Requests already in the database get their ledger from `changedesk migrate` (resumable, in
-- batches): 'ledger' is 1 once every request has one. 'ledger_claim' holds the lease (Unix
-- seconds) of the instance building it.
INSERT INTO counters (name, value) SELECT 'ledger', CASE WHEN EXISTS (SELECT 1 FROM requests) THEN 0 ELSE 1 END;
INSERT INTO counters (name, value) VALUES ('ledger_claim', 0);
