//! SQLite's write-ahead log checkpointed in the background (see `db::checkpoint`): a commit
//! that crossed the automatic threshold used to copy thousands of pages into the database file
//! and sync it while its filers waited (a 40 ms tail at sixteen connections).

use std::time::Duration;

use crate::db::{self, Pool};

/// Often enough that the log stays a few thousand pages long at the highest filing rate, and
/// the automatic checkpoint inside a commit never triggers.
pub const EVERY: Duration = Duration::from_millis(50);

/// Checkpoints every `EVERY`, forever (SQLite only; the caller does not start it for PostgreSQL).
pub async fn run(pool: Pool) {
    let mut ticks = actix_web::rt::time::interval(EVERY);
    loop {
        ticks.tick().await;
        let pool = pool.clone();
        let done = actix_web::web::block(move || -> Result<(), String> {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            db::checkpoint(&mut conn).map_err(|e| e.to_string())
        })
        .await;
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => log::warn!("checkpoint failed: {e}"),
            Err(e) => log::warn!("checkpoint could not run: {e}"),
        }
    }
}
