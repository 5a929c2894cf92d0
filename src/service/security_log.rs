//! The security log: sign-ins and failed sign-ins, API tokens made and revoked, invitations,
//! password resets and every change to an account, apart from the configuration audit
//! (`service::audit`). Append-only; admins read it a page at a time or as CSV.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Actor;
use crate::db::{self, AnyConnection, SecurityLogRow, to_db};
use crate::service::Error;

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;

/// Who and where an event came from, besides the account it concerns.
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin<'a> {
    /// The admin who acted, when not the person themselves.
    pub actor_id: Option<&'a str>,
    /// The client's address, for what came over HTTP.
    pub address: Option<&'a str>,
}

/// Appends one line, inside the caller's transaction when there is one.
pub fn record(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
    kind: &str,
    email: Option<&str>,
    origin: Origin<'_>,
    detail: serde_json::Value,
) -> Result<(), Error> {
    Ok(db::insert_security_log(conn, to_db(now), kind, email, origin.actor_id, origin.address, &detail)?)
}

/// One page of the log, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecurityLogPage {
    pub items: Vec<SecurityLogRow>,
    /// Pass as `before` for the next (older) page; null on the last page.
    pub next_before: Option<i64>,
}

/// Lines older than `before` (an id), newest first (admins).
pub fn page(
    conn: &mut AnyConnection,
    admin: &Actor,
    before: Option<i64>,
    limit: i64,
) -> Result<SecurityLogPage, Error> {
    admin.require_admin()?;
    let mut errors = crate::domain::FieldErrors::default();
    if !(1..=MAX_LIMIT).contains(&limit) {
        errors.add("limit", format!("must be between 1 and {MAX_LIMIT}"));
    }
    if before.is_some_and(|b| b < 1) {
        errors.add("before", "must be an id from the log (1 or more)");
    }
    errors.finish(|| ()).map_err(Error::Validation)?;
    let mut items = db::load_security_log(conn, before, limit + 1)?;
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_before = if more { items.last().map(|r| r.id) } else { None };
    Ok(SecurityLogPage { items, next_before })
}

/// The whole log as CSV, newest first (admins): id, at (RFC 3339), kind, email, actor_id,
/// address, detail (JSON).
pub fn csv(conn: &mut AnyConnection, admin: &Actor) -> Result<String, Error> {
    admin.require_admin()?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| Error::Internal(anyhow::anyhow!("writing CSV: {e}"));
    w.write_record(["id", "at", "kind", "email", "actor_id", "address", "detail"]).map_err(internal)?;
    let mut before = None;
    loop {
        let rows = db::load_security_log(conn, before, MAX_LIMIT)?;
        for r in &rows {
            let at = r.at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let text = |v: &Option<String>| v.clone().unwrap_or_default();
            let line = [
                r.id.to_string(),
                at,
                r.kind.clone(),
                text(&r.email),
                text(&r.actor_id),
                text(&r.address),
                r.detail.clone(),
            ];
            w.write_record(&line).map_err(internal)?;
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == MAX_LIMIT => before = Some(last.id),
            _ => break,
        }
    }
    String::from_utf8(w.into_inner().map_err(|e| internal(e.into_error().into()))?)
        .map_err(|e| Error::Internal(e.into()))
}
