//! The search indexer: every `search.index_interval_ms` (250 ms), writes the words of the requests changed since into the
//! full-text index (`service::search::catch_up`), so searches seldom find work left to do.

use std::time::Duration;

use crate::db::Pool;
use crate::service::search;

pub async fn run(pool: Pool, every: Duration) {
    let mut ticks = actix_web::rt::time::interval(every);
    loop {
        ticks.tick().await;
        let pool = pool.clone();
        let done = actix_web::web::block(move || -> Result<usize, String> {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            search::catch_up(&mut conn).map_err(|e| e.to_string())
        })
        .await;
        match done {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => log::warn!("the search indexer failed: {e}"),
            Err(e) => log::warn!("the search indexer could not run: {e}"),
        }
    }
}
