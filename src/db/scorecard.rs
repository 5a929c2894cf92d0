//! What the scorecard reads of the requester's side of the work, per owning team: the waits on
//! the requester, the requests whose first answer was a question, and the requests asked by
//! a date (for the notice they gave).

use chrono::{NaiveDate, NaiveDateTime};
use std::collections::{BTreeMap, HashSet};

use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{request_stretches as s, requests as r};

/// Per team of `teams`, over waits on the requester that began in `[from, to)`: (team,
/// requests that waited, waits still open, business minutes of the waits that ended). Read
/// through `request_stretches_by_team`, one range per team (naming the teams is what lets
/// either engine use it); counted here (a period's waits are a few thousand rows).
pub fn requester_waits_between(
    conn: &mut AnyConnection,
    teams: &[&str],
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<(String, i64, i64, i64)>> {
    let rows: Vec<(String, String, Option<i64>, bool)> = s::table
        .filter(s::team_key.eq_any(teams))
        .filter(s::holder.eq("requester"))
        .filter(s::started_at.ge(from).and(s::started_at.lt(to)))
        .select((s::team_key, s::request_id, s::business_minutes, s::ended_at.is_null()))
        .load(conn)?;
    let mut by_team: BTreeMap<String, (HashSet<String>, i64, i64)> = BTreeMap::new();
    for (team, request, minutes, open) in rows {
        let (requests, still, total) = by_team.entry(team).or_default();
        requests.insert(request);
        if open {
            *still += 1;
        } else {
            *total += minutes.unwrap_or(0);
        }
    }
    Ok(by_team
        .into_iter()
        .map(|(team, (requests, still, total))| (team, requests.len() as i64, still, total))
        .collect())
}

/// Per owning team, the requests filed in `[from, to)` whose first answer was a question to
/// the requester: a wait on them began at or before the first message they could see (the
/// question is the wait's note).
pub fn asked_first_between(
    conn: &mut AnyConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<(String, i64)>> {
    let rows: Vec<(String, String)> = r::table
        .inner_join(s::table)
        .filter(r::created_at.ge(from).and(r::created_at.lt(to)))
        .filter(s::holder.eq("requester"))
        .filter(r::first_answer_at.is_not_null())
        .filter(s::started_at.le(r::first_answer_at.assume_not_null()))
        .select((r::team_key, r::id))
        .load(conn)?;
    let mut by_team: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    for (team, id) in rows {
        by_team.entry(team).or_default().insert(id);
    }
    Ok(by_team.into_iter().map(|(team, ids)| (team, ids.len() as i64)).collect())
}

/// The requests filed in `[from, to)` with a wanted-by date: (team, priority, filed, date).
pub fn dated_requests_between(
    conn: &mut AnyConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<(String, String, NaiveDateTime, NaiveDate)>> {
    let rows: Vec<(String, String, NaiveDateTime, Option<NaiveDate>)> = r::table
        .filter(r::created_at.ge(from).and(r::created_at.lt(to)))
        .filter(r::desired_date.is_not_null())
        .select((r::team_key, r::priority, r::created_at, r::desired_date))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(t, p, c, d)| Some((t, p, c, d?))).collect())
}
