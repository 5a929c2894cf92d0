//! `Idempotency-Key` on filing (`POST /api/v1/requests`, and the request form's hidden key), so
//! that a client that never heard its answer can file again without filing twice:
//! - a retry with the same key and body is answered with the request the first try filed;
//! - the same key with another body is a 422;
//! - the same key while the first try is still being filed is a 409 (in this process: the
//!   intake's keys in flight; from another instance: the key's primary key, written in the
//!   filing's own transaction, so only one of two concurrent filings commits).
//!
//! Keys belong to their caller (two people may use the same key) and are kept 24 hours.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};

use crate::db::{self, AnyConnection, to_db};
use crate::domain::RequestInput;
use crate::service::Error;

/// How long a key is remembered.
pub const KEEP_HOURS: i64 = 24;
/// The longest key accepted, in characters.
pub const MAX_KEY_CHARS: usize = 255;

/// A caller's key for one filing, with the fingerprint of the body it came with.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub key: String,
    body_hash: String,
}

impl IdempotencyKey {
    /// Checks the key as sent (1 to 255 visible ASCII characters) and fingerprints the body.
    pub fn new(key: &str, input: &RequestInput) -> Result<Self, Error> {
        let visible = key.bytes().all(|b| b.is_ascii_graphic());
        if key.is_empty() || key.len() > MAX_KEY_CHARS || !visible {
            return Err(Error::validation(
                "Idempotency-Key",
                format!("must be 1 to {MAX_KEY_CHARS} visible ASCII characters, such as a UUID"),
            ));
        }
        let body = serde_json::to_vec(input).map_err(|e| Error::Internal(e.into()))?;
        Ok(Self { key: key.to_owned(), body_hash: hex::encode(Sha256::digest(body)) })
    }
}

/// Inside the filing's transaction: the id of the request `caller_id` filed with this key in
/// the last 24 hours, if any. The same key with another body is refused.
pub fn prior(
    conn: &mut AnyConnection,
    caller_id: &str,
    key: &IdempotencyKey,
    now: DateTime<Utc>,
) -> Result<Option<String>, Error> {
    let since = to_db(now - TimeDelta::hours(KEEP_HOURS));
    match db::idempotency_key(conn, caller_id, &key.key, since)? {
        Some((body_hash, _)) if body_hash != key.body_hash => Err(Error::validation(
            "Idempotency-Key",
            "was used for a filing with another body; use a new key for a new request",
        )),
        Some((_, request_id)) => Ok(Some(request_id)),
        None => Ok(None),
    }
}

/// Inside the filing's transaction: records the key for the request just filed. Another
/// instance committing the same key first makes this a 409, and the filing rolls back.
pub fn record(
    conn: &mut AnyConnection,
    caller_id: &str,
    key: &IdempotencyKey,
    request_id: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let expired = to_db(now - TimeDelta::hours(KEEP_HOURS));
    db::insert_idempotency_key(conn, caller_id, &key.key, &key.body_hash, request_id, to_db(now), expired).map_err(
        |e| match e {
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => in_flight(),
            other => other.into(),
        },
    )
}

fn in_flight() -> Error {
    Error::Conflict {
        message: "a filing with this Idempotency-Key is in progress; retry in a moment to get its answer".into(),
        fields: Default::default(),
    }
}

/// The keys of this process's filings that have not been answered yet.
#[derive(Debug, Default, Clone)]
pub struct InFlight(Arc<Mutex<HashSet<(String, String)>>>);

/// Holds a key in flight until dropped (answered, failed or abandoned alike).
#[derive(Debug)]
pub struct Held {
    keys: InFlight,
    held: (String, String),
}

impl InFlight {
    /// Holds `caller_id`'s key for one filing; a second filing with it meanwhile is a 409.
    pub fn hold(&self, caller_id: &str, key: &IdempotencyKey) -> Result<Held, Error> {
        let held = (caller_id.to_owned(), key.key.clone());
        let fresh = self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(held.clone());
        if fresh { Ok(Held { keys: self.clone(), held }) } else { Err(in_flight()) }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.keys.0.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.held);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(title: &str) -> RequestInput {
        RequestInput { title: title.into(), description: "d".into(), category: "bug".into(), ..Default::default() }
    }

    #[test]
    fn keys_are_visible_ascii_and_bodies_are_told_apart() {
        let a = IdempotencyKey::new("k-1", &input("A")).unwrap();
        assert_eq!(a.body_hash, IdempotencyKey::new("k-1", &input("A")).unwrap().body_hash);
        assert_ne!(a.body_hash, IdempotencyKey::new("k-1", &input("B")).unwrap().body_hash);
        for bad in ["", "a b", "é", &"x".repeat(256), "a\n"] {
            assert!(IdempotencyKey::new(bad, &input("A")).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_key_is_held_once_until_its_filing_is_answered() {
        let keys = InFlight::default();
        let key = IdempotencyKey::new("k-1", &input("A")).unwrap();
        let held = keys.hold("ann", &key).unwrap();
        assert!(matches!(keys.hold("ann", &key), Err(Error::Conflict { .. })));
        assert!(keys.hold("bob", &key).is_ok(), "keys are their caller's");
        drop(held);
        assert!(keys.hold("ann", &key).is_ok());
    }
}
