//! The list's search: the page from the newest matches, the ranked page of `sort=relevance`
//! and its cursor, and the marks on each request's text.

use chrono::{DateTime, Utc};

use super::{RANKED_MATCHES, RequestPage, Search, encode_cursor};
use crate::db::{self, AnyConnection, RequestFilter, Sort};
use crate::domain::search::SearchQuery;
use crate::read::views::{Highlight, RequestView, request_key, request_views};
use crate::service::Error;
use crate::service::sla::SlaVersions;

/// A relevance cursor: the place in the ranking the next page starts at.
pub(super) fn encode_rank_cursor(from: usize) -> String {
    hex::encode(format!("r|{from}|"))
}

pub(super) fn decode_rank_cursor(cursor: &str) -> Option<usize> {
    let raw = String::from_utf8(hex::decode(cursor).ok()?).ok()?;
    let rest = raw.strip_prefix("r|")?.strip_suffix('|')?;
    rest.parse().ok().filter(|n| *n < RANKED_MATCHES as usize)
}

/// The page of `filter` (newest first) from the newest matches by number (`filter.numbers`,
/// newest first), from the newest few first (four pages' worth: a dense word's page is almost
/// always among them), then from all of them (up to `FEW_MATCHES`): reading a request per match
/// costs more than the index lookup (5,001 of them, 26 ms of a 28 ms search for a word in most
/// requests, at a million).
pub(super) fn newest_pages(
    conn: &mut AnyConnection,
    versions: &SlaVersions,
    filter: &RequestFilter,
    query: &SearchQuery,
    now: DateTime<Utc>,
) -> Result<Option<RequestPage>, Error> {
    if filter.sort != Sort::Created {
        return Ok(None);
    }
    let all = filter.numbers.as_deref().unwrap_or_default();
    let few = (4 * (filter.limit + 1)).max(0) as usize;
    if all.len() > few {
        let newest = RequestFilter { numbers: Some(all[..few].to_vec()), ..filter.clone() };
        if let Some(page) = newest_page(conn, versions, &newest, query, now)? {
            return Ok(Some(page));
        }
    }
    newest_page(conn, versions, filter, query, now)
}

/// The page of `filter` from the matches `filter.numbers`, when they are sure to hold it: a full
/// page, and no request numbered below the oldest of them created since its last row.
fn newest_page(
    conn: &mut AnyConnection,
    versions: &SlaVersions,
    filter: &RequestFilter,
    query: &SearchQuery,
    now: DateTime<Utc>,
) -> Result<Option<RequestPage>, Error> {
    let Some(&oldest) = filter.numbers.as_deref().and_then(|n| n.last()) else { return Ok(None) };
    let rows = db::list_requests(conn, &RequestFilter { limit: filter.limit + 1, ..filter.clone() })?;
    let Some(((last, ..), _)) = rows.get(filter.limit.max(0) as usize).or(rows.last()) else { return Ok(None) };
    if (rows.len() as i64) <= filter.limit || db::created_out_of_order(conn, last.created_at, oldest)? {
        return Ok(None);
    }
    let mut rows = rows;
    rows.truncate(filter.limit.max(0) as usize);
    let next_cursor = rows.last().map(|(row, tier)| encode_cursor(filter.sort, &row.0, *tier));
    let mut items = request_views(conn, versions, rows.into_iter().map(|(row, _)| row).collect(), now)?;
    highlight_all(&mut items, query);
    Ok(Some(RequestPage { items, next_cursor }))
}

/// `sort=relevance`: the newest matches ranked, best first (the newer of two equal ones first),
/// a page from `from` on.
pub(super) fn ranked(
    conn: &mut AnyConnection,
    versions: &SlaVersions,
    filter: &RequestFilter,
    search: &Search,
    from: usize,
    now: DateTime<Utc>,
) -> Result<RequestPage, Error> {
    let mut hits = db::matching(conn, &search.query, &search.scope, RANKED_MATCHES, true)?;
    // The other filters, over the ranked matches: one read of at most RANKED_MATCHES rows' keys.
    let kept: std::collections::HashSet<i64> = db::list_requests(
        conn,
        &RequestFilter {
            numbers: Some(hits.iter().map(|h| h.0).collect()),
            limit: RANKED_MATCHES,
            sort: Sort::Created,
            ..filter.clone()
        },
    )?
    .into_iter()
    .map(|(row, _)| row.0.number)
    .collect();
    hits.retain(|h| kept.contains(&h.0));
    hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
    let limit = filter.limit as usize;
    let wanted: Vec<i64> = hits.iter().skip(from).take(limit).map(|h| h.0).collect();
    let rows = db::list_requests(
        conn,
        &RequestFilter { numbers: Some(wanted.clone()), limit: limit as i64, sort: Sort::Created, ..filter.clone() },
    )?;
    let mut items = request_views(conn, versions, rows.into_iter().map(|(row, _)| row).collect(), now)?;
    let place = |key: &str| wanted.iter().position(|n| request_key(*n) == key).unwrap_or(usize::MAX);
    items.sort_by_key(|r| place(&r.key));
    highlight_all(&mut items, &search.query);
    let next = from + limit;
    let next_cursor = (hits.len() > next).then(|| encode_rank_cursor(next));
    Ok(RequestPage { items, next_cursor })
}

/// Marks the words a search found in each request's title and around the first match in its
/// description (a match only in fields or comments marks nothing: it is said as where).
pub(super) fn highlight_all(items: &mut [RequestView], q: &SearchQuery) {
    for r in items {
        r.highlight = Some(Highlight {
            title: crate::domain::search::highlight(&r.title, q),
            description: crate::domain::search::snippet(&r.description, q, 160),
        });
    }
}
