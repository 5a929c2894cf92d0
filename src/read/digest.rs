//! The weekly SLA digest: the report for the ISO week just ended, the trend over the four
//! weeks before, the worst breaches, the oldest open requests, routing misses, and the
//! categories whose owners miss their targets most (candidates for a change of ownership).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use std::collections::BTreeMap;

use super::reports::{self, Bucket, CategoryReport, Gap, Period, TeamReport};
use super::views::request_key;
use crate::config::Settings;
use crate::db::{self, AnyConnection};
use crate::domain::facts::ClockFacts;
use crate::domain::metrics::{Stats, Tally};
use crate::domain::sla::ClockKind;
use crate::service::Error;
use crate::service::notify::Notifier;
use crate::service::sla::Configs;
use crate::words;

pub use super::week::{FIRST_YEAR, IsoWeek, WeekError};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Digest {
    pub week: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub timezone: String,
    /// The team this digest is for (its leads'); none: the organisation's, for executives.
    pub team: Option<String>,
    /// One sentence that is always true: the gap between the two compared teams (the
    /// organisation's digest), or the team's own figures and last week's (a team's).
    pub headline: String,
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
    /// The SLA agreement in force at the end of the week (the targets the figures are judged
    /// against), and whether each team's lead has signed it.
    pub agreement: Option<crate::service::agreements::Agreement>,
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
    #[serde(skip)]
    pub request_id: String,
    pub key: String,
    pub title: String,
    pub team: String,
    /// Worst breaches: minutes over target; oldest open: age in minutes.
    pub minutes: i64,
    pub detail: String,
    pub link: String,
    /// Its status when the week ended (or now, for a week not over) and now.
    pub status_at_end_of_week: String,
    pub status_now: String,
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

/// Builds the digest of `week` as of `now`: the organisation's, or with `team` that team's
/// (its figures, the breaches charged to it, its oldest requests, the categories it owns).
pub fn build(
    conn: &mut AnyConnection,
    settings: &Settings,
    notifier: &Notifier,
    week: IsoWeek,
    team: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Digest, Error> {
    let tz = settings.digest.timezone.unwrap_or(settings.org.timezone);
    let gap_teams = (settings.reports.gap_team.as_str(), settings.reports.gap_baseline.as_str());
    // The week and the four before it, oldest first: one pass over the stored facts of all
    // five serves the week's report and the trend.
    let mut weeks = vec![week];
    for _ in 0..4 {
        weeks.push(weeks[weeks.len() - 1].previous());
    }
    weeks.reverse();
    let span = |w: &IsoWeek| Period::new(w.monday, w.sunday(), tz);
    let cuts = weeks.iter().map(|w| Ok(span(w)?.start())).collect::<Result<Vec<_>, Error>>()?;
    let wider = Period::new(weeks[0].monday, week.sunday(), tz)?;
    let (report, buckets) = reports::report_within(conn, span(&week)?, wider, &cuts, team, gap_teams, now)?;
    let team_keys: Vec<&str> = report.teams.iter().map(|t| t.team.as_str()).collect();
    let trend = trend(&weeks, tz, &buckets, &team_keys)?;

    let period = Period::new(week.monday, week.sunday(), tz)?;
    let cut = period.end().min(now);
    let mut oldest_open: Vec<Item> = reports::oldest_open_at(conn, cut, team, TOP as i64)?
        .into_iter()
        .map(|(r, team)| Item {
            key: request_key(r.number),
            link: notifier.link(&r),
            minutes: (cut - db::from_db(r.created_at)).num_minutes(),
            detail: format!("{} old at the end of the week", words::span(cut - db::from_db(r.created_at))),
            status_at_end_of_week: String::new(),
            status_now: r.status.clone(),
            request_id: r.id,
            title: r.title,
            team,
        })
        .collect();
    let mut worst_breaches = worst_breaches(conn, notifier, &period, now, TOP, team)?;
    statuses_at(conn, cut, worst_breaches.iter_mut().chain(oldest_open.iter_mut()))?;

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
            if team.is_some_and(|t| t != owner) {
                return None;
            }
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
    let headline = match team {
        None => report.gap.summary.clone(),
        Some(key) => {
            let name =
                db::load_teams(conn)?.into_iter().find(|t| t.key == key).map_or_else(|| key.to_owned(), |t| t.name);
            let stats = report.teams.iter().find(|t| t.team == key).map(|t| t.stats.clone()).unwrap_or_default();
            let before = trend.len().checked_sub(2).and_then(|i| trend[i].teams.iter().find(|p| p.team == key));
            team_headline(&name, &stats, before)
        }
    };
    Ok(Digest {
        week: week.to_string(),
        from: week.monday,
        to: week.sunday(),
        timezone: tz.name().to_owned(),
        team: team.map(str::to_owned),
        headline,
        teams: report.teams,
        gap: report.gap,
        trend,
        worst_breaches,
        oldest_open,
        routing_misses,
        ownership_candidates,
        agreement: crate::service::agreements::in_force_at(conn, cut)?,
    })
}

/// A team's week in one true sentence: its new requests, the share of first-response targets
/// met and the median, breaches, and the week before's share when there was one.
fn team_headline(name: &str, stats: &Stats, before: Option<&TrendPoint>) -> String {
    let requests = match stats.requests {
        1 => "1 new request".to_owned(),
        n => format!("{n} new requests"),
    };
    let Some(met) = stats.first_response_attainment else {
        return format!("{name}: {requests}; no first-response target fell due this week.");
    };
    let median = stats
        .first_response
        .median_business_minutes
        .map_or(String::new(), |m| format!(" (median first response {} of business time)", words::hm(m)));
    let breached = match stats.breaches {
        0 => "none breached".to_owned(),
        n => format!("{n} breached"),
    };
    let earlier = before
        .and_then(|p| p.first_response_attainment)
        .map_or(String::new(), |a| format!("; {:.0}% the week before", a * 100.0));
    format!("{name}: {requests}; {:.0}% of first-response targets met{median}, {breached}{earlier}.", met * 100.0)
}

/// Fills in each item's status at `cut` from its request's events, in one query (a request
/// is `new` until its first status move).
fn statuses_at<'a>(
    conn: &mut AnyConnection,
    cut: DateTime<Utc>,
    items: impl Iterator<Item = &'a mut Item>,
) -> Result<(), Error> {
    let mut items: Vec<&mut Item> = items.collect();
    let ids: Vec<&str> = items.iter().map(|i| i.request_id.as_str()).collect();
    let mut at_cut: BTreeMap<String, &'static str> = BTreeMap::new();
    for e in db::events_of_many(conn, &ids)?.iter().filter(|e| db::from_db(e.at) <= cut) {
        if let Some(m) = e.event.status_change() {
            at_cut.insert(e.request_id.clone(), m.to.as_str());
        }
    }
    for item in &mut items {
        item.status_at_end_of_week = at_cut.get(&item.request_id).copied().unwrap_or("new").to_owned();
    }
    Ok(())
}

/// Per week, each team's point, from the buckets of a report whose cuts include each week's
/// start (so every bucket lies in one week).
pub(crate) fn trend(
    weeks: &[IsoWeek],
    tz: chrono_tz::Tz,
    buckets: &[Bucket],
    team_keys: &[&str],
) -> Result<Vec<TrendWeek>, Error> {
    let mut trend = Vec::with_capacity(weeks.len());
    for w in weeks {
        let span = Period::new(w.monday, w.sunday(), tz)?;
        let mut teams: BTreeMap<&str, Tally> = BTreeMap::new();
        for b in buckets.iter().filter(|b| b.start >= span.start() && b.end <= span.end()) {
            for (team, tally) in &b.teams {
                teams.entry(team.as_str()).or_default().merge(tally);
            }
        }
        let teams =
            team_keys.iter().map(|team| trend_point(team, &teams.remove(team).unwrap_or_default().stats())).collect();
        trend.push(TrendWeek { week: w.to_string(), teams });
    }
    Ok(trend)
}

pub(crate) fn trend_point(team: &str, stats: &Stats) -> TrendPoint {
    TrendPoint {
        team: team.to_owned(),
        requests: stats.requests,
        median_first_response_business_minutes: stats.first_response.median_business_minutes,
        first_response_attainment: stats.first_response_attainment,
    }
}

/// The `limit` clocks that breached during `period` furthest over their target (with `team`,
/// only breaches charged to it), each saying when in the period's time zone.
pub(crate) fn worst_breaches(
    conn: &mut AnyConnection,
    notifier: &Notifier,
    period: &Period,
    now: DateTime<Utc>,
    limit: usize,
    team: Option<&str>,
) -> Result<Vec<Item>, Error> {
    let (start, end, tz) = (period.start(), period.end(), period.timezone);
    // The clocks first, narrow, from the breach-moment indexes; the requests only for the
    // `limit` furthest over.
    let clocks = db::clocks_breached_between(conn, db::micros(start), db::micros(end.min(now)))?;
    struct Over {
        request_id: String,
        kind: ClockKind,
        clock: ClockFacts,
        breached: DateTime<Utc>,
        minutes: i64,
    }
    let mut configs = Configs::default();
    let mut overs = Vec::new();
    for (row, version, fr_team, res_team) in clocks {
        let config = configs.get(conn, version)?;
        for (kind, clock, charged) in [
            (ClockKind::FirstResponse, row.first_response(), fr_team.clone()),
            (ClockKind::Resolution, row.resolution(), res_team.clone()),
        ] {
            let Some(clock) = clock else { continue };
            if team.is_some_and(|t| charged.as_deref() != Some(t)) {
                continue;
            }
            let Some(breached) = clock.breached_at.filter(|b| *b >= start && *b < end) else { continue };
            let calendar = config.calendar_named(&clock.calendar);
            let minutes =
                clock.elapsed(clock.stopped_at.unwrap_or(now).min(now), &calendar).num_minutes() - clock.target_minutes;
            overs.push(Over { request_id: row.request_id.clone(), kind, clock, breached, minutes });
        }
    }
    overs.sort_by(|a, b| b.minutes.cmp(&a.minutes).then(a.request_id.cmp(&b.request_id)));
    overs.truncate(limit);
    let ids: Vec<&str> = overs.iter().map(|o| o.request_id.as_str()).collect();
    let requests: std::collections::HashMap<String, db::RequestRow> =
        db::requests_by_ids(conn, &ids)?.into_iter().map(|r| (r.id.clone(), r)).collect();
    let mut items = Vec::with_capacity(overs.len());
    for Over { request_id, kind, clock, breached, minutes } in overs {
        let Some(r) = requests.get(&request_id) else { continue };
        items.push(Item {
            request_id: r.id.clone(),
            key: request_key(r.number),
            title: r.title.clone(),
            team: r.team_key.clone(),
            minutes,
            detail: format!(
                "{} target of {} breached {}; {} over",
                match kind {
                    ClockKind::FirstResponse => "First-response",
                    ClockKind::Resolution => "Resolution",
                },
                words::duration(&clock.target_minutes, &clock.calendar),
                words::when(&breached, &tz),
                words::hm(minutes),
            ),
            link: notifier.link(r),
            status_at_end_of_week: String::new(),
            status_now: r.status.clone(),
        });
    }
    items.sort_by(|a, b| b.minutes.cmp(&a.minutes).then(a.key.cmp(&b.key)));
    items.truncate(limit);
    Ok(items)
}
