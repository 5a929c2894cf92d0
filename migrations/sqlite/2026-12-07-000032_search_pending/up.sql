-- Requests whose words in the search index are to be written again (db::search): a change
-- marks its request here in its own transaction, a few bytes; the index is brought up to date
-- in batches, by the search indexer every 250 ms and by any search before it reads, so a
-- change is found by the next search after its commit. Writing the index itself in each
-- change's transaction cost a filing 0.09 ms (SQLite: FTS5 flushes its pending words at every
-- commit and savepoint) and 0.1 ms (PostgreSQL); docs/benchmarks.md.
CREATE TABLE search_pending (
    number BIGINT PRIMARY KEY NOT NULL
);
