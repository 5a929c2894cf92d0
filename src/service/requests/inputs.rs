//! The bodies of the workflow actions (`POST /api/v1/requests/{id}/status`, `/comments`,
//! `/assign`), as the API document shows them.

use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    /// The status to move to: allowed or not from the request's current status (a 409 lists
    /// the moves allowed now).
    #[schema(
        pattern = r"^(new|acknowledged|in_progress|waiting_on_requester|waiting|resolved|closed|rejected|withdrawn)$"
    )]
    pub status: String,
    /// Why; required when rejecting.
    pub note: Option<String>,
    /// For `waiting`, required: the key of one of the admins' waiting reasons
    /// (`GET /api/v1/waiting-reasons`), e.g. `vendor`. Refused with any other status.
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    pub body: String,
    /// Internal notes are visible to staff only. Default false.
    #[serde(default)]
    pub internal: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignInput {
    /// Email of a member of the owning team, or null to unassign.
    pub assignee: Option<String>,
}
