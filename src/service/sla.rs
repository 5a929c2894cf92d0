//! SLA clocks in the database: the request's timeline read from its events, the derived
//! columns kept equal to the derivation, the API view, and the escalation unit of work.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::{self, AnyConnection, ClockColumns, EscalationRow, RequestRow, StoredEvent, from_db, never, to_db};
use crate::domain::Priority;
use crate::domain::escalation::{self, Ladder};
use crate::domain::event::{self, Event};
use crate::domain::sla::{Change, ClockKind, ClockPlan, ClockState, SlaConfig, Timeline, derive_all};
use crate::domain::{facts, ledger};
use crate::service::Error;
use crate::service::notify::Notifier;

/// The clocks' view of a request's stored events.
pub fn timeline(row: &RequestRow, events: &[StoredEvent]) -> Timeline {
    let priority = Priority::parse(&row.priority).unwrap_or_default();
    event::timeline(from_db(row.created_at), priority, &row.team_key, events.iter().map(|e| (from_db(e.at), &e.event)))
}

/// The stored columns for these plans, given the escalations already recorded.
/// `escalate_from` (imported requests) leaves levels reached before it out of `sla_check_at`.
pub fn columns(
    plans: &BTreeMap<ClockKind, ClockPlan>,
    recorded: &[EscalationRow],
    escalate_from: Option<chrono::NaiveDateTime>,
) -> ClockColumns {
    let live = |p: &ClockPlan| p.stopped_at.is_none() && !p.paused;
    let of = |k: ClockKind| plans.get(&k);
    let due = |k| of(k).and_then(|p| p.due_at).map(to_db);
    let at_risk = |k| of(k).filter(|p| live(p)).and_then(|p| p.levels[0]).map(to_db);
    let breached = |k| of(k).and_then(|p| p.breached_at()).map(to_db);
    let queue_due_at = plans.values().filter(|p| live(p)).filter_map(|p| p.due_at).min().map_or_else(never, to_db);
    let sla_check_at =
        escalation::next_check(plans, &recorded_levels(recorded), escalate_from.map(from_db)).map_or_else(never, to_db);
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

/// The levels an escalation row says were recorded: (clock, level from 0).
fn recorded_levels(rows: &[EscalationRow]) -> Vec<(ClockKind, usize)> {
    rows.iter()
        .filter_map(|r| {
            let clock = ClockKind::parse(&r.clock)?;
            Some((clock, usize::try_from(r.level).ok()?.checked_sub(1)?))
        })
        .collect()
}

/// What a request's derived state should be, by the derivation from its events: the clock
/// columns, the ledger and the first-response and first-answer moments.
#[derive(Debug, Clone, PartialEq)]
pub struct Derived {
    pub plans: BTreeMap<ClockKind, ClockPlan>,
    pub clocks: ClockColumns,
    pub ledger: Vec<ledger::Stretch>,
    /// The report facts: the request's own row and one per hold.
    pub facts: Vec<db::FactsRow>,
    pub first_response_at: Option<chrono::NaiveDateTime>,
    pub first_answer_at: Option<chrono::NaiveDateTime>,
}

/// The derivation of a request's state from its events (the definition; see `verify`).
pub fn derive_state(
    row: &RequestRow,
    events: &[StoredEvent],
    config: &SlaConfig,
    recorded: &[EscalationRow],
) -> Derived {
    derive_from(row, &timeline(row, events), config, recorded)
}

/// `derive_state` from the request's timeline, for a caller that keeps it.
pub fn derive_from(row: &RequestRow, timeline: &Timeline, config: &SlaConfig, recorded: &[EscalationRow]) -> Derived {
    let plans = derive_all(timeline, config);
    let first = |want: fn(&Change) -> bool| timeline.changes.iter().find(|(_, c)| want(c)).map(|(at, _)| to_db(*at));
    Derived {
        clocks: columns(&plans, recorded, row.escalate_from),
        ledger: ledger::stretches(timeline, config),
        facts: facts::facts(timeline, config, &row.category, &plans)
            .iter()
            .map(|f| db::FactsRow::new(&row.id, row.sla_version, f))
            .collect(),
        first_response_at: first(|c| matches!(c, Change::FirstResponse)),
        first_answer_at: first(|c| matches!(c, Change::FirstAnswer)),
        plans,
    }
}

/// Recomputes a request's clocks and ledger from its events and stores them. Called by every
/// unit of work that adds an event the clocks depend on, in its transaction.
pub fn refresh(conn: &mut AnyConnection, row: &mut RequestRow) -> Result<BTreeMap<ClockKind, ClockPlan>, Error> {
    let events = db::events_of(conn, &row.id)?;
    let config = db::sla_version(conn, row.sla_version)?.config;
    let recorded = db::escalations_of(conn, &row.id)?;
    let derived = derive_state(row, &events, &config, &recorded);
    row.clocks = derived.clocks;
    db::save_clocks(conn, &row.id, &row.clocks)?;
    db::save_ledger(conn, &row.id, &derived.ledger)?;
    db::save_facts(conn, &row.id, &derived.facts)?;
    Ok(derived.plans)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClockView {
    pub target_minutes: i64,
    /// `24x7` or the name of the team's business calendar.
    pub calendar: String,
    /// When the target is reached if the clock keeps running; null while paused.
    #[serde(serialize_with = "crate::rfc3339::serialize_option")]
    pub due_at: Option<DateTime<Utc>>,
    pub state: ClockState,
    /// Minutes of the calendar counted so far.
    pub elapsed_minutes: i64,
    #[serde(serialize_with = "crate::rfc3339::serialize_option")]
    pub breached_at: Option<DateTime<Utc>>,
    /// When the clock stopped (first response, or resolution); null while it runs or pauses.
    #[serde(serialize_with = "crate::rfc3339::serialize_option")]
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
    pub fn get(&mut self, conn: &mut AnyConnection, version: i32) -> Result<&SlaConfig, Error> {
        match self.0.entry(version) {
            std::collections::hash_map::Entry::Occupied(e) => Ok(e.into_mut()),
            std::collections::hash_map::Entry::Vacant(e) => Ok(e.insert(db::sla_version(conn, version)?.config)),
        }
    }
}

/// The SLA configurations read so far, by version, shared by every worker of one database. A
/// stored version never changes (an admin's edit stores a new one), so an entry never goes
/// stale: a page of requests parses no JSON once its versions have been seen.
#[derive(Default)]
pub struct SlaVersions(std::sync::RwLock<HashMap<i32, std::sync::Arc<SlaConfig>>>);

impl SlaVersions {
    pub fn get(&self, conn: &mut AnyConnection, version: i32) -> Result<std::sync::Arc<SlaConfig>, Error> {
        if let Some(config) = self.0.read().unwrap_or_else(|e| e.into_inner()).get(&version) {
            return Ok(config.clone());
        }
        let config = std::sync::Arc::new(db::sla_version(conn, version)?.config);
        self.0.write().unwrap_or_else(|e| e.into_inner()).insert(version, config.clone());
        Ok(config)
    }
}

/// Who a level of this request's ladder reaches (see `domain::escalation::Ladder`).
fn recipients(
    conn: &mut AnyConnection,
    row: &RequestRow,
    config: &SlaConfig,
    level: usize,
) -> Result<Vec<String>, Error> {
    let team = db::load_teams(conn)?.into_iter().find(|t| t.key == row.team_key);
    let leads = team.as_ref().map(|t| t.leads()).unwrap_or_default();
    let assignee = match (&row.assignee_id, level) {
        (Some(id), 0) => db::users_by_ids(conn, &[id])?.into_values().next().map(|u| u.email),
        _ => None,
    };
    let ladder = Ladder {
        assignee: assignee.as_deref(),
        team_address: team.as_ref().map(|t| t.email.as_str()),
        leads: &leads,
        executives: config.team(&row.team_key).map_or(&[][..], |t| t.executives.as_slice()),
    };
    Ok(ladder.recipients(level))
}

/// Records every escalation of one request that is due at `now` and not yet recorded, each
/// with the moment it was really reached; returns how many this call recorded.
pub fn escalate(conn: &mut AnyConnection, notifier: &Notifier, id: &str, now: DateTime<Utc>) -> Result<usize, Error> {
    db::write_tx(conn, |conn| {
        let Some(mut row) = db::find_request(conn, id)? else { return Ok(0) };
        let plans = refresh(conn, &mut row)?;
        let config = db::sla_version(conn, row.sla_version)?.config;
        let priority = Priority::parse(&row.priority).unwrap_or_default();
        let recorded_before = recorded_levels(&db::escalations_of(conn, &row.id)?);
        let mut recorded = 0;
        for due in escalation::pending(&plans, &recorded_before, row.escalate_from.map(from_db), Some(now)) {
            let Some(plan) = plans.get(&due.clock) else { continue };
            let to = recipients(conn, &row, &config, due.level)?;
            let deliver_after =
                escalation::deliver_after(priority, due.reached, now, &config.business_calendar(&row.team_key));
            let escalation_row = EscalationRow {
                request_id: row.id.clone(),
                clock: due.clock.as_str().to_owned(),
                level: due.level as i32 + 1,
                reached_at: to_db(due.reached),
                recipients: serde_json::to_string(&to).unwrap_or_default(),
                deliver_after: to_db(deliver_after),
                created_at: to_db(now),
            };
            if db::insert_escalation(conn, &escalation_row)? {
                let event = Event::escalation(
                    due.level,
                    event::Escalation {
                        clock: due.clock,
                        level: due.level as u8 + 1,
                        target_minutes: plan.target_minutes,
                        calendar: plan.calendar.clone(),
                        recipients: to.clone(),
                        deliver_after,
                        team: row.team_key.clone(),
                    },
                );
                db::insert_event(conn, &row.id, None, to_db(due.reached), &event)?;
                notifier.escalation(conn, &row, due.clock, due.level, plan, due.reached, &to, deliver_after, now)?;
                recorded += 1;
            }
        }
        let escalations = db::escalations_of(conn, &row.id)?;
        row.clocks = columns(&plans, &escalations, row.escalate_from);
        db::save_clocks(conn, &row.id, &row.clocks)?;
        Ok(recorded)
    })
}
