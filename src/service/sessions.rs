//! Browser sessions, as the pages use them: signing in with a password, starting, finding and
//! ending a session. Sessions are keyed by the SHA-256 of their token (`auth::hash_token`);
//! cookies and CSRF checks are the pages' (`web/session.rs`).

use chrono::{DateTime, Utc};

use crate::auth::{Actor, verify_password};
use crate::db::{self, AnyConnection, to_db};
use crate::service::Error;
use crate::service::users;

/// The id of the active user with this email and password, if any. argon2 is slow on
/// purpose: call it on the blocking pool, like any database work.
pub fn check_password(conn: &mut AnyConnection, email: &str, password: &str) -> Result<Option<String>, Error> {
    let user = db::user_by_email(conn, email)?.filter(|u| u.active);
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    Ok(user.filter(|_| hash.is_some_and(|h| verify_password(&h, password))).map(|u| u.id))
}

/// Stores a new session for `user_id` until `expires` (expired sessions go on the way).
pub fn start(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: &str,
    csrf: &str,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<(), Error> {
    Ok(db::insert_session(conn, token_hash, user_id, csrf, to_db(now), to_db(expires))?)
}

/// The actor behind a session and the session's CSRF token, if the session exists, has not
/// expired and its user is active.
pub fn find(conn: &mut AnyConnection, token_hash: &str, now: DateTime<Utc>) -> Result<Option<(Actor, String)>, Error> {
    let Some((user, csrf)) = db::session_user(conn, token_hash, to_db(now))? else { return Ok(None) };
    Ok(Some((users::actor(conn, user)?, csrf)))
}

/// Ends a session; ending one that is gone already is not an error.
pub fn end(conn: &mut AnyConnection, token_hash: &str) -> Result<(), Error> {
    db::delete_session(conn, token_hash)?;
    Ok(())
}
