//! The preview of a request: where it would go, why, and when to expect answers.

use chrono::{DateTime, Utc};

use super::views::{PreviewRouting, PreviewSla, PreviewView};
use crate::db::AnyConnection;
use crate::domain::sla::{ClockKind, Timeline, derive_all};
use crate::domain::{NewRequest, RequestInput};
use crate::service::Error;
use crate::service::in_force::ConfigCache;
use crate::service::requests::route;

/// Where a request would go, why, and its SLA due times if it were created at `at` (default
/// now); creates nothing.
pub fn preview(
    conn: &mut AnyConnection,
    config: &ConfigCache,
    etas: &super::eta::EtaCache,
    input: &RequestInput,
    now: DateTime<Utc>,
) -> Result<PreviewView, Error> {
    let at = match input.at.as_deref().map(str::trim) {
        None | Some("") => now,
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| Error::validation("at", format!("must be an RFC 3339 time (got '{s}')")))?,
    };
    let current = config.current(conn)?;
    let new = NewRequest::parse_typed(input, &current.map, &current.types, false).map_err(Error::Validation)?;
    let decision = route(&current.map, &new);
    let priority = new.priority.or(decision.suggested_priority).unwrap_or_default();
    let config = &current.sla;
    let timeline = Timeline { created_at: at, priority, team: decision.team.clone(), changes: Vec::new() };
    let plans = derive_all(&timeline, config);
    let sla = config.policy(&decision.team, priority).map(|p| PreviewSla {
        first_response_due: plans.get(&ClockKind::FirstResponse).and_then(|c| c.due_at),
        resolution_due: plans.get(&ClockKind::Resolution).and_then(|c| c.due_at),
        first_response_minutes: p.first_response_minutes,
        resolution_minutes: p.resolution_minutes,
        calendar: config.calendar_of(p).name().to_owned(),
    });
    let eta = (*etas.get(conn, &decision.team, &new.category, now)?).clone();
    let calendar = config.business_calendar(&decision.team);
    let usual_resolution_by = eta.resolution_p90_minutes.and_then(|m| calendar.add(now, chrono::TimeDelta::minutes(m)));
    Ok(PreviewView {
        team: decision.team,
        routing: PreviewRouting { rule: decision.rule, reason: decision.reason },
        priority,
        sla,
        observed: (&eta).into(),
        eta,
        usual_resolution_by,
    })
}
