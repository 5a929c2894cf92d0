//! Versioned SLA configuration snapshots and the escalation log.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{requests, sla_escalations, sla_versions};
use crate::domain::sla::SlaConfig;

#[derive(Debug, Clone)]
pub struct VersionedSla {
    pub version: i32,
    pub config: SlaConfig,
}

fn decode(version: i32, json: &str) -> QueryResult<VersionedSla> {
    let config = serde_json::from_str(json).map_err(|e| {
        diesel::result::Error::DeserializationError(
            format!("SLA version {version} holds an unreadable configuration: {e}").into(),
        )
    })?;
    Ok(VersionedSla { version, config })
}

pub fn current_sla(conn: &mut AnyConnection) -> QueryResult<Option<VersionedSla>> {
    let row: Option<(i32, String)> = sla_versions::table
        .order(sla_versions::version.desc())
        .select((sla_versions::version, sla_versions::config))
        .first(conn)
        .optional()?;
    row.map(|(v, json)| decode(v, &json)).transpose()
}

pub fn sla_version(conn: &mut AnyConnection, version: i32) -> QueryResult<VersionedSla> {
    let json: String = sla_versions::table.find(version).select(sla_versions::config).first(conn)?;
    decode(version, &json)
}

/// Every stored version (there are few: one per admin change).
pub fn all_sla_versions(conn: &mut AnyConnection) -> QueryResult<Vec<VersionedSla>> {
    let rows: Vec<(i32, String)> = sla_versions::table
        .order(sla_versions::version)
        .select((sla_versions::version, sla_versions::config))
        .load(conn)?;
    rows.iter().map(|(v, json)| decode(*v, json)).collect()
}

pub fn insert_sla_version(
    conn: &mut AnyConnection,
    config: &SlaConfig,
    note: &str,
    created_by: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<i32> {
    let latest: Option<i32> = sla_versions::table.select(diesel::dsl::max(sla_versions::version)).first(conn)?;
    let version = latest.unwrap_or(0) + 1;
    let json = serde_json::to_string(config).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::insert_into(sla_versions::table)
        .values((
            sla_versions::version.eq(version),
            sla_versions::config.eq(json),
            sla_versions::note.eq(note),
            sla_versions::created_by.eq(created_by),
            sla_versions::created_at.eq(at),
        ))
        .execute(conn)?;
    super::config_stamp::bump_config_stamp(conn)?;
    Ok(version)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sla_escalations)]
pub struct EscalationRow {
    pub request_id: String,
    pub clock: String,
    pub level: i32,
    pub reached_at: NaiveDateTime,
    /// JSON array of email addresses.
    pub recipients: String,
    pub deliver_after: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

/// Records an escalation once: the primary key refuses a second (request, clock, level), and
/// the savepoint keeps that refusal from aborting the caller's transaction. Returns whether
/// this call recorded it.
pub fn insert_escalation(conn: &mut AnyConnection, row: &EscalationRow) -> QueryResult<bool> {
    let inserted = conn.transaction(|c| diesel::insert_into(sla_escalations::table).values(row).execute(c));
    match inserted {
        Ok(_) => Ok(true),
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

pub fn escalations_of(conn: &mut AnyConnection, request_id: &str) -> QueryResult<Vec<EscalationRow>> {
    sla_escalations::table
        .filter(sla_escalations::request_id.eq(request_id))
        .order((sla_escalations::clock, sla_escalations::level))
        .select(EscalationRow::as_select())
        .load(conn)
}

/// The escalations of several requests in one query.
pub fn escalations_of_many(conn: &mut AnyConnection, ids: &[&str]) -> QueryResult<Vec<EscalationRow>> {
    sla_escalations::table
        .filter(sla_escalations::request_id.eq_any(ids))
        .order((sla_escalations::request_id, sla_escalations::clock, sla_escalations::level))
        .select(EscalationRow::as_select())
        .load(conn)
}

/// Requests with an SLA moment to record at or before `now`, oldest first.
pub fn due_for_sweep(conn: &mut AnyConnection, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<String>> {
    requests::table
        .filter(requests::sla_check_at.le(now))
        .order(requests::sla_check_at)
        .limit(limit)
        .select(requests::id)
        .load(conn)
}
