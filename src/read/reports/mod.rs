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
use crate::domain::metrics::{Facts, Stats, Tally, percentile};
use crate::service::Error;

mod export;
mod facts;
mod period;

pub use export::to_csv;
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

#[derive(Debug, Clone, Serialize, ToSchema)]
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
}

/// The responsiveness gap: `team` against `baseline`, and every team against its own targets.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Gap {
    pub team: String,
    pub baseline: String,
    /// team's median first response ÷ baseline's, in business minutes.
    pub median_first_response_ratio: Option<f64>,
    /// team's first-response attainment minus baseline's (−1..1).
    pub first_response_attainment_difference: Option<f64>,
    pub resolution_attainment_difference: Option<f64>,
    /// The gap in one plain sentence.
    pub summary: String,
}

fn ratio(a: Option<i64>, b: Option<i64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0 => Some(a as f64 / b as f64),
        _ => None,
    }
}

fn difference(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(a? - b?)
}

fn percent(x: Option<f64>) -> String {
    x.map_or("no decided requests".into(), |x| format!("{:.0}%", x * 100.0))
}

fn gap(teams: &[TeamReport], team: &str, baseline: &str) -> Gap {
    let find = |k: &str| teams.iter().find(|t| t.team == k).map(|t| &t.stats);
    let (a, b) = (find(team), find(baseline));
    let median = |s: Option<&Stats>| s.and_then(|s| s.first_response.median_business_minutes);
    let attainment = |s: Option<&Stats>| s.and_then(|s| s.first_response_attainment);
    let ratio = ratio(median(a), median(b));
    let summary = match ratio {
        Some(r) => format!(
            "{team} took {r:.1}× as long as {baseline} to first respond (median {} vs {} business minutes); \
             first-response targets met: {team} {}, {baseline} {}.",
            median(a).unwrap_or_default(),
            median(b).unwrap_or_default(),
            percent(attainment(a)),
            percent(attainment(b)),
        ),
        None => format!("Not enough first responses from {team} and {baseline} in this period to compare them."),
    };
    Gap {
        team: team.to_owned(),
        baseline: baseline.to_owned(),
        median_first_response_ratio: ratio,
        first_response_attainment_difference: difference(attainment(a), attainment(b)),
        resolution_attainment_difference: difference(
            a.and_then(|s| s.resolution_attainment),
            b.and_then(|s| s.resolution_attainment),
        ),
        summary,
    }
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

/// The report for `period` and the facts of every team's hold started in `wider`, a span that
/// holds the period, read in one pass (the dashboard's report and trend).
pub fn report_within(
    conn: &mut AnyConnection,
    period: Period,
    wider: Period,
    team: Option<&str>,
    gap_teams: (&str, &str),
    now: DateTime<Utc>,
) -> Result<(SlaReport, Vec<Facts>), Error> {
    build(conn, period, Some(wider), team, gap_teams, now)
}

/// Per team, what its row counts of the holds started in the period.
#[derive(Default)]
struct TeamTally {
    stats: Tally,
    shares: Vec<i64>,
    handed_over: HandedOver,
    clicks_without_answer: usize,
}

/// The report from the stored facts: the holds started in the period (team rows), the
/// requests filed in it (category rows), the breaches charged, the backlog and the routing
/// misses, each one query over an index; rows are counted as they are read.
fn build(
    conn: &mut AnyConnection,
    period: Period,
    wider: Option<Period>,
    team: Option<&str>,
    gap_teams: (&str, &str),
    now: DateTime<Utc>,
) -> Result<(SlaReport, Vec<Facts>), Error> {
    let (start, end) = (period.start(), period.end());
    let in_period = |at: DateTime<Utc>| at >= start && at < end;
    let span = wider.unwrap_or(period);
    let calendars = facts::Calendars::load(conn)?;
    let mut tallies: BTreeMap<String, TeamTally> = BTreeMap::new();
    let mut categories: BTreeMap<String, Tally> = BTreeMap::new();
    let mut kept = Vec::new();
    let mut count_hold = |hold: facts::HoldRow| {
        if in_period(hold.facts.created_at) {
            let t = tallies.entry(hold.facts.team.clone()).or_default();
            t.stats.add(&hold.facts);
            t.shares.extend(hold.target_share.map(|s| (s * 10_000.0).round() as i64));
            if hold.passed_on {
                t.handed_over.out += 1;
                t.handed_over.minutes_before_out += hold.held_business_minutes;
            }
            t.handed_over.received += usize::from(hold.by_hand_over);
            t.clicks_without_answer += usize::from(hold.click_without_answer);
        }
        if wider.is_some() {
            kept.push(hold.facts);
        }
    };
    let mut count_request = |f: &Facts| categories.entry(f.category.clone()).or_default().add(f);
    let (from, to) = (db::micros(span.start()), db::micros(span.end()));
    match team {
        // One pass over every row started in the span: a request one team held all along is
        // one row that counts for its team and for its category.
        None => db::each_report_fact(conn, &Scope::ALL, from, to, None, |row| {
            let scope = Scope::parse(&row.scope);
            if scope == Scope::Request {
                let f = facts::facts(&row, now);
                if in_period(f.created_at) {
                    count_request(&f);
                }
                return Ok(());
            }
            let hold = facts::hold(&calendars, &row, now)?;
            if scope == Scope::Only && in_period(hold.facts.created_at) {
                count_request(&hold.facts);
            }
            count_hold(hold);
            Ok(())
        })?,
        // The team's holds, then the category rows of the requests it held.
        Some(t) => {
            db::each_report_fact(conn, &Scope::HOLDS, from, to, Some(t), |row| {
                count_hold(facts::hold(&calendars, &row, now)?);
                Ok(())
            })?;
            let held: std::collections::HashSet<String> =
                db::requests_held_by(conn, t, db::micros(start))?.into_iter().collect();
            db::each_report_fact(conn, &Scope::REQUESTS, db::micros(start), db::micros(end), None, |row| {
                if held.contains(&row.request_id) {
                    count_request(&facts::facts(&row, now));
                }
                Ok(())
            })?;
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

    let team_keys: Vec<String> = match team {
        Some(t) => vec![t.to_owned()],
        None => db::team_keys(conn)?,
    };
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
            team: key,
        });
    }
    for category in misses_by_category.keys() {
        categories.entry(category.clone()).or_default();
    }
    let categories = categories
        .into_iter()
        .map(|(key, tally)| CategoryReport {
            stats: tally.stats(),
            reassignments_away: misses_by_category.get(&key).copied().unwrap_or(0),
            category: key,
        })
        .collect();
    let gap = gap(&teams, gap_teams.0, gap_teams.1);
    let report = SlaReport {
        from: period.from,
        to: period.to,
        timezone: period.timezone.name().to_owned(),
        generated_at: now,
        teams,
        categories,
        gap,
    };
    Ok((report, kept))
}
