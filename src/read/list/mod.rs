//! The request list: filters, visibility and keyset pagination (newest first, or soonest
//! SLA due first for triage queues).

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::views::{RequestView, request_views};

mod searched;
use crate::auth::Actor;
use crate::db::{
    self, AnyConnection, AssigneeFilter, ListedRequest, RequestFilter, SearchScope, SlaFilter, Sort, UrgencyTier,
};
use crate::domain::search::SearchQuery;
use crate::domain::{FieldErrors, Priority, Status};
use crate::service::Error;
use crate::service::sla::SlaVersions;
use searched::{decode_rank_cursor, highlight_all, newest_pages, ranked};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;
/// The longest search text, in characters (the OpenAPI document says so too).
pub const MAX_QUERY_CHARS: usize = 1000;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Owning team key.
    #[param(pattern = r"^[a-z0-9_-]{0,40}$")]
    pub team: Option<String>,
    /// One status, or several separated by commas (`new,acknowledged`).
    #[param(
        pattern = r"^((new|acknowledged|in_progress|waiting_on_requester|waiting|resolved|closed|rejected|withdrawn)(,(new|acknowledged|in_progress|waiting_on_requester|waiting|resolved|closed|rejected|withdrawn))*)?$"
    )]
    pub status: Option<String>,
    /// Assignee email, or `none` for unassigned.
    pub assignee: Option<String>,
    /// Requester email.
    pub requester: Option<String>,
    /// A category key.
    #[param(pattern = r"^[a-z0-9_-]{0,40}$")]
    pub category: Option<String>,
    /// P1..P4.
    #[param(pattern = r"^(P[1-4])?$")]
    pub priority: Option<String>,
    /// Full-text search: a request key (`CR-12`) puts that request first; otherwise, and
    /// besides, the words (letters and digits; any other character separates them) must all be
    /// in the title, the description, the request type fields, the page address or the
    /// comments the caller may see (internal notes for staff only); the last word may be the
    /// start of one. Nothing in it is query syntax. At most 1,000 characters.
    #[param(max_length = 1000)]
    pub q: Option<String>,
    /// `at_risk` (a clock at risk, none breached) or `breached` (a clock breached).
    #[param(pattern = r"^(at_risk|breached)?$")]
    pub sla: Option<String>,
    /// `created` (newest first, the default), `due` (soonest SLA due first), `urgency` (every
    /// P1 first whatever its due time, then requests with a running clock already breached,
    /// longest overdue first, then those at risk, then the rest; soonest due first within each)
    /// or, with `q`, `relevance` (the best matches first among the newest 1,000 matches).
    #[param(pattern = r"^(created|due|urgency|relevance)?$")]
    pub sort: Option<String>,
    /// 1..200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page (with the same sort): only a cursor this API gave is
    /// accepted (422 otherwise).
    #[param(pattern = r"^([0-9a-f]{2})*$")]
    pub cursor: Option<String>,
}

/// A list as asked for: the filters, and the search.
#[derive(Debug, Clone)]
pub struct ListFilter {
    pub filter: RequestFilter,
    pub search: Option<Search>,
}

/// What `q` asks for, and in whose requests.
#[derive(Debug, Clone)]
pub struct Search {
    pub query: SearchQuery,
    pub scope: SearchScope,
    /// `sort=relevance`: ranked, from this place in the ranking on.
    pub relevance_from: Option<usize>,
    /// How many matches tell few from many (`FEW_MATCHES`; tests set fewer).
    pub few_matches: i64,
}

/// How many matches a search reads to tell few from many: with fewer, the list reads exactly
/// those requests; with more, it walks its own order and tests each request for the match.
const FEW_MATCHES: i64 = 5_000;
/// `sort=relevance` ranks the newest this many matches.
pub const RANKED_MATCHES: i64 = 1_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestPage {
    pub items: Vec<RequestView>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A value as given, unless empty: the parameters that name something (a status, a team, a
/// sort) are taken exactly as the document's patterns state them.
fn given(s: &Option<String>) -> Option<String> {
    s.as_deref().filter(|s| !s.is_empty()).map(str::to_owned)
}

/// Free text, trimmed, unless that leaves nothing.
fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// The cursor's tag for a sort; for most urgent first, with the tier of the row it follows.
fn sort_tag(sort: Sort, tier: UrgencyTier) -> String {
    match sort {
        Sort::Created => "c".into(),
        Sort::Due => "d".into(),
        Sort::Urgency => format!("u{}", tier as u8),
        Sort::Relevance => "r".into(),
    }
}

/// Opaque to clients: the sort (and tier), the last row's sort key and its id.
fn encode_cursor(sort: Sort, row: &ListedRequest, tier: UrgencyTier) -> String {
    let at = match sort {
        Sort::Created | Sort::Relevance => row.created_at,
        Sort::Due | Sort::Urgency => row.queue_due_at,
    };
    hex::encode(format!("{}|{}|{}", sort_tag(sort, tier), at.and_utc().timestamp_micros(), row.id))
}

/// A cursor's tier and position, if it is one this API gave for `sort`.
fn decode_cursor(sort: Sort, cursor: &str) -> Option<(UrgencyTier, NaiveDateTime, String)> {
    let raw = String::from_utf8(hex::decode(cursor).ok()?).ok()?;
    let mut parts = raw.splitn(3, '|');
    let tag = parts.next()?;
    let tier = UrgencyTier::ALL.into_iter().find(|t| sort_tag(sort, *t) == tag)?;
    let at = DateTime::from_timestamp_micros(parts.next()?.parse().ok()?)?;
    let id = parts.next()?;
    // PostgreSQL stores no NUL in text: such an id is no id of ours.
    (!id.contains('\0')).then(|| (tier, at.naive_utc(), id.to_owned()))
}

impl ListQuery {
    /// Turns the query into a filter, refusing bad values field by field.
    pub fn to_filter(&self, actor: &Actor, now: DateTime<Utc>) -> Result<ListFilter, Error> {
        let mut errors = FieldErrors::default();
        let statuses: Vec<String> =
            given(&self.status).map_or_else(Vec::new, |s| s.split(',').map(str::to_owned).collect());
        for s in &statuses {
            errors.check("status", Status::parse(s));
        }
        let priority = given(&self.priority)
            .and_then(|p| errors.check("priority", Priority::parse(&p)))
            .map(|p| p.as_str().to_owned());
        let sla = match given(&self.sla).as_deref() {
            None => None,
            Some("at_risk") => Some(SlaFilter::AtRisk),
            Some("breached") => Some(SlaFilter::Breached),
            Some(other) => errors.check("sla", Err(format!("'{other}' is not one of at_risk, breached"))),
        };
        let sort = match given(&self.sort).as_deref() {
            None | Some("created") => Sort::Created,
            Some("due") => Sort::Due,
            Some("urgency") => Sort::Urgency,
            Some("relevance") => Sort::Relevance,
            Some(other) => {
                errors.add("sort", format!("'{other}' is not one of created, due, urgency, relevance"));
                Sort::Created
            }
        };
        let query = non_empty(&self.q).and_then(|q| SearchQuery::parse(&q));
        if sort == Sort::Relevance && query.as_ref().is_none_or(|q| q.terms.is_empty()) {
            errors.add("sort", "relevance ranks the matches of a search: give words in `q`");
        }
        for (field, key) in [("team", &self.team), ("category", &self.category)] {
            if let Some(key) = given(key) {
                errors.check(field, crate::domain::routing::validate_key(&key));
            }
        }
        if self.q.as_deref().is_some_and(|q| q.chars().count() > MAX_QUERY_CHARS) {
            errors.add("q", format!("must be at most {MAX_QUERY_CHARS} characters"));
        }
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            errors.add("limit", format!("must be between 1 and {MAX_LIMIT}"));
        }
        let mut relevance_from = (sort == Sort::Relevance).then_some(0);
        let cursor = match given(&self.cursor) {
            None => None,
            Some(c) if sort == Sort::Relevance => {
                let from = decode_rank_cursor(&c).ok_or_else(|| "is not a cursor from this API for this sort".into());
                relevance_from = errors.check("cursor", from).or(relevance_from);
                None
            }
            Some(c) => errors.check(
                "cursor",
                decode_cursor(sort, &c).ok_or_else(|| "is not a cursor from this API for this sort".into()),
            ),
        };
        let assignee = non_empty(&self.assignee).map(|a| match a.as_str() {
            "none" => AssigneeFilter::Nobody,
            email => AssigneeFilter::Email(email.to_lowercase()),
        });
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        let filter = RequestFilter {
            team: given(&self.team),
            statuses,
            assignee,
            requester_email: non_empty(&self.requester).map(|e| e.to_lowercase()),
            // Requesters only ever see their own requests, whatever they ask for.
            requester_id: (!actor.role.is_staff()).then(|| actor.id.clone()),
            category: given(&self.category),
            priority,
            sla,
            sort,
            after_tier: cursor.as_ref().map_or(UrgencyTier::P1, |(tier, ..)| *tier),
            after: cursor.map(|(_, at, id)| (at, id)),
            limit,
            now: now.naive_utc(),
            ..RequestFilter::default()
        };
        let scope = if actor.role.is_staff() { SearchScope::Staff } else { SearchScope::Requester(actor.id.clone()) };
        let search = query.map(|query| Search { query, scope, relevance_from, few_matches: FEW_MATCHES });
        Ok(ListFilter { filter, search })
    }
}

pub fn list(
    conn: &mut AnyConnection,
    versions: &SlaVersions,
    listing: &ListFilter,
    now: DateTime<Utc>,
) -> Result<RequestPage, Error> {
    let Some(search) = &listing.search else {
        return page(conn, versions, &listing.filter, None, now);
    };
    if let Some(from) = search.relevance_from {
        return ranked(conn, versions, &listing.filter, search, from, now);
    }
    let mut filter = listing.filter.clone();
    // The request named by its key comes first on the first page, if the filters let it.
    let mut first = Vec::new();
    if let Some(n) = search.query.key.filter(|_| filter.after.is_none() && filter.after_tier == UrgencyTier::P1) {
        let only = RequestFilter { numbers: Some(vec![n]), limit: 1, ..filter.clone() };
        first = db::list_requests(conn, &only)?;
        filter.except_number = Some(n);
    }
    filter.limit -= first.len() as i64;
    let mut result = if search.query.terms.is_empty() {
        filter.numbers = Some(Vec::new());
        page(conn, versions, &filter, Some(&search.query), now)?
    } else {
        let hits = db::matching(conn, &search.query, &search.scope, search.few_matches + 1, false)?;
        let numbers: Vec<i64> = hits.into_iter().map(|(n, _)| n).collect();
        let many = numbers.len() as i64 > search.few_matches;
        let oldest = numbers.last().copied();
        filter.numbers = Some(numbers);
        match (many, oldest) {
            (false, _) | (true, None) => page(conn, versions, &filter, Some(&search.query), now)?,
            // Many matches: the newest by number usually hold the page (newest first); if they
            // do not (a page past them, other filters, an import out of order), walk the list's
            // own order testing each request for the match.
            (true, Some(_)) => match newest_pages(conn, versions, &filter, &search.query, now)? {
                Some(page) => page,
                None => {
                    filter.numbers = None;
                    filter.matching = db::match_condition(conn, &search.query, &search.scope);
                    page(conn, versions, &filter, Some(&search.query), now)?
                }
            },
        }
    };
    if !first.is_empty() {
        let mut head = request_views(conn, versions, first.into_iter().map(|(row, _)| row).collect(), now)?;
        highlight_all(&mut head, &search.query);
        head.append(&mut result.items);
        result.items = head;
    }
    Ok(result)
}

/// One page of `filter`, the matches of `query` marked.
fn page(
    conn: &mut AnyConnection,
    versions: &SlaVersions,
    filter: &RequestFilter,
    query: Option<&SearchQuery>,
    now: DateTime<Utc>,
) -> Result<RequestPage, Error> {
    // One extra row tells whether another page exists.
    let mut rows = db::list_requests(conn, &RequestFilter { limit: filter.limit + 1, ..filter.clone() })?;
    let more = rows.len() as i64 > filter.limit;
    rows.truncate(filter.limit.max(0) as usize);
    let next_cursor =
        if more { rows.last().map(|(row, tier)| encode_cursor(filter.sort, &row.0, *tier)) } else { None };
    let mut items = request_views(conn, versions, rows.into_iter().map(|(row, _)| row).collect(), now)?;
    if let Some(q) = query {
        highlight_all(&mut items, q);
    }
    Ok(RequestPage { items, next_cursor })
}

/// The keys of `requests` that an open request blocks (the queue's "blocked" badge), in one query.
pub fn blocked(conn: &mut AnyConnection, requests: &[RequestView]) -> Result<Vec<String>, Error> {
    let ids: Vec<&str> = requests.iter().map(|r| r.id.as_str()).collect();
    let open: Vec<&str> = Status::ALL.into_iter().filter(|s| s.is_open()).map(Status::as_str).collect();
    let blocked = db::blocked_among(conn, &ids, &open)?;
    Ok(requests.iter().filter(|r| blocked.contains(&r.id)).map(|r| r.key.clone()).collect())
}

/// How many open requests each view of `team`'s queue holds, for `me`.
pub use crate::db::ViewCounts;

pub fn view_counts(conn: &mut AnyConnection, team: &str, me: &str, now: DateTime<Utc>) -> Result<ViewCounts, Error> {
    Ok(db::view_counts(conn, team, me, db::to_db(now))?)
}

/// How many of `team`'s requests are open: the count beside its queue in the top bar.
pub fn open_count(conn: &mut AnyConnection, team: &str) -> Result<i64, Error> {
    Ok(db::open_count(conn, team)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_belong_to_their_sort_and_garbage_is_refused() {
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        let raw = hex::encode(format!("d|{}|{}", at.timestamp_micros(), "abc"));
        assert_eq!(decode_cursor(Sort::Due, &raw), Some((UrgencyTier::P1, at.naive_utc(), "abc".into())));
        assert_eq!(decode_cursor(Sort::Created, &raw), None);
        assert_eq!(decode_cursor(Sort::Urgency, &raw), None);
        let urgent = hex::encode(format!("u2|{}|{}", at.timestamp_micros(), "abc"));
        assert_eq!(decode_cursor(Sort::Urgency, &urgent), Some((UrgencyTier::AtRisk, at.naive_utc(), "abc".into())));
        assert_eq!(decode_cursor(Sort::Urgency, &hex::encode("u4|1|abc")), None, "no fifth tier");
        assert_eq!(decode_cursor(Sort::Due, &urgent), None);
        assert_eq!(decode_cursor(Sort::Due, "zz"), None);
        assert_eq!(decode_cursor(Sort::Due, &hex::encode("no-separator")), None);
        assert_eq!(decode_cursor(Sort::Due, &hex::encode("d|1|a\0b")), None);
    }
}
