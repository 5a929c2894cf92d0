//! The SLA report: per team and per category, and the responsiveness gap, for a period of
//! whole days in the organisation's timezone. Definitions: docs/metrics.md.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::sla::{Configs, timeline};
use super::views::request_key;
use crate::db::{self, AnyConnection, EventRow, RequestRow, from_db, to_db};
use crate::domain::Status;
use crate::domain::metrics::{Facts, Outcome, Stats, percentile, stats};
use crate::domain::sla::{Change, ClockKind, ClockState, derive_all};
use crate::error::ApiError;

mod export;
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

/// Per request: the facts, plus the first-response target share for the team view.
struct Row {
    facts: Facts,
    target_share: Option<f64>,
}

fn outcome(state: Option<ClockState>) -> Outcome {
    match state {
        Some(ClockState::Met) => Outcome::Met,
        Some(ClockState::Breached) => Outcome::Breached,
        Some(_) => Outcome::Undecided,
        None => Outcome::None,
    }
}

fn load_events(conn: &mut AnyConnection, rows: &[RequestRow]) -> Result<HashMap<String, Vec<EventRow>>, ApiError> {
    let mut events: HashMap<String, Vec<EventRow>> = HashMap::new();
    // Chunked so the IN list stays within every engine's parameter limit.
    for chunk in rows.chunks(5000) {
        let ids: Vec<&str> = chunk.iter().map(|r| r.id.as_str()).collect();
        for e in db::events_of_many(conn, &ids)? {
            events.entry(e.request_id.clone()).or_default().push(e);
        }
    }
    Ok(events)
}

fn facts(conn: &mut AnyConnection, rows: &[RequestRow], now: DateTime<Utc>) -> Result<Vec<Row>, ApiError> {
    let events = load_events(conn, rows)?;
    let mut configs = Configs::default();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let config = configs.get(conn, row.sla_version)?;
        let timeline = timeline(row, events.get(&row.id).map_or(&[][..], Vec::as_slice));
        let plans = derive_all(&timeline, config);
        let business = config.business_calendar(&row.team_key);
        let created = from_db(row.created_at);
        let duration = |end: Option<DateTime<Utc>>| {
            end.map(|end| (business.open_between(created, end).num_minutes(), (end - created).num_minutes()))
        };
        let finished = matches!(row.status.as_str(), "resolved" | "closed");
        let fr = plans.get(&ClockKind::FirstResponse);
        let fr_state = fr.map(|p| p.state(now));
        let target_share = fr
            .filter(|_| matches!(fr_state, Some(ClockState::Met | ClockState::Breached)))
            .map(|p| p.elapsed(p.stopped_at.unwrap_or(now)).num_seconds() as f64 / (p.target_minutes * 60) as f64);
        out.push(Row {
            facts: Facts {
                key: request_key(row.number),
                created_at: created,
                team: row.team_key.clone(),
                category: row.category.clone(),
                first_response: duration(row.first_response_at.map(from_db)),
                resolution: if finished { duration(row.resolved_at.map(from_db)) } else { None },
                first_response_outcome: outcome(fr_state),
                resolution_outcome: outcome(plans.get(&ClockKind::Resolution).map(|p| p.state(now))),
            },
            target_share,
        });
    }
    Ok(out)
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
) -> Result<Vec<(RequestRow, String)>, ApiError> {
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
) -> Result<SlaReport, ApiError> {
    Ok(report_within(conn, period, period, team, gap_teams, now)?.0)
}

/// The report for `period` and the facts of every request created in `wider`, a span that
/// holds the period, deriving each request's clocks once (the dashboard's report and trend).
pub fn report_within(
    conn: &mut AnyConnection,
    period: Period,
    wider: Period,
    team: Option<&str>,
    gap_teams: (&str, &str),
    now: DateTime<Utc>,
) -> Result<(SlaReport, Vec<Facts>), ApiError> {
    let created = db::requests_created_between(conn, to_db(wider.start()), to_db(wider.end()), team)?;
    let rows = facts(conn, &created, now)?;
    let (start, end) = (period.start(), period.end());
    let inside: Vec<&Row> = rows.iter().filter(|r| r.facts.created_at >= start && r.facts.created_at < end).collect();
    let report = assemble(conn, period, team, gap_teams, now, &inside)?;
    Ok((report, rows.into_iter().map(|r| r.facts).collect()))
}

/// The report for `period` from the facts of the requests created in it.
fn assemble(
    conn: &mut AnyConnection,
    period: Period,
    team: Option<&str>,
    gap_teams: (&str, &str),
    now: DateTime<Utc>,
    rows: &[&Row],
) -> Result<SlaReport, ApiError> {
    let (start, end) = (period.start(), period.end());

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
    for (event, category) in db::reassignments_between(conn, to_db(start), to_db(end))? {
        let data: serde_json::Value = serde_json::from_str(&event.data).unwrap_or_default();
        let from = data["from"].as_str().unwrap_or_default();
        // With a team filter, only that team's misses count, per category too.
        if team.is_some_and(|t| t != from) {
            continue;
        }
        *misses_by_team.entry(from.to_owned()).or_default() += 1;
        *misses_by_category.entry(category).or_default() += 1;
    }

    let team_keys: Vec<String> = match team {
        Some(t) => vec![t.to_owned()],
        None => db::team_keys(conn)?,
    };
    let teams: Vec<TeamReport> = team_keys
        .into_iter()
        .map(|key| {
            let mine = || rows.iter().filter(|r| r.facts.team == key);
            let mut shares: Vec<i64> =
                mine().filter_map(|r| r.target_share).map(|s| (s * 10_000.0).round() as i64).collect();
            shares.sort_unstable();
            let open = backlog.get(&key);
            let oldest = open.and_then(|o| o.iter().max());
            TeamReport {
                stats: stats(mine().map(|r| &r.facts)),
                open_backlog: open.map_or(0, Vec::len),
                oldest_open_minutes: oldest.map(|o| o.0),
                oldest_open_key: oldest.map(|o| o.1.clone()),
                reassignments_away: misses_by_team.get(&key).copied().unwrap_or(0),
                median_first_response_target_share: percentile(&shares, 0.5).map(|s| s as f64 / 10_000.0),
                team: key,
            }
        })
        .collect();
    let mut category_keys: Vec<String> = rows.iter().map(|r| r.facts.category.clone()).collect();
    category_keys.extend(misses_by_category.keys().cloned());
    category_keys.sort();
    category_keys.dedup();
    let categories = category_keys
        .into_iter()
        .map(|key| CategoryReport {
            stats: stats(rows.iter().filter(|r| r.facts.category == key).map(|r| &r.facts)),
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
