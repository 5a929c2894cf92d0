//! A reply to the requester that moves the request in the same change: "reply and wait for
//! the requester", "reply and resolve". The reply is the move's note, so it is mailed to the
//! requester with the new status and counts as an answer, in one transaction.

use chrono::{DateTime, Utc};

use super::{REASON_MAX, StatusInput, change_status};
use crate::auth::Actor;
use crate::db::AnyConnection;
use crate::read::views::RequestDetail;
use crate::service::Error;
use crate::service::notify::Notifier;

#[allow(clippy::too_many_arguments)]
pub fn reply_and_move(
    conn: &mut AnyConnection,
    actor: &Actor,
    notifier: &Notifier,
    id_or_key: &str,
    body: &str,
    internal: bool,
    to: &str,
    now: DateTime<Utc>,
) -> Result<RequestDetail, Error> {
    if internal {
        return Err(Error::validation("internal", "an internal note cannot be a reply to the requester"));
    }
    if body.trim().is_empty() {
        return Err(Error::validation("body", "is required"));
    }
    if body.chars().count() > REASON_MAX {
        return Err(Error::validation(
            "body",
            format!("a reply that moves the request is at most {REASON_MAX} characters; send a comment for more"),
        ));
    }
    let input = StatusInput { status: to.to_owned(), note: Some(body.to_owned()), reason: None };
    change_status(conn, actor, notifier, id_or_key, &input, now)
}
