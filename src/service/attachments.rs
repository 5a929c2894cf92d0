//! Files on requests and comments: staged chunk by chunk in short transactions of their own,
//! attached by reference in the transaction of the request or comment they came with, read
//! back by who may read that comment, swept when never attached.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::Error;
use super::requests::{load_visible, require_open, require_worker};
use crate::auth::Actor;
use crate::config::AttachmentSettings;
use crate::db::{self, AnyConnection, AttachmentRow, from_db, to_db, write_tx};
use crate::domain::attachment::{safe_name, sniff};
use crate::domain::{Event, FieldErrors, Status};
use crate::read::views::Person;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: String,
    pub name: String,
    /// What its content is (sniffed when it was uploaded, never taken from its name).
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    #[serde(serialize_with = "crate::rfc3339::serialize")]
    pub created_at: DateTime<Utc>,
    pub uploader: Person,
    /// Came with an internal note: shown to staff only.
    pub internal: bool,
    /// The id of the comment event it came with; null when added on its own or at filing.
    pub event_id: Option<i64>,
}

fn view((row, (email, name)): (AttachmentRow, (String, String))) -> AttachmentView {
    AttachmentView {
        id: row.id,
        name: row.name,
        content_type: row.content_type,
        size: row.size,
        created_at: from_db(row.created_at),
        uploader: Person { email, name },
        internal: row.internal,
        event_id: row.event_id,
    }
}

/// A file staged by an upload in progress.
#[derive(Debug, Clone)]
pub struct Staged {
    pub id: String,
    pub name: String,
    pub content_type: String,
}

/// Stages a file from its first chunk: refuses a kind the settings do not accept (by what its
/// content is) before anything is stored.
pub fn stage(
    conn: &mut AnyConnection,
    actor: &Actor,
    settings: &AttachmentSettings,
    name: &str,
    head: &[u8],
    now: DateTime<Utc>,
) -> Result<Staged, Error> {
    let name = safe_name(name);
    let content_type = sniff(head, &name);
    if !settings.allowed_types.contains(&content_type) {
        return Err(Error::validation(
            "file",
            format!(
                "'{name}' is {content_type}, which is not accepted here (images, PDF, office documents, text, CSV and zip are)"
            ),
        ));
    }
    let row = AttachmentRow {
        id: Uuid::now_v7().to_string(),
        request_id: None,
        event_id: None,
        internal: false,
        name: name.clone(),
        content_type: content_type.clone(),
        size: head.len() as i64,
        uploader_id: actor.id.clone(),
        created_at: to_db(now),
        attached_at: None,
    };
    write_tx(conn, |conn| db::stage_attachment(conn, &row, head))?;
    Ok(Staged { id: row.id, name, content_type })
}

/// Stages a whole file already in memory (a mail's attachment), chunk by chunk as an upload is.
pub fn stage_bytes(
    conn: &mut AnyConnection,
    actor: &Actor,
    limits: &AttachmentSettings,
    name: &str,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<Staged, Error> {
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(Error::validation("file", format!("'{name}' is over the limit of a file")));
    }
    let mut chunks = bytes.chunks(limits.chunk_bytes);
    let first = chunks.next().unwrap_or_default();
    let file = stage(conn, actor, limits, name, first, now)?;
    for (seq, chunk) in chunks.enumerate() {
        append(conn, &file.id, seq as i32 + 1, chunk)?;
    }
    Ok(file)
}

/// Adds chunk `seq` (from 1) to a staged file, in its own short transaction.
pub fn append(conn: &mut AnyConnection, id: &str, seq: i32, data: &[u8]) -> Result<(), Error> {
    Ok(write_tx(conn, |conn| db::append_chunk(conn, id, seq, data))?)
}

/// Removes staged files (an upload that failed or was refused leaves nothing behind).
pub fn discard(conn: &mut AnyConnection, ids: &[String]) -> Result<(), Error> {
    if ids.is_empty() {
        return Ok(());
    }
    Ok(write_tx(conn, |conn| db::discard_attachments(conn, ids))?)
}

/// Attaches the actor's staged files to a request (and a comment), inside the caller's
/// transaction; refuses ids that are not the actor's staged files.
pub(crate) fn attach(
    conn: &mut AnyConnection,
    actor: &Actor,
    ids: &[String],
    request_id: &str,
    event_id: Option<i64>,
    internal: bool,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let attached = db::attach_staged(conn, ids, &actor.id, request_id, event_id, internal, to_db(now))?;
    if attached != ids.len() {
        return Err(Error::validation("file", "an uploaded file is no longer waiting to be attached; upload it again"));
    }
    Ok(())
}

/// Adds staged files to a request on their own (no comment): the requester, or staff of the
/// owning team, while it is not closed. Recorded as a `files_added` event.
pub fn add_to_request(
    conn: &mut AnyConnection,
    actor: &Actor,
    id_or_key: &str,
    files: &[Staged],
    now: DateTime<Utc>,
) -> Result<Vec<AttachmentView>, Error> {
    write_tx(conn, |conn| {
        let row = load_visible(conn, actor, id_or_key)?;
        if row.requester_id != actor.id {
            require_worker(actor, &row)?;
        }
        if Status::parse(&row.status).is_ok_and(|s| s == Status::Closed) {
            require_open(&row)?;
        }
        let names = files.iter().map(|f| f.name.clone()).collect();
        let event =
            db::insert_event_id(conn, &row.id, Some(&actor.id), to_db(now), &Event::FilesAdded { files: names })?;
        let ids: Vec<String> = files.iter().map(|f| f.id.clone()).collect();
        attach(conn, actor, &ids, &row.id, Some(event), false, now)?;
        db::touch_request(conn, &row.id, to_db(now))?;
        Ok(listed(conn, actor, &row.id)?.into_iter().filter(|a| ids.contains(&a.id)).collect())
    })
}

/// The files of a request the actor may read (internal notes' files for staff only).
pub fn list(conn: &mut AnyConnection, actor: &Actor, id_or_key: &str) -> Result<Vec<AttachmentView>, Error> {
    let row = load_visible(conn, actor, id_or_key)?;
    listed(conn, actor, &row.id)
}

fn listed(conn: &mut AnyConnection, actor: &Actor, request_id: &str) -> Result<Vec<AttachmentView>, Error> {
    let staff = actor.role.is_staff();
    Ok(db::attachments_of(conn, request_id)?.into_iter().map(view).filter(|a| staff || !a.internal).collect())
}

/// One file the actor may read: of a request they may read, not an internal note's unless
/// staff; a staged file only by its uploader. Anything else is "not found".
pub fn open(conn: &mut AnyConnection, actor: &Actor, id: &str) -> Result<AttachmentView, Error> {
    let missing = || Error::not_found(format!("attachment '{id}'"));
    let found = db::attachment(conn, id)?.ok_or_else(missing)?;
    let readable = match &found.0.request_id {
        None => found.0.uploader_id == actor.id,
        Some(request) => load_visible(conn, actor, request).is_ok() && (actor.role.is_staff() || !found.0.internal),
    };
    if readable { Ok(view(found)) } else { Err(missing()) }
}

/// Chunk `seq` of a file (from 0); none past its end.
pub fn chunk(conn: &mut AnyConnection, id: &str, seq: i32) -> Result<Option<Vec<u8>>, Error> {
    Ok(db::attachment_chunk(conn, id, seq)?)
}

/// Removes staged files older than the settings allow: uploads whose request or comment never
/// came. Returns how many.
pub fn sweep(conn: &mut AnyConnection, settings: &AttachmentSettings, now: DateTime<Utc>) -> Result<usize, Error> {
    let before = to_db(now - TimeDelta::minutes(settings.staged_minutes));
    let stale = db::stale_staged(conn, before, 500)?;
    discard(conn, &stale)?;
    Ok(stale.len())
}

/// Problems with an upload as a whole, named by the `file` field.
pub fn too_many(settings: &AttachmentSettings) -> FieldErrors {
    FieldErrors::single("file", format!("at most {} files at once", settings.max_files))
}
