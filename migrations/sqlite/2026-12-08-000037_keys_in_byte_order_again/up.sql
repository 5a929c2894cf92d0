-- SQLite compares text byte by byte already (BINARY): nothing to do. See the PostgreSQL
-- migration of the same name.
SELECT 1;
