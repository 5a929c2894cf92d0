//! Watchers: colleagues who follow a request and get its public updates by mail (the
//! requester's mails go to them too). Added and removed by the requester or the owning team's
//! staff; an address need not belong to a changedesk user.

use chrono::{DateTime, Utc};

use super::Error;
use super::requests::{load_visible, require_worker};
use crate::auth::Actor;
use crate::db::{self, AnyConnection, RequestRow, to_db, write_tx};
use crate::domain::Event;

/// The request's watchers, as addresses.
pub fn list(conn: &mut AnyConnection, actor: &Actor, id_or_key: &str) -> Result<Vec<String>, Error> {
    let row = load_visible(conn, actor, id_or_key)?;
    Ok(db::watchers_of(conn, &row.id)?)
}

fn may_change(actor: &Actor, row: &RequestRow) -> Result<(), Error> {
    if row.requester_id == actor.id { Ok(()) } else { require_worker(actor, row) }
}

fn address(email: &str) -> Result<String, Error> {
    crate::domain::request::parse_address(email).map_err(|e| Error::validation("email", e))
}

/// Adds a watcher (a `watcher_added` event); adding one twice changes nothing.
pub fn add(
    conn: &mut AnyConnection,
    actor: &Actor,
    id_or_key: &str,
    email: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>, Error> {
    let email = address(email)?;
    write_tx(conn, |conn| {
        let row = load_visible(conn, actor, id_or_key)?;
        may_change(actor, &row)?;
        if db::add_watcher(conn, &row.id, &email, &actor.id, to_db(now))? {
            db::insert_event(conn, &row.id, Some(&actor.id), to_db(now), &Event::WatcherAdded { email })?;
        }
        Ok(db::watchers_of(conn, &row.id)?)
    })
}

/// Removes a watcher (a `watcher_removed` event); 404 when the address did not watch it. A
/// watcher with an account may remove themselves.
pub fn remove(
    conn: &mut AnyConnection,
    actor: &Actor,
    id_or_key: &str,
    email: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let email = email.trim().to_lowercase();
    write_tx(conn, |conn| {
        let row = load_visible(conn, actor, id_or_key)?;
        if actor.email.to_lowercase() != email {
            may_change(actor, &row)?;
        }
        if !db::remove_watcher(conn, &row.id, &email)? {
            return Err(Error::not_found(format!("watcher '{email}'")));
        }
        db::insert_event(conn, &row.id, Some(&actor.id), to_db(now), &Event::WatcherRemoved { email })?;
        Ok(())
    })
}
