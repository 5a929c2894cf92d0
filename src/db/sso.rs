//! Single sign-on's logins in progress and linked identities: see `service::sso`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{identities as i, sso_logins as l};

/// A login in progress, as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = l)]
pub struct SsoLoginRow {
    pub state_hash: String,
    pub browser_hash: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next_path: String,
    pub expires_at: NaiveDateTime,
}

/// Stores a login, after deleting every expired one.
pub fn insert_sso_login(conn: &mut AnyConnection, row: &SsoLoginRow, now: NaiveDateTime) -> QueryResult<()> {
    diesel::delete(l::table.filter(l::expires_at.le(now))).execute(conn)?;
    diesel::insert_into(l::table).values(row).execute(conn).map(drop)
}

/// Takes a login by its state's hash: it is deleted, so it is used once.
pub fn take_sso_login(conn: &mut AnyConnection, state_hash: &str) -> QueryResult<Option<SsoLoginRow>> {
    let row = l::table.find(state_hash).select(SsoLoginRow::as_select()).first(conn).optional()?;
    if row.is_some() && diesel::delete(l::table.find(state_hash)).execute(conn)? != 1 {
        return Ok(None);
    }
    Ok(row)
}

pub fn identity_user(conn: &mut AnyConnection, issuer: &str, subject: &str) -> QueryResult<Option<String>> {
    i::table.find((issuer, subject)).select(i::user_id).first(conn).optional()
}

pub fn insert_identity(
    conn: &mut AnyConnection,
    issuer: &str,
    subject: &str,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(i::table)
        .values((i::issuer.eq(issuer), i::subject.eq(subject), i::user_id.eq(user_id), i::created_at.eq(now)))
        .execute(conn)
        .map(drop)
}
