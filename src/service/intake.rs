//! Filing's door to the database: filings wait in one bounded queue for a writer thread, which
//! takes every filing waiting (up to `BATCH`) and commits them in one transaction; if one of
//! them is refused, the group is filed again with a savepoint per filing, so one refused filing
//! never fails its neighbours. Each filer is answered only after the commit that holds its
//! request, so an acknowledged filing is never lost; if the commit fails, every filing of the
//! group is answered with that failure.
//!
//! Why: on SQLite one commit is the expensive part of a filing (its pages written to the log,
//! the lock handed to the next writer), and sixteen filers each taking the lock in turn spent
//! more on taking turns than on filing. On PostgreSQL the request-key counter row is held from
//! a filing's first write to its commit, so filings serialise there anyway; grouping them shares
//! one commit (one WAL flush) among the group.
//!
//! Overload is an answer: a filing that finds the queue full, or that waited longer than
//! `write_wait` without starting, is answered 503 `unavailable` (with `Retry-After`), having
//! written nothing. A filing with an idempotency key (`service::idempotency`) is answered with
//! the request its key filed before, if any, from inside the same transaction. The writer takes the same write turn (`db::write_tx`) as every other write,
//! so other changes, the import and `verify --repair` interleave between groups.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use diesel::Connection;
use tokio::sync::oneshot;

use crate::auth::Actor;
use crate::db::{self, AnyConnection, Pool, write_tx};
use crate::domain::RequestInput;
use crate::read::views::RequestDetail;
use crate::service::Error;
use crate::service::idempotency::{self, IdempotencyKey, InFlight};
use crate::service::in_force::ConfigCache;
use crate::service::notify::Notifier;
use crate::service::requests;

/// The most filings one commit holds: enough to empty the queue of a busy moment, few enough
/// that the first of them is not kept waiting for the last.
const BATCH: usize = 64;

/// One filing: who files what, and when.
pub struct Filing {
    pub actor: Actor,
    pub input: RequestInput,
    pub now: DateTime<Utc>,
    /// The caller's `Idempotency-Key`, if they sent one.
    pub idempotency: Option<IdempotencyKey>,
    /// Files the caller staged (`service::attachments`), attached in the filing's transaction.
    pub files: Vec<String>,
}

/// A filing's answer: the request, and whether an earlier filing with the same idempotency
/// key had filed it (then nothing new was written).
#[derive(Debug)]
pub struct Filed {
    pub detail: RequestDetail,
    pub replayed: bool,
}

struct Job {
    filing: Filing,
    queued: Instant,
    reply: oneshot::Sender<Result<Filed, Error>>,
}

/// The queue's sending end, shared by every worker.
pub struct Intake {
    queue: SyncSender<Job>,
    in_flight: InFlight,
}

/// What the writer needs besides the queue.
struct Writer {
    pool: Pool,
    notifier: Arc<Notifier>,
    config: Arc<ConfigCache>,
    wait: Duration,
}

impl Intake {
    /// Starts the writer thread; it ends when the last `Intake` is dropped.
    pub fn start(
        pool: Pool,
        notifier: Arc<Notifier>,
        config: Arc<ConfigCache>,
        capacity: usize,
        wait: Duration,
    ) -> std::io::Result<Self> {
        let (queue, waiting) = mpsc::sync_channel(capacity);
        let writer = Writer { pool, notifier, config, wait };
        std::thread::Builder::new().name("changedesk-intake".into()).spawn(move || writer.run(waiting))?;
        Ok(Self { queue, in_flight: InFlight::default() })
    }

    /// Files a request; answers once the commit that holds it is done.
    pub async fn file(&self, filing: Filing) -> Result<Filed, Error> {
        requests::check_filing(&filing.input)?;
        // Held until this filing is answered, or its caller gives up waiting.
        let _held = filing.idempotency.as_ref().map(|key| self.in_flight.hold(&filing.actor.id, key)).transpose()?;
        let (reply, answer) = oneshot::channel();
        match self.queue.try_send(Job { filing, queued: Instant::now(), reply }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(Error::Unavailable("the filing queue is full".into())),
            Err(TrySendError::Disconnected(_)) => {
                return Err(Error::Unavailable("the filing writer has stopped".into()));
            }
        }
        answer.await.map_err(|_| Error::Internal(anyhow::anyhow!("the filing writer dropped a filing")))?
    }
}

impl Writer {
    fn run(self, waiting: Receiver<Job>) {
        while let Ok(first) = waiting.recv() {
            let mut group = vec![first];
            while group.len() < BATCH {
                match waiting.try_recv() {
                    Ok(job) => group.push(job),
                    Err(_) => break,
                }
            }
            // Those that waited past their deadline never start: nothing of theirs is written.
            let (late, group): (Vec<Job>, Vec<Job>) = group.into_iter().partition(|j| j.queued.elapsed() > self.wait);
            for job in late {
                let waited = job.queued.elapsed().as_millis();
                let _ = job.reply.send(Err(Error::Unavailable(format!("no turn to write within {waited} ms"))));
            }
            if group.is_empty() {
                continue;
            }
            // A panic answers its group with an internal error (the replies are dropped) and
            // discards the connection (r2d2 drops one returned while panicking); the writer lives on.
            if catch_unwind(AssertUnwindSafe(|| self.commit(group))).is_err() {
                log::error!("the filing writer panicked; that group's filers were answered 500");
            }
        }
    }

    /// Commits a group of filings, each in its own savepoint, and answers each filer.
    fn commit(&self, group: Vec<Job>) {
        let mut conn = match self.pool.get() {
            Ok(conn) => conn,
            Err(e) => return answer_all(group, &Error::from(e)),
        };
        // A filing's search index row joins the group's `words` once all it writes is written;
        // the group's rows are written last (`db::index_new`).
        let file = |conn: &mut AnyConnection, job: &Job, words: &mut Vec<db::NewWords>| {
            let Filing { actor, input, now, idempotency, files } = &job.filing;
            if let Some(key) = idempotency
                && let Some(request_id) = idempotency::prior(conn, &actor.id, key, *now)?
            {
                let detail = requests::show(conn, actor, &request_id, *now)?;
                return Ok(Filed { detail, replayed: true });
            }
            let (detail, mine) = requests::file(conn, actor, &self.notifier, &self.config, input, *now)?;
            if !files.is_empty() {
                super::attachments::attach(conn, actor, files, &detail.request.id, None, false, *now)?;
            }
            if let Some(key) = idempotency {
                idempotency::record(conn, &actor.id, key, &detail.request.id, *now)?;
            }
            words.push(mine);
            Ok(Filed { detail, replayed: false })
        };
        // First without savepoints: a filing refused inside the transaction is rare (its input
        // was checked before it queued), and a savepoint per filing copied every page it changed
        // into the statement journal. If one is refused, the group is rolled back and filed
        // again with a savepoint each, so the refused one fails alone; alone, its own failure
        // rolls back the whole transaction anyway.
        let refused = std::cell::Cell::new(false);
        let all_or_nothing: Result<Vec<Result<Filed, Error>>, Error> = write_tx(&mut conn, |conn| {
            let mut words = Vec::new();
            let filed = group.iter().map(|job| file(conn, job, &mut words).inspect_err(|_| refused.set(true)).map(Ok));
            let filed = filed.collect::<Result<_, Error>>()?;
            db::index_new(conn, words)?;
            Ok(filed)
        });
        let filed = match all_or_nothing {
            Err(_) if refused.get() && group.len() > 1 => write_tx(&mut conn, |conn| {
                let mut words = Vec::new();
                let filed = group.iter().map(|job| conn.transaction(|c| file(c, job, &mut words))).collect();
                db::index_new(conn, words)?;
                Ok(filed)
            }),
            done => done,
        };
        match filed {
            Ok(results) => {
                for (job, result) in group.into_iter().zip(results) {
                    let _ = job.reply.send(result);
                }
            }
            Err(e) if group.len() == 1 => {
                if let Some(job) = group.into_iter().next() {
                    let _ = job.reply.send(Err(e));
                }
            }
            Err(e) => answer_all(group, &e),
        }
    }
}

/// The commit failed: every filer of the group hears why (none of them was written).
fn answer_all(group: Vec<Job>, error: &Error) {
    log::error!("a group of {} filing(s) was not committed: {error}", group.len());
    for job in group {
        let again = match error {
            Error::Unavailable(m) => Error::Unavailable(m.clone()),
            other => Error::Internal(anyhow::anyhow!("committing the filing: {other}")),
        };
        let _ = job.reply.send(Err(again));
    }
}
