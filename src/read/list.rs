//! The request list: filters, visibility and keyset pagination (newest first, or soonest
//! SLA due first for triage queues).

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::views::{RequestView, request_views};
use crate::auth::Actor;
use crate::db::{self, AnyConnection, AssigneeFilter, ListedRequest, RequestFilter, SlaFilter, Sort, UrgencyTier};
use crate::domain::{FieldErrors, Priority, Status};
use crate::service::Error;
use crate::service::sla::SlaVersions;

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
    /// Text searched in title and description, any case.
    #[param(max_length = 1000)]
    pub q: Option<String>,
    /// `at_risk` (a clock at risk, none breached) or `breached` (a clock breached).
    #[param(pattern = r"^(at_risk|breached)?$")]
    pub sla: Option<String>,
    /// `created` (newest first, the default), `due` (soonest SLA due first) or `urgency` (every
    /// P1 first whatever its due time, then requests with a running clock already breached,
    /// longest overdue first, then those at risk, then the rest; soonest due first within each).
    #[param(pattern = r"^(created|due|urgency)?$")]
    pub sort: Option<String>,
    /// 1..200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page (with the same sort): only a cursor this API gave is
    /// accepted (422 otherwise).
    #[param(pattern = r"^([0-9a-f]{2})*$")]
    pub cursor: Option<String>,
}

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
    }
}

/// Opaque to clients: the sort (and tier), the last row's sort key and its id.
fn encode_cursor(sort: Sort, row: &ListedRequest, tier: UrgencyTier) -> String {
    let at = match sort {
        Sort::Created => row.created_at,
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
    pub fn to_filter(&self, actor: &Actor, now: DateTime<Utc>) -> Result<RequestFilter, Error> {
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
            Some(other) => {
                errors.add("sort", format!("'{other}' is not one of created, due, urgency"));
                Sort::Created
            }
        };
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
        let cursor = match given(&self.cursor) {
            None => None,
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
        Ok(RequestFilter {
            team: given(&self.team),
            statuses,
            assignee,
            requester_email: non_empty(&self.requester).map(|e| e.to_lowercase()),
            // Requesters only ever see their own requests, whatever they ask for.
            requester_id: (!actor.role.is_staff()).then(|| actor.id.clone()),
            category: given(&self.category),
            priority,
            text: non_empty(&self.q),
            sla,
            sort,
            after_tier: cursor.as_ref().map_or(UrgencyTier::P1, |(tier, ..)| *tier),
            after: cursor.map(|(_, at, id)| (at, id)),
            limit,
            now: now.naive_utc(),
        })
    }
}

pub fn list(
    conn: &mut AnyConnection,
    versions: &SlaVersions,
    filter: &RequestFilter,
    now: DateTime<Utc>,
) -> Result<RequestPage, Error> {
    // One extra row tells whether another page exists.
    let mut rows = db::list_requests(conn, &RequestFilter { limit: filter.limit + 1, ..filter.clone() })?;
    let more = rows.len() as i64 > filter.limit;
    rows.truncate(filter.limit as usize);
    let next_cursor =
        if more { rows.last().map(|(row, tier)| encode_cursor(filter.sort, &row.0, *tier)) } else { None };
    let items = request_views(conn, versions, rows.into_iter().map(|(row, _)| row).collect(), now)?;
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
