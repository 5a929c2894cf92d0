//! The request list: filters, visibility and keyset pagination (newest first, or soonest
//! SLA due first for triage queues).

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::views::{RequestView, request_views};
use crate::auth::Actor;
use crate::db::{self, AnyConnection, AssigneeFilter, ListedRequest, RequestFilter, SlaFilter, Sort};
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
        pattern = r"^((new|acknowledged|in_progress|waiting_on_requester|resolved|closed|rejected)(,(new|acknowledged|in_progress|waiting_on_requester|resolved|closed|rejected))*)?$"
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
    /// `created` (newest first, the default) or `due` (soonest SLA due first).
    #[param(pattern = r"^(created|due)?$")]
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

fn sort_tag(sort: Sort) -> &'static str {
    match sort {
        Sort::Created => "c",
        Sort::Due => "d",
    }
}

/// Opaque to clients: the sort, the last row's sort key and its id.
fn encode_cursor(sort: Sort, row: &ListedRequest) -> String {
    let at = match sort {
        Sort::Created => row.created_at,
        Sort::Due => row.queue_due_at,
    };
    hex::encode(format!("{}|{}|{}", sort_tag(sort), at.and_utc().timestamp_micros(), row.id))
}

fn decode_cursor(sort: Sort, cursor: &str) -> Option<(NaiveDateTime, String)> {
    let raw = String::from_utf8(hex::decode(cursor).ok()?).ok()?;
    let mut parts = raw.splitn(3, '|');
    if parts.next()? != sort_tag(sort) {
        return None;
    }
    let at = DateTime::from_timestamp_micros(parts.next()?.parse().ok()?)?;
    let id = parts.next()?;
    // PostgreSQL stores no NUL in text: such an id is no id of ours.
    (!id.contains('\0')).then(|| (at.naive_utc(), id.to_owned()))
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
            Some(other) => {
                errors.add("sort", format!("'{other}' is not one of created, due"));
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
        let after = match given(&self.cursor) {
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
            after,
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
    let next_cursor = if more { rows.last().map(|r| encode_cursor(filter.sort, &r.0)) } else { None };
    let items = request_views(conn, versions, rows, now)?;
    Ok(RequestPage { items, next_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_belong_to_their_sort_and_garbage_is_refused() {
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        let raw = hex::encode(format!("d|{}|{}", at.timestamp_micros(), "abc"));
        assert_eq!(decode_cursor(Sort::Due, &raw), Some((at.naive_utc(), "abc".into())));
        assert_eq!(decode_cursor(Sort::Created, &raw), None);
        assert_eq!(decode_cursor(Sort::Due, "zz"), None);
        assert_eq!(decode_cursor(Sort::Due, &hex::encode("no-separator")), None);
        assert_eq!(decode_cursor(Sort::Due, &hex::encode("d|1|a\0b")), None);
    }
}
