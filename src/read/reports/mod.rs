//! The SLA report: per team and per category, and the responsiveness gap, for a period of
//! whole days in the organisation's timezone. Definitions: docs/metrics.md.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::views::request_key;
use crate::db::{self, AnyConnection, RequestRow, from_db, to_db};
use crate::domain::Event;
use crate::domain::facts::Scope;
use crate::domain::metrics::{Stats, Tally, percentile};
use crate::service::Error;

mod export;
mod facts;
mod gap;
mod period;

mod desired;
pub use desired::DesiredDates;
use desired::wanted;
pub use export::to_csv;
pub use gap::Gap;
use gap::gap;
pub use period::Period;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlaReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub timezone: String,
    pub generated_at: DateTime<Utc>,
    pub teams: Vec<TeamReport>,
    pub categories: Vec<CategoryReport>,
    pub gap: Gap,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct TeamReport {
    pub team: String,
    #[serde(flatten)]
    pub stats: Stats,
    /// Requests open at the end of the period (or now, if earlier).
    pub open_backlog: usize,
    /// Age in wall-clock minutes of the oldest of them.
    pub oldest_open_minutes: Option<i64>,
    pub oldest_open_key: Option<String>,
    /// Requests handed from this team to another in the period: routing misses.
    pub reassignments_away: usize,
    /// Median share of the first-response target used (elapsed ÷ target) by decided clocks.
    pub median_first_response_target_share: Option<f64>,
    /// Of this team's holds started in the period: passed on, received by hand-over, and the
    /// business minutes it held the ones it passed on.
    pub handed_over: HandedOver,
    /// First responses that were status clicks, with no answer to the requester yet.
    pub first_responses_without_answer: usize,
    /// The requester's SLA clocks that breached in the period while this team held the request.
    pub sla_breaches_charged: usize,
    /// Requests the team ended in the period, by how they ended.
    pub ended: Ended,
    /// Requests wanted by a date in the period: delivered by it or not.
    pub desired_dates: DesiredDates,
}

/// How requests ended: resolved by the team, rejected by it (with a reason), or withdrawn by
/// their requester. Withdrawn requests are nobody's failure and nobody's success: counted
/// here, apart.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Ended {
    pub resolved: usize,
    pub rejected: usize,
    pub withdrawn: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct HandedOver {
    pub out: usize,
    #[serde(rename = "in")]
    pub received: usize,
    pub minutes_before_out: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryReport {
    pub category: String,
    #[serde(flatten)]
    pub stats: Stats,
    /// Requests of this category reassigned in the period: the map sent them to the wrong team.
    pub reassignments_away: usize,
    pub desired_dates: DesiredDates,
}

/// The `limit` oldest requests open at `at` (of one team then), each with the team then.
pub fn oldest_open_at(
    conn: &mut AnyConnection,
    at: DateTime<Utc>,
    team: Option<&str>,
    limit: i64,
) -> Result<Vec<(RequestRow, String)>, Error> {
    Ok(db::oldest_open_at(conn, to_db(at), team, limit)?)
}

/// Builds the report for `period` as of `now`, optionally for one team.
pub fn sla_report(
    conn: &mut AnyConnection,
    period: Period,
    team: Option<&str>,
    gap_teams: (&str, &str),
    now: DateTime<Utc>,
) -> Result<SlaReport, Error> {
    Ok(build(conn, period, None, team, gap_teams, now)?.0)
}

/// The report for `period` and, per bucket of `wider` (a span that holds the period, cut at
/// each of `cuts` and at the period's ends), what each team's holds started in it count: one
/// pass serves the report and a trend (the dashboard's weeks, the digest's).
pub fn report_within(
    conn: &mut AnyConnection,
    period: Period,
    wider: Period,
    cuts: &[DateTime<Utc>],
    team: Option<&str>,
    gap_teams: (&str, &str),
    now: DateTime<Utc>,
) -> Result<(SlaReport, Vec<Bucket>), Error> {
    build(conn, period, Some((wider, cuts)), team, gap_teams, now)
}

/// A stretch of a report's span, and what each team's holds started in it count.
pub struct Bucket {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub teams: BTreeMap<String, Tally>,
}

/// Per team, what its row counts of the holds started in the period.
#[derive(Default)]
struct TeamTally {
    stats: Tally,
    shares: Vec<i64>,
    handed_over: HandedOver,
    clicks_without_answer: usize,
}

impl TeamTally {
    fn add(&mut self, c: facts::Counted) {
        self.stats.merge(&c.tally);
        self.shares.extend(c.shares);
        self.handed_over.out += c.handed_over.out;
        self.handed_over.received += c.handed_over.received;
        self.handed_over.minutes_before_out += c.handed_over.minutes_before_out;
        self.clicks_without_answer += c.clicks_without_answer;
    }
}

/// Counts a team's holds summed in one bucket: in the trend, and in the team's row when the
/// bucket is inside the period.
fn count_hold(
    tallies: &mut BTreeMap<String, TeamTally>,
    bucket: &mut Bucket,
    trend: bool,
    in_period: bool,
    team: &str,
    counted: facts::Counted,
) {
    if trend {
        bucket.teams.entry(team.to_owned()).or_default().merge(&counted.tally);
    }
    if in_period {
        tallies.entry(team.to_owned()).or_default().add(counted);
    }
}

/// The report from the stored facts, summed by the engine (`db::report_groups`): the holds
/// started in the period (team rows), the requests filed in it (category rows), each group
/// of rows read once; then the breaches charged, the backlog and the routing misses, each one
/// query over an index.
fn build(
    conn: &mut AnyConnection,
    period: Period,
    trend: Option<(Period, &[DateTime<Utc>])>,
    team: Option<&str>,
    gap_teams: (&str, &str),
    now: DateTime<Utc>,
) -> Result<(SlaReport, Vec<Bucket>), Error> {
    let (start, end) = (period.start(), period.end());
    let span = trend.map_or(period, |(wider, _)| wider);
    let (span_start, span_end) = (span.start().min(start), span.end().max(end));
    // The buckets: the span cut at the period's ends and at each trend cut inside it.
    let mut cuts: Vec<DateTime<Utc>> =
        [start, end].into_iter().chain(trend.into_iter().flat_map(|(_, c)| c.iter().copied())).collect();
    cuts.retain(|c| *c > span_start && *c < span_end);
    cuts.sort();
    cuts.dedup();
    let mut buckets: Vec<Bucket> = std::iter::once(span_start)
        .chain(cuts.iter().copied())
        .zip(cuts.iter().copied().chain(std::iter::once(span_end)))
        .map(|(start, end)| Bucket { start, end, teams: BTreeMap::new() })
        .collect();

    let calendars = facts::Calendars::load(conn)?;
    let names = calendars.names();
    let now_us = db::micros(now);
    let base = db::ReportQuery {
        scope: "",
        team: None,
        category: None,
        held_by: None,
        from: db::micros(start),
        to: db::micros(end),
        now: now_us,
        calendars: &names,
    };
    let team_keys: Vec<String> = match team {
        Some(t) => vec![t.to_owned()],
        None => db::team_keys(conn)?,
    };
    let all_teams = db::team_keys(conn)?;
    let category_keys = db::categories_ever(conn)?;
    let mut tallies: BTreeMap<String, TeamTally> = BTreeMap::new();
    let mut categories: BTreeMap<String, Tally> = BTreeMap::new();
    let in_period = |b: &Bucket| b.start >= start && b.end <= end;
    // Cells of the (scope, category, team, start) index, bucket by bucket. A request one team
    // held all along ('only') is one row that counts for its team and for its category; a
    // handed-over request has a row as its requester sees it ('request': its category) and one
    // per hold ('hold': each team, read below). With a team asked for, its own 'only' cells,
    // and the 'request' cells of the requests it held.
    for category in &category_keys {
        for cell_team in &all_teams {
            for scope in [Scope::Only, Scope::Request] {
                let own = team.is_none_or(|t| t == cell_team);
                if scope == Scope::Only && !own {
                    continue;
                }
                let held_by = if scope == Scope::Request { team.map(|t| (t, db::micros(start))) } else { None };
                for bucket in buckets.iter_mut() {
                    if scope == Scope::Request && !in_period(bucket) {
                        continue;
                    }
                    let (from, to) = (db::micros(bucket.start), db::micros(bucket.end));
                    let cell = db::ReportQuery {
                        scope: scope.as_str(),
                        team: Some(cell_team),
                        category: Some(category),
                        held_by,
                        from,
                        to,
                        ..base.clone()
                    };
                    let g = db::report_group(conn, &cell)?;
                    if g.n == 0 {
                        continue;
                    }
                    let counted = facts::counted(&calendars, &names, &g, now)?;
                    if in_period(bucket) {
                        categories.entry(category.clone()).or_default().merge(&counted.tally);
                    }
                    if scope == Scope::Only {
                        count_hold(&mut tallies, bucket, trend.is_some(), in_period(bucket), cell_team, counted);
                    }
                }
            }
        }
    }
    // The holds of handed-over requests, team by team over the (scope, team, start) index.
    for key in &team_keys {
        for bucket in buckets.iter_mut() {
            let (from, to) = (db::micros(bucket.start), db::micros(bucket.end));
            let g = db::report_group(
                conn,
                &db::ReportQuery { scope: Scope::Hold.as_str(), team: Some(key), from, to, ..base.clone() },
            )?;
            if g.n > 0 {
                let counted = facts::counted(&calendars, &names, &g, now)?;
                count_hold(&mut tallies, bucket, trend.is_some(), in_period(bucket), key, counted);
            }
        }
    }

    let mut charged: HashMap<String, usize> = HashMap::new();
    for (holder, n) in db::breaches_charged_between(conn, db::micros(start), db::micros(end.min(now)))? {
        if let Some(holder) = holder {
            *charged.entry(holder).or_default() += n as usize;
        }
    }

    // The backlog at the end of the period (or now, if that is earlier).
    let cut = end.min(now);
    let backlog: HashMap<String, i64> = db::open_counts_at(conn, to_db(cut), team)?.into_iter().collect();

    let mut misses_by_team: HashMap<String, usize> = HashMap::new();
    let mut misses_by_category: HashMap<String, usize> = HashMap::new();
    for (stored, category) in db::reassignments_between(conn, to_db(start), to_db(end))? {
        let Event::Reassigned { from, .. } = &stored.event else { continue };
        // With a team filter, only that team's misses count, per category too.
        if team.is_some_and(|t| t != from) {
            continue;
        }
        *misses_by_team.entry(from.clone()).or_default() += 1;
        *misses_by_category.entry(category).or_default() += 1;
    }

    let mut ended: HashMap<String, Ended> = HashMap::new();
    for (key, status, n) in db::ended_between(conn, to_db(start), to_db(end.min(now)))? {
        let e = ended.entry(key).or_default();
        match status.as_str() {
            "resolved" => e.resolved += n as usize,
            "rejected" => e.rejected += n as usize,
            _ => e.withdrawn += n as usize,
        }
    }

    // Desired dates in the period, by the owning team now and the category.
    let today = now.with_timezone(&period.timezone).date_naive();
    let mut wanted_by_team: HashMap<String, DesiredDates> = HashMap::new();
    let mut wanted_by_category: HashMap<String, DesiredDates> = HashMap::new();
    for (key, category, date, resolved_at, status) in db::wanted_between(conn, period.from, period.to)? {
        if matches!(status.as_str(), "rejected" | "withdrawn") || team.is_some_and(|t| t != key) {
            continue;
        }
        let resolved_on = resolved_at.map(|r| from_db(r).with_timezone(&period.timezone).date_naive());
        let outcome = wanted(date, resolved_on, today);
        wanted_by_team.entry(key).or_default().add(outcome);
        wanted_by_category.entry(category).or_default().add(outcome);
    }

    let mut teams = Vec::with_capacity(team_keys.len());
    for key in team_keys {
        let mut t = tallies.remove(&key).unwrap_or_default();
        t.shares.sort_unstable();
        let oldest = match backlog.get(&key) {
            Some(n) if *n > 0 => db::oldest_open_at(conn, to_db(cut), Some(&key), 1)?.into_iter().next(),
            _ => None,
        };
        teams.push(TeamReport {
            stats: t.stats.stats(),
            open_backlog: backlog.get(&key).copied().unwrap_or(0) as usize,
            oldest_open_minutes: oldest.as_ref().map(|(r, _)| (cut - from_db(r.created_at)).num_minutes()),
            oldest_open_key: oldest.as_ref().map(|(r, _)| request_key(r.number)),
            reassignments_away: misses_by_team.get(&key).copied().unwrap_or(0),
            median_first_response_target_share: percentile(&t.shares, 0.5).map(|s| s as f64 / 10_000.0),
            handed_over: t.handed_over,
            first_responses_without_answer: t.clicks_without_answer,
            sla_breaches_charged: charged.get(&key).copied().unwrap_or(0),
            ended: ended.remove(&key).unwrap_or_default(),
            desired_dates: wanted_by_team.remove(&key).unwrap_or_default(),
            team: key,
        });
    }
    for category in misses_by_category.keys().chain(wanted_by_category.keys()) {
        categories.entry(category.clone()).or_default();
    }
    let categories = categories
        .into_iter()
        .map(|(key, tally)| CategoryReport {
            stats: tally.stats(),
            reassignments_away: misses_by_category.get(&key).copied().unwrap_or(0),
            desired_dates: wanted_by_category.remove(&key).unwrap_or_default(),
            category: key,
        })
        .collect();
    // The sentence names the teams as people know them; the fields keep their keys.
    let names: HashMap<String, String> = db::load_teams(conn)?.into_iter().map(|t| (t.key, t.name)).collect();
    let gap = gap(&teams, gap_teams.0, gap_teams.1, |key| names.get(key).cloned().unwrap_or_else(|| key.to_owned()));
    let report = SlaReport {
        from: period.from,
        to: period.to,
        timezone: period.timezone.name().to_owned(),
        generated_at: now,
        teams,
        categories,
        gap,
    };
    if trend.is_none() {
        buckets.clear();
    }
    Ok((report, buckets))
}
