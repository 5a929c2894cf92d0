//! The sweep of staged files: uploads whose request or comment never came (a browser closed
//! mid-upload, a process killed between staging and attaching) are removed once older than
//! `attachments.staged_minutes`.

use std::time::Duration;

use crate::clock::Clock;
use crate::config::AttachmentSettings;
use crate::db::Pool;
use crate::service::attachments;

/// How often the sweep looks: a staged file lives at most this much past its time.
pub const EVERY: Duration = Duration::from_secs(300);

pub async fn run(pool: Pool, settings: AttachmentSettings, clock: Clock) {
    let mut ticks = actix_web::rt::time::interval(EVERY);
    loop {
        ticks.tick().await;
        let (pool, settings, now) = (pool.clone(), settings.clone(), clock.now());
        let swept = actix_web::web::block(move || -> Result<usize, String> {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            attachments::sweep(&mut conn, &settings, now).map_err(|e| e.to_string())
        })
        .await;
        match swept {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => log::info!("removed {n} staged file(s) that were never attached"),
            Ok(Err(e)) => log::warn!("the staged-file sweep failed: {e}"),
            Err(e) => log::warn!("the staged-file sweep could not run: {e}"),
        }
    }
}
