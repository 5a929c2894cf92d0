//! Comments and internal notes, with the files that came with them (`service::attachments`):
//! the owning team's first public comment is its first response, the requester's answer hands
//! a waiting request back to the team.

use chrono::{DateTime, Utc};

use super::answers::{note_first_answer, note_first_response};
use super::{COMMENT_MAX, CommentInput, Via, apply_move, load_visible, require_worker, status_of};
use crate::auth::Actor;
use crate::db::{self, AnyConnection, to_db, write_tx};
use crate::domain::event::FIRST_RESPONSE_BY_COMMENT;
use crate::domain::request::parse_text;
use crate::domain::{Event, FieldErrors, Status};
use crate::read::views::{RequestDetail, request_detail, request_key};
use crate::service::Error;
use crate::service::notify::{Notifier, Update};
use crate::service::sla;

pub fn comment(
    conn: &mut AnyConnection,
    actor: &Actor,
    notifier: &Notifier,
    id_or_key: &str,
    input: &CommentInput,
    now: DateTime<Utc>,
) -> Result<RequestDetail, Error> {
    comment_with_files(conn, actor, notifier, id_or_key, input, &[], now)
}

/// `comment`, with the actor's staged files (`service::attachments`) attached to it in the same
/// transaction: an internal note's files are internal too.
pub fn comment_with_files(
    conn: &mut AnyConnection,
    actor: &Actor,
    notifier: &Notifier,
    id_or_key: &str,
    input: &CommentInput,
    files: &[String],
    now: DateTime<Utc>,
) -> Result<RequestDetail, Error> {
    write_tx(conn, |conn| comment_in(conn, actor, notifier, id_or_key, input, files, now))
}

/// `comment_with_files` inside the caller's write transaction (a reply by mail: the comment,
/// the person it made and the mail recorded as used, together or not at all).
pub(crate) fn comment_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    notifier: &Notifier,
    id_or_key: &str,
    input: &CommentInput,
    files: &[String],
    now: DateTime<Utc>,
) -> Result<RequestDetail, Error> {
    let body = parse_text(&input.body, COMMENT_MAX, true).map_err(|e| Error::validation("body", e))?;
    if input.internal && !actor.role.is_staff() {
        return Err(Error::validation("internal", "only staff can post internal notes"));
    }
    let mut row = load_visible(conn, actor, id_or_key)?;
    // The requester's side: the requester, and the colleagues watching with them (who may
    // be on the team too: a member of the owning team speaks for the team).
    let is_requester = row.requester_id == actor.id
        || !actor.works_for(&row.team_key) && db::is_watching(conn, &row.id, &actor.email)?;
    if !is_requester {
        require_worker(actor, &row)?;
    }
    let from = status_of(&row)?;
    if from == Status::Closed {
        return Err(Error::Conflict {
            message: format!("{} is closed", request_key(row.number)),
            fields: FieldErrors::default(),
        });
    }
    row.updated_at = to_db(now);
    let event = Event::Commented { body: body.clone(), internal: input.internal };
    let event_id = db::insert_event_id(conn, &row.id, Some(&actor.id), row.updated_at, &event)?;
    if !files.is_empty() {
        crate::service::attachments::attach(conn, actor, files, &row.id, Some(event_id), input.internal, now)?;
    }
    if !input.internal
        && !is_requester
        && !note_first_response(conn, &mut row, actor, FIRST_RESPONSE_BY_COMMENT, Via::One)?
    {
        note_first_answer(conn, &mut row, actor, FIRST_RESPONSE_BY_COMMENT)?;
    }
    // The requester answering hands the ball back to the team.
    if is_requester && from == Status::WaitingOnRequester {
        apply_move(conn, &mut row, actor, Status::InProgress, Some("requester replied"), Via::One)?;
        notifier.requester_answered(conn, &row, &actor.name, &body, now)?;
    }
    db::save_request(conn, &row)?;
    sla::refresh(conn, &mut row)?;
    if !input.internal && !is_requester {
        notifier.to_requester(conn, &row, Update::Comment { author: &actor.name, body: &body }, now)?;
    }
    request_detail(conn, row, actor.role.is_staff(), now)
}
