//! Links between requests (`POST /api/v1/requests/{id}/links`, the request page): duplicate of,
//! blocks / blocked by, parent of / child of. Stored once (`request_links`) from the side that
//! names it; each side shows it in its own words and records it as an event.
//!
//! Marking a request a duplicate merges it into the other, in one transaction, as Request
//! Tracker and Zendesk do: the duplicate is closed (from whatever open status it was in, with
//! the note "duplicate of CR-n", its team's response); its comments are copied to the surviving
//! request, each with its author and its visibility (an internal note stays internal); its
//! requester and watchers become watchers of the survivor, and are told by mail.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::answers::{note_first_answer, note_first_response};
use super::{Via, load_visible, require_open, require_worker, status_of};
use crate::auth::Actor;
use crate::db::{self, AnyConnection, LinkRow, RequestRow, to_db, write_tx};
use crate::domain::{Event, FieldErrors, Status};
use crate::read::views::{KINDS, RequestDetail, request_detail, request_key, said_from};
use crate::service::notify::{Notifier, Update};
use crate::service::{Error, sla};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    /// `duplicate_of`, `blocks` or `parent_of` (or, said from the other side, `blocked_by`,
    /// `child_of`).
    pub kind: String,
    /// The other request: UUID or key.
    pub target: String,
}

/// The stored kind for `kind` said from `this` request about `other`, and the stored link.
fn stored(kind: &str, this: &str, other: &str) -> Result<LinkRow, Error> {
    for (forward, reverse) in KINDS {
        if kind == forward {
            return Ok(LinkRow { from: this.to_owned(), kind: forward.to_owned(), to: other.to_owned() });
        }
        // "duplicated_by" is not taken: merging is said from the duplicate's side.
        if kind == reverse && forward != "duplicate_of" {
            return Ok(LinkRow { from: other.to_owned(), kind: forward.to_owned(), to: this.to_owned() });
        }
    }
    Err(Error::validation(
        "kind",
        format!("'{kind}' is not one of duplicate_of, blocks, blocked_by, parent_of, child_of"),
    ))
}

/// Links two requests (the owning team's staff of the request named in the path).
pub fn add(
    conn: &mut AnyConnection,
    actor: &Actor,
    notifier: &Notifier,
    id_or_key: &str,
    input: &LinkInput,
    now: DateTime<Utc>,
) -> Result<RequestDetail, Error> {
    write_tx(conn, |conn| {
        let mut row = load_visible(conn, actor, id_or_key)?;
        require_worker(actor, &row)?;
        let target = db::find_request(conn, input.target.trim())?
            .ok_or_else(|| Error::validation("target", format!("no request '{}'", input.target.trim())))?;
        if target.id == row.id {
            return Err(Error::validation("target", "a request is not linked to itself"));
        }
        let kind = input.kind.trim();
        let link = stored(kind, &row.id, &target.id)?;
        // The same two requests the other way round would make a loop.
        let reversed = LinkRow { from: link.to.clone(), kind: link.kind.clone(), to: link.from.clone() };
        if db::link_exists(conn, &reversed)? {
            let why = format!(
                "{} already {} {}",
                request_key(target.number),
                said_from(&reversed, &target.id).replace('_', " "),
                request_key(row.number)
            );
            return Err(Error::validation("target", why));
        }
        let at = to_db(now);
        if !db::add_link(conn, &link, &actor.id, at)? {
            return request_detail(conn, row, true, now);
        }
        for (side, other) in [(&row, &target), (&target, &row)] {
            let event = Event::Linked { link: said_from(&link, &side.id), key: request_key(other.number) };
            db::insert_event(conn, &side.id, Some(&actor.id), at, &event)?;
        }
        if link.kind == "duplicate_of" {
            merge(conn, actor, notifier, &mut row, &target, now)?;
        }
        request_detail(conn, row, true, now)
    })
}

/// Merges the duplicate `row` into `survivor` (see the module's words).
fn merge(
    conn: &mut AnyConnection,
    actor: &Actor,
    notifier: &Notifier,
    row: &mut RequestRow,
    survivor: &RequestRow,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    require_open(row)?;
    if !status_of(survivor)?.is_open() {
        return Err(Error::Conflict {
            message: format!("{} is {}: merge into an open request", request_key(survivor.number), survivor.status),
            fields: FieldErrors::single("target", "is not open"),
        });
    }
    let at = to_db(now);
    let (key, into) = (request_key(row.number), request_key(survivor.number));
    // Its comments, each with its author and visibility, said to come from the duplicate.
    for e in db::events_of(conn, &row.id)? {
        if let Event::Commented { body, internal } = e.event {
            let copied = Event::Commented { body: format!("(From {key}) {body}"), internal };
            db::insert_event(conn, &survivor.id, e.actor_id.as_deref(), at, &copied)?;
        }
    }
    // Its people follow the survivor.
    let requester = db::users_by_ids(conn, &[row.requester_id.as_str()])?.remove(&row.requester_id).map(|u| u.email);
    let survivors_requester =
        db::users_by_ids(conn, &[survivor.requester_id.as_str()])?.remove(&survivor.requester_id).map(|u| u.email);
    let mut joined = Vec::new();
    for email in requester.into_iter().chain(db::watchers_of(conn, &row.id)?) {
        if Some(&email) != survivors_requester.as_ref() && db::add_watcher(conn, &survivor.id, &email, &actor.id, at)? {
            db::insert_event(conn, &survivor.id, Some(&actor.id), at, &Event::WatcherAdded { email: email.clone() })?;
            joined.push(email);
        }
    }
    // Closed, from whatever open status, as its team's response.
    let note = format!("duplicate of {into}: its updates come from there");
    let from = status_of(row)?;
    row.status = Status::Closed.as_str().to_owned();
    row.updated_at = at;
    row.closed_at = Some(at);
    db::insert_event(conn, &row.id, Some(&actor.id), at, &Event::status_move(from, Status::Closed, Some(&note)))?;
    note_first_response(conn, row, actor, "status_changed", Via::One)?;
    note_first_answer(conn, row, actor, "status_note")?;
    db::save_request(conn, row)?;
    sla::refresh(conn, row)?;
    notifier.to_requester(conn, row, Update::Status { to: "closed", note: Some(&note) }, now)?;
    notifier.merged(conn, survivor, &key, &joined, now)?;
    Ok(())
}

/// Removes a link, said from either side (the owning team's staff of the request in the path).
/// A merge is not undone by it: the duplicate stays closed.
pub fn remove(
    conn: &mut AnyConnection,
    actor: &Actor,
    id_or_key: &str,
    kind: &str,
    target: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    write_tx(conn, |conn| {
        let row = load_visible(conn, actor, id_or_key)?;
        require_worker(actor, &row)?;
        let other = db::find_request(conn, target)?.ok_or_else(|| Error::not_found(format!("request '{target}'")))?;
        let link = match kind {
            "duplicated_by" => LinkRow { from: other.id.clone(), kind: "duplicate_of".into(), to: row.id.clone() },
            _ => stored(kind, &row.id, &other.id)?,
        };
        if !db::remove_link(conn, &link)? {
            return Err(Error::not_found(format!("link {kind} {}", request_key(other.number))));
        }
        let at = to_db(now);
        for (side, other) in [(&row, &other), (&other, &row)] {
            let event = Event::Unlinked { link: said_from(&link, &side.id), key: request_key(other.number) };
            db::insert_event(conn, &side.id, Some(&actor.id), at, &event)?;
        }
        Ok(())
    })
}
