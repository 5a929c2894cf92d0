//! The digest scheduler: checks every `digest.check_interval_seconds` whether the weekly
//! digest is due (it stays due until queued, so downtime over the scheduled hour only delays
//! it) and queues it once per week and recipient; the outbox worker sends it.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Pool;
use crate::service::Error;
use crate::service::digest;
use crate::service::notify::Notifier;

pub fn check(
    pool: &Pool,
    settings: &Settings,
    notifier: &Notifier,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize, Error> {
    digest::queue_due(&mut *pool.get()?, settings, notifier, now)
}

pub async fn run(pool: Pool, settings: Arc<Settings>, notifier: Arc<Notifier>, clock: Clock) {
    let mut ticks = actix_web::rt::time::interval(Duration::from_secs(settings.digest.check_interval_seconds));
    loop {
        ticks.tick().await;
        let (pool, settings, notifier, now) = (pool.clone(), settings.clone(), notifier.clone(), clock.now());
        match actix_web::web::block(move || check(&pool, &settings, &notifier, now)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => log::info!("queued the weekly digest for {n} recipient(s)"),
            Ok(Err(e)) => log::error!("weekly digest failed: {e}"),
            Err(e) => log::error!("weekly digest could not run: {e}"),
        }
    }
}
