//! Changing a request's priority during triage (`POST /api/v1/requests/{id}/priority`, the
//! request page and the queue's bulk form).
//!
//! The rule, as Request Tracker and Zendesk apply it: the clocks are measured again from the
//! request's creation against the new priority's targets. Time already spent counts; a request
//! raised to P1 an hour after filing may be breached at once, one lowered to P4 gets the longer
//! target from its start. Escalations already sent stay in its history.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{REASON_MAX, load_visible, require_open, require_worker};
use crate::auth::Actor;
use crate::db::{self, AnyConnection, to_db, write_tx};
use crate::domain::request::parse_text;
use crate::domain::{Event, Priority};
use crate::read::views::{RequestDetail, request_detail};
use crate::service::{Error, sla};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorityInput {
    #[schema(pattern = r"^P[1-4]$")]
    pub priority: String,
    /// Why, for the request's history.
    pub reason: Option<String>,
}

/// Sets the priority; the owning team's staff only, while the request is open. The same
/// priority again changes nothing and records nothing.
pub fn change_priority(
    conn: &mut AnyConnection,
    actor: &Actor,
    id_or_key: &str,
    input: &PriorityInput,
    now: DateTime<Utc>,
) -> Result<RequestDetail, Error> {
    let to = Priority::parse(input.priority.trim()).map_err(|e| Error::validation("priority", e))?;
    let reason = match input.reason.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(r) => Some(parse_text(r, REASON_MAX, true).map_err(|e| Error::validation("reason", e))?),
    };
    write_tx(conn, |conn| {
        let mut row = load_visible(conn, actor, id_or_key)?;
        require_worker(actor, &row)?;
        require_open(&row)?;
        let from = Priority::parse(&row.priority).unwrap_or_default();
        if from != to {
            row.priority = to.as_str().to_owned();
            row.updated_at = to_db(now);
            db::insert_event(
                conn,
                &row.id,
                Some(&actor.id),
                row.updated_at,
                &Event::PriorityChanged { from, to, reason },
            )?;
            db::save_request(conn, &row)?;
            // Measured again from creation: the timeline starts there with the new priority.
            sla::refresh(conn, &mut row)?;
        }
        request_detail(conn, row, true, now)
    })
}
