//! The queries behind the reports; each is a range scan on an index.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{request_events, requests};
use super::{AnyConnection, EventRow, RequestRow, StoredEvent};

/// The condition of the partial index `requests_ended_by_time`, as its migration writes it.
const ENDED_SQL: &str = "requests.status IN ('rejected', 'withdrawn')";

/// The condition of the partial index `request_events_reassigned`, as its migration writes it.
const REASSIGNED_SQL: &str = "request_events.kind = 'reassigned'";

/// Reassignment events in [start, end), with the category of their request.
pub fn reassignments_between(
    conn: &mut AnyConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> QueryResult<Vec<(StoredEvent, String)>> {
    let rows: Vec<(EventRow, String)> = request_events::table
        .inner_join(requests::table)
        // Written out, not bound: only then can either engine use the partial index
        // `request_events_reassigned` (`WHERE kind = 'reassigned'`).
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(REASSIGNED_SQL))
        .filter(request_events::at.ge(start))
        .filter(request_events::at.lt(end))
        .select((EventRow::as_select(), requests::category))
        .load(conn)?;
    rows.into_iter().map(|(e, category)| Ok((e.read()?, category))).collect()
}

/// The requester's clocks (seq 0), with their SLA version, of the requests with a clock that
/// breached in [start, end): each breach-moment index read alone, a request found by both once.
pub fn clocks_breached_between(conn: &mut AnyConnection, start: i64, end: i64) -> QueryResult<Vec<BreachedClocks>> {
    use super::schema::request_facts as f;
    let of_seq_0 = f::table.filter(f::seq.eq(0)).select((
        super::RequestClocksRow::as_select(),
        f::sla_version,
        f::fr_breach_team,
        f::res_breach_team,
    ));
    let mut rows: Vec<BreachedClocks> =
        of_seq_0.filter(f::fr_breached_at.ge(start)).filter(f::fr_breached_at.lt(end)).load(conn)?;
    let more: Vec<BreachedClocks> =
        of_seq_0.filter(f::res_breached_at.ge(start)).filter(f::res_breached_at.lt(end)).load(conn)?;
    let seen: std::collections::HashSet<String> = rows.iter().map(|(c, ..)| c.request_id.clone()).collect();
    rows.extend(more.into_iter().filter(|(c, ..)| !seen.contains(&c.request_id)));
    Ok(rows)
}

/// A request's clocks, its SLA version, and the teams charged with each clock's breach.
pub type BreachedClocks = (super::RequestClocksRow, i32, Option<String>, Option<String>);

/// These requests, in no order.
pub fn requests_by_ids(conn: &mut AnyConnection, ids: &[&str]) -> QueryResult<Vec<RequestRow>> {
    requests::table.filter(requests::id.eq_any(ids)).select(RequestRow::as_select()).load(conn)
}

/// Requester clocks that breached in [start, end), counted by the team holding the request
/// when they did. Only request rows name that team, so the breach-moment indexes serve alone.
pub fn breaches_charged_between(
    conn: &mut AnyConnection,
    start: i64,
    end: i64,
) -> QueryResult<Vec<(Option<String>, i64)>> {
    use super::schema::request_facts as f;
    use diesel::dsl::count_star;
    let fr: Vec<(Option<String>, i64)> = f::table
        .filter(f::fr_breached_at.ge(start))
        .filter(f::fr_breached_at.lt(end))
        .filter(f::fr_breach_team.is_not_null())
        .group_by(f::fr_breach_team)
        .select((f::fr_breach_team, count_star()))
        .load(conn)?;
    let res: Vec<(Option<String>, i64)> = f::table
        .filter(f::res_breached_at.ge(start))
        .filter(f::res_breached_at.lt(end))
        .filter(f::res_breach_team.is_not_null())
        .group_by(f::res_breach_team)
        .select((f::res_breach_team, count_star()))
        .load(conn)?;
    let mut counts: Vec<(Option<String>, i64)> = Vec::new();
    for (team, n) in fr.into_iter().chain(res) {
        match counts.iter_mut().find(|(t, _)| *t == team) {
            Some(entry) => entry.1 += n,
            None => counts.push((team, n)),
        }
    }
    Ok(counts)
}

/// How many requests each team ended in `[from, to)`, by how: resolved (by `resolved_at`),
/// rejected and withdrawn (by `closed_at`), as `(team, status, n)`; a request resolved and
/// then closed counts once, as resolved. Read through `requests_resolved_by_time` and
/// `requests_ended_by_time`.
pub fn ended_between(
    conn: &mut AnyConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<(String, String, i64)>> {
    use diesel::dsl::count_star;
    let resolved: Vec<(String, i64)> = requests::table
        .filter(requests::status.eq_any(["resolved", "closed"]))
        .filter(requests::resolved_at.ge(from).and(requests::resolved_at.lt(to)))
        .group_by(requests::team_key)
        .select((requests::team_key, count_star()))
        .load(conn)?;
    let closed: Vec<(String, String, i64)> = requests::table
        // Written out, not bound: only then can either engine use the partial index.
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(ENDED_SQL))
        .filter(requests::closed_at.ge(from).and(requests::closed_at.lt(to)))
        .group_by((requests::team_key, requests::status))
        .select((requests::team_key, requests::status, count_star()))
        .load(conn)?;
    Ok(resolved.into_iter().map(|(team, n)| (team, "resolved".to_owned(), n)).chain(closed).collect())
}

/// A request with a wanted-by date: (team, category, the date, resolved at, status).
pub type WantedRow = (String, String, chrono::NaiveDate, Option<NaiveDateTime>, String);

/// The requests wanted by a date in `[from, to]`, through `requests_by_desired_date`.
pub fn wanted_between(
    conn: &mut AnyConnection,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> QueryResult<Vec<WantedRow>> {
    type Row = (String, String, Option<chrono::NaiveDate>, Option<NaiveDateTime>, String);
    let rows: Vec<Row> = requests::table
        .filter(requests::desired_date.ge(from).and(requests::desired_date.le(to)))
        .select((
            requests::team_key,
            requests::category,
            requests::desired_date,
            requests::resolved_at,
            requests::status,
        ))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(t, c, d, r, s)| Some((t, c, d?, r, s))).collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_written_out_condition_names_the_reassigned_kind() {
        assert_eq!(super::REASSIGNED_SQL, format!("request_events.kind = '{}'", crate::domain::event::REASSIGNED));
    }
}
