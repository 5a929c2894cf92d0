//! The outbox as admins see it (the API's list, the failed-mail page) and retrying a failed
//! message. Sending is the outbox worker's (`workers/outbox.rs`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Actor;
use crate::db::{self, AnyConnection, OutboxRow, from_db, to_db};
use crate::service::Error;

/// One outbox message, without its bodies.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailView {
    pub id: String,
    pub message_id: String,
    pub kind: String,
    /// Key-less: the request's UUID, if the message is about one.
    pub request_id: Option<String>,
    pub recipients: Vec<String>,
    pub subject: String,
    /// pending, sending, sent or failed.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<OutboxRow> for MailView {
    fn from(r: OutboxRow) -> Self {
        Self {
            recipients: serde_json::from_str(&r.recipients).unwrap_or_default(),
            next_attempt_at: from_db(r.next_attempt_at),
            created_at: from_db(r.created_at),
            sent_at: r.sent_at.map(from_db),
            id: r.id,
            message_id: r.message_id,
            kind: r.kind,
            request_id: r.request_id,
            subject: r.subject,
            status: r.status,
            attempts: r.attempts,
            last_error: r.last_error,
        }
    }
}

pub const STATUSES: [&str; 4] = ["pending", "sending", "sent", "failed"];

/// At most this many messages are listed, newest first.
const LIMIT: i64 = 500;

/// The newest outbox messages, of one status or all (admins).
pub fn list(conn: &mut AnyConnection, actor: &Actor, status: Option<&str>) -> Result<Vec<MailView>, Error> {
    actor.require_admin()?;
    if let Some(s) = status
        && !STATUSES.contains(&s)
    {
        return Err(Error::validation("status", format!("'{s}' is not one of {}", STATUSES.join(", "))));
    }
    Ok(db::list_mail(conn, status, LIMIT)?.into_iter().map(MailView::from).collect())
}

/// Queues a failed message again, due `now` (admins); 404 unless it is a failed message.
pub fn retry(conn: &mut AnyConnection, actor: &Actor, id: &str, now: DateTime<Utc>) -> Result<(), Error> {
    actor.require_admin()?;
    if db::retry_mail(conn, id, to_db(now))? { Ok(()) } else { Err(Error::not_found("failed message")) }
}
