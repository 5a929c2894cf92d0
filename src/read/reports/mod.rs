//! The SLA report: per team and per category, and the responsiveness gap, for a period of
//! whole days in the organisation's timezone. Definitions: docs/metrics.md.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::views::request_key;
use crate::db::{self, AnyConnection, RequestRow, from_db, to_db};
use crate::domain::Event;
use crate::domain::Status;
use crate::domain::metrics::{Facts, Stats, percentile, stats};
use crate::domain::sla::Change;
use crate::service::Error;
use crate::service::sla::timeline;
use facts::{HoldRow, Row, facts, load_events};

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

/// The status a request had at `at`, from its events.
fn status_at(changes: &[(DateTime<Utc>, Change)], at: DateTime<Utc>) -> Status {
    changes
        .iter()
        .rev()
        .filter(|(t, _)| *t <= at)
        .find_map(|(_, c)| if let Change::Status(s) = c { Some(*s) } else { None })
        .unwrap_or(Status::New)
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

/// Requests open at `at`, each with the team that owned it then, oldest first.
pub fn open_requests_at(
    conn: &mut AnyConnection,
    at: DateTime<Utc>,
    team: Option<&str>,
) -> Result<Vec<(RequestRow, String)>, Error> {
    let candidates = db::maybe_open_at(conn, to_db(at), team)?;
    let events = load_events(conn, &candidates)?;
    let mut open = Vec::new();
    for r in candidates {
        let t = timeline(&r, events.get(&r.id).map_or(&[][..], Vec::as_slice));
        if status_at(&t.changes, at).is_open() {
            let team_then = t
                .changes
                .iter()
                .filter(|(when, _)| *when <= at)
                .fold(t.team.clone(), |team, (_, c)| if let Change::Team(to) = c { to.clone() } else { team });
            open.push((r, team_then));
        }
    }
    open.sort_by_key(|(r, _)| r.created_at);
    Ok(open)
}

/// Builds the report for `period` as of `now`, optionally for one team.
pub fn sla_report(
    conn: &mut AnyConnection,
    period: Period,
    team: Option<&str>,
    gap_teams: (&str, &str),
    now: DateTime<Utc>,
) -> Result<SlaReport, Error> {
    Ok(report_within(conn, period, period, team, gap_teams, now)?.0)
}

/// The report for `period` and the facts of every team's hold started in `wider`, a span that
/// holds the period, deriving each request's clocks once (the dashboard's report and trend).
pub fn report_within(
    conn: &mut AnyConnection,
    period: Period,
    wider: Period,
    team: Option<&str>,
    gap_teams: (&str, &str),
    now: DateTime<Utc>,
) -> Result<(SlaReport, Vec<Facts>), Error> {
    let (from, to) = (to_db(wider.start()), to_db(wider.end()));
    // Requests filed in the span, and those handed over in it: a team's hold counts in the
    // period it started, whenever the request was filed.
    let mut loaded = db::requests_created_between(conn, from, to, None)?;
    let known: std::collections::HashSet<String> = loaded.iter().map(|r| r.id.clone()).collect();
    loaded.extend(db::requests_handed_over_between(conn, from, to)?.into_iter().filter(|r| !known.contains(&r.id)));
    let rows = facts(conn, &loaded, now)?;
    let report = assemble(conn, period, team, gap_teams, now, &rows)?;
    let in_wider = |f: &Facts| f.created_at >= wider.start() && f.created_at < wider.end();
    let holds = rows
        .into_iter()
        .flat_map(|r| r.holds)
        .map(|h| h.facts)
        .filter(|f| in_wider(f) && team.is_none_or(|t| f.team == t))
        .collect();
    Ok((report, holds))
}

/// The report for `period` from the facts of the requests created in it.
fn assemble(
    conn: &mut AnyConnection,
    period: Period,
    team: Option<&str>,
    gap_teams: (&str, &str),
    now: DateTime<Utc>,
    rows: &[Row],
) -> Result<SlaReport, Error> {
    let (start, end) = (period.start(), period.end());
    let in_period = |at: DateTime<Utc>| at >= start && at < end;
    // The category rows: the requester's view of the requests filed in the period (of the
    // team's requests, with a team filter). The team rows: each team's holds started in it.
    let requests: Vec<&Row> = rows
        .iter()
        .filter(|r| in_period(r.facts.created_at) && team.is_none_or(|t| r.holds.iter().any(|h| h.facts.team == t)))
        .collect();
    let holds: Vec<&HoldRow> = rows.iter().flat_map(|r| &r.holds).filter(|h| in_period(h.facts.created_at)).collect();
    let mut charged: HashMap<&str, usize> = HashMap::new();
    for (_, holder) in rows.iter().flat_map(|r| &r.breaches).filter(|(at, _)| in_period(*at)) {
        *charged.entry(holder.as_str()).or_default() += 1;
    }

    // The backlog at the end of the period (or now, if that is earlier).
    let cut = end.min(now);
    let mut backlog: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    for (r, team_then) in open_requests_at(conn, cut, team)? {
        backlog
            .entry(team_then)
            .or_default()
            .push(((cut - from_db(r.created_at)).num_minutes(), request_key(r.number)));
    }

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
    let teams: Vec<TeamReport> = team_keys
        .into_iter()
        .map(|key| {
            let mine = || holds.iter().filter(|h| h.facts.team == key);
            let mut shares: Vec<i64> =
                mine().filter_map(|h| h.target_share).map(|s| (s * 10_000.0).round() as i64).collect();
            shares.sort_unstable();
            let open = backlog.get(&key);
            let oldest = open.and_then(|o| o.iter().max());
            let passed_on = || mine().filter(|h| h.passed_on);
            TeamReport {
                stats: stats(mine().map(|h| &h.facts)),
                open_backlog: open.map_or(0, Vec::len),
                oldest_open_minutes: oldest.map(|o| o.0),
                oldest_open_key: oldest.map(|o| o.1.clone()),
                reassignments_away: misses_by_team.get(&key).copied().unwrap_or(0),
                median_first_response_target_share: percentile(&shares, 0.5).map(|s| s as f64 / 10_000.0),
                handed_over: HandedOver {
                    out: passed_on().count(),
                    received: mine().filter(|h| h.by_hand_over).count(),
                    minutes_before_out: passed_on().map(|h| h.held_business_minutes).sum(),
                },
                first_responses_without_answer: mine().filter(|h| h.click_without_answer).count(),
                sla_breaches_charged: charged.get(key.as_str()).copied().unwrap_or(0),
                team: key,
            }
        })
        .collect();
    let mut category_keys: Vec<String> = requests.iter().map(|r| r.facts.category.clone()).collect();
    category_keys.extend(misses_by_category.keys().cloned());
    category_keys.sort();
    category_keys.dedup();
    let categories = category_keys
        .into_iter()
        .map(|key| CategoryReport {
            stats: stats(requests.iter().filter(|r| r.facts.category == key).map(|r| &r.facts)),
            reassignments_away: misses_by_category.get(&key).copied().unwrap_or(0),
            category: key,
        })
        .collect();
    let gap = gap(&teams, gap_teams.0, gap_teams.1);
    Ok(SlaReport {
        from: period.from,
        to: period.to,
        timezone: period.timezone.name().to_owned(),
        generated_at: now,
        teams,
        categories,
        gap,
    })
}
