//! Filings' idempotency keys (`idempotency_keys`): see `service::idempotency`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::idempotency_keys as k;

/// The body fingerprint and request of `caller_id`'s `key`, if it was recorded after `since`.
pub fn idempotency_key(
    conn: &mut AnyConnection,
    caller_id: &str,
    key: &str,
    since: NaiveDateTime,
) -> QueryResult<Option<(String, String)>> {
    k::table
        .filter(k::caller_id.eq(caller_id))
        .filter(k::key.eq(key))
        .filter(k::created_at.gt(since))
        .select((k::body_hash, k::request_id))
        .first(conn)
        .optional()
}

/// Records a key for the request just filed, after deleting every key recorded at or before
/// `expired` (this caller's same key among them, so it can be used again).
pub fn insert_idempotency_key(
    conn: &mut AnyConnection,
    caller_id: &str,
    key: &str,
    body_hash: &str,
    request_id: &str,
    now: NaiveDateTime,
    expired: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(k::table.filter(k::created_at.le(expired))).execute(conn)?;
    diesel::insert_into(k::table)
        .values((
            k::caller_id.eq(caller_id),
            k::key.eq(key),
            k::body_hash.eq(body_hash),
            k::request_id.eq(request_id),
            k::created_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}
