//! What the reports count, as stored facts: one row for the request as its requester sees it
//! (its own clocks, from filing) and one for each team's hold of it (the team's own clocks,
//! from receiving it). Every field is a moment or a length fixed by the history, never a state
//! as of some `now`: a read compares the moments with its own `now` (`ClockFacts::state`), so
//! stored facts never go stale and only a new event changes them.

use chrono::{DateTime, TimeDelta, Utc};

use super::calendar::Calendar;
use super::ledger::{Hold, answer_timeline, holder_at, holds, resolved_at};
use std::collections::BTreeMap;

use super::sla::{Change, ClockKind, ClockPlan, ClockState, SlaConfig, Timeline, derive};

/// One clock, by its moments.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockFacts {
    pub target_minutes: i64,
    /// `24x7` or the name of a business calendar of the SLA version.
    pub calendar: String,
    pub due_at: Option<DateTime<Utc>>,
    pub at_risk_at: Option<DateTime<Utc>>,
    pub breached_at: Option<DateTime<Utc>>,
    pub stopped_at: Option<DateTime<Utc>>,
    /// Open time counted before `running_since` (all of it when the clock does not run).
    pub elapsed: TimeDelta,
    /// Since when the clock runs; None when stopped, paused or (for a hold) passed on.
    pub running_since: Option<DateTime<Utc>>,
    /// The report's duration to the clock's event (first response, resolution, first answer):
    /// business minutes on the team's calendar and wall-clock minutes; None until it happens.
    pub span: Option<(i64, i64)>,
}

impl ClockFacts {
    fn of(plan: &ClockPlan, passed_on: Option<DateTime<Utc>>, span: Option<(i64, i64)>) -> Self {
        let (mut elapsed, mut running_since) = plan.progress();
        // A hold's clock ends where the team passed the request on.
        if let (Some(end), Some(since), Some(cal)) = (passed_on, running_since, plan.running_calendar()) {
            elapsed += cal.open_between(since, end);
            running_since = None;
        }
        // A level the team did not reach before passing the request on is not its own.
        let before_end = |t: Option<DateTime<Utc>>| t.filter(|t| passed_on.is_none_or(|end| *t <= end));
        Self {
            target_minutes: plan.target_minutes,
            calendar: plan.calendar.clone(),
            due_at: plan.due_at,
            at_risk_at: before_end(plan.levels[0]),
            breached_at: before_end(plan.breached_at()),
            stopped_at: plan.stopped_at,
            elapsed,
            running_since,
            span,
        }
    }

    /// The clock's state at `now`, as `ClockPlan::state` says it.
    pub fn state(&self, now: DateTime<Utc>) -> ClockState {
        let reached = |t: Option<DateTime<Utc>>| t.is_some_and(|t| t <= now);
        if reached(self.breached_at) {
            ClockState::Breached
        } else if self.stopped_at.is_some() {
            ClockState::Met
        } else if self.running_since.is_none() {
            ClockState::Paused
        } else if reached(self.at_risk_at) {
            ClockState::AtRisk
        } else {
            ClockState::Running
        }
    }

    /// Open time counted up to `now`, on `calendar` (the one named by `self.calendar`).
    pub fn elapsed(&self, now: DateTime<Utc>, calendar: &Calendar) -> TimeDelta {
        self.elapsed
            + self
                .running_since
                .filter(|since| *since < now)
                .map_or(TimeDelta::zero(), |since| calendar.open_between(since, now))
    }
}

/// Whose view a facts row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A request that one team held all along: its own clocks are that team's, so one row
    /// serves both views (most requests; half the rows to write and to read).
    Only,
    /// The requester's view of a request several teams held: its clocks, from filing.
    Request,
    /// A team's view: its own clocks over its hold.
    Hold,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Only => "only",
            Self::Request => "request",
            Self::Hold => "hold",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "request" => Self::Request,
            "hold" => Self::Hold,
            _ => Self::Only,
        }
    }

    /// The scopes a team row counts, and those a category row counts.
    pub const HOLDS: [&'static str; 2] = ["only", "hold"];
    pub const REQUESTS: [&'static str; 2] = ["only", "request"];
    pub const ALL: [&'static str; 3] = ["only", "request", "hold"];
}

/// One facts row.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub scope: Scope,
    /// 0 for the request; 1, 2, … for its holds in order.
    pub seq: i32,
    /// The owning team now (request), or the team that held it (hold).
    pub team: String,
    pub category: String,
    /// Filed (request), or received (hold).
    pub started_at: DateTime<Utc>,
    /// When the team passed the request on (holds).
    pub passed_on_at: Option<DateTime<Utc>>,
    /// Business minutes the team held the ball before passing it on (passed-on holds).
    pub held_business_minutes: Option<i64>,
    /// The team's first response was a status click and it has not answered (holds).
    pub click_without_answer: bool,
    pub first_response: Option<ClockFacts>,
    pub resolution: Option<ClockFacts>,
    pub first_answer: Option<ClockFacts>,
    /// The team holding the request when its clocks breached (or will, if nothing happens).
    pub first_response_breach_team: Option<String>,
    pub resolution_breach_team: Option<String>,
}

/// The facts of a request from its timeline and its clocks (`derive_all` of the timeline): one
/// row when one team held it all along, else its own row then one per hold. A resolution
/// counts as a duration only while the request is resolved or closed.
pub fn facts(t: &Timeline, config: &SlaConfig, category: &str, plans: &BTreeMap<ClockKind, ClockPlan>) -> Vec<Facts> {
    let last_change = t.changes.last().map_or(t.created_at, |c| c.0);
    let handed_over = t.changes.iter().any(|(_, c)| matches!(c, super::sla::Change::Team(_)));
    let holds = if handed_over { holds(t, config, last_change) } else { Vec::new() };
    let resolved_at = match holds.last() {
        Some(h) => h.resolved_at,
        None => resolved_at(&t.changes),
    };
    let finished = resolved_at.is_some();
    let span = |team: &str, from: DateTime<Utc>, to: Option<DateTime<Utc>>| {
        let cal = config.business_calendar(team);
        to.map(|to| (cal.open_between(from, to).num_minutes(), (to - from).num_minutes()))
    };
    let answer = derive(&answer_timeline(t), config, ClockKind::FirstResponse);
    let team = holds.last().map_or_else(|| t.team.clone(), |h| h.team.clone());
    let first = |want: fn(&Change) -> bool| t.changes.iter().find(|(_, c)| want(c)).map(|(at, _)| *at);
    let first_response_at = first(|c| matches!(c, Change::FirstResponse));
    let first_answer_at = first(|c| matches!(c, Change::FirstAnswer));
    let breach_team = |kind| {
        let breached = plans.get(&kind).and_then(|p| p.breached_at())?;
        if handed_over { holder_at(&holds, breached).map(str::to_owned) } else { Some(team.clone()) }
    };
    let mut out = vec![Facts {
        scope: if handed_over { Scope::Request } else { Scope::Only },
        seq: 0,
        team: team.clone(),
        category: category.to_owned(),
        started_at: t.created_at,
        passed_on_at: None,
        held_business_minutes: None,
        // The one team's first response was a click, and it has not answered.
        click_without_answer: !handed_over && first_response_at.is_some() && first_answer_at.is_none(),
        first_response: plans
            .get(&ClockKind::FirstResponse)
            .map(|p| ClockFacts::of(p, None, span(&team, t.created_at, first_response_at))),
        resolution: plans
            .get(&ClockKind::Resolution)
            .map(|p| ClockFacts::of(p, None, span(&team, t.created_at, resolved_at.filter(|_| finished)))),
        first_answer: answer.as_ref().map(|p| ClockFacts::of(p, None, span(&team, t.created_at, first_answer_at))),
        first_response_breach_team: breach_team(ClockKind::FirstResponse),
        resolution_breach_team: breach_team(ClockKind::Resolution),
    }];
    out.extend(holds.iter().enumerate().map(|(i, h)| hold_facts(h, i, category, finished, &span)));
    out
}

/// (business, wall) minutes of a team's span from an instant to another, if it has ended.
type Span<'a> = dyn Fn(&str, DateTime<Utc>, Option<DateTime<Utc>>) -> Option<(i64, i64)> + 'a;

fn hold_facts(h: &Hold, i: usize, category: &str, finished: bool, span: &Span) -> Facts {
    let passed_on = h.passed_on.as_ref().map(|p| p.0);
    let clock = |plan: &Option<ClockPlan>, to: Option<DateTime<Utc>>| {
        plan.as_ref().map(|p| ClockFacts::of(p, passed_on, span(&h.team, h.received_at, to)))
    };
    Facts {
        scope: Scope::Hold,
        seq: i as i32 + 1,
        team: h.team.clone(),
        category: category.to_owned(),
        started_at: h.received_at,
        passed_on_at: passed_on,
        held_business_minutes: passed_on.map(|_| h.held_business_minutes),
        click_without_answer: h.first_response_was_click && h.first_answer_at.is_none(),
        first_response: clock(&h.first_response, h.first_response_at),
        resolution: clock(&h.resolution, h.resolved_at.filter(|_| finished)),
        first_answer: clock(&h.first_answer, h.first_answer_at),
        first_response_breach_team: None,
        resolution_breach_team: None,
    }
}
