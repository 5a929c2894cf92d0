//! Mail coming in (`changedesk mailgate`): a reply to one of changedesk's mails becomes a
//! comment on its request, from its sender, with its files; anything else is kept as rejected
//! mail with the reason. Each Message-ID is used once.
//!
//! A reply is recognised only by its threading: In-Reply-To or References must name a message
//! changedesk sent to the sender's own address (the From header alone is forgeable, and the
//! subject's key is public). The sender must be a person who may comment on the request.

use chrono::{DateTime, Utc};
use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::Error;
use super::attachments::{self, Staged};
use super::notify::Notifier;
use super::requests::{self, CommentInput};
use crate::auth::Actor;
use crate::config::Settings;
use crate::db::{self, AnyConnection, InboundRow, from_db, to_db};

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A comment on this request (its key).
    Commented(String),
    /// Kept as rejected mail, for this reason.
    Rejected(String),
    /// Its Message-ID was used before: nothing new.
    Duplicate,
}

/// Rejected mail, as the admins' list shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RejectedMail {
    pub id: String,
    pub message_id: String,
    pub sender: String,
    pub subject: String,
    pub reason: String,
    /// Bytes.
    pub size: i64,
    #[serde(serialize_with = "crate::rfc3339::serialize")]
    pub received_at: DateTime<Utc>,
}

/// Uses one message as received.
pub fn receive(
    conn: &mut AnyConnection,
    notifier: &Notifier,
    settings: &Settings,
    raw: &[u8],
    now: DateTime<Utc>,
) -> Result<Outcome, Error> {
    let limits = &settings.attachments;
    let parsed = MessageParser::default().parse(raw);
    let message_id = match parsed.as_ref().and_then(|m| m.message_id()) {
        Some(id) => format!("<{id}>"),
        // Without one, the message stands for itself: the same bytes twice are one message.
        None => format!("<{}@no-message-id.invalid>", hex::encode(Sha256::digest(raw))),
    };
    if db::inbound_seen(conn, &message_id)? {
        return Ok(Outcome::Duplicate);
    }
    let sender = parsed.as_ref().and_then(|m| first_address(m.from())).unwrap_or_default();
    let subject = parsed.as_ref().and_then(|m| m.subject()).unwrap_or_default().to_owned();
    let record = |conn: &mut AnyConnection, status: &str, reason: Option<String>, request: Option<String>| {
        db::insert_inbound(
            conn,
            &InboundRow {
                id: Uuid::now_v7().to_string(),
                message_id: message_id.clone(),
                sender: sender.clone(),
                subject: subject.clone(),
                status: status.to_owned(),
                reason,
                request_id: request,
                size: raw.len() as i64,
                raw: raw.to_vec(),
                received_at: to_db(now),
            },
        )
    };
    let reject = |conn: &mut AnyConnection, reason: String| -> Result<Outcome, Error> {
        db::write_tx(conn, |c| record(c, "rejected", Some(reason.clone()), None))?;
        Ok(Outcome::Rejected(reason))
    };
    let Some(message) = parsed else { return reject(conn, "not a mail message".into()) };
    if let Some(why) = automatic(&message) {
        return reject(conn, format!("an automatic mail ({why}): never answered"));
    }
    if sender.is_empty() {
        return reject(conn, "no sender address".into());
    }
    let per_hour = settings.mail.inbound.per_sender_per_hour;
    if db::inbound_from_since(conn, &sender, to_db(now - chrono::TimeDelta::hours(1)))? >= per_hour {
        return reject(conn, format!("more than {per_hour} messages from {sender} in an hour (a mail loop?)"));
    }
    // The thread: a message changedesk sent to this very address.
    let named: Vec<String> = ids(message.in_reply_to()).into_iter().chain(ids(message.references())).collect();
    let request = db::sent_message(conn, &named)?.into_iter().find_map(|(request, recipients)| {
        let to: Vec<String> = serde_json::from_str(&recipients).unwrap_or_default();
        request.filter(|_| to.iter().any(|t| t.eq_ignore_ascii_case(&sender)))
    });
    let Some(request) = request else {
        return reject(conn, format!("not a reply to mail changedesk sent to {sender}"));
    };
    let Some(user) = db::user_by_email(conn, &sender)?.filter(|u| u.active) else {
        return reject(conn, format!("{sender} has no active account"));
    };
    let actor = super::users::actor(conn, user)?;
    let text = message.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
    let reply = email_reply_parser::EmailReplyParser::parse_reply(&text).trim().to_owned();
    // Its files, staged as an upload's are; any refused file refuses the message.
    let mut files: Vec<Staged> = Vec::new();
    for part in message.attachments() {
        let name = part.attachment_name().unwrap_or("file").to_owned();
        let staged = attachments::stage_bytes(conn, &actor, limits, &name, part.contents(), now);
        match staged {
            Ok(file) => files.push(file),
            Err(e) => {
                attachments::discard(conn, &files.iter().map(|f| f.id.clone()).collect::<Vec<_>>())?;
                return reject(conn, format!("a file was refused: {e}"));
            }
        }
    }
    let ids: Vec<String> = files.iter().map(|f| f.id.clone()).collect();
    if reply.is_empty() && ids.is_empty() {
        return reject(conn, "an empty reply".into());
    }
    let body = if reply.is_empty() { "(files by mail)".to_owned() } else { reply };
    let input = CommentInput { body, internal: false };
    let commented = requests::comment_with_files_then(conn, &actor, notifier, &request, &input, &ids, now, |c, row| {
        record(c, "used", None, Some(row.id.clone())).map_err(Error::from)
    });
    match commented {
        Ok(detail) => Ok(Outcome::Commented(detail.request.key)),
        Err(e) => {
            attachments::discard(conn, &ids)?;
            if db::inbound_seen(conn, &message_id)? {
                // Delivered twice at once: the other delivery used it.
                return Ok(Outcome::Duplicate);
            }
            match e {
                Error::Forbidden(_) | Error::Conflict { .. } | Error::Validation(_) | Error::NotFound(_) => {
                    reject(conn, format!("{sender} may not comment: {e}"))
                }
                other => Err(other),
            }
        }
    }
}

/// Why a message is an automatic one (an auto-reply, a bounce, bulk mail), if it is.
fn automatic(message: &mail_parser::Message) -> Option<&'static str> {
    let header = |name: &str| message.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    if header("Auto-Submitted").is_some_and(|v| v != "no") {
        return Some("Auto-Submitted");
    }
    if header("Precedence").is_some_and(|v| matches!(v.as_str(), "bulk" | "junk" | "list" | "auto_reply")) {
        return Some("Precedence");
    }
    if header("X-Autoreply").is_some() || header("X-Autorespond").is_some() {
        return Some("X-Autoreply");
    }
    if header("Return-Path").is_some_and(|v| v == "<>") {
        return Some("a bounce (empty Return-Path)");
    }
    let report = message.content_type().is_some_and(|c| {
        c.ctype().eq_ignore_ascii_case("multipart") && c.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    if report {
        return Some("a delivery status notification");
    }
    None
}

fn first_address(from: Option<&Address>) -> Option<String> {
    from?.first()?.address().map(|a| a.trim().to_lowercase())
}

/// Message-IDs named by In-Reply-To or References, with their angle brackets.
fn ids(value: &HeaderValue) -> Vec<String> {
    match value {
        HeaderValue::Text(id) => vec![format!("<{id}>")],
        HeaderValue::TextList(list) => list.iter().map(|id| format!("<{id}>")).collect(),
        _ => Vec::new(),
    }
}

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
        sender: parsed.as_ref().and_then(|m| first_address(m.from())).unwrap_or_default(),
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
