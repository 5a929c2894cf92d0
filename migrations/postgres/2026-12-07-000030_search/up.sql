-- Full-text search over requests (`q` on GET /api/v1/requests; domain::search, db::search).
-- One row per request. The text columns hold words as domain::search reads them (letters and
-- digits, lower case, separated by spaces), so the `simple` configuration reads the same words
-- as SQLite's `unicode61`, with no stemming. `public_tsv` is what the requester may search
-- (title A, body B, public comments C); `all_tsv` adds internal notes (D) for staff, with a
-- GIN index. A requester's search walks their own requests, which needs no index of its own.
CREATE TABLE request_search (
    number     BIGINT PRIMARY KEY NOT NULL,
    request_id TEXT NOT NULL REFERENCES requests (id),
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    comments   TEXT NOT NULL DEFAULT '',
    notes      TEXT NOT NULL DEFAULT '',
    public_tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B')
        || setweight(to_tsvector('simple', comments), 'C')) STORED,
    all_tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B')
        || setweight(to_tsvector('simple', comments), 'C') || setweight(to_tsvector('simple', notes), 'D')) STORED
);
CREATE INDEX request_search_all ON request_search USING gin (all_tsv);

-- The requests already stored, their words made as domain::search makes them.
INSERT INTO request_search (number, request_id, title, body, comments, notes)
SELECT r.number, r.id,
       trim(regexp_replace(lower(r.title), '[^[:alnum:]]+', ' ', 'g')),
       trim(regexp_replace(lower(r.description || ' ' || coalesce(r.page_url, '') || ' '
           || coalesce((SELECT string_agg(j.value, ' ') FROM json_each_text(coalesce(r.fields, '{}')::json) j), '')),
           '[^[:alnum:]]+', ' ', 'g')),
       trim(regexp_replace(lower(coalesce((SELECT string_agg(e.data::json->>'body', ' ') FROM request_events e
           WHERE e.request_id = r.id AND e.kind = 'commented' AND (e.data::json->>'internal')::boolean IS NOT TRUE), '')),
           '[^[:alnum:]]+', ' ', 'g')),
       trim(regexp_replace(lower(coalesce((SELECT string_agg(e.data::json->>'body', ' ') FROM request_events e
           WHERE e.request_id = r.id AND e.kind = 'commented' AND (e.data::json->>'internal')::boolean), '')),
           '[^[:alnum:]]+', ' ', 'g'))
FROM requests r;
