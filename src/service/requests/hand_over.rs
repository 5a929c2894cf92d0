//! "Not ours": handing an open request to another team, as a routing correction.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{
    Actor, AnyConnection, Error, Event, Notifier, REASON_MAX, RequestDetail, db, load_visible, parse_text,
    request_detail, require_open, require_worker, sla, to_db, write_tx,
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReassignInput {
    pub team: String,
    /// Why it is not this team's work; required.
    #[serde(default)]
    pub reason: String,
}

/// "Not ours": moves an open request to another team, keeping its creation time, and records
/// it as a routing correction.
pub fn reassign(
    conn: &mut AnyConnection,
    actor: &Actor,
    notifier: &Notifier,
    id_or_key: &str,
    input: &ReassignInput,
    now: DateTime<Utc>,
) -> Result<RequestDetail, Error> {
    let reason = parse_text(&input.reason, REASON_MAX, true)
        .map_err(|e| Error::validation("reason", format!("{e}: say why it is not this team's work")))?;
    write_tx(conn, |conn| {
        let mut row = load_visible(conn, actor, id_or_key)?;
        require_worker(actor, &row)?;
        require_open(&row)?;
        let to = input.team.trim();
        if !db::team_exists(conn, to)? {
            return Err(Error::validation("team", format!("unknown team '{to}'")));
        }
        if to == row.team_key {
            return Err(Error::validation("team", format!("already with team '{to}'")));
        }
        let from = std::mem::replace(&mut row.team_key, to.to_owned());
        row.assignee_id = None;
        // The receiving team's own clocks start now: it has neither responded nor answered.
        row.team_first_response_at = None;
        row.team_first_answer_at = None;
        row.updated_at = to_db(now);
        let event = Event::Reassigned {
            from: from.clone(),
            to: to.to_owned(),
            reason: reason.clone(),
            routing_correction: true,
        };
        db::insert_event(conn, &row.id, Some(&actor.id), row.updated_at, &event)?;
        db::save_request(conn, &row)?;
        sla::refresh(conn, &mut row)?;
        // New to the receiving team: announce it there, with the reason for the handover.
        let team = db::load_teams(conn)?.into_iter().find(|t| t.key == row.team_key);
        notifier.new_for_team(conn, &row, team.as_ref(), Some((&from, &reason)), now)?;
        request_detail(conn, row, true, now)
    })
}
