//! The configuration's stamp: a counter that every change to the teams, the ownership map or
//! the SLA configuration moves in its own transaction (the functions that write those tables
//! call `bump_config_stamp`), so a process that holds them in memory checks by one
//! primary-key read whether they are still current, whichever instance changed them.

use diesel::prelude::*;

use super::AnyConnection;
use super::schema::counters;

const STAMP: &str = "config";

/// The current stamp.
pub fn config_stamp(conn: &mut AnyConnection) -> QueryResult<i64> {
    per_backend!(conn, c => counters::table.find(STAMP).select(counters::value).first(c))
}

/// Moves the stamp on; called inside the transaction that changes the configuration.
pub(super) fn bump_config_stamp(conn: &mut AnyConnection) -> QueryResult<()> {
    diesel::update(counters::table.find(STAMP)).set(counters::value.eq(counters::value + 1)).execute(conn).map(drop)
}
