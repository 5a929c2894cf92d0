//! Versioned snapshots of the ownership map and routing rules.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::routing_versions;
use crate::domain::OwnershipMap;

/// The map in force and its version number.
#[derive(Debug, Clone)]
pub struct VersionedMap {
    pub version: i32,
    pub map: OwnershipMap,
}

fn decode(version: i32, json: &str) -> QueryResult<VersionedMap> {
    let map = serde_json::from_str(json).map_err(|e| {
        diesel::result::Error::DeserializationError(
            format!("routing version {version} holds an unreadable map: {e}").into(),
        )
    })?;
    Ok(VersionedMap { version, map })
}

/// The newest version, or `None` before the first seed.
pub fn current_map(conn: &mut AnyConnection) -> QueryResult<Option<VersionedMap>> {
    let row: Option<(i32, String)> = routing_versions::table
        .order(routing_versions::version.desc())
        .select((routing_versions::version, routing_versions::map))
        .first(conn)
        .optional()?;
    row.map(|(v, json)| decode(v, &json)).transpose()
}

/// Every category key any version of the map has had (a request is filed, and its facts are
/// stored, under one of them).
pub fn categories_ever(conn: &mut AnyConnection) -> QueryResult<std::collections::BTreeSet<String>> {
    let rows: Vec<(i32, String)> =
        routing_versions::table.select((routing_versions::version, routing_versions::map)).load(conn)?;
    let mut keys = std::collections::BTreeSet::new();
    for (version, json) in rows {
        keys.extend(decode(version, &json)?.map.categories.into_iter().map(|c| c.key));
    }
    Ok(keys)
}

/// Every version stored before `until`, oldest first, with when it was stored.
pub fn map_versions_until(
    conn: &mut AnyConnection,
    until: NaiveDateTime,
) -> QueryResult<Vec<(i32, NaiveDateTime, OwnershipMap)>> {
    let rows: Vec<(i32, NaiveDateTime, String)> = routing_versions::table
        .filter(routing_versions::created_at.lt(until))
        .order(routing_versions::version)
        .select((routing_versions::version, routing_versions::created_at, routing_versions::map))
        .load(conn)?;
    rows.into_iter().map(|(v, at, json)| Ok((v, at, decode(v, &json)?.map))).collect()
}

pub fn map_version(conn: &mut AnyConnection, version: i32) -> QueryResult<VersionedMap> {
    let json: String = routing_versions::table.find(version).select(routing_versions::map).first(conn)?;
    decode(version, &json)
}

/// Stores `map` as the next version (inside the caller's write transaction) and returns it.
pub fn insert_map_version(
    conn: &mut AnyConnection,
    map: &OwnershipMap,
    note: &str,
    created_by: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<i32> {
    let latest: Option<i32> =
        routing_versions::table.select(diesel::dsl::max(routing_versions::version)).first(conn)?;
    let version = latest.unwrap_or(0) + 1;
    let json = serde_json::to_string(map).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::insert_into(routing_versions::table)
        .values((
            routing_versions::version.eq(version),
            routing_versions::map.eq(json),
            routing_versions::note.eq(note),
            routing_versions::created_by.eq(created_by),
            routing_versions::created_at.eq(at),
        ))
        .execute(conn)?;
    super::config_stamp::bump_config_stamp(conn)?;
    Ok(version)
}
