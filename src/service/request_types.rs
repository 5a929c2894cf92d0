//! Request types and waiting reasons, the two lists of triage vocabulary admins keep: read by
//! everyone signed in, replaced as a whole by admins, versioned and audited.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::admin::{change_sla, current_sla};
use crate::auth::Actor;
use crate::db::{self, AnyConnection, to_db, write_tx};
use crate::domain::request_type::{RequestType, validate_types};
use crate::domain::sla::WaitingReason;
use crate::service::Error;

/// The request types in force (empty when none were ever stored).
pub fn current(conn: &mut AnyConnection) -> Result<Vec<RequestType>, Error> {
    Ok(db::current_types(conn)?.map(|v| v.types).unwrap_or_default())
}

/// The types a request was filed under (its category had fields then), else `now`'s.
pub fn filed_under(conn: &mut AnyConnection, id: &str, now: &[RequestType]) -> Result<Vec<RequestType>, Error> {
    match db::find_request(conn, id)?.and_then(|r| r.type_version) {
        Some(v) => Ok(db::types_version(conn, v)?.types),
        None => Ok(now.to_vec()),
    }
}

/// Replaces the request types: a new version; requests filed before keep theirs.
pub fn put(
    conn: &mut AnyConnection,
    actor: &Actor,
    types: Vec<RequestType>,
    now: DateTime<Utc>,
) -> Result<Vec<RequestType>, Error> {
    actor.require_admin()?;
    write_tx(conn, |conn| {
        let map = super::admin::current(conn)?;
        let categories: Vec<String> = map.map.categories.iter().map(|c| c.key.clone()).collect();
        validate_types(&types, &categories).map_err(Error::Validation)?;
        let before = db::current_types(conn)?;
        let note = format!("request types changed by {}", actor.email);
        let version = db::insert_types_version(conn, &types, &note, Some(&actor.id), to_db(now))?;
        let data = json!({
            "version": version,
            "previous_version": before.as_ref().map(|b| b.version),
            "before": before.map(|b| b.types),
            "after": types,
        });
        db::insert_audit(conn, "request_types_updated", Some(&actor.id), to_db(now), &data)?;
        Ok(types)
    })
}

/// The waiting reasons in force.
pub fn waiting_reasons(conn: &mut AnyConnection) -> Result<Vec<WaitingReason>, Error> {
    Ok(current_sla(conn)?.config.waiting_reasons)
}

/// Replaces the waiting reasons: a new SLA version (whether a reason pauses the clocks is part
/// of the SLA). A request already waiting keeps what its move recorded.
pub fn put_waiting_reasons(
    conn: &mut AnyConnection,
    actor: &Actor,
    reasons: Vec<WaitingReason>,
    now: DateTime<Utc>,
) -> Result<Vec<WaitingReason>, Error> {
    change_sla(conn, actor, now, "waiting_reasons", |sla| sla.waiting_reasons = reasons)
        .map(|v| v.config.waiting_reasons)
}
