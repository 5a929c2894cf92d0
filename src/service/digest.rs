//! Sending the weekly digest: which week is due, and queueing it once per week and recipient.

use chrono::{DateTime, Datelike, TimeDelta, TimeZone, Utc};

use super::notify::Notifier;
use crate::config::Settings;
use crate::db::{self, AnyConnection};
use crate::mail::digest::render;
use crate::read::digest::{IsoWeek, build};
use crate::service::Error;

/// The week whose digest is due at `now`: the ISO week before the latest scheduled moment.
pub fn due_week(settings: &Settings, now: DateTime<Utc>) -> Option<IsoWeek> {
    let tz = settings.digest.timezone.unwrap_or(settings.org.timezone);
    let at = settings.digest.local_time()?;
    let today = now.with_timezone(&tz).date_naive();
    (0..8).map(|back| today - TimeDelta::days(back)).find_map(|day| {
        let slot = tz.from_local_datetime(&day.and_time(at)).earliest()?;
        (day.weekday() == settings.digest.weekday && slot <= now).then(|| IsoWeek::containing(day).previous())
    })
}

/// Queues the due digest for every recipient who has not had it; once per week and
/// recipient, ever (the outbox's dedupe key decides). Returns how many were queued.
pub fn queue_due(
    conn: &mut AnyConnection,
    settings: &Settings,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<usize, Error> {
    let Some(week) = due_week(settings, now) else { return Ok(0) };
    queue(conn, settings, notifier, week, now)
}

pub fn queue(
    conn: &mut AnyConnection,
    settings: &Settings,
    notifier: &Notifier,
    week: IsoWeek,
    now: DateTime<Utc>,
) -> Result<usize, Error> {
    let key = |r: &str| format!("digest:{week}:{}", r.trim().to_lowercase());
    let keys: Vec<String> = settings.digest.recipients.iter().map(|r| key(r)).collect();
    if db::dedupe_keys_present(conn, &keys)?.len() == keys.len() {
        return Ok(0);
    }
    let digest = build(conn, settings, notifier, week, now)?;
    let message = render(&digest, &notifier.org)?;
    db::write_tx(conn, |conn| {
        let mut queued = 0;
        for r in &settings.digest.recipients {
            if notifier.queue_rendered(
                conn,
                "digest",
                None,
                std::slice::from_ref(r),
                message.clone(),
                Some(key(r)),
                now,
                now,
            )? {
                queued += 1;
            }
        }
        Ok(queued)
    })
}
