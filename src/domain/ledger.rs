//! The responsibility ledger: who held a request when, and what each team that held it is
//! charged with. Pure functions of the timeline and the SLA configuration, like the clocks.
//!
//! A request's life is a sequence of *stretches*, each held by one party: the owning team, the
//! requester (waiting on them), someone outside (waiting on a vendor, an agency, ... for a reason
//! that pauses the clocks) or nobody (resolved). A *hold* is one team's whole turn with the
//! request, from receiving it (filed, or handed over to it) until it passed the request on or
//! until now; a team's own first-response and resolution clocks (its OLA) run over its hold,
//! against its own targets for the request's priority, in full. Definitions: docs/metrics.md.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::Status;
use super::sla::{Change, ClockKind, ClockPlan, Holder, SlaConfig, Timeline, derive, segments};

/// One stretch of a request's life with one holder, with its length. `to` and the minutes are
/// null while the stretch lasts: they are written when the event that ends it is.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Stretch {
    pub holder: Holder,
    /// The waiting reason's key while the request waits (on the requester's side, `holder` says
    /// `requester`; a reason that leaves the clocks running keeps `holder` at `team`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_on: Option<String>,
    /// The owning team during the stretch (for the requester's stretches, whose calendar counts).
    pub team: String,
    pub from: DateTime<Utc>,
    pub to: Option<DateTime<Utc>>,
    /// Open minutes of `team`'s business calendar between `from` and `to`.
    pub business_minutes: Option<i64>,
    pub wall_minutes: Option<i64>,
}

impl Stretch {
    /// The same stretch measured up to `now` if it still lasts (for showing, never stored).
    pub fn as_of(&self, config: &SlaConfig, now: DateTime<Utc>) -> Stretch {
        if self.to.is_some() || now < self.from {
            return self.clone();
        }
        let (business, wall) = measure(config, &self.team, self.from, now);
        Stretch { business_minutes: Some(business), wall_minutes: Some(wall), ..self.clone() }
    }
}

fn measure(config: &SlaConfig, team: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> (i64, i64) {
    (config.business_calendar(team).open_between(from, to).num_minutes(), (to - from).num_minutes())
}

/// The ledger of a request: its life split at every change of holder or team.
pub fn stretches(t: &Timeline, config: &SlaConfig) -> Vec<Stretch> {
    segments(t)
        .into_iter()
        .map(|s| {
            let measured = s.to.map(|to| measure(config, &s.team, s.from, to));
            Stretch {
                holder: s.holder,
                waiting_on: s.waiting_on,
                business_minutes: measured.map(|m| m.0),
                wall_minutes: measured.map(|m| m.1),
                team: s.team,
                from: s.from,
                to: s.to,
            }
        })
        .collect()
}

/// One team's turn with a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Hold {
    pub team: String,
    pub received_at: DateTime<Utc>,
    /// When it passed the request on, and to whom; None while it still holds it.
    pub passed_on: Option<(DateTime<Utc>, String)>,
    /// The team's first response in its hold.
    pub first_response_at: Option<DateTime<Utc>>,
    /// That first response was a status click, not a message to the requester.
    pub first_response_was_click: bool,
    /// The team's first message the requester could see, in its hold.
    pub first_answer_at: Option<DateTime<Utc>>,
    /// When it resolved the request in this hold (the last resolution, if reopened).
    pub resolved_at: Option<DateTime<Utc>>,
    /// Business minutes the team held the ball (its own stretches, not the requester's).
    pub held_business_minutes: i64,
    /// The team's own clocks over its hold; None without a policy for the priority.
    pub first_response: Option<ClockPlan>,
    pub resolution: Option<ClockPlan>,
    /// The first-response clock stopped by the first answer instead (see `answer_timeline`).
    pub first_answer: Option<ClockPlan>,
}

/// Every team's hold of the request, in order.
pub fn holds(t: &Timeline, config: &SlaConfig, now: DateTime<Utc>) -> Vec<Hold> {
    // Where each hold starts: creation, then every hand-over.
    let mut starts: Vec<(usize, DateTime<Utc>, String)> = vec![(0, t.created_at, t.team.clone())];
    for (i, (at, change)) in t.changes.iter().enumerate() {
        if let Change::Team(team) = change {
            starts.push((i + 1, *at, team.clone()));
        }
    }
    let stretches = segments(t);
    let mut out = Vec::with_capacity(starts.len());
    for (n, (first, received_at, team)) in starts.iter().enumerate() {
        let next = starts.get(n + 1);
        let last = next.map_or(t.changes.len(), |s| s.0 - 1);
        let passed_on = next.map(|s| (s.1, s.2.clone()));
        let status_at_receipt = t.changes[..*first]
            .iter()
            .rev()
            .find(|(_, c)| matches!(c, Change::Status(_) | Change::Waiting { .. }))
            .map_or(Change::Status(Status::New), |(_, c)| c.clone());
        let inside = &t.changes[*first..last];
        let mut changes = vec![(*received_at, status_at_receipt)];
        changes.extend(inside.iter().filter(|(_, c)| !matches!(c, Change::Team(_))).cloned());
        let own = Timeline { created_at: *received_at, priority: t.priority, team: team.clone(), changes };
        let first_of = |want: fn(&Change) -> bool| inside.iter().find(|(_, c)| want(c)).map(|(at, _)| *at);
        let first_response_at = first_of(|c| matches!(c, Change::FirstResponse));
        let first_answer_at = first_of(|c| matches!(c, Change::FirstAnswer));
        let resolved_at = resolved_at(inside);
        let until = passed_on.as_ref().map_or(now, |p| p.0);
        let held_business_minutes = stretches
            .iter()
            .filter(|s| s.holder == Holder::Team && s.team == *team)
            .filter_map(|s| {
                let from = s.from.max(*received_at);
                let to = s.to.unwrap_or(until).min(until);
                (from < to).then(|| config.business_calendar(team).open_between(from, to))
            })
            .sum::<TimeDelta>()
            .num_minutes();
        out.push(Hold {
            team: team.clone(),
            received_at: *received_at,
            first_response: derive(&own, config, ClockKind::FirstResponse),
            resolution: derive(&own, config, ClockKind::Resolution),
            first_answer: derive(&answer_timeline(&own), config, ClockKind::FirstResponse),
            passed_on,
            first_response_was_click: first_response_at.is_some() && first_answer_at != first_response_at,
            first_response_at,
            first_answer_at,
            resolved_at,
            held_business_minutes,
        });
    }
    out
}

/// The timeline with the first answer in the place of the first response: its first-response
/// clock is the answer's, judged against the same target.
pub fn answer_timeline(t: &Timeline) -> Timeline {
    let changes = t
        .changes
        .iter()
        .filter(|(_, c)| !matches!(c, Change::FirstResponse))
        .map(|(at, c)| (*at, if matches!(c, Change::FirstAnswer) { Change::FirstResponse } else { c.clone() }))
        .collect();
    Timeline { changes, ..t.clone() }
}

/// When these changes left the request resolved (or closed) for the last time, if they did: a
/// reopening forgets the resolution before it.
pub fn resolved_at(changes: &[(DateTime<Utc>, Change)]) -> Option<DateTime<Utc>> {
    let mut resolved = None;
    for (at, c) in changes {
        match c {
            Change::Status(Status::Resolved) => resolved = Some(*at),
            Change::Status(Status::Closed) if resolved.is_none() => resolved = Some(*at),
            Change::Status(s) if s.is_open() => resolved = None,
            Change::Waiting { .. } => resolved = None,
            _ => {}
        }
    }
    resolved
}

/// The team that held the request at `at` (whose stretch it fell in), if any team did.
pub fn holder_at(holds: &[Hold], at: DateTime<Utc>) -> Option<&str> {
    holds.iter().rev().find(|h| h.received_at <= at).map(|h| h.team.as_str())
}
