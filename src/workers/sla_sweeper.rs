//! The SLA sweeper: finds requests whose clocks reached a level (at risk, breached, breached
//! twice) and records each escalation once. Safe to run on several instances at once: the
//! escalation's primary key, not a check, decides who records it.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::clock::Clock;
use crate::db::{self, Pool, to_db};
use crate::service::Error;
use crate::service::notify::Notifier;
use crate::service::sla;

const BATCH: i64 = 100;

/// Records every escalation due at `now`; returns how many this call recorded. Each request is
/// its own transaction, so one bad request cannot hold the others back.
pub fn sweep(pool: &Pool, notifier: &Notifier, now: DateTime<Utc>) -> Result<usize, Error> {
    let mut conn = pool.get()?;
    let mut recorded = 0;
    loop {
        let ids = db::due_for_sweep(&mut conn, to_db(now), BATCH)?;
        for id in &ids {
            recorded += sla::escalate(&mut conn, notifier, id, now)?;
        }
        // escalate() moves each request's sla_check_at past `now`, so the next batch is new.
        if (ids.len() as i64) < BATCH {
            return Ok(recorded);
        }
    }
}

/// Sweeps every `every`, forever: escalations, then resolved requests due to close on their own
/// (`auto_close_days` business days; 0: never). Errors are logged and the next round tries again.
pub async fn run(pool: Pool, notifier: Arc<Notifier>, clock: Clock, every: Duration, auto_close_days: u32) {
    let mut ticks = actix_web::rt::time::interval(every);
    loop {
        ticks.tick().await;
        let (pool, notifier, now) = (pool.clone(), notifier.clone(), clock.now());
        let swept = actix_web::web::block(move || {
            let escalated = sweep(&pool, &notifier, now)?;
            let closed = crate::service::requests::auto_close(&mut *pool.get()?, &notifier, auto_close_days, now)?;
            Ok::<_, Error>((escalated, closed))
        })
        .await;
        match swept {
            Ok(Ok((escalated, closed))) => {
                if escalated > 0 {
                    log::info!("SLA sweep recorded {escalated} escalation(s)");
                }
                if closed.closed + closed.warned > 0 {
                    log::info!("{} resolved request(s) closed on their own, {} warned", closed.closed, closed.warned);
                }
            }
            Ok(Err(e)) => log::error!("SLA sweep failed: {e}"),
            Err(e) => log::error!("SLA sweep could not run: {e}"),
        }
    }
}
