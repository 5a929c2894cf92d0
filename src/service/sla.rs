//! SLA clocks in the database: the request's timeline read from its events, the derived
//! columns kept equal to the derivation, the API view, and the escalation unit of work.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::db::{self, AnyConnection, ClockColumns, EscalationRow, EventRow, RequestRow, from_db, never, to_db};
use crate::domain::sla::{Change, ClockKind, ClockPlan, ClockState, SlaConfig, Timeline, derive_all};
use crate::domain::{Priority, Status};
use crate::error::ApiError;
use crate::service::notify::Notifier;

/// The clocks' view of a request's events.
pub fn timeline(row: &RequestRow, events: &[EventRow]) -> Timeline {
    let data = |e: &EventRow| serde_json::from_str::<serde_json::Value>(&e.data).unwrap_or_default();
    let mut changes = Vec::new();
    for e in events {
        let at = from_db(e.at);
        match e.kind.as_str() {
            "acknowledged" | "status_changed" | "rejected" | "reopened" => {
                if let Some(Ok(s)) = data(e)["to"].as_str().map(Status::parse) {
                    changes.push((at, Change::Status(s)));
                }
            }
            "reassigned" => {
                if let Some(t) = data(e)["to"].as_str() {
                    changes.push((at, Change::Team(t.to_owned())));
                }
            }
            "first_response" => changes.push((at, Change::FirstResponse)),
            "imported" => {
                if let Ok(imported) = serde_json::from_str::<Imported>(&e.data) {
                    changes.extend(imported.changes());
                }
            }
            _ => {}
        }
    }
    Timeline {
        created_at: from_db(row.created_at),
        priority: Priority::parse(&row.priority).unwrap_or_default(),
        team: team_at_creation(events).unwrap_or_else(|| row.team_key.clone()),
        changes,
    }
}

/// What an `imported` event records: the facts of a request's life before changedesk, as the
/// history file gave them. Its timeline is read from them as from the events the live workflow
/// writes (the status moves and the first response), at a fraction of their size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Imported {
    /// The file's name.
    pub source: String,
    pub team: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
}

impl Imported {
    /// The changes the live workflow would have recorded, in time order: acknowledged with the
    /// first response, on to the final status through in_progress, resolved and closed.
    pub fn changes(&self) -> Vec<(DateTime<Utc>, Change)> {
        let mut changes = Vec::new();
        if let Some(at) = self.first_response_at {
            changes.push((at, Change::Status(Status::Acknowledged)));
            changes.push((at, Change::FirstResponse));
            if matches!(
                self.status,
                Status::InProgress | Status::WaitingOnRequester | Status::Resolved | Status::Closed
            ) {
                changes.push((at, Change::Status(Status::InProgress)));
            }
            if self.status == Status::WaitingOnRequester {
                changes.push((at, Change::Status(Status::WaitingOnRequester)));
            }
        }
        if let (Some(at), Status::Resolved | Status::Closed) = (self.resolved_at, self.status) {
            changes.push((at, Change::Status(Status::Resolved)));
        }
        if let (Some(at), Status::Closed | Status::Rejected) = (self.closed_at, self.status) {
            changes.push((at, Change::Status(self.status)));
        }
        changes
    }
}

/// The team the request was first routed to (reassignments are changes after that).
fn team_at_creation(events: &[EventRow]) -> Option<String> {
    let routed = events.iter().find(|e| e.kind == "routed" || e.kind == "imported")?;
    let data: serde_json::Value = serde_json::from_str(&routed.data).ok()?;
    data["team"].as_str().map(str::to_owned)
}

/// The stored columns for these plans, given the escalations already recorded.
/// `escalate_from` (imported requests) leaves levels reached before it out of `sla_check_at`.
pub fn columns(
    plans: &BTreeMap<ClockKind, ClockPlan>,
    recorded: &[EscalationRow],
    escalate_from: Option<chrono::NaiveDateTime>,
) -> ClockColumns {
    let escalate_from = escalate_from.map(from_db);
    let live = |p: &ClockPlan| p.stopped_at.is_none() && !p.paused;
    let of = |k: ClockKind| plans.get(&k);
    let due = |k| of(k).and_then(|p| p.due_at).map(to_db);
    let at_risk = |k| of(k).filter(|p| live(p)).and_then(|p| p.levels[0]).map(to_db);
    let breached = |k| of(k).and_then(|p| p.breached_at()).map(to_db);
    let queue_due_at = plans.values().filter(|p| live(p)).filter_map(|p| p.due_at).min().map_or_else(never, to_db);
    let sla_check_at = plans
        .iter()
        .flat_map(|(kind, p)| {
            p.levels.iter().enumerate().filter_map(move |(i, at)| {
                let done = recorded.iter().any(|r| r.clock == kind.as_str() && r.level == i as i32 + 1);
                at.filter(|at| !done && escalate_from.is_none_or(|from| *at >= from))
            })
        })
        .min()
        .map_or_else(never, to_db);
    ClockColumns {
        fr_due_at: due(ClockKind::FirstResponse),
        fr_at_risk_at: at_risk(ClockKind::FirstResponse),
        fr_breached_at: breached(ClockKind::FirstResponse),
        res_due_at: due(ClockKind::Resolution),
        res_at_risk_at: at_risk(ClockKind::Resolution),
        res_breached_at: breached(ClockKind::Resolution),
        queue_due_at,
        sla_check_at,
    }
}

/// Recomputes a request's clocks from its events and stores the derived columns. Called by
/// every unit of work that adds an event the clocks depend on.
pub fn refresh(conn: &mut AnyConnection, row: &mut RequestRow) -> Result<BTreeMap<ClockKind, ClockPlan>, ApiError> {
    let events = db::events_of(conn, &row.id)?;
    let config = db::sla_version(conn, row.sla_version)?.config;
    let plans = derive_all(&timeline(row, &events), &config);
    let recorded = db::escalations_of(conn, &row.id)?;
    row.clocks = columns(&plans, &recorded, row.escalate_from);
    db::save_clocks(conn, &row.id, &row.clocks)?;
    Ok(plans)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClockView {
    pub target_minutes: i64,
    /// `24x7` or the name of the team's business calendar.
    pub calendar: String,
    /// When the target is reached if the clock keeps running; null while paused.
    pub due_at: Option<DateTime<Utc>>,
    pub state: ClockState,
    /// Minutes of the calendar counted so far.
    pub elapsed_minutes: i64,
    pub breached_at: Option<DateTime<Utc>>,
    /// When the clock stopped (first response, or resolution); null while it runs or pauses.
    pub stopped_at: Option<DateTime<Utc>>,
}

/// Both clocks; a clock is null when its team has no policy for the priority.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlaView {
    pub first_response: Option<ClockView>,
    pub resolution: Option<ClockView>,
}

pub fn clock_view(p: &ClockPlan, now: DateTime<Utc>) -> ClockView {
    ClockView {
        target_minutes: p.target_minutes,
        calendar: p.calendar.clone(),
        due_at: p.due_at,
        state: p.state(now),
        elapsed_minutes: p.elapsed(now).num_minutes(),
        breached_at: p.breached_at().filter(|t| *t <= now),
        stopped_at: p.stopped_at,
    }
}

pub fn sla_view(plans: &BTreeMap<ClockKind, ClockPlan>, now: DateTime<Utc>) -> SlaView {
    SlaView {
        first_response: plans.get(&ClockKind::FirstResponse).map(|p| clock_view(p, now)),
        resolution: plans.get(&ClockKind::Resolution).map(|p| clock_view(p, now)),
    }
}

/// SLA configurations by version, loading each version once.
#[derive(Default)]
pub struct Configs(HashMap<i32, SlaConfig>);

impl Configs {
    pub fn get(&mut self, conn: &mut AnyConnection, version: i32) -> Result<&SlaConfig, ApiError> {
        match self.0.entry(version) {
            std::collections::hash_map::Entry::Occupied(e) => Ok(e.into_mut()),
            std::collections::hash_map::Entry::Vacant(e) => Ok(e.insert(db::sla_version(conn, version)?.config)),
        }
    }
}

/// Recipients of an escalation level for a request.
fn recipients(
    conn: &mut AnyConnection,
    row: &RequestRow,
    config: &SlaConfig,
    level: usize,
) -> Result<Vec<String>, ApiError> {
    let team = db::load_teams(conn)?.into_iter().find(|t| t.key == row.team_key);
    let team_address = team.as_ref().map(|t| vec![t.email.clone()]).unwrap_or_default();
    let leads = team.as_ref().map(|t| t.leads()).filter(|l| !l.is_empty()).unwrap_or(team_address.clone());
    Ok(match level {
        0 => match &row.assignee_id {
            Some(id) => db::users_by_ids(conn, &[id])?.into_values().map(|u| u.email).collect(),
            None => team_address,
        },
        1 => leads,
        _ => config.team(&row.team_key).map(|t| t.executives.clone()).filter(|e| !e.is_empty()).unwrap_or(leads),
    })
}

const LEVEL_EVENTS: [&str; 3] = ["sla_at_risk", "sla_breached", "sla_breached_twice"];

/// Records every escalation of one request that is due at `now` and not yet recorded, each
/// with the moment it was really reached; returns how many this call recorded.
pub fn escalate(
    conn: &mut AnyConnection,
    notifier: &Notifier,
    id: &str,
    now: DateTime<Utc>,
) -> Result<usize, ApiError> {
    db::write_tx(conn, |conn| {
        let Some(mut row) = db::find_request(conn, id)? else { return Ok(0) };
        let plans = refresh(conn, &mut row)?;
        let config = db::sla_version(conn, row.sla_version)?.config;
        let priority = Priority::parse(&row.priority).unwrap_or_default();
        let mut recorded = 0;
        for (kind, plan) in &plans {
            for (level, reached) in plan.levels.iter().enumerate() {
                // Imported history: levels reached before the import are not news.
                let news = |t: &DateTime<Utc>| row.escalate_from.is_none_or(|from| to_db(*t) >= from);
                let Some(reached) = reached.filter(|t| *t <= now && news(t)) else { continue };
                let to = recipients(conn, &row, &config, level)?;
                // Only P1 may wake people up: the others wait for the team's next opening.
                let deliver_after = if priority == Priority::P1 {
                    reached
                } else {
                    config.business_calendar(&row.team_key).next_open(reached.max(now)).unwrap_or(now)
                };
                let escalation = EscalationRow {
                    request_id: row.id.clone(),
                    clock: kind.as_str().to_owned(),
                    level: level as i32 + 1,
                    reached_at: to_db(reached),
                    recipients: json!(to).to_string(),
                    deliver_after: to_db(deliver_after),
                    created_at: to_db(now),
                };
                if db::insert_escalation(conn, &escalation)? {
                    let data = json!({
                        "clock": kind, "level": level + 1, "target_minutes": plan.target_minutes,
                        "calendar": plan.calendar, "recipients": to, "deliver_after": deliver_after,
                        "team": row.team_key,
                    });
                    db::insert_event(conn, &row.id, LEVEL_EVENTS[level], None, to_db(reached), &data)?;
                    notifier.escalation(conn, &row, *kind, level, plan, reached, &to, deliver_after, now)?;
                    recorded += 1;
                }
            }
        }
        let escalations = db::escalations_of(conn, &row.id)?;
        row.clocks = columns(&plans, &escalations, row.escalate_from);
        db::save_clocks(conn, &row.id, &row.clocks)?;
        Ok(recorded)
    })
}
