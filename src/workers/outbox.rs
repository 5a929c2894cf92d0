//! The outbox worker: claims due messages, sends them, marks them sent, or schedules a retry
//! with exponential backoff and jitter; after `max_attempts` a message is parked as failed
//! with its last error for an admin to see and retry.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;

use crate::clock::Clock;
use crate::config::OutboxSettings;
use crate::db::{self, Pool, to_db};
use crate::mail::Mailer;
use crate::service::Error;

/// Due messages read per round trip.
const BATCH: i64 = 500;
/// How long a claim holds: longer than any SMTP timeout, so a live sender is never overtaken,
/// and a crashed one's messages are picked up again afterwards.
const LEASE: TimeDelta = TimeDelta::minutes(10);

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Dispatched {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Delay before retry number `attempts` (1-based): base · 2^(attempts-1), capped, ±20%.
pub fn backoff(settings: &OutboxSettings, attempts: i32) -> TimeDelta {
    let exponent = attempts.saturating_sub(1).clamp(0, 30) as u32;
    let seconds = settings.backoff_base_seconds.saturating_mul(1u64 << exponent).min(settings.backoff_max_seconds);
    let jitter = rand::rng().random_range(0.8..=1.2);
    TimeDelta::milliseconds((seconds as f64 * 1000.0 * jitter) as i64)
}

async fn blocking<T: Send + 'static>(
    pool: &Pool,
    f: impl FnOnce(&mut db::AnyConnection) -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    let pool = pool.clone();
    web::block(move || f(&mut *pool.get()?))
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("blocking task failed: {e}")))?
}

/// Sends everything due at `now`.
pub async fn dispatch(
    pool: &Pool,
    mailer: &Mailer,
    settings: &OutboxSettings,
    now: DateTime<Utc>,
) -> Result<Dispatched, Error> {
    let mut done = Dispatched::default();
    loop {
        let ids = blocking(pool, move |c| Ok(db::due_mail(c, to_db(now), BATCH)?)).await?;
        for chunk in ids.chunks(mailer.claim_size()) {
            let chunk = chunk.to_vec();
            let taken = if mailer.needs_claim() { db::Taken::Claimed } else { db::Taken::Read(to_db(now)) };
            let claimed = match taken {
                db::Taken::Claimed => {
                    // A lease instant of its own (jittered by up to a second) tells this sender's
                    // claims from another instance's claiming at the same moment. Those another
                    // instance claimed first are simply not returned.
                    let lease = to_db(now + LEASE + TimeDelta::microseconds(rand::rng().random_range(0..1_000_000)));
                    blocking(pool, move |c| Ok(db::claim_mail_batch(c, &chunk, to_db(now), lease)?)).await?
                }
                db::Taken::Read(at) => blocking(pool, move |c| Ok(db::ready_mail(c, &chunk, at)?)).await?,
            };
            let mut sent = Vec::with_capacity(claimed.len());
            let results = mailer.send_all(&claimed).await;
            for (row, result) in claimed.into_iter().zip(results) {
                match result {
                    Ok(()) => sent.push(row.id),
                    Err(error) => {
                        let retry_at =
                            (row.attempts < settings.max_attempts).then(|| now + backoff(settings, row.attempts));
                        log::warn!("mail {} attempt {} failed: {error}", row.id, row.attempts);
                        let (id, retry_db) = (row.id, retry_at.map(to_db));
                        blocking(pool, move |c| Ok(db::mark_attempt_failed(c, &id, &error, retry_db, taken)?)).await?;
                        if retry_at.is_some() { done.retrying += 1 } else { done.failed += 1 }
                    }
                }
            }
            done.sent += sent.len();
            if !sent.is_empty() {
                blocking(pool, move |c| Ok(db::mark_sent_batch(c, &sent, to_db(now), taken)?)).await?;
            }
        }
        if (ids.len() as i64) < BATCH {
            return Ok(done);
        }
    }
}

/// Dispatches every `poll_interval_seconds`, forever.
pub async fn run(pool: Pool, mailer: Arc<Mailer>, settings: OutboxSettings, clock: Clock) {
    // The first round one interval after start, like every other: a round at the very start
    // would race the first requests of a process that has just come up (tests among them).
    let every = Duration::from_secs(settings.poll_interval_seconds);
    let mut ticks = actix_web::rt::time::interval_at(actix_web::rt::time::Instant::now() + every, every);
    loop {
        ticks.tick().await;
        match dispatch(&pool, &mailer, &settings, clock.now()).await {
            Ok(d) if d == Dispatched::default() => {}
            Ok(d) => log::info!("mail: {} sent, {} to retry, {} failed", d.sent, d.retrying, d.failed),
            Err(e) => log::error!("mail dispatch failed: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap() {
        let s = OutboxSettings {
            poll_interval_seconds: 5,
            max_attempts: 8,
            backoff_base_seconds: 30,
            backoff_max_seconds: 3600,
        };
        for (attempt, nominal) in [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (40, 3600)] {
            let d = backoff(&s, attempt).num_milliseconds();
            let (lo, hi) = (nominal * 800, nominal * 1200);
            assert!((lo..=hi).contains(&d), "attempt {attempt}: {d} ms not within {lo}..={hi}");
        }
    }
}
