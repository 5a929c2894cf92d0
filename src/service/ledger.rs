//! The one-off build of the ledger for requests stored before it existed: run by `changedesk
//! migrate`, in batches that each commit (so a stopped build resumes where it stopped), under
//! a lease that keeps a second instance from building at the same time.

use chrono::{DateTime, Utc};

use super::sla;
use crate::db::{self, AnyConnection, write_tx};
use crate::service::Error;

/// Requests per transaction: short enough not to hold SQLite's writer for long.
const BATCH: i64 = 500;
/// How long a claim on the build lasts without being renewed, in seconds.
const LEASE_SECONDS: i64 = 120;

/// What a build did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Built {
    /// Every request already had its ledger.
    AlreadyBuilt,
    /// This many requests got theirs.
    Now(u64),
}

/// How many requests still have no ledger; none once the ledger is built (so a built
/// database is not counted at every start).
pub fn missing(conn: &mut AnyConnection) -> Result<Option<u64>, Error> {
    if db::ledger_built(conn)? {
        return Ok(None);
    }
    Ok(Some(db::count_requests_without_ledger(conn)? as u64))
}

/// Builds the ledger of every request that has none, telling `progress` (done, total) after
/// each batch. Fails with a conflict while another instance holds the build.
pub fn build_missing(
    conn: &mut AnyConnection,
    now: &dyn Fn() -> DateTime<Utc>,
    progress: &dyn Fn(u64, u64),
) -> Result<Built, Error> {
    if db::ledger_built(conn)? {
        return Ok(Built::AlreadyBuilt);
    }
    let total = db::count_requests_without_ledger(conn)? as u64;
    let mut held = 0;
    let mut done = 0;
    loop {
        let at = now().timestamp();
        let until = at + LEASE_SECONDS;
        if !write_tx(conn, |c| Ok::<_, Error>(db::claim_ledger_build(c, at, held, until)?))? {
            return Err(Error::Conflict {
                message: "another instance is building the ledger; try again when it is done".into(),
                fields: Default::default(),
            });
        }
        held = until;
        let finished = write_tx(conn, |c| {
            let ids = db::requests_without_ledger(c, BATCH)?;
            for id in &ids {
                if let Some(mut row) = db::find_request(c, id)? {
                    sla::refresh(c, &mut row)?;
                }
            }
            done += ids.len() as u64;
            if ids.is_empty() {
                db::mark_ledger_built(c)?;
                db::claim_ledger_build(c, 0, held, 0)?;
            }
            Ok::<_, Error>(ids.is_empty())
        })?;
        progress(done, total);
        if finished {
            return Ok(Built::Now(done));
        }
    }
}
