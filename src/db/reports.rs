//! The queries behind the reports; each is a range scan on an index.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{request_events, requests};
use super::{AnyConnection, EventRow, RequestRow, StoredEvent};

/// Requests created in [start, end), optionally of one (current) team.
pub fn requests_created_between(
    conn: &mut AnyConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
    team: Option<&str>,
) -> QueryResult<Vec<RequestRow>> {
    let mut q = requests::table
        .filter(requests::created_at.ge(start))
        .filter(requests::created_at.lt(end))
        .select(RequestRow::as_select())
        .into_boxed();
    if let Some(team) = team {
        q = q.filter(requests::team_key.eq(team.to_owned()));
    }
    q.order((requests::created_at, requests::id)).load(conn)
}

/// Requests handed over in [start, end).
pub fn requests_handed_over_between(
    conn: &mut AnyConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> QueryResult<Vec<RequestRow>> {
    let handed = request_events::table
        .filter(request_events::kind.eq(crate::domain::event::REASSIGNED))
        .filter(request_events::at.ge(start))
        .filter(request_events::at.lt(end))
        .select(request_events::request_id);
    requests::table
        .filter(requests::id.eq_any(handed))
        .order((requests::created_at, requests::id))
        .select(RequestRow::as_select())
        .load(conn)
}

/// Requests created before `at` that may still have been open at `at`: open now, or changed
/// since. The caller decides exactly from their events.
pub fn maybe_open_at(conn: &mut AnyConnection, at: NaiveDateTime, team: Option<&str>) -> QueryResult<Vec<RequestRow>> {
    let open = ["new", "acknowledged", "in_progress", "waiting_on_requester"];
    let mut q = requests::table
        .filter(requests::created_at.lt(at))
        .filter(requests::status.eq_any(open).or(requests::updated_at.ge(at)))
        .select(RequestRow::as_select())
        .into_boxed();
    if let Some(team) = team {
        q = q.filter(requests::team_key.eq(team.to_owned()));
    }
    q.load(conn)
}

/// Reassignment events in [start, end), with the category of their request.
pub fn reassignments_between(
    conn: &mut AnyConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> QueryResult<Vec<(StoredEvent, String)>> {
    let rows: Vec<(EventRow, String)> = request_events::table
        .inner_join(requests::table)
        .filter(request_events::kind.eq(crate::domain::event::REASSIGNED))
        .filter(request_events::at.ge(start))
        .filter(request_events::at.lt(end))
        .select((EventRow::as_select(), requests::category))
        .load(conn)?;
    rows.into_iter().map(|(e, category)| Ok((e.read()?, category))).collect()
}

/// Requests with a clock that breached in [start, end).
pub fn breached_between(
    conn: &mut AnyConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> QueryResult<Vec<RequestRow>> {
    requests::table
        .filter(
            requests::fr_breached_at
                .ge(start)
                .and(requests::fr_breached_at.lt(end))
                .or(requests::res_breached_at.ge(start).and(requests::res_breached_at.lt(end))),
        )
        .select(RequestRow::as_select())
        .load(conn)
}
