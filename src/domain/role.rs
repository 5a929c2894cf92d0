//! What a user may do. Leads are agents who also receive escalations and reports.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Requester,
    Agent,
    Lead,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requester => "requester",
            Self::Agent => "agent",
            Self::Lead => "lead",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "requester" => Ok(Self::Requester),
            "agent" => Ok(Self::Agent),
            "lead" => Ok(Self::Lead),
            "admin" => Ok(Self::Admin),
            other => Err(format!("unknown role '{other}'")),
        }
    }

    /// Agents, leads and admins read every request; requesters only their own.
    pub fn is_staff(self) -> bool {
        !matches!(self, Self::Requester)
    }
}
