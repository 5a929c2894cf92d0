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
    // The n-th business day after a resolution starts at least n - 1 whole days after it, and
    // ends within 7n + 21 (a calendar open one day a week, three weeks of holidays): only that window is read, so
    // requests that stay resolved (answered, or imported as such) drop out of it, and the
    // sweep's work does not grow with them.
    let days = i64::from(business_days);
    let (from, to) = (to_db(now - TimeDelta::days(7 * days + 21)), to_db(now - TimeDelta::days(days - 1)));
    let mut configs: HashMap<i32, SlaConfig> = HashMap::new();
    let mut after = None;
    loop {
        let batch = db::resolved_between(conn, from, to, after.take(), BATCH)?;
        let full = batch.len() as i64 == BATCH;
        for row in batch {
            after = row.resolved_at.map(|at| (at, row.id.clone()));
            one(conn, notifier, &mut configs, &row, business_days, now, &mut done)?;
        }
        if !full {
            return Ok(done);
        }
    }
}

/// Warns about or closes one resolved request, if it is due.
fn one(
    conn: &mut AnyConnection,
    notifier: &Notifier,
    configs: &mut HashMap<i32, SlaConfig>,
    row: &RequestRow,
    business_days: u32,
    now: DateTime<Utc>,
    done: &mut AutoClosed,
) -> Result<(), Error> {
    let Some(resolved) = row.resolved_at.map(from_db) else { return Ok(()) };
    let config = match configs.entry(row.sla_version) {
        std::collections::hash_map::Entry::Occupied(held) => held.into_mut(),
        std::collections::hash_map::Entry::Vacant(slot) => slot.insert(db::sla_version(conn, row.sla_version)?.config),
    };
    let calendar = config.business_calendar(&row.team_key);
    let Some((last_day, closes)) = calendar.business_day_after(resolved, business_days) else { return Ok(()) };
    if now < last_day || stays_resolved(conn, row, resolved)? {
        return Ok(());
    }
    if now >= closes {
        close(conn, notifier, &row.id, business_days, now)?;
        done.closed += 1;
    } else if notifier.closing_soon(conn, row, closes, resolved, now)? {
        done.warned += 1;
    }
    Ok(())
}

/// Whether the request stays resolved: imported as such (its history file says how it ended),
/// or the requester's side (the requester, or a watcher: people without a staff role)
/// commented after the resolution.
fn stays_resolved(conn: &mut AnyConnection, row: &RequestRow, resolved: DateTime<Utc>) -> Result<bool, Error> {
    let events = db::events_of(conn, &row.id)?;
    if events.iter().any(|e| matches!(e.event, Event::Imported(_))) {
        return Ok(true);
    }
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
