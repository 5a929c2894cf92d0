-- The queue's first urgency tier (every P1, soonest due first) read from an index of P1s alone:
-- through (team_key, queue_due_at) it walked every request of the team to find the few P1s
-- (30 ms a page at 29,000 open requests, 8 ms with this index; tests/bench/http.sh).
CREATE INDEX requests_p1_by_team_queue_due ON requests (team_key, queue_due_at, id) WHERE priority = 'P1';
