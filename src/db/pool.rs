//! The connection pool: r2d2 with a manager that picks the backend from the URL, and a checkout
//! that asks a PostgreSQL connection whether it is alive only when it has been idle.

use std::time::{Duration, Instant};

use diesel::connection::{SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;

use super::{AnyConnection, DatabaseUrl, sqlite_setup};

pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

/// A connection used this recently is taken as alive without asking (HikariCP's "alive bypass
/// window" is half a second). Asking on every checkout was a round trip to PostgreSQL per
/// checkout, two per queue page: 8 % of the queue's rate at a million requests.
const ALIVE_WITHOUT_ASKING: Duration = Duration::from_secs(1);

/// When a pooled connection was last handed out (kept in r2d2's per-connection extensions).
struct HandedOut(Instant);

/// The pool every part of the service takes its connections from.
#[derive(Clone)]
pub struct Pool {
    inner: r2d2::Pool<ConnectionManager>,
    manager: ConnectionManager,
}

impl Pool {
    /// A connection, waiting up to the pool's timeout for one. A PostgreSQL connection idle for
    /// longer than [`ALIVE_WITHOUT_ASKING`] is asked `SELECT 1` first and, if it does not answer
    /// (the server restarted, a proxy closed it), replaced in place by a new one; when no new
    /// one can be opened either, the dead one is handed out and its first query fails as the
    /// database being unavailable.
    pub fn get(&self) -> Result<PooledConn, r2d2::PoolError> {
        let mut conn = self.inner.get()?;
        if let AnyConnection::Postgresql(_) = &*conn {
            let now = Instant::now();
            let recent = r2d2::PooledConnection::extensions(&conn)
                .get::<HandedOut>()
                .is_some_and(|at| now.duration_since(at.0) < ALIVE_WITHOUT_ASKING);
            if !recent && self.manager.is_valid(&mut conn).is_err() {
                match self.manager.connect() {
                    Ok(fresh) => *conn = fresh,
                    Err(e) => log::warn!("reopening a closed database connection: {e}"),
                }
            }
            r2d2::PooledConnection::extensions_mut(&mut conn).insert(HandedOut(now));
        }
        Ok(conn)
    }
}

/// An r2d2 manager that picks the backend from the URL, so a connection error reaches the log
/// as itself instead of the derived `establish`'s "invalid connection url".
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, Self::Error> {
        match &self.url {
            DatabaseUrl::Postgres(url) => PgConnection::establish(url)
                .map(AnyConnection::Postgresql)
                .map_err(diesel::r2d2::Error::ConnectionError),
            DatabaseUrl::Sqlite(path) => {
                sqlite_setup::configure();
                let mut conn = SqliteConnection::establish(path).map_err(diesel::r2d2::Error::ConnectionError)?;
                // busy_timeout first: switching to WAL takes a lock other connections may hold.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                     PRAGMA wal_autocheckpoint = 10000; PRAGMA mmap_size = 268435456;",
                )
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }

    /// Whether a connection still answers. r2d2 does not ask it at checkout ([`Pool::get`] does,
    /// when the connection has been idle); a SQLite connection is a file handle that stays valid.
    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), Self::Error> {
        match conn {
            AnyConnection::Sqlite(_) => Ok(()),
            AnyConnection::Postgresql(_) => conn.batch_execute("SELECT 1").map_err(diesel::r2d2::Error::QueryError),
        }
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        std::thread::panicking()
            || <AnyConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

/// Opens the pool (creating the SQLite file's folder if needed); connections open on first use.
pub fn connect(url: &DatabaseUrl, size: u32) -> anyhow::Result<Pool> {
    if let DatabaseUrl::Sqlite(path) = url
        && let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
    }
    let manager = ConnectionManager { url: url.clone() };
    let pool = r2d2::Pool::builder()
        .max_size(size)
        // Connections open on demand only, never on a background thread behind the caller's back:
        // opening them all up front on a new SQLite file made them queue on the WAL switch, and a
        // pool that refills itself may still be opening a PostgreSQL connection when a command
        // exits, which makes libpq's Kerberos library abort the process.
        .min_idle(Some(0))
        .connection_timeout(std::time::Duration::from_secs(10))
        .test_on_check_out(false)
        .build(manager.clone())
        .map_err(|e| anyhow::anyhow!("connecting to {}: {e}", url.describe()))?;
    Ok(Pool { inner: pool, manager })
}
