//! The queries behind the reports; each is a range scan on an index.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{request_events, requests};
use super::{AnyConnection, EventRow, RequestRow, StoredEvent};

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
