//! SLA policies and the clocks derived from a request's life. `derive` is a pure function of
//! the request's timeline and the SLA configuration it was created under: any past state can be
//! recomputed, and a later change of targets or calendars never rewrites history.

use chrono::{DateTime, Utc};
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
    /// What a request may wait on besides its requester: the reasons of the `waiting` status.
    /// Versions stored before the list existed read with the defaults.
    #[serde(default = "default_waiting_reasons")]
    pub waiting_reasons: Vec<WaitingReason>,
}

/// A reason of the `waiting` status, configured by admins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitingReason {
    /// Lower-case key (`vendor`), what `POST /api/v1/requests/{id}/status` names as `reason`.
    pub key: String,
    /// What people read: "Waiting on a vendor".
    pub label: String,
    /// Whether the SLA clocks stop while a request waits for this reason. A pausing reason
    /// puts the time in the ledger under the `waiting` holder; one that does not leaves it the
    /// team's.
    pub pauses_clocks: bool,
}

/// The reasons a new installation starts with.
pub fn default_waiting_reasons() -> Vec<WaitingReason> {
    [
        ("vendor", "Waiting on a vendor", true),
        ("agency", "Waiting on an agency", true),
        ("another_team", "Waiting on another team", false),
        ("scheduled", "Ready, scheduled to go live on a date", true),
    ]
    .map(|(key, label, pauses_clocks)| WaitingReason { key: key.into(), label: label.into(), pauses_clocks })
    .to_vec()
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
    pub fn waiting_reason(&self, key: &str) -> Option<&WaitingReason> {
        self.waiting_reasons.iter().find(|r| r.key == key)
    }

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
        for (i, r) in self.waiting_reasons.iter().enumerate() {
            let at = |f: &str| format!("waiting_reasons[{i}].{f}");
            if let Err(problem) = crate::domain::routing::validate_key(&r.key) {
                errors.add(at("key"), problem);
            } else if r.key == "requester" {
                errors.add(at("key"), "'requester' is the waiting_on_requester status; choose another key");
            } else if self.waiting_reasons[..i].iter().any(|o| o.key == r.key) {
                errors.add(at("key"), format!("duplicate reason '{}'", r.key));
            }
            if r.label.trim().is_empty() || r.label.chars().count() > 80 {
                errors.add(at("label"), "must be 1 to 80 characters");
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
    /// Moved to `waiting` on `reason`; `pauses` says whether the clocks stop meanwhile.
    Waiting {
        reason: String,
        pauses: bool,
    },
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
    /// Waiting on someone else (a vendor, an agency, ...) for a reason that pauses the clocks;
    /// a reason that does not pause them leaves the team holding the request.
    Waiting,
    Resolved,
}

impl Holder {
    pub const ALL: [Holder; 4] = [Self::Team, Self::Requester, Self::Waiting, Self::Resolved];

    /// The stored and serialized name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Team => "team",
            Self::Requester => "requester",
            Self::Waiting => "waiting",
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
    /// The waiting reason's key while the request waits on someone else.
    pub waiting_on: Option<String>,
    pub from: DateTime<Utc>,
    /// Null while it lasts.
    pub to: Option<DateTime<Utc>>,
}

fn holder(status: Status) -> Holder {
    match status {
        Status::WaitingOnRequester => Holder::Requester,
        Status::Waiting => Holder::Waiting,
        Status::Resolved | Status::Closed | Status::Rejected | Status::Withdrawn => Holder::Resolved,
        _ => Holder::Team,
    }
}

/// Who holds the request after a waiting move: nobody charged when the reason pauses the
/// clocks, else still the team.
fn waiting_holder(pauses: bool) -> Holder {
    if pauses { Holder::Waiting } else { Holder::Team }
}

/// The request's life split at every change of holder or team.
pub fn segments(t: &Timeline) -> Vec<Segment> {
    let mut out =
        vec![Segment { holder: Holder::Team, team: t.team.clone(), waiting_on: None, from: t.created_at, to: None }];
    for (at, change) in &t.changes {
        let Some(last) = out.last() else { break };
        let (holder, team, waiting_on) = match change {
            Change::Status(s) => (holder(*s), last.team.clone(), None),
            Change::Waiting { reason, pauses } => (waiting_holder(*pauses), last.team.clone(), Some(reason.clone())),
            Change::Team(team) => (last.holder, team.clone(), last.waiting_on.clone()),
            Change::FirstResponse | Change::FirstAnswer => continue,
        };
        if holder == last.holder && team == last.team && waiting_on == last.waiting_on {
            continue;
        }
        if let Some(last) = out.last_mut() {
            last.to = Some(*at);
        }
        out.push(Segment { holder, team, waiting_on, from: *at, to: None });
    }
    out
}

mod clock;
pub use clock::{ClockPlan, ClockState, derive, derive_all};

#[cfg(test)]
mod tests;
