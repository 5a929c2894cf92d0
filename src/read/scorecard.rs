//! The scorecard both leads sign: per team, the owning team's side of the work (its own clocks,
//! as in the SLA report) beside the requester's side (waiting on the requester, requests that
//! came in incomplete and needed a question first, requests asked by a date earlier than the
//! target allows), under the SLA agreement in force. Definitions: docs/metrics.md#the-scorecard.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::reports::{self, Period};
use crate::db::{self, AnyConnection, from_db, to_db};
use crate::domain::Priority;
use crate::domain::sla::SlaConfig;
use crate::service::Error;
use crate::service::agreements::{self, Agreement};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Scorecard {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub timezone: String,
    /// The SLA agreement in force at the end of the period, and whether it is signed.
    pub agreement: Option<Agreement>,
    pub teams: Vec<TeamScore>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamScore {
    pub team: String,
    /// The team's side: its own clocks over its holds of the period's requests.
    pub requests: usize,
    pub first_response_median_business_minutes: Option<i64>,
    pub first_response_p90_business_minutes: Option<i64>,
    pub first_response_attainment: Option<f64>,
    pub resolution_median_business_minutes: Option<i64>,
    pub resolution_p90_business_minutes: Option<i64>,
    pub resolution_attainment: Option<f64>,
    pub requester_side: RequesterSide,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct RequesterSide {
    /// Requests of the team that waited on their requester (waits begun in the period).
    pub waited_on_requester: usize,
    /// Business minutes those waits took, on the team's calendar (waits that have ended).
    pub waiting_business_minutes: i64,
    /// Waits still open.
    pub still_waiting: usize,
    /// Requests filed in the period whose first answer was a question that left them waiting
    /// on the requester: they came in incomplete.
    pub asked_first: usize,
    /// Requests filed in the period with a wanted-by date ...
    pub with_desired_date: usize,
    /// ... of which the date (its end, in the organisation's time zone) came before the
    /// team's resolution target allowed from the filing: less notice than the target.
    pub short_notice: usize,
}

/// The scorecard for `period` as of `now`.
pub fn scorecard(
    conn: &mut AnyConnection,
    period: Period,
    sla: &SlaConfig,
    gap_teams: (&str, &str),
    now: DateTime<Utc>,
) -> Result<Scorecard, Error> {
    let report = reports::sla_report(conn, period, None, gap_teams, now)?;
    beside(conn, period, sla, &report.teams, now)
}

/// The scorecard beside a report of the same period already built (the dashboard's).
pub fn beside(
    conn: &mut AnyConnection,
    period: Period,
    sla: &SlaConfig,
    report_teams: &[reports::TeamReport],
    now: DateTime<Utc>,
) -> Result<Scorecard, Error> {
    let (start, end) = (to_db(period.start()), to_db(period.end()));
    let team_keys: Vec<&str> = report_teams.iter().map(|t| t.team.as_str()).collect();
    let waits = db::requester_waits_between(conn, &team_keys, start, end)?;
    let asked = db::asked_first_between(conn, start, end)?;
    let dated = db::dated_requests_between(conn, start, end)?;
    let mut teams: Vec<TeamScore> = report_teams
        .iter()
        .map(|t| TeamScore {
            team: t.team.clone(),
            requests: t.stats.requests,
            first_response_median_business_minutes: t.stats.first_response.median_business_minutes,
            first_response_p90_business_minutes: t.stats.first_response.p90_business_minutes,
            first_response_attainment: t.stats.first_response_attainment,
            resolution_median_business_minutes: t.stats.resolution.median_business_minutes,
            resolution_p90_business_minutes: t.stats.resolution.p90_business_minutes,
            resolution_attainment: t.stats.resolution_attainment,
            requester_side: RequesterSide::default(),
        })
        .collect();
    fn side<'a>(teams: &'a mut [TeamScore], team: &str) -> Option<&'a mut RequesterSide> {
        teams.iter_mut().find(|t| t.team == team).map(|t| &mut t.requester_side)
    }
    for (team, requests, still, minutes) in waits {
        if let Some(s) = side(&mut teams, &team) {
            (s.waited_on_requester, s.still_waiting, s.waiting_business_minutes) =
                (requests as usize, still as usize, minutes);
        }
    }
    for (team, n) in asked {
        if let Some(s) = side(&mut teams, &team) {
            s.asked_first = n as usize;
        }
    }
    for (team, priority, filed, date) in dated {
        let short = short_notice(sla, &team, &priority, from_db(filed), date, period.timezone);
        if let Some(s) = side(&mut teams, &team) {
            s.with_desired_date += 1;
            s.short_notice += usize::from(short);
        }
    }
    Ok(Scorecard {
        from: period.from,
        to: period.to,
        timezone: period.timezone.name().to_owned(),
        agreement: agreements::in_force_at(conn, period.end().min(now))?,
        teams,
    })
}

/// Whether a request filed at `filed` and wanted by the end of `date` gave less notice than
/// its team's resolution target for its priority (counted on the target's calendar).
fn short_notice(
    sla: &SlaConfig,
    team: &str,
    priority: &str,
    filed: DateTime<Utc>,
    date: NaiveDate,
    tz: chrono_tz::Tz,
) -> bool {
    let Some(policy) = Priority::parse(priority).ok().and_then(|p| sla.policy(team, p)) else {
        return false;
    };
    let due = sla.calendar_of(policy).add(filed, TimeDelta::minutes(policy.resolution_minutes));
    let Ok(day) = Period::new(date, date, tz) else {
        return false;
    };
    due.is_some_and(|due| day.end() < due)
}
