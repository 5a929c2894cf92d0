//! Browser sessions, as the pages use them: signing in with a password, starting, finding and
//! ending a session. Sessions are keyed by the SHA-256 of their token (`auth::hash_token`);
//! cookies and CSRF checks are the pages' (`web/session.rs`).

use chrono::{DateTime, TimeDelta, Utc};

use crate::auth::{Actor, verify_password};
use crate::db::{self, AnyConnection, to_db};
use crate::service::Error;
use crate::service::security_log;
use crate::service::users;

/// Password checks an account may have in a window, whatever their outcome.
pub const MAX_CHECKS_PER_ACCOUNT: i32 = 5;
/// Password checks one client address may have in a window, over all accounts.
pub const MAX_CHECKS_PER_ADDRESS: i32 = 20;
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;

/// What a sign-in came to.
#[derive(Debug, PartialEq, Eq)]
pub enum SignIn {
    /// The user's id.
    Signed(String),
    /// No active account with this email and password.
    Refused,
    /// No check left for this account or address in the window: the password was not looked at.
    Throttled,
    /// The password was right, but only admins sign in with one here (single sign-on is for
    /// everyone else).
    PasswordOff,
}

/// Signs in with a password, sent from `address`: a check is taken from the account's and
/// the address's windows (in the database, so every instance counts the same) before argon2
/// runs, so attempts arriving together cannot all pass a count that only failures raise.
/// Every check counts, right or wrong: at most `MAX_CHECKS_PER_ACCOUNT` per account per
/// window. Call it on the blocking pool: argon2 is slow on purpose.
pub fn sign_in(
    conn: &mut AnyConnection,
    email: &str,
    password: &str,
    address: &str,
    admins_only: bool,
    now: DateTime<Utc>,
) -> Result<SignIn, Error> {
    let cutoff = to_db(now - TimeDelta::minutes(THROTTLE_WINDOW_MINUTES));
    let account = format!("account:{}", email.trim().to_lowercase());
    let allowed = db::take_throttle_check(conn, &account, to_db(now), cutoff, MAX_CHECKS_PER_ACCOUNT)?
        && db::take_throttle_check(conn, &format!("address:{address}"), to_db(now), cutoff, MAX_CHECKS_PER_ADDRESS)?;
    // Windows that have ended, of any key, go on the way (one indexed range).
    db::forget_throttle_windows(conn, cutoff)?;
    let outcome = match allowed.then(|| check_password(conn, email, password)).transpose()? {
        None => SignIn::Throttled,
        Some(None) => SignIn::Refused,
        Some(Some(id)) if admins_only => {
            let admin = db::user_by_id(conn, &id)?.is_some_and(|u| u.role == crate::domain::Role::Admin.as_str());
            if admin { SignIn::Signed(id) } else { SignIn::PasswordOff }
        }
        Some(Some(id)) => SignIn::Signed(id),
    };
    let kind = match outcome {
        SignIn::Signed(_) => "sign_in",
        SignIn::Refused => "sign_in_failed",
        SignIn::Throttled => "sign_in_throttled",
        SignIn::PasswordOff => "sign_in_password_off",
    };
    let typed = email.trim().to_lowercase();
    let origin = security_log::Origin { actor_id: None, address: Some(address) };
    db::write_tx(conn, |c| security_log::record(c, now, kind, Some(&typed), origin, serde_json::json!({})))?;
    Ok(outcome)
}

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
/// A live session: who it is, its CSRF token, and the time zone its person chose (if any).
pub fn find(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Actor, String, Option<String>)>, Error> {
    let Some((user, csrf)) = db::session_user(conn, token_hash, to_db(now))? else { return Ok(None) };
    let timezone = user.timezone.clone();
    Ok(Some((users::actor(conn, user)?, csrf, timezone)))
}

/// Ends a session; ending one that is gone already is not an error.
pub fn end(conn: &mut AnyConnection, token_hash: &str) -> Result<(), Error> {
    db::delete_session(conn, token_hash)?;
    Ok(())
}
