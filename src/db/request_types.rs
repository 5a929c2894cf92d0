//! Versioned request types (`domain::request_type`): each admin change is a new version.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::request_type_versions as v;
use crate::domain::request_type::RequestType;

#[derive(Debug, Clone, PartialEq)]
pub struct VersionedTypes {
    pub version: i32,
    pub types: Vec<RequestType>,
}

fn decode(version: i32, json: &str) -> QueryResult<VersionedTypes> {
    let types = serde_json::from_str(json).map_err(|e| {
        diesel::result::Error::DeserializationError(format!("request types version {version} do not read: {e}").into())
    })?;
    Ok(VersionedTypes { version, types })
}

pub fn current_types(conn: &mut AnyConnection) -> QueryResult<Option<VersionedTypes>> {
    let row: Option<(i32, String)> =
        v::table.order(v::version.desc()).select((v::version, v::types)).first(conn).optional()?;
    row.map(|(version, json)| decode(version, &json)).transpose()
}

pub fn types_version(conn: &mut AnyConnection, version: i32) -> QueryResult<VersionedTypes> {
    let json: String = v::table.find(version).select(v::types).first(conn)?;
    decode(version, &json)
}

pub fn insert_types_version(
    conn: &mut AnyConnection,
    types: &[RequestType],
    note: &str,
    created_by: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<i32> {
    let latest: Option<i32> = v::table.select(diesel::dsl::max(v::version)).first(conn)?;
    let version = latest.unwrap_or(0) + 1;
    let json = serde_json::to_string(types).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::insert_into(v::table)
        .values((
            v::version.eq(version),
            v::types.eq(json),
            v::note.eq(note),
            v::created_by.eq(created_by),
            v::created_at.eq(at),
        ))
        .execute(conn)?;
    super::config_stamp::bump_config_stamp(conn)?;
    Ok(version)
}
