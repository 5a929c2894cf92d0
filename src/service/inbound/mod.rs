//! Mail coming in (`changedesk mailgate`, the IMAP worker): a reply to one of changedesk's
//! mails becomes a comment on its request, from its sender, with its files; a new mail to a
//! team's intake address files a request (`new_request`); anything else is kept as rejected
//! mail with the reason. Each Message-ID is used once.
//!
//! A reply is recognised by its reply address (`mail::reply`: made for this request and this
//! sender) or by its threading: In-Reply-To or References naming a message changedesk sent to
//! the sender's own address. The From header alone is forgeable and the subject's key is
//! public, so neither is enough. The sender must be someone who may comment on the request:
//! its requester, a watcher (who need not have an account: one is made for them), or a member
//! of the owning team.

mod message;
mod new_request;
mod rejected;

pub use rejected::{rejected, too_big};

use chrono::{DateTime, Utc};
use mail_parser::{Message, MessageParser};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::Error;
use super::attachments::{self, Staged};
use super::in_force::ConfigCache;
use super::notify::Notifier;
use super::requests::{self, CommentInput};
use crate::auth::Actor;
use crate::config::{IntakeAddress, Settings};
use crate::db::{self, AnyConnection, InboundRow, to_db, write_tx};
use crate::domain::{Event, Role};
use crate::mail::reply::{Addressed, KEY_NAME, ReplyAddresses};

/// What incoming mail needs from the service.
pub struct Inbound<'a> {
    pub settings: &'a Settings,
    pub notifier: &'a Notifier,
    pub config: &'a ConfigCache,
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A comment on this request (its key).
    Commented(String),
    /// A new request (its key), mailed to a team's intake address.
    Filed(String),
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

/// The reply addresses, when an inbound address is configured: their key is made on first use
/// and kept in the database.
pub fn reply_addresses(
    conn: &mut AnyConnection,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Option<ReplyAddresses>, Error> {
    let Some(address) = settings.mail.inbound.address.as_deref() else { return Ok(None) };
    let key = match db::service_key(conn, KEY_NAME)? {
        Some(key) => key,
        None => {
            let fresh: [u8; 32] = rand::random();
            write_tx(conn, |c| db::make_service_key(c, KEY_NAME, &fresh, to_db(now)))?
        }
    };
    ReplyAddresses::new(address, key)
        .map(Some)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("mail.inbound.address '{address}' is not an address")))
}

/// The message as it will be recorded, used or rejected.
struct Received<'a> {
    message_id: String,
    sender: String,
    subject: String,
    raw: &'a [u8],
    now: DateTime<Utc>,
}

impl Received<'_> {
    fn record(&self, conn: &mut AnyConnection, reason: Option<String>, request: Option<String>) -> Result<(), Error> {
        let row = InboundRow {
            id: Uuid::now_v7().to_string(),
            message_id: self.message_id.clone(),
            sender: self.sender.clone(),
            subject: self.subject.clone(),
            status: if reason.is_some() { "rejected" } else { "used" }.to_owned(),
            reason,
            request_id: request,
            size: self.raw.len() as i64,
            raw: self.raw.to_vec(),
            received_at: to_db(self.now),
        };
        Ok(db::insert_inbound(conn, &row)?)
    }

    /// Keeps the message as rejected, for `reason`.
    fn reject(&self, conn: &mut AnyConnection, reason: String) -> Result<Outcome, Error> {
        write_tx(conn, |c| self.record(c, Some(reason.clone()), None))?;
        Ok(Outcome::Rejected(reason))
    }

    /// A write that failed: the same message used meanwhile (delivered twice at once) is a
    /// duplicate; a refusal is kept as rejected mail; anything else is the caller's to retry.
    fn failed(&self, conn: &mut AnyConnection, e: Error, why: impl FnOnce(&Error) -> String) -> Result<Outcome, Error> {
        if db::inbound_seen(conn, &self.message_id)? {
            return Ok(Outcome::Duplicate);
        }
        match e {
            Error::Forbidden(_) | Error::Conflict { .. } | Error::Validation(_) | Error::NotFound(_) => {
                let reason = why(&e);
                self.reject(conn, reason)
            }
            other => Err(other),
        }
    }
}

/// Where a message goes.
enum Target<'a> {
    Reply(String),
    Forged,
    Intake(&'a IntakeAddress),
    Nowhere,
}

/// Uses one message as received.
pub fn receive(conn: &mut AnyConnection, inbound: &Inbound, raw: &[u8], now: DateTime<Utc>) -> Result<Outcome, Error> {
    let parsed = MessageParser::default().parse(raw);
    let message_id = match parsed.as_ref().and_then(|m| m.message_id()) {
        Some(id) => format!("<{id}>"),
        // Without one, the message stands for itself: the same bytes twice are one message.
        None => format!("<{}@no-message-id.invalid>", hex::encode(Sha256::digest(raw))),
    };
    if db::inbound_seen(conn, &message_id)? {
        return Ok(Outcome::Duplicate);
    }
    let from = parsed.as_ref().and_then(message::sender);
    let received = Received {
        message_id,
        sender: from.as_ref().map(|(address, _)| address.clone()).unwrap_or_default(),
        subject: parsed.as_ref().and_then(|m| m.subject()).unwrap_or_default().to_owned(),
        raw,
        now,
    };
    let Some(message) = parsed else { return received.reject(conn, "not a mail message".into()) };
    if let Some(why) = message::automatic(&message) {
        return received.reject(conn, format!("an automatic mail ({why}): never answered"));
    }
    let Some((sender, name)) = from else { return received.reject(conn, "no sender address".into()) };
    let per_hour = inbound.settings.mail.inbound.per_sender_per_hour;
    if db::inbound_from_since(conn, &sender, to_db(now - chrono::TimeDelta::hours(1)))? >= per_hour {
        return received.reject(conn, format!("more than {per_hour} messages from {sender} in an hour (a mail loop?)"));
    }
    let reply = reply_addresses(conn, inbound.settings, now)?;
    match target(conn, inbound.settings, &message, reply.as_ref(), &sender)? {
        Target::Reply(request) => answer(conn, inbound, &received, &message, reply.as_ref(), &request, name.as_deref()),
        Target::Intake(intake) => {
            new_request::file(conn, inbound, &received, &message, intake, reply.as_ref(), name.as_deref())
        }
        Target::Forged => received.reject(
            conn,
            format!("a reply address not made for {sender} (forged, or a forwarded mail answered by someone else)"),
        ),
        Target::Nowhere => received
            .reject(conn, format!("not a reply to mail changedesk sent to {sender}, nor mail to an intake address")),
    }
}

/// The request a message answers, or the intake address it was sent to.
fn target<'s>(
    conn: &mut AnyConnection,
    settings: &'s Settings,
    message: &Message,
    reply: Option<&ReplyAddresses>,
    sender: &str,
) -> Result<Target<'s>, Error> {
    let recipients = message::recipients(message);
    if let Some(reply) = reply {
        // Mail to a team's address carried a reply address made for that address: a member
        // answers it from their own. (Whether they may comment is the comment's to check.)
        let mut speaks_for = vec![sender.to_owned()];
        if let Some(user) = db::user_by_email(conn, sender)? {
            let teams = db::teams_of(conn, &user.id)?;
            speaks_for.extend(db::load_teams(conn)?.into_iter().filter(|t| teams.contains(&t.key)).map(|t| t.email));
        }
        let read_as = |r: &String| {
            let read: Vec<Addressed> = speaks_for.iter().map(|as_who| reply.read(r, as_who)).collect();
            read.iter().find(|a| matches!(a, Addressed::Request(_))).cloned().unwrap_or_else(|| read[0].clone())
        };
        let read: Vec<Addressed> = recipients.iter().map(read_as).collect();
        if let Some(request) = read.iter().find_map(|a| if let Addressed::Request(r) = a { Some(r) } else { None }) {
            return Ok(Target::Reply(request.clone()));
        }
        if read.contains(&Addressed::Forged) {
            return Ok(Target::Forged);
        }
    }
    // The thread: a message changedesk sent to this very address.
    let sent = db::sent_message(conn, &message::answered(message))?;
    let threaded = sent.into_iter().find_map(|(request, to)| {
        let to: Vec<String> = serde_json::from_str(&to).unwrap_or_default();
        request.filter(|_| to.iter().any(|t| t.eq_ignore_ascii_case(sender)))
    });
    if let Some(request) = threaded {
        return Ok(Target::Reply(request));
    }
    let intake =
        settings.mail.inbound.intake.iter().find(|i| recipients.iter().any(|r| r.eq_ignore_ascii_case(&i.address)));
    Ok(intake.map_or(Target::Nowhere, Target::Intake))
}

/// Who a sender is: their active account; an account made for them when `may_join` (a
/// watcher without one, someone from an allowed domain); or the reason they are refused.
fn person(
    conn: &mut AnyConnection,
    sender: &str,
    name: Option<&str>,
    may_join: bool,
    now: DateTime<Utc>,
) -> Result<Result<Actor, String>, Error> {
    match db::user_by_email(conn, sender)? {
        Some(user) if user.active => Ok(Ok(super::users::actor(conn, user)?)),
        Some(_) => Ok(Err(format!("{sender}'s account is deactivated"))),
        None if may_join => {
            // The name as the mail gives it, cut to what an account takes.
            let name: String = name.unwrap_or(sender).chars().filter(|c| !c.is_control()).take(200).collect();
            let new = super::users::NewUser {
                email: sender.to_owned(),
                name,
                role: Role::Requester,
                teams: Vec::new(),
                password_hash: None,
            };
            let (email, name) = match super::users::check_new_user(&new) {
                Ok(checked) => checked,
                Err(e) => return Ok(Err(format!("no account could be made for {sender} ({e})"))),
            };
            let user = write_tx(conn, |c| super::users::insert_new_user(c, &new, email, name, None, now))?;
            Ok(Ok(super::users::actor(conn, user)?))
        }
        None => Ok(Err(format!("{sender} has no account"))),
    }
}

/// The message's files, staged as an upload's are; the first refused file refuses them all.
fn stage_files(
    conn: &mut AnyConnection,
    inbound: &Inbound,
    actor: &Actor,
    message: &Message,
    now: DateTime<Utc>,
) -> Result<Result<Vec<String>, String>, Error> {
    use mail_parser::MimeHeaders;
    let mut files: Vec<Staged> = Vec::new();
    for part in message.attachments() {
        let name = part.attachment_name().unwrap_or("file").to_owned();
        match attachments::stage_bytes(conn, actor, &inbound.settings.attachments, &name, part.contents(), now) {
            Ok(file) => files.push(file),
            Err(e) => {
                attachments::discard(conn, &files.iter().map(|f| f.id.clone()).collect::<Vec<_>>())?;
                return Ok(Err(format!("a file was refused: {e}")));
            }
        }
    }
    Ok(Ok(files.into_iter().map(|f| f.id).collect()))
}

/// The addresses a person copied in that may watch a request: none of changedesk's own (the
/// sender address, the inbound and intake addresses, reply addresses, team addresses).
fn colleagues(
    conn: &mut AnyConnection,
    settings: &Settings,
    message: &Message,
    reply: Option<&ReplyAddresses>,
    sender: &str,
) -> Result<Vec<String>, Error> {
    let teams: Vec<String> = db::load_teams(conn)?.into_iter().map(|t| t.email.to_lowercase()).collect();
    let from = settings.mail.from.rsplit('<').next().unwrap_or_default().trim_end_matches('>').trim().to_lowercase();
    let ours = |a: &str| {
        a == sender
            || a == from
            || teams.iter().any(|t| t == a)
            || settings.mail.inbound.intake.iter().any(|i| i.address.eq_ignore_ascii_case(a))
            || reply.is_some_and(|r| r.address() == a || r.read(a, sender) != Addressed::NotOurs)
    };
    let mut copied: Vec<String> = message::copied(message).into_iter().filter(|a| !ours(a)).collect();
    copied.dedup();
    Ok(copied)
}

/// A reply to a request: a comment from its sender, with its files; the requester's copied
/// colleagues become watchers.
fn answer(
    conn: &mut AnyConnection,
    inbound: &Inbound,
    received: &Received,
    message: &Message,
    reply: Option<&ReplyAddresses>,
    request: &str,
    name: Option<&str>,
) -> Result<Outcome, Error> {
    let (sender, now) = (received.sender.as_str(), received.now);
    let Some(row) = db::find_request(conn, request)? else {
        return received.reject(conn, format!("the request it answers is gone ({request})"));
    };
    let watching = db::is_watching(conn, &row.id, sender)?;
    let actor = match person(conn, sender, name, watching, now)? {
        Ok(actor) => actor,
        Err(why) => return received.reject(conn, format!("{why}, and may not comment on it")),
    };
    let text = message::reply_text(message);
    let ids = match stage_files(conn, inbound, &actor, message, now)? {
        Ok(ids) => ids,
        Err(why) => return received.reject(conn, why),
    };
    if text.is_empty() && ids.is_empty() {
        return received.reject(conn, "an empty reply".into());
    }
    let copied = if row.requester_id == actor.id {
        colleagues(conn, inbound.settings, message, reply, sender)?
    } else {
        Vec::new()
    };
    let body = if text.is_empty() { "(files by mail)".to_owned() } else { text };
    let input = CommentInput { body, internal: false };
    let commented = write_tx(conn, |c| {
        for email in &copied {
            if db::add_watcher(c, &row.id, email, &actor.id, to_db(now))? {
                db::insert_event(
                    c,
                    &row.id,
                    Some(&actor.id),
                    to_db(now),
                    &Event::WatcherAdded { email: email.clone() },
                )?;
            }
        }
        let detail = requests::comment_in(c, &actor, inbound.notifier, &row.id, &input, &ids, now)?;
        received.record(c, None, Some(row.id.clone()))?;
        Ok::<_, Error>(detail)
    });
    match commented {
        Ok(detail) => Ok(Outcome::Commented(detail.request.key)),
        Err(e) => {
            attachments::discard(conn, &ids)?;
            received.failed(conn, e, |e| format!("{sender} may not comment: {e}"))
        }
    }
}
