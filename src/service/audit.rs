//! The audit trail of configuration and user changes, as admins read it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Actor;
use crate::db::{self, AnyConnection, from_db};
use crate::service::Error;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub kind: String,
    pub actor_id: Option<String>,
    pub at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// At most this many entries are listed.
const LIMIT: i64 = 200;

/// The newest changes, newest first (admins).
pub fn recent(conn: &mut AnyConnection, actor: &Actor) -> Result<Vec<AuditEntry>, Error> {
    actor.require_admin()?;
    Ok(db::load_audit(conn, LIMIT)?
        .into_iter()
        .map(|r| AuditEntry {
            kind: r.kind,
            actor_id: r.actor_id,
            at: from_db(r.at),
            data: serde_json::from_str(&r.data).unwrap_or_default(),
        })
        .collect())
}
