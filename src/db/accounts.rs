//! Links mailed to people (invitations, password resets) and the security log: see
//! `service::accounts` and `service::security_log`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::AnyConnection;
use super::schema::{account_links as l, security_log as s};

/// Stores a link's token hash for `user_id`, after retiring the user's unused links of the same
/// purpose: only the newest one mailed works.
pub fn insert_account_link(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: &str,
    purpose: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    let unused = l::table.filter(l::user_id.eq(user_id)).filter(l::purpose.eq(purpose)).filter(l::used_at.is_null());
    diesel::update(unused).set(l::used_at.eq(now)).execute(conn)?;
    diesel::insert_into(l::table)
        .values((
            l::token_hash.eq(token_hash),
            l::user_id.eq(user_id),
            l::purpose.eq(purpose),
            l::created_at.eq(now),
            l::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(drop)
}

/// The user of a link that is unused and unexpired at `now`, without using it.
pub fn account_link_user(
    conn: &mut AnyConnection,
    token_hash: &str,
    purpose: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<String>> {
    l::table
        .filter(l::token_hash.eq(token_hash))
        .filter(l::purpose.eq(purpose))
        .filter(l::used_at.is_null())
        .filter(l::expires_at.gt(now))
        .select(l::user_id)
        .first(conn)
        .optional()
}

/// Uses a link: whether it was still unused and unexpired (a conditional `UPDATE`, so two
/// uses at once cannot both succeed).
pub fn use_account_link(
    conn: &mut AnyConnection,
    token_hash: &str,
    purpose: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let usable = l::table
        .filter(l::token_hash.eq(token_hash))
        .filter(l::purpose.eq(purpose))
        .filter(l::used_at.is_null())
        .filter(l::expires_at.gt(now));
    Ok(diesel::update(usable).set(l::used_at.eq(now)).execute(conn)? == 1)
}

/// One line of the security log.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = s)]
pub struct SecurityLogRow {
    pub id: i64,
    #[schema(value_type = String, format = DateTime)]
    #[serde(serialize_with = "rfc3339")]
    pub at: NaiveDateTime,
    pub kind: String,
    /// The account concerned, if any.
    pub email: Option<String>,
    /// Who did it, when not the person themselves (an admin).
    pub actor_id: Option<String>,
    /// The client's address, for what came over HTTP.
    pub address: Option<String>,
    /// A JSON object with the details of the kind.
    pub detail: String,
}

/// A stored UTC time as RFC 3339 with its `Z`, as every other time of the API.
fn rfc3339<S: serde::Serializer>(at: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
}

pub fn insert_security_log(
    conn: &mut AnyConnection,
    at: NaiveDateTime,
    kind: &str,
    email: Option<&str>,
    actor_id: Option<&str>,
    address: Option<&str>,
    detail: &serde_json::Value,
) -> QueryResult<()> {
    diesel::insert_into(s::table)
        .values((
            s::at.eq(at),
            s::kind.eq(kind),
            s::email.eq(email),
            s::actor_id.eq(actor_id),
            s::address.eq(address),
            s::detail.eq(detail.to_string()),
        ))
        .execute(conn)
        .map(drop)
}

/// Newest first, `limit` lines older than the line `before` (by id), if given.
pub fn load_security_log(
    conn: &mut AnyConnection,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<SecurityLogRow>> {
    let mut q = s::table.order(s::id.desc()).limit(limit).select(SecurityLogRow::as_select()).into_boxed();
    if let Some(before) = before {
        q = q.filter(s::id.lt(before));
    }
    q.load(conn)
}
