//! The search index is written in the transaction of each change (`db::search`), so a change
//! is found by the next search after its commit. Builds before it marked changed requests in
//! `search_pending` and indexed them in batches; `catch_up` indexes what such a build left
//! marked, once, when the database is prepared (`startup::prepare_database`).

use crate::db::{self, AnyConnection, write_tx};
use crate::service::Error;

/// Requests indexed in one transaction while catching up.
const BATCH: i64 = 100;

/// Indexes every marked request; answers how many.
pub fn catch_up(conn: &mut AnyConnection) -> Result<usize, Error> {
    let mut done = 0;
    while db::any_pending(conn)? {
        let n = write_tx(conn, |c| Ok::<_, Error>(db::index_pending(c, BATCH)?))?;
        if n == 0 {
            break;
        }
        done += n;
    }
    Ok(done)
}
