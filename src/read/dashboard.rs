//! The SLA dashboard's numbers: the period's report (the gap headline, per-team figures, the
//! backlog), each team's first-response time distribution, the weekly median and attainment
//! trend, and the breaches to drill into. web/charts.rs draws them.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::digest::{IsoWeek, Item, TrendWeek, trend, worst_breaches};
use super::reports::{Period, SlaReport, report_within};
use crate::db::AnyConnection;
use crate::service::Error;
use crate::service::notify::Notifier;

/// First-response buckets, in business minutes: (upper bound, label).
pub const BUCKETS: [(i64, &str); 7] = [
    (60, "< 1 h"),
    (120, "1-2 h"),
    (240, "2-4 h"),
    (480, "4-8 h"),
    (960, "8-16 h"),
    (2400, "16-40 h"),
    (i64::MAX, "40 h +"),
];

/// Weeks charted at most (the most recent ones of a long period).
pub const MAX_WEEKS: usize = 26;
/// Breaches listed at most, furthest over target first.
pub const MAX_BREACHES: usize = 100;

pub struct Dashboard {
    pub report: SlaReport,
    /// Per team, how many first responses fell in each of `BUCKETS`.
    pub distribution: BTreeMap<String, [usize; BUCKETS.len()]>,
    pub trend: Vec<TrendWeek>,
    pub breaches: Vec<Item>,
}

pub fn build(
    conn: &mut AnyConnection,
    period: Period,
    gap_teams: (&str, &str),
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<Dashboard, Error> {
    // The trend covers whole ISO weeks (at most MAX_WEEKS, the latest) around the period: one
    // derivation of every request created in either serves the report and the trend.
    let mut weeks = Vec::new();
    let mut week = IsoWeek::containing(period.to);
    while week.sunday() >= period.from && weeks.len() < MAX_WEEKS {
        weeks.push(week);
        week = week.previous();
    }
    weeks.reverse();
    let first = weeks.first().map_or(period.from, |w| w.monday.min(period.from));
    let last = weeks.last().map_or(period.to, |w| w.sunday().max(period.to));
    let wider = Period::new(first, last, period.timezone)?;
    let week_span = |w: &IsoWeek| Period::new(w.monday, w.sunday(), period.timezone);
    let cuts = weeks.iter().map(|w| Ok(week_span(w)?.start())).collect::<Result<Vec<_>, Error>>()?;
    let (report, buckets) = report_within(conn, period, wider, &cuts, None, gap_teams, now)?;
    let (start, end) = (period.start(), period.end());
    let mut distribution: BTreeMap<String, [usize; BUCKETS.len()]> =
        report.teams.iter().map(|t| (t.team.clone(), [0; BUCKETS.len()])).collect();
    for b in buckets.iter().filter(|b| b.start >= start && b.end <= end) {
        for (team, tally) in &b.teams {
            let Some(counts) = distribution.get_mut(team) else { continue };
            for &business in tally.first_response_business_minutes() {
                let business = i64::from(business);
                let bucket = BUCKETS.iter().position(|(upper, _)| business < *upper).unwrap_or(BUCKETS.len() - 1);
                counts[bucket] += 1;
            }
        }
    }
    let team_keys: Vec<&str> = report.teams.iter().map(|t| t.team.as_str()).collect();
    let trend = trend(&weeks, period.timezone, &buckets, &team_keys)?;
    let breaches = worst_breaches(conn, notifier, &period, now, MAX_BREACHES, None)?;
    Ok(Dashboard { report, distribution, trend, breaches })
}

/// The default period: the 28 days up to today in `tz`.
pub fn default_period(now: DateTime<Utc>, tz: chrono_tz::Tz) -> (chrono::NaiveDate, chrono::NaiveDate) {
    let today = now.with_timezone(&tz).date_naive();
    (today - TimeDelta::days(27), today)
}
