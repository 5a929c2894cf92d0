//! The holding team's first response and first answer in its hold: what counts as each, and
//! the events and columns that record them (docs/api.md, "First response").

use super::{Actor, AnyConnection, Error, Event, FIRST_RESPONSE_BY_COMMENT, RequestRow, db};

/// Whether the actor works in the team holding the request (admins outside it do not count
/// as the team answering).
fn of_holding_team(row: &RequestRow, actor: &Actor) -> bool {
    actor.role.is_staff() && actor.is_member(&row.team_key)
}

/// How a unit of work reached the request: one at a time, or in a bulk action from the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Via {
    #[default]
    One,
    Bulk,
}

/// Records the holding team's first response in its hold, once, and only for a member of that
/// team; the request's first response is the first of them. A first response by comment is an
/// answer too. Returns whether it recorded one.
pub(super) fn note_first_response(
    conn: &mut AnyConnection,
    row: &mut RequestRow,
    actor: &Actor,
    via: &str,
    how: Via,
) -> Result<bool, Error> {
    if row.team_first_response_at.is_some() || !of_holding_team(row, actor) {
        return Ok(false);
    }
    row.team_first_response_at = Some(row.updated_at);
    row.first_response_at.get_or_insert(row.updated_at);
    let event = Event::FirstResponse { via: via.to_owned(), team: row.team_key.clone(), bulk: how == Via::Bulk };
    db::insert_event(conn, &row.id, Some(&actor.id), row.updated_at, &event)?;
    if via == FIRST_RESPONSE_BY_COMMENT {
        row.team_first_answer_at = Some(row.updated_at);
        row.first_answer_at.get_or_insert(row.updated_at);
    }
    Ok(true)
}

/// Records the holding team's first answer in its hold (a message the requester sees), once,
/// when it is not also its first response by comment.
pub(super) fn note_first_answer(
    conn: &mut AnyConnection,
    row: &mut RequestRow,
    actor: &Actor,
    via: &str,
) -> Result<(), Error> {
    if row.team_first_answer_at.is_some() || !of_holding_team(row, actor) {
        return Ok(());
    }
    row.team_first_answer_at = Some(row.updated_at);
    row.first_answer_at.get_or_insert(row.updated_at);
    let event = Event::FirstAnswer { via: via.to_owned(), team: row.team_key.clone() };
    db::insert_event(conn, &row.id, Some(&actor.id), row.updated_at, &event).map_err(Error::from)
}
