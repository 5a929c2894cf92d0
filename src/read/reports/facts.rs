//! Per request, the facts the report counts: the requester's view (category rows) and each
//! team's holds (team rows), derived once per request from its events and the ledger rules.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::db::{self, AnyConnection, RequestRow, StoredEvent, from_db};
use crate::domain::ledger::{answer_timeline, holder_at, holds};
use crate::domain::metrics::{Facts, Outcome};
use crate::domain::sla::{ClockKind, ClockState, derive, derive_all};
use crate::read::views::request_key;
use crate::service::Error;
use crate::service::sla::{Configs, timeline};

/// Per request: the requester's facts (the category rows), each team's hold of it (the team
/// rows), and who held it when its requester's clocks breached.
pub(super) struct Row {
    pub(super) facts: Facts,
    pub(super) holds: Vec<HoldRow>,
    /// Breach moments of the requester's clocks, with the team holding the request then.
    pub(super) breaches: Vec<(DateTime<Utc>, String)>,
}

/// One team's hold, as its team row counts it.
pub(super) struct HoldRow {
    pub(super) facts: Facts,
    pub(super) passed_on: bool,
    pub(super) by_hand_over: bool,
    pub(super) held_business_minutes: i64,
    pub(super) click_without_answer: bool,
    /// Share of the team's first-response target used, for decided clocks.
    pub(super) target_share: Option<f64>,
}

fn outcome(state: Option<ClockState>) -> Outcome {
    match state {
        Some(ClockState::Met) => Outcome::Met,
        Some(ClockState::Breached) => Outcome::Breached,
        Some(_) => Outcome::Undecided,
        None => Outcome::None,
    }
}

pub(super) fn load_events(
    conn: &mut AnyConnection,
    rows: &[RequestRow],
) -> Result<HashMap<String, Vec<StoredEvent>>, Error> {
    let mut events: HashMap<String, Vec<StoredEvent>> = HashMap::new();
    // Chunked so the IN list stays within every engine's parameter limit.
    for chunk in rows.chunks(5000) {
        let ids: Vec<&str> = chunk.iter().map(|r| r.id.as_str()).collect();
        for e in db::events_of_many(conn, &ids)? {
            events.entry(e.request_id.clone()).or_default().push(e);
        }
    }
    Ok(events)
}

pub(super) fn facts(conn: &mut AnyConnection, rows: &[RequestRow], now: DateTime<Utc>) -> Result<Vec<Row>, Error> {
    let events = load_events(conn, rows)?;
    let mut configs = Configs::default();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let config = configs.get(conn, row.sla_version)?;
        let timeline = timeline(row, events.get(&row.id).map_or(&[][..], Vec::as_slice));
        let plans = derive_all(&timeline, config);
        let answer = derive(&answer_timeline(&timeline), config, ClockKind::FirstResponse);
        let duration = |team: &str, from: DateTime<Utc>, end: Option<DateTime<Utc>>| {
            let business = config.business_calendar(team);
            end.map(|end| (business.open_between(from, end).num_minutes(), (end - from).num_minutes()))
        };
        let created = from_db(row.created_at);
        let finished = matches!(row.status.as_str(), "resolved" | "closed");
        let holds = holds(&timeline, config, now);
        let facts = Facts {
            key: request_key(row.number),
            created_at: created,
            team: row.team_key.clone(),
            category: row.category.clone(),
            first_response: duration(&row.team_key, created, row.first_response_at.map(from_db)),
            resolution: if finished { duration(&row.team_key, created, row.resolved_at.map(from_db)) } else { None },
            first_answer: duration(&row.team_key, created, row.first_answer_at.map(from_db)),
            first_response_outcome: outcome(plans.get(&ClockKind::FirstResponse).map(|p| p.state(now))),
            resolution_outcome: outcome(plans.get(&ClockKind::Resolution).map(|p| p.state(now))),
            first_answer_outcome: outcome(answer.as_ref().map(|p| p.state(now))),
        };
        let breaches = plans
            .values()
            .filter_map(|p| p.breached_at().filter(|b| *b <= now))
            .filter_map(|b| Some((b, holder_at(&holds, b)?.to_owned())))
            .collect();
        let holds = holds
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let fr_state = h.state(ClockKind::FirstResponse, now);
                let target_share = h
                    .first_response
                    .as_ref()
                    .filter(|_| matches!(fr_state, Some(ClockState::Met | ClockState::Breached)))
                    .map(|p| {
                        let until = p.stopped_at.unwrap_or(h.judged_at(now)).min(h.judged_at(now));
                        p.elapsed(until).num_seconds() as f64 / (p.target_minutes * 60) as f64
                    });
                HoldRow {
                    facts: Facts {
                        key: facts.key.clone(),
                        created_at: h.received_at,
                        team: h.team.clone(),
                        category: row.category.clone(),
                        first_response: duration(&h.team, h.received_at, h.first_response_at),
                        resolution: duration(&h.team, h.received_at, h.resolved_at.filter(|_| finished)),
                        first_answer: duration(&h.team, h.received_at, h.first_answer_at),
                        first_response_outcome: outcome(fr_state),
                        resolution_outcome: outcome(h.state(ClockKind::Resolution, now)),
                        first_answer_outcome: outcome(h.answer_state(now)),
                    },
                    passed_on: h.passed_on.is_some(),
                    by_hand_over: i > 0,
                    held_business_minutes: h.held_business_minutes,
                    click_without_answer: h.first_response_was_click && h.first_answer_at.is_none(),
                    target_share,
                }
            })
            .collect();
        out.push(Row { facts, holds, breaches });
    }
    Ok(out)
}
