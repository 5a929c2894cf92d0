//! SQLite's write-ahead log checkpointed in the background (see `db::checkpoint`): a commit
//! that crossed the automatic threshold used to copy thousands of pages into the database file
//! and sync it while its filers waited (a 40 ms tail at sixteen connections).

use std::time::Duration;

use crate::db::{self, Pool};

/// Often enough that each checkpoint is short and the log stays small at the highest filing
/// rate: at 16 connections, every 200 ms gave a 30 ms p99, every 50 ms 13 ms, every 20 ms 10 ms
/// (docs/benchmarks.md). An idle service only ticks: a round without a commit since the last one
/// does nothing.
pub const EVERY: Duration = Duration::from_millis(20);

/// Checkpoints every `EVERY`, forever (SQLite only; the caller does not start it for PostgreSQL).
pub async fn run(pool: Pool) {
    let mut ticks = actix_web::rt::time::interval(EVERY);
    let mut seen = db::sqlite_commits();
    loop {
        ticks.tick().await;
        let commits = db::sqlite_commits();
        if commits == seen {
            continue;
        }
        seen = commits;
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
