//! SLA policies and the clocks derived from a request's life. `derive` is a pure function of
//! the request's timeline and the SLA configuration it was created under: any past state can be
//! recomputed, and a later change of targets or calendars never rewrites history.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::calendar::{ALWAYS, BusinessCalendar, Calendar};
use super::{FieldErrors, Priority, Status};

/// Everything the clocks depend on; each admin change stores a new versioned snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SlaConfig {
    pub calendars: Vec<BusinessCalendar>,
    pub policies: Vec<Policy>,
    pub teams: Vec<TeamSla>,
}

/// Targets for one team and priority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub team: String,
    pub priority: Priority,
    /// `business` (the team's calendar) or `24x7`.
    pub calendar: String,
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
    /// Share of the target after which a running clock is at risk.
    #[serde(default = "default_at_risk_share")]
    pub at_risk_share: f64,
}

fn default_at_risk_share() -> f64 {
    0.75
}

/// A team's business calendar and the top of its escalation ladder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamSla {
    pub team: String,
    /// Name of one of `calendars`.
    pub calendar: String,
    /// Level 3 recipients: breached by twice the target.
    #[serde(default)]
    pub executives: Vec<String>,
}

pub const BUSINESS: &str = "business";

impl SlaConfig {
    pub fn team(&self, team: &str) -> Option<&TeamSla> {
        self.teams.iter().find(|t| t.team == team)
    }

    pub fn policy(&self, team: &str, priority: Priority) -> Option<&Policy> {
        self.policies.iter().find(|p| p.team == team && p.priority == priority)
    }

    /// The team's business calendar (24x7 if the team has none configured).
    pub fn business_calendar(&self, team: &str) -> Calendar {
        self.team(team)
            .and_then(|t| self.calendars.iter().find(|c| c.name == t.calendar))
            .map_or(Calendar::Always, |c| Calendar::Business(c.clone()))
    }

    /// A calendar by the name a clock records (`24x7` or a business calendar's; 24x7 if unknown).
    pub fn calendar_named(&self, name: &str) -> Calendar {
        self.calendars.iter().find(|c| c.name == name).map_or(Calendar::Always, |c| Calendar::Business(c.clone()))
    }

    /// The calendar a policy counts on.
    pub fn calendar_of(&self, policy: &Policy) -> Calendar {
        if policy.calendar == ALWAYS { Calendar::Always } else { self.business_calendar(&policy.team) }
    }

    /// Checks references and ranges; field names point into the document.
    pub fn validate(&self, teams: &[String]) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::default();
        for (i, c) in self.calendars.iter().enumerate() {
            for (field, problem) in c.validate() {
                errors.add(format!("calendars[{i}].{field}"), problem);
            }
            if c.name == ALWAYS || c.name == BUSINESS || self.calendars[..i].iter().any(|o| o.name == c.name) {
                errors.add(format!("calendars[{i}].name"), format!("'{}' is taken", c.name));
            }
        }
        for (i, t) in self.teams.iter().enumerate() {
            if self.teams[..i].iter().any(|o| o.team == t.team) {
                errors.add(format!("teams[{i}].team"), format!("duplicate entry for team '{}'", t.team));
            }
            for (j, e) in t.executives.iter().enumerate() {
                let ok = e.split_once('@').is_some_and(|(l, d)| !l.is_empty() && !d.is_empty() && !e.contains(' '));
                if !ok {
                    errors.add(format!("teams[{i}].executives[{j}]"), format!("'{e}' is not an email address"));
                }
            }
            if !teams.contains(&t.team) {
                errors.add(format!("teams[{i}].team"), format!("unknown team '{}'", t.team));
            }
            if !self.calendars.iter().any(|c| c.name == t.calendar) {
                errors.add(format!("teams[{i}].calendar"), format!("unknown calendar '{}'", t.calendar));
            }
        }
        for (i, p) in self.policies.iter().enumerate() {
            let at = |f: &str| format!("policies[{i}].{f}");
            if self.team(&p.team).is_none() {
                errors.add(at("team"), format!("team '{}' has no calendar in `teams`", p.team));
            }
            if p.calendar != BUSINESS && p.calendar != ALWAYS {
                errors.add(at("calendar"), "must be 'business' or '24x7'");
            }
            for (f, m) in
                [("first_response_minutes", p.first_response_minutes), ("resolution_minutes", p.resolution_minutes)]
            {
                if !(1..=525_600).contains(&m) {
                    errors.add(at(f), "must be between 1 and 525600 minutes");
                }
            }
            if !(p.at_risk_share > 0.0 && p.at_risk_share < 1.0) {
                errors.add(at("at_risk_share"), "must be between 0 and 1");
            }
            if self.policies[..i].iter().any(|o| o.team == p.team && o.priority == p.priority) {
                errors.add(at("priority"), format!("duplicate policy for {} {}", p.team, p.priority.as_str()));
            }
        }
        errors.finish(|| ())
    }
}

/// The two clocks of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    FirstResponse,
    Resolution,
}

impl ClockKind {
    pub const ALL: [ClockKind; 2] = [Self::FirstResponse, Self::Resolution];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::FirstResponse => "first_response",
            Self::Resolution => "resolution",
        }
    }

    fn target(self, p: &Policy) -> i64 {
        match self {
            Self::FirstResponse => p.first_response_minutes,
            Self::Resolution => p.resolution_minutes,
        }
    }
}

/// What happened to a request that matters to its clocks, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub created_at: DateTime<Utc>,
    pub priority: Priority,
    pub team: String,
    pub changes: Vec<(DateTime<Utc>, Change)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Status(Status),
    /// Handed over to this team.
    Team(String),
    /// The owning team's first response in its hold (the request's first one stops its clock).
    FirstResponse,
    /// The owning team's first message the requester can see, in its hold.
    FirstAnswer,
}

/// Who holds the ball during a stretch of a request's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Holder {
    Team,
    Requester,
    Resolved,
}

impl Holder {
    pub const ALL: [Holder; 3] = [Self::Team, Self::Requester, Self::Resolved];

    /// The stored and serialized name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Team => "team",
            Self::Requester => "requester",
            Self::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|h| h.as_str() == s)
    }
}

/// A stretch of a request's life with one holder (and one owning team).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Segment {
    pub holder: Holder,
    pub team: String,
    pub from: DateTime<Utc>,
    /// Null while it lasts.
    pub to: Option<DateTime<Utc>>,
}

fn holder(status: Status) -> Holder {
    match status {
        Status::WaitingOnRequester => Holder::Requester,
        Status::Resolved | Status::Closed | Status::Rejected => Holder::Resolved,
        _ => Holder::Team,
    }
}

/// The request's life split at every change of holder or team.
pub fn segments(t: &Timeline) -> Vec<Segment> {
    let mut out = vec![Segment { holder: Holder::Team, team: t.team.clone(), from: t.created_at, to: None }];
    for (at, change) in &t.changes {
        let Some(last) = out.last() else { break };
        let (holder, team) = match change {
            Change::Status(s) => (holder(*s), last.team.clone()),
            Change::Team(team) => (last.holder, team.clone()),
            Change::FirstResponse | Change::FirstAnswer => continue,
        };
        if holder == last.holder && team == last.team {
            continue;
        }
        if let Some(last) = out.last_mut() {
            last.to = Some(*at);
        }
        out.push(Segment { holder, team, from: *at, to: None });
    }
    out
}

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
    let mut status = Status::New;
    let mut responded = false;
    let runs_now = |status: Status, responded: bool| match kind {
        ClockKind::FirstResponse => !responded && holder(status) == Holder::Team,
        ClockKind::Resolution => holder(status) == Holder::Team,
    };
    pieces.push((t.created_at, true, team.clone()));
    for (at, change) in &t.changes {
        match change {
            Change::Status(s) => status = *s,
            Change::Team(new) => team = new.clone(),
            Change::FirstResponse => responded = true,
            Change::FirstAnswer => continue,
        }
        pieces.push((*at, runs_now(status, responded), team.clone()));
    }
    let stopped = match kind {
        ClockKind::FirstResponse => responded || holder(status) == Holder::Resolved,
        ClockKind::Resolution => holder(status) == Holder::Resolved,
    };
    let policy = config.policy(&team, t.priority)?;
    let mut plan = ClockPlan {
        kind,
        target_minutes: kind.target(policy),
        calendar: config.calendar_of(policy).name().to_owned(),
        at_risk_share: policy.at_risk_share,
        stopped_at: None,
        paused: !stopped && !runs_now(status, responded),
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

#[cfg(test)]
mod tests;
