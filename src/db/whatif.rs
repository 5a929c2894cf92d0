//! What the what-if replay reads: the period's requests from the stored report facts, each with
//! its priority and its holds. Two range reads and one of `requests`, joined in memory by id
//! (a join per row in the database took longer than the whole replay).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::AnyConnection;
use super::facts::{from_micros, micros};
use crate::domain::Priority;
use crate::domain::whatif::{Clock, Hold, Request};

type ClockCols = (Option<i32>, Option<i64>, Option<i64>, Option<i64>, Option<i64>);
type RequestCols = (String, String, String, String, i64, ClockCols, ClockCols);
type HoldCols = (String, i32, String, Option<i64>, Option<i64>, Option<i64>);

/// A clock from its columns, judged as of `now`: breached when its breach moment has come, met
/// when it stopped before, undecided otherwise (and without a target: no policy applied).
fn clock((target, business, wall, breached_at, stopped_at): ClockCols, now: i64) -> Clock {
    let met =
        target.and_then(|_| if breached_at.is_some_and(|t| t <= now) { Some(false) } else { stopped_at.map(|_| true) });
    Clock { business, wall, met }
}

/// The requests filed in `[start, end)`, as of `now`, ordered by filing then id (so a replay is
/// the same from run to run); with their text (title and description) when `with_text`.
pub fn whatif_requests(
    conn: &mut AnyConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
    with_text: bool,
) -> QueryResult<Vec<Request>> {
    use super::schema::request_facts as f;
    use super::schema::requests as r;
    let (start, end, now) = (micros(start), micros(end), micros(now));
    let rows: Vec<RequestCols> = f::table
        .filter(f::scope.eq_any(["only", "request"]))
        .filter(f::started_at.ge(start))
        .filter(f::started_at.lt(end))
        .select((
            f::request_id,
            f::scope,
            f::team_key,
            f::category,
            f::started_at,
            (f::fr_target, f::fr_business_minutes, f::fr_wall_minutes, f::fr_breached_at, f::fr_stopped_at),
            (f::res_target, f::res_business_minutes, f::res_wall_minutes, f::res_breached_at, f::res_stopped_at),
        ))
        .load(conn)?;
    // Holds start when their team received the request: at or after its filing, so those of
    // the period's requests start at or after the period's start.
    let mut holds: HashMap<String, Vec<(i32, Hold)>> = HashMap::new();
    if rows.iter().any(|row| row.1 == "request") {
        let hold_rows: Vec<HoldCols> = f::table
            .filter(f::scope.eq("hold"))
            .filter(f::started_at.ge(start))
            .select((
                f::request_id,
                f::seq,
                f::team_key,
                f::passed_on_at,
                f::fr_business_minutes,
                f::res_business_minutes,
            ))
            .load(conn)?;
        for (id, seq, team, passed_on, fr, res) in hold_rows {
            let hold = Hold { team, first_response: fr, resolution: res, passed_on: passed_on.is_some() };
            holds.entry(id).or_default().push((seq, hold));
        }
    }
    let created = super::to_db(from_micros(start));
    let ended = super::to_db(from_micros(end));
    let priorities: HashMap<String, String> = r::table
        .filter(r::created_at.ge(created))
        .filter(r::created_at.lt(ended))
        .select((r::id, r::priority))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    // Titles and descriptions only when the proposal adds rules to match them.
    let mut texts: HashMap<String, String> = if with_text {
        r::table
            .filter(r::created_at.ge(created))
            .filter(r::created_at.lt(ended))
            .select((r::id, r::title, r::description))
            .load::<(String, String, String)>(conn)?
            .into_iter()
            .map(|(id, title, description)| (id, format!("{title}\n{description}")))
            .collect()
    } else {
        HashMap::new()
    };
    let mut requests: Vec<(String, Request)> = rows
        .into_iter()
        .map(|(id, scope, team, category, started_at, fr, res)| {
            let priority = priorities.get(&id).and_then(|p| Priority::parse(p).ok()).unwrap_or_default();
            let first_response = clock(fr, now);
            let resolution = clock(res, now);
            let holds = if scope == "request" {
                let mut mine = holds.remove(&id).unwrap_or_default();
                mine.sort_by_key(|(seq, _)| *seq);
                mine.into_iter().map(|(_, h)| h).collect()
            } else {
                vec![Hold {
                    team: team.clone(),
                    first_response: first_response.business,
                    resolution: resolution.business,
                    passed_on: false,
                }]
            };
            let request = Request {
                id: id.clone(),
                text: texts.remove(&id),
                category,
                priority,
                created_at: from_micros(started_at),
                team,
                first_response,
                resolution,
                holds,
            };
            (id, request)
        })
        .collect();
    requests.sort_by(|a, b| (a.1.created_at, &a.0).cmp(&(b.1.created_at, &b.0)));
    Ok(requests.into_iter().map(|(_, r)| r).collect())
}
