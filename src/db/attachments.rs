//! Attachments and their chunks: staged, appended to, attached, listed, read back, discarded.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{attachment_chunks, attachments, users};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = attachments)]
pub struct AttachmentRow {
    pub id: String,
    pub request_id: Option<String>,
    pub event_id: Option<i64>,
    pub internal: bool,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub uploader_id: String,
    pub created_at: NaiveDateTime,
    pub attached_at: Option<NaiveDateTime>,
}

/// Stages a file with its first chunk, in one short transaction of the caller's.
pub fn stage_attachment(conn: &mut AnyConnection, row: &AttachmentRow, first: &[u8]) -> QueryResult<()> {
    diesel::insert_into(attachments::table).values(row).execute(conn)?;
    append_chunk(conn, &row.id, 0, first)
}

/// Adds chunk `seq` of a staged file and counts its bytes.
pub fn append_chunk(conn: &mut AnyConnection, id: &str, seq: i32, data: &[u8]) -> QueryResult<()> {
    diesel::insert_into(attachment_chunks::table)
        .values((
            attachment_chunks::attachment_id.eq(id),
            attachment_chunks::seq.eq(seq),
            attachment_chunks::data.eq(data),
        ))
        .execute(conn)?;
    if seq > 0 {
        diesel::update(attachments::table.find(id))
            .set(attachments::size.eq(attachments::size + data.len() as i64))
            .execute(conn)?;
    }
    Ok(())
}

/// Attaches staged files of `uploader` to a request (and the comment `event_id`), in the
/// transaction that adds them; returns how many it attached.
pub fn attach_staged(
    conn: &mut AnyConnection,
    ids: &[String],
    uploader: &str,
    request_id: &str,
    event_id: Option<i64>,
    internal: bool,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        attachments::table
            .filter(attachments::id.eq_any(ids))
            .filter(attachments::uploader_id.eq(uploader))
            .filter(attachments::request_id.is_null()),
    )
    .set((
        attachments::request_id.eq(request_id),
        attachments::event_id.eq(event_id),
        attachments::internal.eq(internal),
        attachments::attached_at.eq(at),
    ))
    .execute(conn)
}

/// Removes files and their chunks (staged ones an upload gave up on, or swept).
pub fn discard_attachments(conn: &mut AnyConnection, ids: &[String]) -> QueryResult<()> {
    diesel::delete(attachment_chunks::table.filter(attachment_chunks::attachment_id.eq_any(ids))).execute(conn)?;
    diesel::delete(attachments::table.filter(attachments::id.eq_any(ids))).execute(conn).map(drop)
}

/// Staged files created before `before`: uploads that never reached their request.
pub fn stale_staged(conn: &mut AnyConnection, before: NaiveDateTime, limit: i64) -> QueryResult<Vec<String>> {
    attachments::table
        .filter(attachments::request_id.is_null())
        .filter(attachments::created_at.lt(before))
        .select(attachments::id)
        .limit(limit)
        .load(conn)
}

/// A request's files, oldest first, with their uploaders' email and name.
pub fn attachments_of(
    conn: &mut AnyConnection,
    request_id: &str,
) -> QueryResult<Vec<(AttachmentRow, (String, String))>> {
    attachments::table
        .inner_join(users::table)
        .filter(attachments::request_id.eq(request_id))
        .order((attachments::created_at, attachments::id))
        .select((AttachmentRow::as_select(), (users::email, users::name)))
        .load(conn)
}

pub fn attachment(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<(AttachmentRow, (String, String))>> {
    attachments::table
        .inner_join(users::table)
        .filter(attachments::id.eq(id))
        .select((AttachmentRow::as_select(), (users::email, users::name)))
        .first(conn)
        .optional()
}

/// Chunk `seq` of a file, or none past its end.
pub fn attachment_chunk(conn: &mut AnyConnection, id: &str, seq: i32) -> QueryResult<Option<Vec<u8>>> {
    attachment_chunks::table
        .filter(attachment_chunks::attachment_id.eq(id))
        .filter(attachment_chunks::seq.eq(seq))
        .select(attachment_chunks::data)
        .first(conn)
        .optional()
}

/// A mail that came in, as stored (`inbound_mail`).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::inbound_mail)]
pub struct InboundRow {
    pub id: String,
    pub message_id: String,
    pub sender: String,
    pub subject: String,
    pub status: String,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub size: i64,
    pub raw: Vec<u8>,
    pub received_at: NaiveDateTime,
}

pub fn inbound_seen(conn: &mut AnyConnection, message_id: &str) -> QueryResult<bool> {
    use super::schema::inbound_mail as m;
    diesel::select(diesel::dsl::exists(m::table.filter(m::message_id.eq(message_id)))).get_result(conn)
}

/// How many messages from `sender` came in since `since`.
pub fn inbound_from_since(conn: &mut AnyConnection, sender: &str, since: NaiveDateTime) -> QueryResult<i64> {
    use super::schema::inbound_mail as m;
    m::table.filter(m::sender.eq(sender)).filter(m::received_at.ge(since)).count().get_result(conn)
}

pub fn insert_inbound(conn: &mut AnyConnection, row: &InboundRow) -> QueryResult<()> {
    diesel::insert_into(super::schema::inbound_mail::table).values(row).execute(conn).map(drop)
}

/// An inbound mail without the message itself.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = super::schema::inbound_mail)]
pub struct InboundSummary {
    pub id: String,
    pub message_id: String,
    pub sender: String,
    pub subject: String,
    pub reason: Option<String>,
    pub size: i64,
    pub received_at: NaiveDateTime,
}

/// Inbound mail that was not used, newest first.
pub fn rejected_inbound(conn: &mut AnyConnection, limit: i64) -> QueryResult<Vec<InboundSummary>> {
    use super::schema::inbound_mail as m;
    m::table
        .filter(m::status.eq("rejected"))
        .order(m::received_at.desc())
        .limit(limit)
        .select(InboundSummary::as_select())
        .load(conn)
}

/// The outbox message with this Message-ID: its request and recipients (JSON).
pub fn sent_message(conn: &mut AnyConnection, message_ids: &[String]) -> QueryResult<Vec<(Option<String>, String)>> {
    use super::schema::mail_outbox as o;
    o::table.filter(o::message_id.eq_any(message_ids)).select((o::request_id, o::recipients)).load(conn)
}
