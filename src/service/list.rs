//! The request list: filters, visibility and keyset pagination.

use chrono::DateTime;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::views::{RequestView, request_views};
use crate::auth::Actor;
use crate::db::{self, AnyConnection, AssigneeFilter, RequestFilter};
use crate::domain::{Priority, Status};
use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Owning team key.
    pub team: Option<String>,
    pub status: Option<String>,
    /// Assignee email, or `none` for unassigned.
    pub assignee: Option<String>,
    /// Requester email.
    pub requester: Option<String>,
    pub category: Option<String>,
    /// P1..P4.
    pub priority: Option<String>,
    /// Text searched in title and description, any case.
    pub q: Option<String>,
    /// 1..200, default 50.
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestPage {
    pub items: Vec<RequestView>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn encode_cursor(view: &RequestView) -> String {
    hex::encode(format!(
        "{}|{}",
        view.created_at.timestamp_micros(),
        view.id
    ))
}

fn decode_cursor(cursor: &str) -> Option<(chrono::NaiveDateTime, String)> {
    let raw = String::from_utf8(hex::decode(cursor).ok()?).ok()?;
    let (micros, id) = raw.split_once('|')?;
    let at = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
    Some((at.naive_utc(), id.to_owned()))
}

impl ListQuery {
    /// Turns the query into a filter, refusing bad values field by field.
    pub fn to_filter(&self, actor: &Actor) -> Result<RequestFilter, ApiError> {
        let mut errors = crate::domain::FieldErrors::default();
        let status = non_empty(&self.status);
        if let Some(s) = &status {
            errors.check("status", Status::parse(s));
        }
        let priority = non_empty(&self.priority)
            .and_then(|p| errors.check("priority", Priority::parse(&p)))
            .map(|p| p.as_str().to_owned());
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            errors.add("limit", format!("must be between 1 and {MAX_LIMIT}"));
        }
        let before = match non_empty(&self.cursor) {
            None => None,
            Some(c) => errors.check(
                "cursor",
                decode_cursor(&c).ok_or_else(|| "is not a cursor from this API".into()),
            ),
        };
        let assignee = non_empty(&self.assignee).map(|a| match a.as_str() {
            "none" => AssigneeFilter::Nobody,
            email => AssigneeFilter::Email(email.to_lowercase()),
        });
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        Ok(RequestFilter {
            team: non_empty(&self.team),
            status,
            assignee,
            requester_email: non_empty(&self.requester).map(|e| e.to_lowercase()),
            // Requesters only ever see their own requests, whatever they ask for.
            requester_id: (!actor.role.is_staff()).then(|| actor.id.clone()),
            category: non_empty(&self.category),
            priority,
            text: non_empty(&self.q),
            before,
            limit,
        })
    }
}

pub fn list(conn: &mut AnyConnection, filter: &RequestFilter) -> Result<RequestPage, ApiError> {
    // One extra row tells whether another page exists.
    let mut rows = db::list_requests(
        conn,
        &RequestFilter {
            limit: filter.limit + 1,
            ..filter.clone()
        },
    )?;
    let more = rows.len() as i64 > filter.limit;
    rows.truncate(filter.limit as usize);
    let items = request_views(conn, rows)?;
    let next_cursor = if more {
        items.last().map(encode_cursor)
    } else {
        None
    };
    Ok(RequestPage { items, next_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        let raw = hex::encode(format!("{}|{}", at.timestamp_micros(), "abc"));
        assert_eq!(decode_cursor(&raw), Some((at.naive_utc(), "abc".into())));
        assert_eq!(decode_cursor("zz"), None);
        assert_eq!(decode_cursor(&hex::encode("no-separator")), None);
    }
}
