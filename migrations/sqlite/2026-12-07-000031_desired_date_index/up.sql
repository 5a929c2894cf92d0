-- Reports count desired-date attainment over the requests wanted by a date in the period
-- (db::wanted_between).
CREATE INDEX requests_by_desired_date ON requests (desired_date) WHERE desired_date IS NOT NULL;
