//! The append-only audit trail of configuration changes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::audit_events;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditRow {
    pub id: i64,
    pub kind: String,
    pub actor_id: Option<String>,
    pub at: NaiveDateTime,
    pub data: String,
}

pub fn insert_audit(
    conn: &mut AnyConnection,
    kind: &str,
    actor_id: Option<&str>,
    at: NaiveDateTime,
    data: &serde_json::Value,
) -> QueryResult<()> {
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::kind.eq(kind),
            audit_events::actor_id.eq(actor_id),
            audit_events::at.eq(at),
            audit_events::data.eq(data.to_string()),
        ))
        .execute(conn)
        .map(drop)
}

/// Newest first.
pub fn load_audit(conn: &mut AnyConnection, limit: i64) -> QueryResult<Vec<AuditRow>> {
    audit_events::table.order(audit_events::id.desc()).limit(limit).select(AuditRow::as_select()).load(conn)
}
