//! Status moves: the lifecycle's checks, who may move what (the requester confirms, reopens and
//! withdraws; the team the rest), what a move to waiting waits on, and the move's event.

use chrono::{DateTime, Utc};

use super::*;
use crate::domain::event::WaitingOn;

/// Applies a status move to the row and records its event (no authorization here).
pub(crate) fn apply_move(
    conn: &mut AnyConnection,
    row: &mut RequestRow,
    actor: &Actor,
    to: Status,
    note: Option<&str>,
    how: Via,
) -> Result<(), Error> {
    apply_move_waiting(conn, row, actor, to, note, None, how)
}

/// `apply_move`, with what a move to `waiting` waits on (checked by the caller).
fn apply_move_waiting(
    conn: &mut AnyConnection,
    row: &mut RequestRow,
    actor: &Actor,
    to: Status,
    note: Option<&str>,
    waiting: Option<WaitingOn>,
    how: Via,
) -> Result<(), Error> {
    let from = status_of(row)?;
    let same_wait = from == Status::Waiting
        && to == Status::Waiting
        && waiting.as_ref().map(|w| &w.reason) == row.waiting_reason.as_ref();
    if same_wait {
        return Err(Error::Conflict {
            message: format!("{} already waits for that reason", request_key(row.number)),
            fields: FieldErrors::single("reason", "is the reason it already waits for"),
        });
    }
    if !from.can_move_to(to) {
        let allowed: Vec<&str> = from.allowed_moves().iter().map(|s| s.as_str()).collect();
        let allowed = if allowed.is_empty() { "none".to_owned() } else { allowed.join(", ") };
        return Err(Error::Conflict {
            message: format!(
                "{} cannot move from {from} to {to}; allowed from {from}: {allowed}",
                request_key(row.number)
            ),
            fields: FieldErrors::single("status", format!("allowed from {from}: {allowed}")),
        });
    }
    row.status = to.as_str().to_owned();
    row.waiting_reason = waiting.as_ref().map(|w| w.reason.clone());
    match to {
        Status::Resolved => row.resolved_at = Some(row.updated_at),
        Status::Closed | Status::Rejected | Status::Withdrawn => row.closed_at = Some(row.updated_at),
        Status::InProgress if from == Status::Resolved => row.resolved_at = None,
        _ => {}
    }
    let event = Event::status_move_waiting(from, to, note, waiting);
    db::insert_event(conn, &row.id, Some(&actor.id), row.updated_at, &event)?;
    // Any move by the holding team is its first response; only a note is an answer.
    note_first_response(conn, row, actor, "status_changed", how)?;
    if note.is_some() {
        note_first_answer(conn, row, actor, "status_note")?;
    }
    Ok(())
}

pub fn change_status(
    conn: &mut AnyConnection,
    actor: &Actor,
    notifier: &Notifier,
    id_or_key: &str,
    input: &StatusInput,
    now: DateTime<Utc>,
) -> Result<RequestDetail, Error> {
    change_status_via(conn, actor, notifier, id_or_key, input, Via::One, now)
}

/// `change_status`, saying whether it is one of a bulk action (recorded in the first response).
pub fn change_status_via(
    conn: &mut AnyConnection,
    actor: &Actor,
    notifier: &Notifier,
    id_or_key: &str,
    input: &StatusInput,
    how: Via,
    now: DateTime<Utc>,
) -> Result<RequestDetail, Error> {
    let to = Status::parse(&input.status).map_err(|e| Error::validation("status", e))?;
    let note = match input.note.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(n) => Some(parse_text(n, REASON_MAX, true).map_err(|e| Error::validation("note", e))?),
    };
    if to == Status::Rejected && note.is_none() {
        return Err(Error::validation("note", "a reason is required to reject a request"));
    }
    let reason = input.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if to != Status::Waiting && reason.is_some() {
        return Err(Error::validation("reason", "is given only with status waiting"));
    }
    write_tx(conn, |conn| {
        let mut row = load_visible(conn, actor, id_or_key)?;
        let from = status_of(&row)?;
        let own = row.requester_id == actor.id;
        // Requesters may confirm (close) or reopen their own resolved request, and withdraw
        // their open one; the rest is the owning team's work, and withdrawing is only theirs.
        let requester_move = own
            && ((from == Status::Resolved && matches!(to, Status::Closed | Status::InProgress))
                || to == Status::Withdrawn);
        if to == Status::Withdrawn && !own {
            return Err(Error::Forbidden(format!(
                "only the requester withdraws {}; the team rejects it, with a reason",
                request_key(row.number)
            )));
        }
        if !requester_move {
            require_worker(actor, &row)?;
        }
        let waiting = match (to, reason) {
            (Status::Waiting, Some(key)) => {
                let sla = crate::service::admin::current_sla(conn)?;
                let Some(r) = sla.config.waiting_reason(key) else {
                    let keys: Vec<&str> = sla.config.waiting_reasons.iter().map(|r| r.key.as_str()).collect();
                    return Err(Error::validation(
                        "reason",
                        format!("unknown reason '{key}'; one of {}", keys.join(", ")),
                    ));
                };
                Some(WaitingOn { reason: r.key.clone(), pauses: r.pauses_clocks })
            }
            (Status::Waiting, None) => {
                return Err(Error::validation("reason", "is required with status waiting: what does it wait on?"));
            }
            _ => None,
        };
        row.updated_at = to_db(now);
        apply_move_waiting(conn, &mut row, actor, to, note.as_deref(), waiting, how)?;
        db::save_request(conn, &row)?;
        sla::refresh(conn, &mut row)?;
        if row.requester_id != actor.id {
            notifier.to_requester(conn, &row, Update::Status { to: to.as_str(), note: note.as_deref() }, now)?;
        }
        request_detail(conn, row, actor.role.is_staff(), now)
    })
}
