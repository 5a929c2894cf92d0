//! A request's history as a type: one variant per kind of event, with its payload.
//!
//! Stored as two columns, the kind and the payload as JSON (the variant's fields, without the
//! tag), which is exactly the shape the events had when they were built by hand: databases
//! written before this type existed read unchanged. This module is the one place that says
//! what each kind means to the clocks (`timeline`), who may see it (`is_internal`) and how it
//! is named; no other module builds event JSON or matches kind strings.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::sla::{Change, ClockKind, Timeline};
use super::{Priority, Status};

/// Something that happened to a request. The serde tag `kind` is the stored kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// Filed through the form, the API or mail.
    Created {
        key: String,
        title: String,
        category: String,
        priority: String,
        page_url: Option<String>,
        desired_date: Option<NaiveDate>,
    },
    /// Sent to its first team by the ownership map or a rule.
    Routed {
        team: String,
        rule: Option<String>,
        reason: String,
        version: i32,
        #[serde(default)]
        suggested_priority: Option<Priority>,
    },
    /// The status moves: `acknowledged` for a move to acknowledged, `rejected` and `reopened`
    /// for theirs, `status_changed` for the rest (named ones read better in a timeline).
    Acknowledged(StatusMove),
    StatusChanged(StatusMove),
    Rejected(StatusMove),
    Reopened(StatusMove),
    Withdrawn(StatusMove),
    /// The first-response clock stopped: the owning team's first public action.
    FirstResponse {
        /// What did it: `status_changed` (a status click) or `comment`.
        via: String,
        team: String,
        /// One of several requests acknowledged at once from the queue.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        bulk: bool,
    },
    /// The holding team's first message the requester could see, when it was not also its
    /// first response (a first response by comment is also the first answer).
    FirstAnswer {
        /// `comment` or `status_note`.
        via: String,
        team: String,
    },
    Commented {
        body: String,
        /// Internal notes are for staff only.
        #[serde(default)]
        internal: bool,
    },
    Assigned {
        /// The assignee's email, null when unassigned.
        assignee: Option<String>,
        previous: Option<String>,
    },
    /// Handed over to another team ("not ours").
    Reassigned {
        from: String,
        to: String,
        reason: String,
        #[serde(default)]
        routing_correction: bool,
    },
    /// Staff changed the priority. The clocks are measured again from the request's creation
    /// against the new priority's targets, as Request Tracker and Zendesk do (docs/sla.md).
    PriorityChanged {
        from: Priority,
        to: Priority,
        #[serde(default)]
        reason: Option<String>,
    },
    /// Fields changed after filing (by the owning team in triage, or by the requester before
    /// it was acknowledged): each with its value before and after.
    Edited {
        changes: Vec<FieldChange>,
    },
    /// A link to another request was made or removed, said from this request's side
    /// (`duplicate_of`, `duplicated_by`, `blocks`, `blocked_by`, `parent_of`, `child_of`).
    Linked {
        link: String,
        key: String,
    },
    Unlinked {
        link: String,
        key: String,
    },
    /// Files added to the request without a comment (their names).
    FilesAdded {
        files: Vec<String>,
    },
    /// Someone follows the request (its public updates by mail), or stopped.
    WatcherAdded {
        email: String,
    },
    WatcherRemoved {
        email: String,
    },
    /// A request from a history file, with the facts its timeline is read from.
    Imported(Imported),
    /// Escalation level 1: a running clock used its at-risk share of the target.
    SlaAtRisk(Escalation),
    /// Level 2: the target elapsed.
    SlaBreached(Escalation),
    /// Level 3: twice the target elapsed.
    SlaBreachedTwice(Escalation),
}

/// One field of an edit; a value is None when the field was or became empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The payload of a status move.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusMove {
    pub from: Status,
    pub to: Status,
    #[serde(default)]
    pub note: Option<String>,
    /// For a move to `waiting`: on what, and whether that paused the clocks when it was made
    /// (recorded, so a later change to the reasons' list never rewrites the past).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<WaitingOn>,
}

/// What a request waits on, as a move to `waiting` recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaitingOn {
    /// The key of the admins' reason (`vendor`, `agency`, ...).
    pub reason: String,
    pub pauses: bool,
}

/// The payload of an escalation event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Escalation {
    pub clock: ClockKind,
    /// 1 at risk, 2 breached, 3 breached twice.
    pub level: u8,
    pub target_minutes: i64,
    pub calendar: String,
    pub recipients: Vec<String>,
    pub deliver_after: DateTime<Utc>,
    pub team: String,
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
        if let (Some(at), Status::Closed | Status::Rejected | Status::Withdrawn) = (self.closed_at, self.status) {
            changes.push((at, Change::Status(self.status)));
        }
        changes
    }
}

/// `FirstResponse::via` for a first response that was a public comment: an answer too.
pub const FIRST_RESPONSE_BY_COMMENT: &str = "comment";

/// The kind stored for a hand-over, for queries that select them.
pub const REASSIGNED: &str = "reassigned";

/// The three escalation levels' kinds, lowest first.
const LEVELS: [&str; 3] = ["sla_at_risk", "sla_breached", "sla_breached_twice"];

/// Why a stored event could not be read back.
#[derive(Debug, thiserror::Error)]
#[error("event '{kind}' does not read: {source}")]
pub struct UnreadableEvent {
    pub kind: String,
    #[source]
    pub source: serde_json::Error,
}

impl Event {
    /// A status move, named by its kind.
    pub fn status_move(from: Status, to: Status, note: Option<&str>) -> Self {
        Self::status_move_waiting(from, to, note, None)
    }

    /// A status move with what a move to `waiting` waits on.
    pub fn status_move_waiting(from: Status, to: Status, note: Option<&str>, waiting: Option<WaitingOn>) -> Self {
        let payload = StatusMove { from, to, note: note.map(str::to_owned), waiting };
        match (from, to) {
            (_, Status::Acknowledged) => Self::Acknowledged(payload),
            (_, Status::Rejected) => Self::Rejected(payload),
            (_, Status::Withdrawn) => Self::Withdrawn(payload),
            (Status::Resolved, Status::InProgress) => Self::Reopened(payload),
            _ => Self::StatusChanged(payload),
        }
    }

    /// An escalation event for `level` (0 at risk, 1 breached, 2 twice the target).
    pub fn escalation(level: usize, payload: Escalation) -> Self {
        match level {
            0 => Self::SlaAtRisk(payload),
            1 => Self::SlaBreached(payload),
            _ => Self::SlaBreachedTwice(payload),
        }
    }

    /// The stored kind (the serde tag).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Created { .. } => "created",
            Self::Routed { .. } => "routed",
            Self::Acknowledged(_) => "acknowledged",
            Self::StatusChanged(_) => "status_changed",
            Self::Rejected(_) => "rejected",
            Self::Reopened(_) => "reopened",
            Self::Withdrawn(_) => "withdrawn",
            Self::FirstResponse { .. } => "first_response",
            Self::FirstAnswer { .. } => "first_answer",
            Self::Commented { .. } => "commented",
            Self::Assigned { .. } => "assigned",
            Self::Reassigned { .. } => REASSIGNED,
            Self::PriorityChanged { .. } => "priority_changed",
            Self::Edited { .. } => "edited",
            Self::Linked { .. } => "linked",
            Self::Unlinked { .. } => "unlinked",
            Self::FilesAdded { .. } => "files_added",
            Self::WatcherAdded { .. } => "watcher_added",
            Self::WatcherRemoved { .. } => "watcher_removed",
            Self::Imported(_) => "imported",
            Self::SlaAtRisk(_) => LEVELS[0],
            Self::SlaBreached(_) => LEVELS[1],
            Self::SlaBreachedTwice(_) => LEVELS[2],
        }
    }

    /// Staff only: internal notes, and escalations (they name leads and executives).
    pub fn is_internal(&self) -> bool {
        match self {
            Self::Commented { internal, .. } => *internal,
            Self::SlaAtRisk(_) | Self::SlaBreached(_) | Self::SlaBreachedTwice(_) => true,
            _ => false,
        }
    }

    /// The move, for the five status-move kinds.
    pub fn status_change(&self) -> Option<&StatusMove> {
        match self {
            Self::Acknowledged(m)
            | Self::StatusChanged(m)
            | Self::Rejected(m)
            | Self::Reopened(m)
            | Self::Withdrawn(m) => Some(m),
            _ => None,
        }
    }

    /// The escalation, for the three level kinds.
    pub fn escalation_payload(&self) -> Option<&Escalation> {
        match self {
            Self::SlaAtRisk(e) | Self::SlaBreached(e) | Self::SlaBreachedTwice(e) => Some(e),
            _ => None,
        }
    }

    /// The payload as stored: the variant's fields without the tag.
    pub fn payload(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(fields) = value.as_object_mut() {
            fields.remove("kind");
        }
        value
    }

    /// Reads a stored event back from its kind and payload.
    pub fn from_stored(kind: &str, payload: &str) -> Result<Self, UnreadableEvent> {
        let unreadable = |source| UnreadableEvent { kind: kind.to_owned(), source };
        let mut value: serde_json::Value = serde_json::from_str(payload).map_err(unreadable)?;
        if let Some(fields) = value.as_object_mut() {
            fields.insert("kind".into(), serde_json::Value::String(kind.to_owned()));
        }
        serde_json::from_value(value).map_err(unreadable)
    }

    /// What the event changes for the clocks, in order.
    fn changes(&self, at: DateTime<Utc>) -> Vec<(DateTime<Utc>, Change)> {
        match self {
            Self::Acknowledged(m)
            | Self::StatusChanged(m)
            | Self::Rejected(m)
            | Self::Reopened(m)
            | Self::Withdrawn(m) => match (&m.waiting, m.to) {
                (Some(w), Status::Waiting) => {
                    vec![(at, Change::Waiting { reason: w.reason.clone(), pauses: w.pauses })]
                }
                _ => vec![(at, Change::Status(m.to))],
            },
            Self::Reassigned { to, .. } => vec![(at, Change::Team(to.clone()))],
            Self::FirstResponse { via, .. } if via == FIRST_RESPONSE_BY_COMMENT => {
                vec![(at, Change::FirstResponse), (at, Change::FirstAnswer)]
            }
            Self::FirstResponse { .. } => vec![(at, Change::FirstResponse)],
            Self::FirstAnswer { .. } => vec![(at, Change::FirstAnswer)],
            Self::Imported(imported) => imported.changes(),
            _ => Vec::new(),
        }
    }

    /// The team this event sent the request to first (`routed`, or `imported`).
    fn first_team(&self) -> Option<&str> {
        match self {
            Self::Routed { team, .. } => Some(team),
            Self::Imported(imported) => Some(&imported.team),
            _ => None,
        }
    }
}

/// The clocks' view of a request's history: its events in time order, `team` being the owner
/// now (used only when no event says where the request was first routed).
pub fn timeline<'a>(
    created_at: DateTime<Utc>,
    priority: Priority,
    team: &str,
    events: impl IntoIterator<Item = (DateTime<Utc>, &'a Event)>,
) -> Timeline {
    let mut first_team = None;
    let mut changes = Vec::new();
    for (at, event) in events {
        if first_team.is_none() {
            first_team = event.first_team().map(str::to_owned);
        }
        changes.extend(event.changes(at));
    }
    Timeline { created_at, priority, team: first_team.unwrap_or_else(|| team.to_owned()), changes }
}

#[cfg(test)]
mod tests;
