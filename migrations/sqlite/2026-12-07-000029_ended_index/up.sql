-- Reports count the requests each team ended in a period by how (db::ended_between): rejected
-- and withdrawn ones by when they were closed.
CREATE INDEX requests_ended_by_time ON requests (status, closed_at);
