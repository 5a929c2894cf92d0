//! The IMAP worker: takes in new mail from `[mail.imap]`'s mailbox as `changedesk mailgate`
//! does (`service::inbound`), then moves each message to the done folder, used or kept as
//! rejected. A message is moved only after the database has it, so a crash, a restart or the
//! IMAP server going away in between means it is taken again, and its Message-ID (used once)
//! makes the second time a no-op. One instance at a time holds the mailbox, by a lease in the
//! database; the others wait for it to expire. Between passes it waits with IDLE (or a pause);
//! after a failure it connects again, backing off up to a minute.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::clock::Clock;
use crate::config::{ImapSettings, Settings};
use crate::db::{self, Pool, to_db, write_tx};
use crate::mail::imap::Mailbox;
use crate::service::Error;
use crate::service::in_force::ConfigCache;
use crate::service::inbound::{self, Inbound, Outcome};
use crate::service::notify::Notifier;

/// The lease's name in the `leases` table.
pub const LEASE: &str = "imap";

const BACKOFF_MAX: Duration = Duration::from_secs(60);

/// What the worker shares with the service.
#[derive(Clone)]
pub struct Context {
    pub pool: Pool,
    pub settings: Arc<Settings>,
    pub notifier: Arc<Notifier>,
    pub config: Arc<ConfigCache>,
    pub clock: Clock,
}

pub async fn run(cx: Context) {
    let Some(imap) = cx.settings.mail.imap.clone() else { return std::future::pending().await };
    let mut lease = Lease::new(&cx, &imap);
    let mut backoff = Duration::from_secs(1);
    loop {
        let mut connected = false;
        let held = hold(&cx, &imap, &mut lease, &mut connected).await;
        if connected {
            // A session was made: what failed now is news, not the same failure again.
            backoff = Duration::from_secs(1);
        }
        let pause = match held {
            // Another instance holds the mailbox: look again when its lease may have run out.
            Ok(()) => {
                backoff = Duration::from_secs(1);
                Duration::from_secs(imap.poll_seconds)
            }
            Err(e) => {
                log::warn!("IMAP {}:{}: {e}; connecting again in {} s", imap.host, imap.port, backoff.as_secs());
                let pause = backoff;
                backoff = (backoff * 2).min(BACKOFF_MAX);
                pause
            }
        };
        actix_web::rt::time::sleep(pause).await;
    }
}

/// While this instance holds the lease: one session, taking in mail and waiting for more.
/// Ends (Ok) when the lease is held elsewhere; a failure ends the session. `connected` says
/// whether a session was made.
async fn hold(cx: &Context, imap: &ImapSettings, lease: &mut Lease, connected: &mut bool) -> Result<(), String> {
    if !lease.keep().await? {
        return Ok(());
    }
    let mut mailbox = Mailbox::open(imap).await.map_err(|e| e.to_string())?;
    *connected = true;
    loop {
        if !take_in(cx, imap, &mut mailbox, lease).await? {
            mailbox.logout().await;
            return Ok(());
        }
        mailbox = mailbox.wait(Duration::from_secs(imap.poll_seconds)).await.map_err(|e| e.to_string())?;
        if !lease.keep().await? {
            mailbox.logout().await;
            return Ok(());
        }
    }
}

/// Takes in every message in the mailbox; false when the lease was lost on the way.
pub async fn take_in(
    cx: &Context,
    imap: &ImapSettings,
    mailbox: &mut Mailbox,
    lease: &mut Lease,
) -> Result<bool, String> {
    let max = cx.settings.mail.inbound.max_bytes;
    for (uid, size) in mailbox.list().await.map_err(|e| e.to_string())? {
        if !lease.keep().await? {
            return Ok(false);
        }
        let over = u64::from(size) > max;
        // Not there (moved by hand, or the answer was cut short): the next pass looks again.
        let Some(raw) = mailbox.fetch(uid, over).await.map_err(|e| e.to_string())? else { continue };
        let outcome = blocking(cx, move |conn, cx| {
            let now = cx.clock.now();
            if over {
                inbound::too_big(conn, &raw, size as usize, now)?;
                return Ok(Outcome::Rejected(format!("over the size limit ({size} bytes)")));
            }
            let inbound = Inbound { settings: &cx.settings, notifier: &cx.notifier, config: &cx.config };
            inbound::receive(conn, &inbound, &raw, now)
        })
        .await
        // The database is away: leave the message where it is, for the next session.
        .map_err(|e| format!("taking in message {uid}: {e}"))?;
        log::info!("IMAP message {uid}: {outcome:?}");
        mailbox.move_to(uid, &imap.done_folder).await.map_err(|e| e.to_string())?;
    }
    Ok(true)
}

async fn blocking<T: Send + 'static>(
    cx: &Context,
    f: impl FnOnce(&mut db::AnyConnection, &Context) -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    let cx = cx.clone();
    actix_web::web::block(move || f(&mut *cx.pool.get()?, &cx))
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("the blocking pool: {e}")))?
}

/// The mailbox's lease, renewed once a third of it has passed.
pub struct Lease {
    pub holder: String,
    renewed: Option<Instant>,
    cx: Context,
    imap: ImapSettings,
}

impl Lease {
    pub fn new(cx: &Context, imap: &ImapSettings) -> Self {
        Self { holder: uuid::Uuid::now_v7().to_string(), renewed: None, cx: cx.clone(), imap: imap.clone() }
    }

    /// Whether this instance (still) holds the mailbox.
    pub async fn keep(&mut self) -> Result<bool, String> {
        let length = Duration::from_secs(self.imap.lease_seconds);
        if self.renewed.is_some_and(|at| at.elapsed() < length / 3) {
            return Ok(true);
        }
        let holder = self.holder.clone();
        let held = blocking(&self.cx, move |conn, cx| {
            let now = cx.clock.now();
            let until = now + chrono::TimeDelta::from_std(length).unwrap_or(chrono::TimeDelta::MAX);
            Ok(write_tx(conn, |c| db::take_lease(c, LEASE, &holder, to_db(now), to_db(until)))?)
        })
        .await
        .map_err(|e| format!("the lease: {e}"))?;
        self.renewed = held.then(Instant::now);
        Ok(held)
    }
}
