-- Reports count the requests each team ended in a period by how (db::ended_between): rejected
-- and withdrawn ones by when they were closed. Partial: a filing (status new) writes nothing to
-- it; only the few requests that end rejected or withdrawn are in it.
CREATE INDEX requests_ended_by_time ON requests (status, closed_at) WHERE status IN ('rejected', 'withdrawn');
