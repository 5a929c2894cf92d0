-- Full-text search over requests (`q` on GET /api/v1/requests; domain::search, db::search).
-- One row per request, its rowid the request's number. Words as domain::search reads them:
-- `unicode61` without diacritics folding, no stemming. Columns: the title; the body
-- (description, request type fields, page address); public comments; internal notes (staff
-- only); the requester (`owner`, the id without its dashes: a requester's search is of their
-- own requests). Positions are kept: a search word that SQLite's Unicode tables split (a rare
-- letter newer than them) is a phrase of its parts. Prefix indexes of 2 to 6 characters for
-- the last word of a search, which is a prefix: without one, FTS5 merges the lists of every word
-- it starts (50 ms for `page*` at a million requests).
CREATE VIRTUAL TABLE request_search USING fts5(
    title, body, comments, notes, owner,
    tokenize = 'unicode61 remove_diacritics 0',
    prefix = '2 3 4 5 6'
);
-- The requests already stored. Live writes index the words (domain::search::indexed); here
-- the tokenizer reads the raw text, which it splits the same way.
INSERT INTO request_search (rowid, title, body, comments, notes, owner)
SELECT r.number, r.title,
       r.description || ' ' || coalesce(r.page_url, '') || ' '
           || coalesce((SELECT group_concat(j.value, ' ') FROM json_each(coalesce(r.fields, '{}')) j), ''),
       coalesce((SELECT group_concat(json_extract(e.data, '$.body'), ' ') FROM request_events e
                 WHERE e.request_id = r.id AND e.kind = 'commented' AND json_extract(e.data, '$.internal') = 0), ''),
       coalesce((SELECT group_concat(json_extract(e.data, '$.body'), ' ') FROM request_events e
                 WHERE e.request_id = r.id AND e.kind = 'commented' AND json_extract(e.data, '$.internal') = 1), ''),
       replace(r.requester_id, '-', '')
FROM requests r;
