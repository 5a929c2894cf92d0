//! The full-text index (`request_search`, migration 000030): written in the transaction of the
//! change it follows (filing, an edit, a comment), read by the request list's `q`.
//!
//! SQLite: an FTS5 table whose rowid is the request's number. PostgreSQL: a table of words with
//! two generated `tsvector`s (`public_tsv`, `all_tsv`, the latter with a GIN index). Both hold
//! the words `domain::search` makes, so both find the same requests.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Text};

use super::{AnyConnection, RequestRow};
use crate::domain::request_type::{fields_text, stored_fields};
use crate::domain::search::{SearchQuery, indexed};

/// The columns a requester's search reads (internal notes are staff's).
const PUBLIC_COLUMNS: &str = "title body comments";

/// The owner token of a requester: their id without its dashes, one word.
fn owner_token(requester_id: &str) -> String {
    requester_id.replace('-', "")
}

/// A request's body as indexed: its description, its type fields' values and its page address.
fn body_of(row: &RequestRow) -> String {
    let fields = fields_text(&stored_fields(row.fields.as_deref()));
    indexed(&format!("{}\n{}\n{}", row.description, row.page_url.as_deref().unwrap_or(""), fields))
}

/// The index's tables, one per engine, and the marks earlier builds left: declared for the
/// statements of the filing path and the catch-up, so diesel prepares them once per connection (a
/// `sql_query` is prepared on every call).
mod fts5 {
    diesel::table! {
        request_search (rowid) {
            rowid -> BigInt,
            title -> Text,
            body -> Text,
            comments -> Text,
            notes -> Text,
            owner -> Text,
        }
    }
}

mod pg {
    diesel::table! {
        request_search (number) {
            number -> BigInt,
            request_id -> Text,
            title -> Text,
            body -> Text,
            comments -> Text,
            notes -> Text,
        }
    }
}

diesel::table! {
    search_pending (number) {
        number -> BigInt,
    }
}

/// A new request's index row: its number is new and it has no comments yet, so the row is
/// made from the request at hand. Written by `index_new` in the filing's transaction.
pub struct NewWords(Indexed);

impl NewWords {
    pub fn of(row: &RequestRow) -> Self {
        Self(Indexed {
            number: row.number,
            id: row.id.clone(),
            title: indexed(&row.title),
            body: body_of(row),
            comments: String::new(),
            notes: String::new(),
            owner: owner_token(&row.requester_id),
        })
    }
}

/// Indexes new requests, in their filing's transaction, after everything else it writes: FTS5
/// writes its pending words out at every savepoint and statement journal after an insert, so
/// a group of filings indexed at its end pays one flush, at its commit, not one a filing.
pub fn index_new(conn: &mut AnyConnection, words: Vec<NewWords>) -> QueryResult<()> {
    let rows: Vec<Indexed> = words.into_iter().map(|w| w.0).collect();
    write_rows(conn, &rows, false)
}

/// Writes an edited request's index row again, in the edit's transaction.
pub fn reindex_text(conn: &mut AnyConnection, row: &RequestRow) -> QueryResult<()> {
    reindex(conn, &[row.number])
}

/// Writes a commented request's index row again, with the new comment, in its transaction.
pub fn index_comment(conn: &mut AnyConnection, request_id: &str) -> QueryResult<()> {
    use super::schema::requests;
    let number: i64 = requests::table.filter(requests::id.eq(request_id)).select(requests::number).first(conn)?;
    reindex(conn, &[number])
}

/// Whether some request marked by an earlier build (which indexed in batches) waits to be indexed.
pub fn any_pending(conn: &mut AnyConnection) -> QueryResult<bool> {
    let one: Option<i64> = search_pending::table.select(search_pending::number).first(conn).optional()?;
    Ok(one.is_some())
}

#[derive(QueryableByName)]
struct Marked {
    #[diesel(sql_type = BigInt)]
    number: i64,
}

/// A request's words, as the index holds them.
struct Indexed {
    number: i64,
    id: String,
    title: String,
    body: String,
    comments: String,
    notes: String,
    owner: String,
}

/// Writes the index rows of up to `limit` requests marked by an earlier version and clears
/// their marks; answers how many. In the caller's write transaction.
pub fn index_pending(conn: &mut AnyConnection, limit: i64) -> QueryResult<usize> {
    // Two catch-ups at once (two instances starting) take different marks on PostgreSQL,
    // whose writers run side by side; SQLite's writers take turns.
    let numbers: Vec<i64> = match conn {
        AnyConnection::Postgresql(c) => {
            diesel::sql_query("SELECT number FROM search_pending ORDER BY number LIMIT $1 FOR UPDATE SKIP LOCKED")
                .bind::<BigInt, _>(limit)
                .load::<Marked>(c)?
                .into_iter()
                .map(|m| m.number)
                .collect()
        }
        AnyConnection::Sqlite(_) => search_pending::table
            .select(search_pending::number)
            .order(search_pending::number)
            .limit(limit)
            .load(conn)?,
    };
    reindex(conn, &numbers)?;
    diesel::delete(search_pending::table.filter(search_pending::number.eq_any(&numbers))).execute(conn)?;
    Ok(numbers.len())
}

/// Writes the index rows of the requests numbered `numbers` again from what they hold now
/// (title, description, page address, fields, comments).
fn reindex(conn: &mut AnyConnection, numbers: &[i64]) -> QueryResult<()> {
    use super::schema::{request_events, requests};
    if numbers.is_empty() {
        return Ok(());
    }
    let rows: Vec<RequestRow> =
        requests::table.filter(requests::number.eq_any(numbers)).select(RequestRow::as_select()).load(conn)?;
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let comments: Vec<(String, String, String)> = request_events::table
        .filter(request_events::request_id.eq_any(&ids))
        .filter(request_events::kind.eq("commented"))
        .order(request_events::id)
        .select((request_events::request_id, request_events::kind, request_events::data))
        .load(conn)?;
    let mut said: std::collections::HashMap<&str, (String, String)> = std::collections::HashMap::new();
    for (request_id, kind, data) in &comments {
        if let Ok(crate::domain::Event::Commented { body, internal }) = crate::domain::Event::from_stored(kind, data) {
            let (public, notes) = said.entry(request_id.as_str()).or_default();
            let into = if internal { notes } else { public };
            if !into.is_empty() {
                into.push(' ');
            }
            into.push_str(&indexed(&body));
        }
    }
    let fresh: Vec<Indexed> = rows
        .iter()
        .map(|r| {
            let (comments, notes) = said.remove(r.id.as_str()).unwrap_or_default();
            Indexed {
                number: r.number,
                id: r.id.clone(),
                title: indexed(&r.title),
                body: body_of(r),
                comments,
                notes,
                owner: owner_token(&r.requester_id),
            }
        })
        .collect();
    write_rows(conn, &fresh, true)
}

/// Writes requests' index rows, replacing the ones they had (`replace`) or as new.
fn write_rows(conn: &mut AnyConnection, fresh: &[Indexed], replace: bool) -> QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => {
            use fts5::request_search as s;
            for r in fresh {
                if replace {
                    diesel::delete(s::table.filter(s::rowid.eq(r.number))).execute(c)?;
                }
                diesel::insert_into(s::table)
                    .values((
                        s::rowid.eq(r.number),
                        s::title.eq(&r.title),
                        s::body.eq(&r.body),
                        s::comments.eq(&r.comments),
                        s::notes.eq(&r.notes),
                        s::owner.eq(&r.owner),
                    ))
                    .execute(c)?;
            }
        }
        AnyConnection::Postgresql(c) => {
            use pg::request_search as s;
            for r in fresh {
                if replace {
                    diesel::delete(s::table.filter(s::number.eq(r.number))).execute(c)?;
                }
                diesel::insert_into(s::table)
                    .values((
                        s::number.eq(r.number),
                        s::request_id.eq(&r.id),
                        s::title.eq(&r.title),
                        s::body.eq(&r.body),
                        s::comments.eq(&r.comments),
                        s::notes.eq(&r.notes),
                    ))
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

/// Indexes the requests numbered `first..=last`, just imported: in SQL, their words made as
/// migration 000030 makes them (an imported request has a title, a one-line description and
/// no fields or comments).
pub fn index_imported(conn: &mut AnyConnection, first: i64, last: i64) -> QueryResult<()> {
    let sql = match conn {
        AnyConnection::Sqlite(_) => {
            "INSERT INTO request_search (rowid, title, body, comments, notes, owner) \
             SELECT number, title, description || ' ' || coalesce(page_url, ''), '', '', replace(requester_id, '-', '') \
             FROM requests WHERE number BETWEEN ? AND ?"
        }
        AnyConnection::Postgresql(_) => {
            "INSERT INTO request_search (number, request_id, title, body) \
             SELECT number, id, trim(regexp_replace(lower(title), '[^[:alnum:]]+', ' ', 'g')), \
             trim(regexp_replace(lower(description || ' ' || coalesce(page_url, '')), '[^[:alnum:]]+', ' ', 'g')) \
             FROM requests WHERE number BETWEEN $1 AND $2"
        }
    };
    let q = diesel::sql_query(sql).bind::<BigInt, _>(first).bind::<BigInt, _>(last);
    super::per_backend!(conn, c => q.execute(c)).map(drop)
}

/// Whose requests a search reads: all of them (staff, internal notes too) or one requester's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchScope {
    Staff,
    Requester(String),
}

#[derive(QueryableByName)]
struct Hit {
    #[diesel(sql_type = BigInt)]
    number: i64,
    #[diesel(sql_type = Double)]
    rank: f64,
}

/// The numbers of the newest `limit` requests matching `q` in `scope`, newest (highest number)
/// first, each with its relevance (higher is better) when `ranked` (0 otherwise: ranking costs
/// more than finding).
pub fn matching(
    conn: &mut AnyConnection,
    q: &SearchQuery,
    scope: &SearchScope,
    limit: i64,
    ranked: bool,
) -> QueryResult<Vec<(i64, f64)>> {
    let hits: Vec<Hit> = match conn {
        AnyConnection::Sqlite(c) => {
            let Some(words) = q.fts5(matches!(scope, SearchScope::Requester(_)).then_some(PUBLIC_COLUMNS)) else {
                return Ok(Vec::new());
            };
            let expr = match scope {
                SearchScope::Staff => words,
                SearchScope::Requester(id) => format!("owner : \"{}\" AND {words}", owner_token(id)),
            };
            // bm25 is lower for better matches: negated, so higher is better on both engines.
            let rank = if ranked { "-bm25(request_search, 8.0, 2.0, 1.0, 1.0, 0.0)" } else { "0.0" };
            diesel::sql_query(format!(
                "SELECT rowid AS number, {rank} AS rank \
                 FROM request_search WHERE request_search MATCH ? ORDER BY rowid DESC LIMIT {limit}"
            ))
            .bind::<Text, _>(expr)
            .load(c)?
        }
        AnyConnection::Postgresql(c) => {
            let Some(tsquery) = q.tsquery() else { return Ok(Vec::new()) };
            let (all, public) = if ranked {
                (
                    "ts_rank(all_tsv, to_tsquery('simple', $1))::float8",
                    "ts_rank(s.public_tsv, to_tsquery('simple', $1))::float8",
                )
            } else {
                ("0.0::float8", "0.0::float8")
            };
            match scope {
                SearchScope::Staff => diesel::sql_query(format!(
                    "SELECT number, {all} AS rank FROM request_search \
                     WHERE all_tsv @@ to_tsquery('simple', $1) ORDER BY number DESC LIMIT {limit}"
                ))
                .bind::<Text, _>(tsquery)
                .load(c)?,
                SearchScope::Requester(id) => diesel::sql_query(format!(
                    "SELECT s.number, {public} AS rank \
                     FROM requests r JOIN request_search s ON s.number = r.number \
                     WHERE r.requester_id = $2 AND s.public_tsv @@ to_tsquery('simple', $1) \
                     ORDER BY s.number DESC LIMIT {limit}"
                ))
                .bind::<Text, _>(tsquery)
                .bind::<Text, _>(id)
                .load(c)?,
            }
        }
    };
    Ok(hits.into_iter().map(|h| (h.number, h.rank)).collect())
}

/// The condition "`requests.number` matches `q`" as SQL for the list's query: the text before
/// its one parameter, the parameter, the text after. For walking requests in the list's own
/// order when the matches are many.
#[derive(Debug, Clone)]
pub struct MatchSql {
    pub before: String,
    pub param: String,
    pub after: &'static str,
}

pub fn match_condition(conn: &AnyConnection, q: &SearchQuery, scope: &SearchScope) -> Option<MatchSql> {
    match conn {
        AnyConnection::Sqlite(_) => Some(MatchSql {
            before: "EXISTS (SELECT 1 FROM request_search WHERE request_search MATCH ".into(),
            param: q.fts5(matches!(scope, SearchScope::Requester(_)).then_some(PUBLIC_COLUMNS))?,
            after: " AND request_search.rowid = requests.number)",
        }),
        AnyConnection::Postgresql(_) => {
            let column = if *scope == SearchScope::Staff { "all_tsv" } else { "public_tsv" };
            Some(MatchSql {
                before: format!("EXISTS (SELECT 1 FROM request_search s WHERE s.{column} @@ to_tsquery('simple', "),
                param: q.tsquery()?,
                after: ") AND s.number = requests.number)",
            })
        }
    }
}

/// Whether a request numbered below `below` was created after `after`: when none was, the
/// newest matches by number are also the newest by creation down to `after` (numbers follow
/// filing, and an import numbers its rows by creation; only an import of requests older than
/// ones already filed breaks the order). Reads the requests created after `after` only.
pub fn created_out_of_order(conn: &mut AnyConnection, after: chrono::NaiveDateTime, below: i64) -> QueryResult<bool> {
    use super::schema::requests;
    let found: Option<i64> = requests::table
        .filter(requests::created_at.ge(after))
        // `+ 0`: compared, not looked up, so that SQLite reads the few rows created since
        // `after` (the creation index) rather than every row numbered below (250 ms at 1M).
        .filter((requests::number + 0i64).lt(below))
        .select(requests::number)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}
