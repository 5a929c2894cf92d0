//! Resolved requests close on their own: at the end of the owning team's `n`-th business day
//! after the resolution (its calendar, its time zone, its holidays), unless the requester (or a
//! watcher) answered since. On the morning of that last day the requester and watchers get one
//! mail saying when it will close. The close is changedesk's own move (no actor), with a note.
//! Run by the SLA sweeper's worker; each request is a transaction of its own, and the warning's
//! dedupe key makes it once per resolution whichever instance sweeps.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::status_of;
use crate::db::{self, AnyConnection, RequestRow, from_db, to_db, write_tx};
use crate::domain::sla::SlaConfig;
use crate::domain::{Event, Status};
use crate::service::notify::{Notifier, Update};
use crate::service::{Error, sla};

const BATCH: i64 = 500;

/// What a sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct AutoClosed {
    pub warned: usize,
    pub closed: usize,
}

pub fn auto_close(
    conn: &mut AnyConnection,
    notifier: &Notifier,
    business_days: u32,
    now: DateTime<Utc>,
) -> Result<AutoClosed, Error> {
    let mut done = AutoClosed::default();
    if business_days == 0 {
        return Ok(done);
    }
    // The n-th business day after a resolution starts at least n - 1 whole days after it.
    let before = to_db(now - TimeDelta::days(i64::from(business_days) - 1));
    let mut configs: HashMap<i32, SlaConfig> = HashMap::new();
    for row in db::resolved_before(conn, before, BATCH)? {
        let Some(resolved) = row.resolved_at.map(from_db) else { continue };
        let config = match configs.entry(row.sla_version) {
            std::collections::hash_map::Entry::Occupied(held) => held.into_mut(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(db::sla_version(conn, row.sla_version)?.config)
            }
        };
        let calendar = config.business_calendar(&row.team_key);
        let Some((last_day, closes)) = calendar.business_day_after(resolved, business_days) else { continue };
        if now < last_day || answered_since(conn, &row, resolved)? {
            continue;
        }
        if now >= closes {
            close(conn, notifier, &row.id, business_days, now)?;
            done.closed += 1;
        } else if notifier.closing_soon(conn, &row, closes, resolved, now)? {
            done.warned += 1;
        }
    }
    Ok(done)
}

/// Whether the requester's side (the requester, or a watcher: people without a staff role)
/// commented after the resolution.
fn answered_since(conn: &mut AnyConnection, row: &RequestRow, resolved: DateTime<Utc>) -> Result<bool, Error> {
    let events = db::events_of(conn, &row.id)?;
    let authors: Vec<&str> = events
        .iter()
        .filter(|e| matches!(e.event, Event::Commented { internal: false, .. }) && from_db(e.at) >= resolved)
        .filter_map(|e| e.actor_id.as_deref())
        .collect();
    if authors.is_empty() {
        return Ok(false);
    }
    let people = db::users_by_ids(conn, &authors)?;
    Ok(authors.iter().any(|id| *id == row.requester_id || people.get(*id).is_some_and(|u| u.role == "requester")))
}

fn close(conn: &mut AnyConnection, notifier: &Notifier, id: &str, days: u32, now: DateTime<Utc>) -> Result<(), Error> {
    write_tx(conn, |conn| {
        // Read again in the transaction: it may have moved since the sweep listed it.
        let Some(mut row) = db::find_request(conn, id)? else { return Ok(()) };
        if status_of(&row)? != Status::Resolved {
            return Ok(());
        }
        let at = to_db(now);
        let note = format!("closed on its own: no answer in {days} business days after it was resolved");
        row.status = Status::Closed.as_str().to_owned();
        row.updated_at = at;
        row.closed_at = Some(at);
        db::insert_event(conn, &row.id, None, at, &Event::status_move(Status::Resolved, Status::Closed, Some(&note)))?;
        db::save_request(conn, &row)?;
        sla::refresh(conn, &mut row)?;
        notifier.to_requester(conn, &row, Update::Status { to: "closed", note: Some(&note) }, now)
    })
}
