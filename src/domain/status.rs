//! The request lifecycle and the moves it allows.
//!
//! new → acknowledged → in_progress ⇄ waiting_on_requester → resolved → closed;
//! rejected from any open state; reopen takes resolved back to in_progress.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Acknowledged,
    InProgress,
    WaitingOnRequester,
    Resolved,
    Closed,
    Rejected,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Self::New,
        Self::Acknowledged,
        Self::InProgress,
        Self::WaitingOnRequester,
        Self::Resolved,
        Self::Closed,
        Self::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Acknowledged => "acknowledged",
            Self::InProgress => "in_progress",
            Self::WaitingOnRequester => "waiting_on_requester",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|st| st.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|s| s.as_str()).collect();
            format!("unknown status '{s}'; one of {}", names.join(", "))
        })
    }

    /// Open requests are still someone's work: not resolved, closed or rejected.
    pub fn is_open(self) -> bool {
        matches!(self, Self::New | Self::Acknowledged | Self::InProgress | Self::WaitingOnRequester)
    }

    /// The statuses this one may move to.
    pub fn allowed_moves(self) -> &'static [Status] {
        use Status::*;
        match self {
            New => &[Acknowledged, Rejected],
            Acknowledged => &[InProgress, Rejected],
            InProgress => &[WaitingOnRequester, Resolved, Rejected],
            WaitingOnRequester => &[InProgress, Resolved, Rejected],
            Resolved => &[Closed, InProgress],
            Closed | Rejected => &[],
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
            (InProgress, Resolved),
            (InProgress, Rejected),
            (WaitingOnRequester, InProgress),
            (WaitingOnRequester, Resolved),
            (WaitingOnRequester, Rejected),
            (Resolved, Closed),
            (Resolved, InProgress),
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
