//! The weekly SLA digest: the report for the ISO week just ended, the trend over the four
//! weeks before, the worst breaches, the oldest open requests, routing misses, and the
//! categories whose owners miss their targets most (candidates for a change of ownership).

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc, Weekday};
use serde::Serialize;
use utoipa::ToSchema;

use super::reports::{self, CategoryReport, Gap, Period, TeamReport};
use super::views::request_key;
use crate::config::Settings;
use crate::db::{self, AnyConnection, to_db};
use crate::domain::facts::Facts;
use crate::domain::metrics::Stats;
use crate::domain::sla::ClockKind;
use crate::service::Error;
use crate::service::notify::Notifier;
use crate::service::sla::Configs;

/// An ISO week such as 2026-W47.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IsoWeek {
    pub monday: NaiveDate,
}

impl IsoWeek {
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("'{s}' is not an ISO week such as 2026-W47");
        let (year, week) = s.trim().split_once("-W").ok_or_else(bad)?;
        let (year, week) = (year.parse().map_err(|_| bad())?, week.parse().map_err(|_| bad())?);
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).map(|monday| Self { monday }).ok_or_else(bad)
    }

    pub fn containing(day: NaiveDate) -> Self {
        Self { monday: day - TimeDelta::days(day.weekday().num_days_from_monday() as i64) }
    }

    pub fn previous(self) -> Self {
        Self { monday: self.monday - TimeDelta::days(7) }
    }

    pub fn sunday(self) -> NaiveDate {
        self.monday + TimeDelta::days(6)
    }
}

impl std::fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let w = self.monday.iso_week();
        write!(f, "{}-W{:02}", w.year(), w.week())
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Digest {
    pub week: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub timezone: String,
    pub teams: Vec<TeamReport>,
    pub gap: Gap,
    /// The four weeks before, oldest first, then this week.
    pub trend: Vec<TrendWeek>,
    pub worst_breaches: Vec<Item>,
    pub oldest_open: Vec<Item>,
    /// Categories with requests reassigned this week, most first.
    pub routing_misses: Vec<CategoryReport>,
    /// Categories whose owning team met the fewest first-response targets this week.
    pub ownership_candidates: Vec<OwnershipCandidate>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrendWeek {
    pub week: String,
    pub teams: Vec<TrendPoint>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrendPoint {
    pub team: String,
    pub requests: usize,
    pub median_first_response_business_minutes: Option<i64>,
    pub first_response_attainment: Option<f64>,
}

/// A request named in the digest, with a link.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Item {
    pub key: String,
    pub title: String,
    pub team: String,
    /// Worst breaches: minutes over target; oldest open: age in minutes.
    pub minutes: i64,
    pub detail: String,
    pub link: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OwnershipCandidate {
    pub category: String,
    pub owner: String,
    pub requests: usize,
    pub first_response_attainment: f64,
    pub breaches: usize,
}

const TOP: usize = 5;

/// Builds the digest of `week` as of `now`.
pub fn build(
    conn: &mut AnyConnection,
    settings: &Settings,
    notifier: &Notifier,
    week: IsoWeek,
    now: DateTime<Utc>,
) -> Result<Digest, Error> {
    let tz = settings.digest.timezone.unwrap_or(settings.org.timezone);
    let gap_teams = (settings.reports.gap_team.as_str(), settings.reports.gap_baseline.as_str());
    let report_of = |conn: &mut AnyConnection, w: IsoWeek| {
        reports::sla_report(conn, Period::new(w.monday, w.sunday(), tz)?, None, gap_teams, now)
    };
    let report = report_of(conn, week)?;
    let mut trend = Vec::new();
    let mut w = week;
    for _ in 0..4 {
        w = w.previous();
        trend.push(trend_week(w, &report_of(conn, w)?.teams));
    }
    trend.reverse();
    trend.push(trend_week(week, &report.teams));

    let period = Period::new(week.monday, week.sunday(), tz)?;
    let (start, end) = (period.start(), period.end());
    let cut = end.min(now);
    let oldest_open = reports::oldest_open_at(conn, cut, None, TOP as i64)?
        .into_iter()
        .map(|(r, team)| Item {
            key: request_key(r.number),
            link: notifier.link(&r),
            minutes: (cut - db::from_db(r.created_at)).num_minutes(),
            detail: format!(
                "{} days old, {}",
                (cut - db::from_db(r.created_at)).num_days(),
                r.status.replace('_', " ")
            ),
            title: r.title,
            team,
        })
        .collect();
    let worst_breaches = worst_breaches(conn, notifier, start, end, now, TOP)?;

    let mut routing_misses: Vec<CategoryReport> =
        report.categories.iter().filter(|c| c.reassignments_away > 0).cloned().collect();
    routing_misses.sort_by(|a, b| b.reassignments_away.cmp(&a.reassignments_away).then(a.category.cmp(&b.category)));
    let map = db::current_map(conn)?;
    let mut ownership_candidates: Vec<OwnershipCandidate> = report
        .categories
        .iter()
        .filter_map(|c| {
            let attainment = c.stats.first_response_attainment.filter(|a| *a < 1.0)?;
            let owner = map.as_ref().map(|m| m.map.owner(&c.category).0).unwrap_or_default();
            Some(OwnershipCandidate {
                category: c.category.clone(),
                owner,
                requests: c.stats.requests,
                first_response_attainment: attainment,
                breaches: c.stats.breaches,
            })
        })
        .collect();
    ownership_candidates.sort_by(|a, b| {
        a.first_response_attainment.total_cmp(&b.first_response_attainment).then(b.breaches.cmp(&a.breaches))
    });
    ownership_candidates.truncate(TOP);
    Ok(Digest {
        week: week.to_string(),
        from: week.monday,
        to: week.sunday(),
        timezone: tz.name().to_owned(),
        teams: report.teams,
        gap: report.gap,
        trend,
        worst_breaches,
        oldest_open,
        routing_misses,
        ownership_candidates,
    })
}

pub(crate) fn trend_week(w: IsoWeek, teams: &[TeamReport]) -> TrendWeek {
    TrendWeek { week: w.to_string(), teams: teams.iter().map(|t| trend_point(&t.team, &t.stats)).collect() }
}

pub(crate) fn trend_point(team: &str, stats: &Stats) -> TrendPoint {
    TrendPoint {
        team: team.to_owned(),
        requests: stats.requests,
        median_first_response_business_minutes: stats.first_response.median_business_minutes,
        first_response_attainment: stats.first_response_attainment,
    }
}

/// The `limit` clocks that breached during [start, end) furthest over their target.
pub(crate) fn worst_breaches(
    conn: &mut AnyConnection,
    notifier: &Notifier,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<Item>, Error> {
    let rows = db::breached_between(conn, to_db(start), to_db(end.min(now)))?;
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    // The requester's clocks, as stored: each request's row of seq 0.
    let facts: std::collections::HashMap<String, Facts> = db::facts_of_many(conn, &ids)?
        .into_iter()
        .filter(|f| f.seq == 0)
        .map(|f| (f.request_id.clone(), f.facts()))
        .collect();
    let mut configs = Configs::default();
    let mut items = Vec::new();
    for r in &rows {
        let Some(f) = facts.get(&r.id) else { continue };
        let config = configs.get(conn, r.sla_version)?;
        for (kind, clock) in [(ClockKind::FirstResponse, &f.first_response), (ClockKind::Resolution, &f.resolution)] {
            let Some(clock) = clock else { continue };
            let Some(breached) = clock.breached_at.filter(|b| *b >= start && *b < end) else { continue };
            let calendar = config.calendar_named(&clock.calendar);
            let over =
                clock.elapsed(clock.stopped_at.unwrap_or(now).min(now), &calendar).num_minutes() - clock.target_minutes;
            items.push(Item {
                key: request_key(r.number),
                title: r.title.clone(),
                team: r.team_key.clone(),
                minutes: over,
                detail: format!(
                    "{} target of {} minutes ({}) breached {}, {over} minutes over",
                    kind.as_str().replace('_', " "),
                    clock.target_minutes,
                    clock.calendar,
                    breached.format("%a %d %b %H:%M UTC"),
                ),
                link: notifier.link(r),
            });
        }
    }
    items.sort_by(|a, b| b.minutes.cmp(&a.minutes).then(a.key.cmp(&b.key)));
    items.truncate(limit);
    Ok(items)
}
