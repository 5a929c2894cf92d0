//! One clock of a request derived from its timeline (`derive`): when it is due, at risk and
//! breached, how much of its target it used, and where it stands at any `now` (`ClockPlan`).

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::*;

/// A clock as derived from the timeline: independent of `now`. Moments in the future are
/// predictions that hold while nothing else happens to the request.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockPlan {
    pub kind: ClockKind,
    pub target_minutes: i64,
    pub calendar: String,
    pub at_risk_share: f64,
    pub stopped_at: Option<DateTime<Utc>>,
    pub paused: bool,
    /// When the target is (or was, at the stop) reached if the clock keeps running; None while paused.
    pub due_at: Option<DateTime<Utc>>,
    /// When each escalation level is (or will be) reached: [at risk, breached, twice the target].
    pub levels: [Option<DateTime<Utc>>; 3],
    /// Running stretches: (from, to, calendar); `to` None for the one still running.
    runs: Vec<(DateTime<Utc>, Option<DateTime<Utc>>, Calendar)>,
}

impl ClockPlan {
    pub fn breached_at(&self) -> Option<DateTime<Utc>> {
        self.levels[1]
    }

    /// Open time counted by the runs that ended, and the start of the one still running
    /// (None when stopped or paused): with the calendar, what `elapsed` needs at any `now`.
    pub fn progress(&self) -> (TimeDelta, Option<DateTime<Utc>>) {
        let ended = self.runs.iter().filter_map(|(from, to, cal)| to.map(|to| cal.open_between(*from, to))).sum();
        (ended, self.runs.iter().find(|(_, to, _)| to.is_none()).map(|(from, _, _)| *from))
    }

    /// The calendar the running stretch counts on, if one runs.
    pub fn running_calendar(&self) -> Option<&Calendar> {
        self.runs.iter().find(|(_, to, _)| to.is_none()).map(|(_, _, cal)| cal)
    }

    /// Open time counted up to `now`.
    pub fn elapsed(&self, now: DateTime<Utc>) -> TimeDelta {
        self.runs
            .iter()
            .filter(|(from, _, _)| *from < now)
            .map(|(from, to, cal)| cal.open_between(*from, to.map_or(now, |t| t.min(now))))
            .sum()
    }

    pub fn state(&self, now: DateTime<Utc>) -> ClockState {
        let reached = |t: Option<DateTime<Utc>>| t.is_some_and(|t| t <= now);
        if reached(self.levels[1]) {
            ClockState::Breached
        } else if self.stopped_at.is_some() {
            ClockState::Met
        } else if self.paused {
            ClockState::Paused
        } else if reached(self.levels[0]) {
            ClockState::AtRisk
        } else {
            ClockState::Running
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    Running,
    Paused,
    AtRisk,
    Met,
    Breached,
}

impl ClockState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Paused => "paused",
            Self::AtRisk => "at_risk",
            Self::Met => "met",
            Self::Breached => "breached",
        }
    }
}

fn minutes(m: f64) -> TimeDelta {
    TimeDelta::milliseconds((m * 60_000.0).round() as i64)
}

/// Derives one clock. None when the owning team has no policy for the priority.
pub fn derive(t: &Timeline, config: &SlaConfig, kind: ClockKind) -> Option<ClockPlan> {
    // Walk the life in pieces: each piece runs or not, under one team's policy.
    let mut pieces: Vec<(DateTime<Utc>, bool, String)> = Vec::new();
    let mut team = t.team.clone();
    let mut holding = Holder::Team;
    let mut responded = false;
    let runs_now = |holding: Holder, responded: bool| match kind {
        ClockKind::FirstResponse => !responded && holding == Holder::Team,
        ClockKind::Resolution => holding == Holder::Team,
    };
    pieces.push((t.created_at, true, team.clone()));
    for (at, change) in &t.changes {
        match change {
            Change::Status(s) => holding = holder(*s),
            Change::Waiting { pauses, .. } => holding = waiting_holder(*pauses),
            Change::Team(new) => team = new.clone(),
            Change::FirstResponse => responded = true,
            Change::FirstAnswer => continue,
        }
        pieces.push((*at, runs_now(holding, responded), team.clone()));
    }
    let stopped = match kind {
        ClockKind::FirstResponse => responded || holding == Holder::Resolved,
        ClockKind::Resolution => holding == Holder::Resolved,
    };
    let policy = config.policy(&team, t.priority)?;
    let mut plan = ClockPlan {
        kind,
        target_minutes: kind.target(policy),
        calendar: config.calendar_of(policy).name().to_owned(),
        at_risk_share: policy.at_risk_share,
        stopped_at: None,
        paused: !stopped && !runs_now(holding, responded),
        due_at: None,
        levels: [None; 3],
        runs: Vec::new(),
    };
    let mut elapsed = TimeDelta::zero();
    for (i, (from, running, team)) in pieces.iter().enumerate() {
        let to = pieces.get(i + 1).map(|p| p.0);
        if !running || to.is_some_and(|to| to <= *from) {
            continue;
        }
        let Some(policy) = config.policy(team, t.priority) else { continue };
        let cal = config.calendar_of(policy);
        let target = kind.target(policy) as f64;
        // Escalation levels: 1 at risk, 2 breached, 3 breached by twice the target.
        // One walk over the calendar finds every level and the due time (the breach level's).
        let thresholds = [policy.at_risk_share, 1.0, 2.0].map(|factor| minutes(target * factor));
        let reached = cal.add_each(*from, thresholds.map(|threshold| (threshold - elapsed).max(TimeDelta::zero())));
        for (level, threshold) in thresholds.into_iter().enumerate() {
            if plan.levels[level].is_some() {
                continue;
            }
            plan.levels[level] = if elapsed >= threshold {
                Some(*from)
            } else {
                reached[level].filter(|at| to.is_none_or(|to| *at < to))
            };
        }
        plan.due_at = reached[1];
        elapsed += to.map_or(TimeDelta::zero(), |to| cal.open_between(*from, to));
        if stopped {
            // A stopped clock is judged under the policy it ran under last, not that of a
            // team it was handed to afterwards.
            plan.target_minutes = kind.target(policy);
            plan.calendar = cal.name().to_owned();
            plan.at_risk_share = policy.at_risk_share;
        }
        plan.runs.push((*from, to, cal));
    }
    if stopped {
        // The clock stopped where its last running stretch ended.
        plan.stopped_at = pieces.iter().rposition(|p| p.1).and_then(|i| pieces.get(i + 1)).map(|p| p.0);
    }
    if plan.paused {
        plan.due_at = None;
    }
    Some(plan)
}

/// Both clocks, keyed by kind (absent when no policy applies).
pub fn derive_all(t: &Timeline, config: &SlaConfig) -> BTreeMap<ClockKind, ClockPlan> {
    ClockKind::ALL.into_iter().filter_map(|k| derive(t, config, k).map(|p| (k, p))).collect()
}
