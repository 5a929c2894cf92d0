//! The stored ledger: each request's stretches (see `domain::ledger`), kept equal to the
//! derivation by every write that changes them, and the lease of the one-off build for
//! requests stored before the ledger existed.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{counters, request_facts, request_stretches, requests};
use super::{AnyConnection, from_db, to_db};
use crate::domain::ledger::Stretch;
use crate::domain::sla::Holder;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = request_stretches, treat_none_as_default_value = false)]
pub struct StretchRow {
    pub request_id: String,
    pub seq: i32,
    pub holder: String,
    pub waiting_on: Option<String>,
    pub team_key: String,
    pub started_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
    pub business_minutes: Option<i64>,
    pub wall_minutes: Option<i64>,
}

impl StretchRow {
    pub fn new(request_id: &str, seq: usize, s: &Stretch) -> Self {
        Self {
            request_id: request_id.to_owned(),
            seq: seq as i32,
            holder: s.holder.as_str().to_owned(),
            waiting_on: s.waiting_on.clone(),
            team_key: s.team.clone(),
            started_at: to_db(s.from),
            ended_at: s.to.map(to_db),
            business_minutes: s.business_minutes,
            wall_minutes: s.wall_minutes,
        }
    }

    pub fn stretch(&self) -> Stretch {
        // The column's CHECK constraint allows only the holders' names.
        let holder = Holder::parse(&self.holder).unwrap_or(Holder::Team);
        Stretch {
            holder,
            waiting_on: self.waiting_on.clone(),
            team: self.team_key.clone(),
            from: from_db(self.started_at),
            to: self.ended_at.map(from_db),
            business_minutes: self.business_minutes,
            wall_minutes: self.wall_minutes,
        }
    }
}

pub fn ledger_of(conn: &mut AnyConnection, request_id: &str) -> QueryResult<Vec<StretchRow>> {
    request_stretches::table
        .filter(request_stretches::request_id.eq(request_id))
        .order(request_stretches::seq)
        .select(StretchRow::as_select())
        .load(conn)
}

/// The ledgers of several requests in one query, each in order.
pub fn ledgers_of_many(conn: &mut AnyConnection, ids: &[&str]) -> QueryResult<Vec<StretchRow>> {
    request_stretches::table
        .filter(request_stretches::request_id.eq_any(ids))
        .order((request_stretches::request_id, request_stretches::seq))
        .select(StretchRow::as_select())
        .load(conn)
}

/// Makes the stored ledger of a request equal to `stretches`, writing only what differs:
/// usually the stretch an event just ended and the one it started.
pub fn save_ledger(conn: &mut AnyConnection, request_id: &str, stretches: &[Stretch]) -> QueryResult<bool> {
    let stored = ledger_of(conn, request_id)?;
    let wanted: Vec<StretchRow> =
        stretches.iter().enumerate().map(|(i, s)| StretchRow::new(request_id, i, s)).collect();
    if stored == wanted {
        return Ok(false);
    }
    for row in &wanted {
        match stored.get(row.seq as usize) {
            Some(old) if old == row => {}
            Some(_) => {
                diesel::update(request_stretches::table.find((request_id, row.seq)))
                    .set((
                        request_stretches::holder.eq(&row.holder),
                        request_stretches::team_key.eq(&row.team_key),
                        request_stretches::started_at.eq(row.started_at),
                        request_stretches::ended_at.eq(row.ended_at),
                        request_stretches::business_minutes.eq(row.business_minutes),
                        request_stretches::wall_minutes.eq(row.wall_minutes),
                    ))
                    .execute(conn)?;
            }
            None => {
                diesel::insert_into(request_stretches::table).values(row).execute(conn)?;
            }
        }
    }
    diesel::delete(
        request_stretches::table
            .filter(request_stretches::request_id.eq(request_id))
            .filter(request_stretches::seq.ge(wanted.len() as i32)),
    )
    .execute(conn)?;
    Ok(true)
}

/// Stores the first stretches of a request just filed (nothing stored yet to compare with).
pub fn insert_ledger(conn: &mut AnyConnection, request_id: &str, stretches: &[Stretch]) -> QueryResult<()> {
    for (i, s) in stretches.iter().enumerate() {
        let row = StretchRow::new(request_id, i, s);
        per_backend!(&mut *conn, c => diesel::insert_into(request_stretches::table).values(&row).execute(c))?;
    }
    Ok(())
}

/// Whether every request has its ledger (the upgrade's build step has run to its end).
pub fn ledger_built(conn: &mut AnyConnection) -> QueryResult<bool> {
    let value: Option<i64> = counters::table.find("ledger").select(counters::value).first(conn).optional()?;
    Ok(value.is_none_or(|v| v == 1))
}

pub fn mark_ledger_built(conn: &mut AnyConnection) -> QueryResult<()> {
    diesel::update(counters::table.find("ledger")).set(counters::value.eq(1)).execute(conn).map(drop)
}

/// Takes (or renews) the lease on the ledger build until `until` (Unix seconds), if no other
/// instance holds one that lasts past `now`: a lease is one's own when it still says
/// `held_until`, the value one last set. Setting `until` to 0 gives it back.
pub fn claim_ledger_build(conn: &mut AnyConnection, now: i64, held_until: i64, until: i64) -> QueryResult<bool> {
    let taken = diesel::update(
        counters::table.find("ledger_claim").filter(counters::value.lt(now).or(counters::value.eq(held_until))),
    )
    .set(counters::value.eq(until))
    .execute(conn)?;
    Ok(taken == 1)
}

/// Ids of up to `limit` requests that have no ledger or report facts yet, oldest first.
pub fn requests_without_ledger(conn: &mut AnyConnection, limit: i64) -> QueryResult<Vec<String>> {
    requests::table
        .filter(diesel::dsl::not(diesel::dsl::exists(facts_of_this_request())))
        .order(requests::number)
        .limit(limit)
        .select(requests::id)
        .load(conn)
}

pub fn count_requests_without_ledger(conn: &mut AnyConnection) -> QueryResult<i64> {
    requests::table.filter(diesel::dsl::not(diesel::dsl::exists(facts_of_this_request()))).count().get_result(conn)
}

type FactsOfThisRequest = diesel::dsl::Select<
    diesel::dsl::Filter<
        diesel::dsl::Filter<request_facts::table, diesel::dsl::Eq<request_facts::request_id, requests::id>>,
        diesel::dsl::Eq<request_facts::seq, i32>,
    >,
    request_facts::seq,
>;

/// The request's first facts row, as a correlated subquery: NOT EXISTS is an anti-join on
/// both engines, where `NOT IN (SELECT ...)` made PostgreSQL compare each of a million requests
/// with a million ids (its subquery's ids did not fit the memory for hashing them).
fn facts_of_this_request() -> FactsOfThisRequest {
    request_facts::table
        .filter(request_facts::request_id.eq(requests::id))
        .filter(request_facts::seq.eq(0))
        .select(request_facts::seq)
}

/// Stretches of an open request (its team's or its requester's) that contain `cut`: started at
/// or before it (a first stretch strictly before: a request filed at `cut` is not yet open
/// then) and not ended by it.
macro_rules! open_at {
    ($cut:expr) => {
        request_stretches::holder
            .eq_any(["team", "requester", "waiting"])
            .and(request_stretches::started_at.le($cut))
            .and(request_stretches::started_at.lt($cut).or(request_stretches::seq.gt(0)))
    };
}

/// Per team, how many requests were open at `cut`: those open now, less those whose current
/// stretch began after `cut`, plus those whose stretch containing `cut` has ended since. The
/// first is a count over the covering index `requests_by_team`, one team at a time; the others
/// read only the stretches that began or ended after `cut` (and are counted here, so that no
/// GROUP BY tempts the planner into a full scan).
/// The open statuses as the partial index `requests_open_by_team` names them.
const OPEN_STATUSES: &str = "status IN ('new', 'acknowledged', 'in_progress', 'waiting_on_requester', 'waiting')";

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// How many of `team`'s requests are open now, counted over the partial index of open
/// requests: its entries are a fifth the size of `requests_by_team`'s, which SQLite's planner
/// prefers when left to choose.
pub fn open_count(conn: &mut AnyConnection, team: &str) -> QueryResult<i64> {
    let (index, placeholder) = match conn {
        AnyConnection::Sqlite(_) => ("INDEXED BY requests_open_by_team", "?"),
        AnyConnection::Postgresql(_) => ("", "$1"),
    };
    let sql = format!("SELECT count(*) AS n FROM requests {index} WHERE team_key = {placeholder} AND {OPEN_STATUSES}");
    let count: Count = diesel::sql_query(sql).bind::<diesel::sql_types::Text, _>(team).get_result(conn)?;
    Ok(count.n)
}

/// A team's open requests counted by the queue's views: all, assigned to `me`, unassigned,
/// with a running clock breached, and at risk (none breached): the same conditions the
/// listing's filters use, in one pass over the team's open requests (the partial index).
#[derive(Debug, Clone, Copy, Default, QueryableByName)]
pub struct ViewCounts {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub open: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub mine: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub unassigned: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub breached: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub at_risk: i64,
}

pub fn view_counts(conn: &mut AnyConnection, team: &str, me: &str, now: NaiveDateTime) -> QueryResult<ViewCounts> {
    use diesel::sql_types::{Text, Timestamp};
    let sqlite = matches!(conn, AnyConnection::Sqlite(_));
    let index = if sqlite { "INDEXED BY requests_open_by_team" } else { "" };
    // $1 team, $2 me, $3 now.
    let sql = format!(
        "SELECT count(*) AS open, \
           coalesce(sum(CASE WHEN assignee_id = $2 THEN 1 ELSE 0 END), 0) AS mine, \
           coalesce(sum(CASE WHEN assignee_id IS NULL THEN 1 ELSE 0 END), 0) AS unassigned, \
           coalesce(sum(CASE WHEN fr_breached_at <= $3 OR res_breached_at <= $3 THEN 1 ELSE 0 END), 0) AS breached, \
           coalesce(sum(CASE WHEN queue_due_at > $3 AND (fr_at_risk_at <= $3 OR res_at_risk_at <= $3) \
             AND (fr_breached_at IS NULL OR fr_breached_at > $3) AND (res_breached_at IS NULL OR res_breached_at > $3) \
             THEN 1 ELSE 0 END), 0) AS at_risk \
         FROM requests {index} WHERE team_key = $1 AND {OPEN_STATUSES}"
    );
    // SQLite numbers its parameters the same way (`$1` is `?1`).
    let sql = if sqlite { sql.replace('$', "?") } else { sql };
    diesel::sql_query(sql).bind::<Text, _>(team).bind::<Text, _>(me).bind::<Timestamp, _>(now).get_result(conn)
}

pub fn open_counts_at(
    conn: &mut AnyConnection,
    cut: NaiveDateTime,
    team: Option<&str>,
) -> QueryResult<Vec<(String, i64)>> {
    let teams: Vec<String> = match team {
        Some(t) => vec![t.to_owned()],
        None => super::team_keys(conn)?,
    };
    let mut counts = Vec::with_capacity(teams.len());
    for t in teams {
        let n = open_count(conn, &t)?;
        counts.push((t, n));
    }
    // Read as team keys and counted here: a GROUP BY team_key made SQLite's planner walk the
    // (team, start) index over every stretch instead of the range since the cut.
    let began_since: Vec<String> = request_stretches::table
        .filter(request_stretches::ended_at.is_null())
        // A range on the start (an OR of two comparisons is not one for SQLite's planner).
        .filter(request_stretches::started_at.ge(cut))
        .filter(request_stretches::started_at.gt(cut).or(request_stretches::seq.eq(0)))
        .filter(request_stretches::holder.eq_any(["team", "requester", "waiting"]))
        .select(request_stretches::team_key)
        .load(conn)?;
    let ended_since: Vec<String> = request_stretches::table
        .filter(request_stretches::ended_at.gt(cut))
        .filter(open_at!(cut))
        .select(request_stretches::team_key)
        .load(conn)?;
    for (teams, sign) in [(began_since, -1), (ended_since, 1)] {
        for t in teams {
            if let Some(entry) = counts.iter_mut().find(|(k, _)| *k == t) {
                entry.1 += sign;
            }
        }
    }
    Ok(counts)
}

/// The `limit` oldest requests open at `cut` (of one team then), with the team then. Requests
/// are read oldest first, in pages, each checked for a stretch containing `cut` by its primary
/// key: the oldest open requests are found without reading the younger ones.
pub fn oldest_open_at(
    conn: &mut AnyConnection,
    cut: NaiveDateTime,
    team: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<(super::RequestRow, String)>> {
    use super::RequestRow;
    const PAGE: i64 = 200;
    let mut out = Vec::new();
    let mut after: Option<(NaiveDateTime, String)> = None;
    while (out.len() as i64) < limit {
        let containing = request_stretches::table
            .filter(request_stretches::request_id.eq(requests::id))
            .filter(open_at!(cut))
            .filter(request_stretches::ended_at.is_null().or(request_stretches::ended_at.gt(cut)));
        let mut q = requests::table
            .filter(requests::created_at.lt(cut))
            .filter(diesel::dsl::exists(containing.select(request_stretches::seq)))
            .order((requests::created_at, requests::id))
            .limit(PAGE)
            .select(RequestRow::as_select())
            .into_boxed();
        if let Some((at, id)) = &after {
            q = q
                .filter(requests::created_at.gt(*at).or(requests::created_at.eq(*at).and(requests::id.gt(id.clone()))));
        }
        let rows: Vec<RequestRow> = q.load(conn)?;
        let last_page = (rows.len() as i64) < PAGE;
        after = rows.last().map(|r| (r.created_at, r.id.clone()));
        // The page's ledgers in one query, each request's stretches in order.
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        let mut held_then: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        for s in ledgers_of_many(conn, &ids)? {
            if s.started_at <= cut && s.ended_at.is_none_or(|e| e > cut) {
                held_then.insert(s.request_id, s.team_key); // the last such stretch wins
            }
        }
        for row in rows {
            let then = held_then.remove(&row.id).unwrap_or_else(|| row.team_key.clone());
            if team.is_none_or(|t| t == then) && (out.len() as i64) < limit {
                out.push((row, then));
            }
        }
        if last_page {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::OPEN_STATUSES;
    use crate::domain::Status;

    #[test]
    fn the_open_statuses_in_sql_are_the_open_statuses() {
        for status in Status::ALL {
            let named = OPEN_STATUSES.contains(&format!("'{}'", status.as_str()));
            assert_eq!(named, status.is_open(), "{status:?}");
        }
    }
}
