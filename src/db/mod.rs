//! The database: one connection type for SQLite and PostgreSQL, the pool, migrations and the
//! write-transaction helper. Which backend runs is decided by the URL scheme at start-up.

pub mod schema;

/// Runs the query `$query` builds on the backend's own connection instead of through the
/// multi-backend one: diesel then builds it for that backend directly, where the multi-backend
/// connection serialized every statement through its own layer on every call (a tenth of a
/// filing's CPU, by a profile). For the statements of hot paths; `$query` is written once and
/// type-checked for each backend.
macro_rules! per_backend {
    ($conn:expr, $c:ident => $query:expr) => {
        match $conn {
            $crate::db::AnyConnection::Sqlite($c) => $query,
            $crate::db::AnyConnection::Postgresql($c) => $query,
        }
    };
}
pub(crate) use per_backend;

mod accounts;
mod agreements;
mod attachments;
mod audit;
mod canned;
mod config_stamp;
mod facts;
mod facts_store;
mod idempotency;
mod ledger;
mod links;
mod list;
mod mail;
mod pool;
mod report_groups;
mod reports;
mod request_types;
mod requests;
mod routing;
mod scorecard;
mod search;
mod sla;
mod sqlite_setup;
mod sso;
mod teams;
mod throttle;
mod users;
mod views;
mod whatif;

pub use accounts::*;
pub use agreements::*;
pub use attachments::*;
pub use audit::*;
pub use canned::*;
pub use config_stamp::config_stamp;
pub use facts::*;
pub use facts_store::*;
pub use idempotency::*;
pub use ledger::*;
pub use links::*;
pub use list::*;
pub use mail::*;
pub use pool::{ConnectionManager, Pool, PooledConn, connect};
pub use report_groups::*;
pub use reports::*;
pub use request_types::*;
pub use requests::*;
pub use routing::*;
pub use scorecard::*;
pub use search::*;
pub use sla::*;
pub use sso::*;
pub use teams::*;
pub use throttle::*;
pub use users::*;
pub use views::*;
pub use whatif::*;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to whichever backend the URL named; queries are written once for both.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// The two backends, told apart by the URL scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    /// A file path (`sqlite://data/x.db`, `sqlite:///abs/x.db` or a bare path).
    Sqlite(String),
}

impl DatabaseUrl {
    /// `postgres://` or `postgresql://`; `sqlite://PATH`, `sqlite:PATH` or a bare path. Any other
    /// scheme is refused, so a typo cannot quietly create a SQLite file.
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
        match path.split_once("://") {
            Some((scheme, _)) => {
                Err(format!("unsupported database scheme '{scheme}://'; use sqlite:// or postgres://"))
            }
            None if path.is_empty() => Err("the SQLite path is empty".into()),
            None => Ok(Self::Sqlite(path.to_owned())),
        }
    }

    /// What may be logged: the backend and the SQLite path or the PostgreSQL host, never a password.
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("SQLite at {path}"),
            Self::Postgres(url) => match url::Url::parse(url) {
                Ok(u) => format!(
                    "PostgreSQL at {}:{}{}",
                    u.host_str().unwrap_or("localhost"),
                    u.port().unwrap_or(5432),
                    u.path()
                ),
                Err(_) => "PostgreSQL".to_owned(),
            },
        }
    }
}

/// Applies the embedded migrations that have not run yet; returns how many ran.
pub fn migrate(conn: &mut AnyConnection) -> anyhow::Result<usize> {
    let applied = match conn {
        AnyConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("running migrations: {e}"))?;
    Ok(applied.len())
}

/// Reverts the newest applied migration (an operator's way back after a failed upgrade);
/// returns its name.
pub fn revert_last_migration(conn: &mut AnyConnection) -> anyhow::Result<String> {
    let reverted = match conn {
        AnyConnection::Postgresql(c) => c.revert_last_migration(POSTGRES_MIGRATIONS),
        AnyConnection::Sqlite(c) => c.revert_last_migration(SQLITE_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("reverting the last migration: {e}"))?;
    Ok(reverted.to_string())
}

/// The turn of this process's SQLite write transactions (one database per process in service;
/// a process with several, like the tests, just queues their writes together).
static SQLITE_WRITERS: parking_lot::FairMutex<()> = parking_lot::const_fair_mutex(());

/// SQLite write transactions this process has committed: the checkpointer's sign that the
/// log has grown since it last looked.
static SQLITE_COMMITS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub fn sqlite_commits() -> u64 {
    SQLITE_COMMITS.load(std::sync::atomic::Ordering::Relaxed)
}

/// How long a writer waits for its turn, as busy_timeout does for the file lock.
const WRITE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// How SQLite says a writer gave up on the lock (busy_timeout, or the turn above).
pub const LOCKED: &str = "database is locked";

/// Runs `f` in one write transaction. On SQLite it begins IMMEDIATE, so the write lock is
/// taken up front and two writers queue on busy_timeout instead of failing on lock upgrade.
pub fn write_tx<T, E>(conn: &mut AnyConnection, f: impl FnOnce(&mut AnyConnection) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    // SQLite has one writer: the writers of this process queue in order on a fair lock instead
    // of meeting on the file lock and retrying it in busy_timeout's sleeps (whose growing
    // intervals gave one filing in a hundred a second's wait at sixteen connections). Other
    // processes still meet BEGIN IMMEDIATE and busy_timeout. PostgreSQL writers stay concurrent.
    let turn = match conn {
        AnyConnection::Sqlite(c) => {
            // As long as busy_timeout would have waited; then the same "database is locked".
            let turn = SQLITE_WRITERS.try_lock_for(WRITE_WAIT).ok_or_else(|| {
                diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::Unknown,
                    Box::new(format!("{LOCKED}: no turn to write within {} s", WRITE_WAIT.as_secs())),
                )
            })?;
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
            Some(turn)
        }
        AnyConnection::Postgresql(c) => {
            AnsiTransactionManager::begin_transaction(c)?;
            None
        }
    };
    match f(conn) {
        Ok(value) => {
            <AnyConnection as Connection>::TransactionManager::commit_transaction(conn)?;
            if turn.is_some() {
                SQLITE_COMMITS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Ok(value)
        }
        Err(e) => {
            // The caller's error is what matters; a failed rollback leaves the connection
            // marked broken and r2d2 discards it.
            if let Err(rollback) = <AnyConnection as Connection>::TransactionManager::rollback_transaction(conn) {
                log::error!("rollback failed: {rollback}");
            }
            Err(e)
        }
    }
}

/// Copies SQLite's write-ahead log back into the database file as far as no reader still
/// needs it (a PASSIVE checkpoint: it never waits for, nor blocks, a writer). The service runs
/// it in the background (`workers::checkpoint`), so a commit never pays for one; a connection
/// checkpoints by itself only past `wal_autocheckpoint` pages (10,000, 40 MB), a safety net for
/// processes that run none, and a page written many times between two checkpoints is copied
/// once. Nothing to do on PostgreSQL.
pub fn checkpoint(conn: &mut AnyConnection) -> QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)"),
        AnyConnection::Postgresql(_) => Ok(()),
    }
}

/// Current UTC time as stored: naive, microsecond precision on both backends.
pub fn to_db(t: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    t.naive_utc()
}

pub fn from_db(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    t.and_utc()
}

#[cfg(test)]
mod tests {
    use super::DatabaseUrl;

    #[test]
    fn the_scheme_picks_the_backend_and_typos_are_refused() {
        assert_eq!(DatabaseUrl::parse("postgres://u@h/db"), Ok(DatabaseUrl::Postgres("postgres://u@h/db".into())));
        assert_eq!(DatabaseUrl::parse("sqlite://data/x.db"), Ok(DatabaseUrl::Sqlite("data/x.db".into())));
        assert_eq!(DatabaseUrl::parse("sqlite:///tmp/x.db"), Ok(DatabaseUrl::Sqlite("/tmp/x.db".into())));
        assert_eq!(DatabaseUrl::parse("data/x.db"), Ok(DatabaseUrl::Sqlite("data/x.db".into())));
        assert!(DatabaseUrl::parse("postgress://u@h/db").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }
}
