//! The request lifecycle and the moves it allows.
//!
//! new → acknowledged → in_progress ⇄ waiting_on_requester | waiting → resolved → closed;
//! rejected (by the team) or withdrawn (by the requester) from any open state; reopen takes
//! resolved back to in_progress. `waiting` carries a reason from the admins' list (a vendor, an
//! agency, another team, a scheduled date), kept beside the status, so the set of statuses
//! stays fixed whatever reasons are configured.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Acknowledged,
    InProgress,
    WaitingOnRequester,
    /// Waiting on someone or something other than the requester, for a configured reason.
    Waiting,
    Resolved,
    Closed,
    Rejected,
    /// Taken back by its requester: terminal, like rejected, and counted apart from it.
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Self::New,
        Self::Acknowledged,
        Self::InProgress,
        Self::WaitingOnRequester,
        Self::Waiting,
        Self::Resolved,
        Self::Closed,
        Self::Rejected,
        Self::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Acknowledged => "acknowledged",
            Self::InProgress => "in_progress",
            Self::WaitingOnRequester => "waiting_on_requester",
            Self::Waiting => "waiting",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|st| st.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|s| s.as_str()).collect();
            format!("unknown status '{s}'; one of {}", names.join(", "))
        })
    }

    /// Open requests are still someone's work: not resolved, closed, rejected or withdrawn.
    pub fn is_open(self) -> bool {
        matches!(self, Self::New | Self::Acknowledged | Self::InProgress | Self::WaitingOnRequester | Self::Waiting)
    }

    /// The statuses this one may move to. `waiting` → `waiting` changes the reason.
    pub fn allowed_moves(self) -> &'static [Status] {
        use Status::*;
        match self {
            New => &[Acknowledged, Rejected, Withdrawn],
            Acknowledged => &[InProgress, Rejected, Withdrawn],
            InProgress => &[WaitingOnRequester, Waiting, Resolved, Rejected, Withdrawn],
            WaitingOnRequester => &[InProgress, Waiting, Resolved, Rejected, Withdrawn],
            Waiting => &[InProgress, WaitingOnRequester, Waiting, Resolved, Rejected, Withdrawn],
            Resolved => &[Closed, InProgress],
            Closed | Rejected | Withdrawn => &[],
        }
    }

    pub fn can_move_to(self, to: Status) -> bool {
        self.allowed_moves().contains(&to)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Status::{self, *};

    #[test]
    fn exactly_the_documented_moves_are_allowed() {
        let allowed = [
            (New, Acknowledged),
            (New, Rejected),
            (Acknowledged, InProgress),
            (Acknowledged, Rejected),
            (InProgress, WaitingOnRequester),
            (InProgress, Waiting),
            (InProgress, Resolved),
            (InProgress, Rejected),
            (WaitingOnRequester, InProgress),
            (WaitingOnRequester, Waiting),
            (WaitingOnRequester, Resolved),
            (WaitingOnRequester, Rejected),
            (Waiting, InProgress),
            (Waiting, WaitingOnRequester),
            (Waiting, Waiting),
            (Waiting, Resolved),
            (Waiting, Rejected),
            (Resolved, Closed),
            (Resolved, InProgress),
            (New, Withdrawn),
            (Acknowledged, Withdrawn),
            (InProgress, Withdrawn),
            (WaitingOnRequester, Withdrawn),
            (Waiting, Withdrawn),
        ];
        for from in Status::ALL {
            for to in Status::ALL {
                assert_eq!(from.can_move_to(to), allowed.contains(&(from, to)), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Ok(s));
        }
        assert!(Status::parse("done").is_err());
    }
}
