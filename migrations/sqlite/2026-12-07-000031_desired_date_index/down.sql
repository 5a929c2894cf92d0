DROP INDEX requests_by_desired_date;
