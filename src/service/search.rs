//! Keeping the search index up to date: a change marks its request (`db::search`, in the
//! change's transaction); `catch_up` writes the marked requests' words into the index, in
//! batches, each its own write transaction. The search indexer runs it every 250 ms, and every
//! search runs it before it reads, so a change is found by the next search after its commit.

use crate::db::{self, AnyConnection, write_tx};
use crate::service::Error;

/// Requests indexed in one transaction: one FTS5 flush (60-80 µs) serves them all, and the
/// transaction stays short (a few milliseconds), so filings waiting for SQLite's one writer
/// wait little behind it.
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

/// A page of the request list; a search first brings the index up to date, so it finds every
/// change committed before it. The one way the API and the pages list requests.
pub fn list(
    conn: &mut AnyConnection,
    versions: &crate::service::sla::SlaVersions,
    filter: &crate::read::list::ListFilter,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<crate::read::list::RequestPage, Error> {
    if filter.search.is_some() {
        catch_up(conn)?;
    }
    crate::read::list::list(conn, versions, filter, now)
}
