//! The sign-in throttle's counters (`sign_in_throttle`), shared by every instance: how they
//! are used is `service::sessions::take_password_check`'s.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::sign_in_throttle as t;

/// Deletes every window that started at or before `cutoff`: those keys count afresh.
pub fn forget_throttle_windows(conn: &mut AnyConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    super::write_tx(conn, |conn| diesel::delete(t::table.filter(t::window_started_at.le(cutoff))).execute(conn))
}

/// Takes one of `max` checks of `key`'s window, opening a new window at `now` when it has
/// none or its window started at or before `cutoff`: whether one was left.
///
/// Each statement touches this key's row only, so no two of these (nor the deletion of old
/// windows) can wait on each other in a cycle; the conditional `UPDATE`'s affected-row count
/// makes the limit hold under any concurrency (PostgreSQL re-reads a row it waited for;
/// SQLite has one writer).
pub fn take_throttle_check(
    conn: &mut AnyConnection,
    key: &str,
    now: NaiveDateTime,
    cutoff: NaiveDateTime,
    max: i32,
) -> QueryResult<bool> {
    super::write_tx(conn, |conn| {
        let window = (t::key.eq(key), t::window_started_at.eq(now), t::attempts.eq(0));
        super::per_backend!(conn, c => diesel::insert_into(t::table).values(window).on_conflict(t::key).do_nothing().execute(c))?;
        diesel::update(t::table.filter(t::key.eq(key)).filter(t::window_started_at.le(cutoff)))
            .set((t::window_started_at.eq(now), t::attempts.eq(0)))
            .execute(conn)?;
        let taken = diesel::update(t::table.filter(t::key.eq(key)).filter(t::attempts.lt(max)))
            .set(t::attempts.eq(t::attempts + 1))
            .execute(conn)?;
        Ok(taken == 1)
    })
}
