//! Mail kept as rejected: the admins' list, and a message over the size limit (kept by its
//! headers, never parsed whole).

use chrono::{DateTime, Utc};
use mail_parser::MessageParser;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{RejectedMail, message};
use crate::auth::Actor;
use crate::db::{self, AnyConnection, InboundRow, from_db, to_db};
use crate::service::Error;

/// Mail that was not used, newest first (admins).
pub fn rejected(conn: &mut AnyConnection, actor: &Actor) -> Result<Vec<RejectedMail>, Error> {
    actor.require_admin()?;
    Ok(db::rejected_inbound(conn, 500)?
        .into_iter()
        .map(|m| RejectedMail {
            id: m.id,
            message_id: m.message_id,
            sender: m.sender,
            subject: m.subject,
            reason: m.reason.unwrap_or_default(),
            size: m.size,
            received_at: from_db(m.received_at),
        })
        .collect())
}

/// A message over the size limit: kept as rejected with its first bytes (its headers).
pub fn too_big(conn: &mut AnyConnection, head: &[u8], size: usize, now: DateTime<Utc>) -> Result<(), Error> {
    let parsed = MessageParser::default().parse_headers(head);
    let message_id = parsed.as_ref().and_then(|m| m.message_id()).map_or_else(
        || format!("<{}@no-message-id.invalid>", hex::encode(Sha256::digest(head))),
        |id| format!("<{id}>"),
    );
    if db::inbound_seen(conn, &message_id)? {
        return Ok(());
    }
    let row = InboundRow {
        id: Uuid::now_v7().to_string(),
        message_id,
        sender: parsed.as_ref().and_then(|m| message::first_address(m.from())).unwrap_or_default(),
        subject: parsed.as_ref().and_then(|m| m.subject()).unwrap_or_default().to_owned(),
        status: "rejected".into(),
        reason: Some(format!("over the size limit ({size} bytes or more)")),
        request_id: None,
        size: size as i64,
        raw: head.to_vec(),
        received_at: to_db(now),
    };
    Ok(db::write_tx(conn, |c| db::insert_inbound(c, &row))?)
}
