//! Process-wide SQLite settings, set once before the first connection opens. The one place
//! with `unsafe`: diesel does not expose `sqlite3_config` or `sqlite3_db_config`, so they are
//! called through libsqlite3-sys (the crate diesel itself links).
//!
//! - Multi-thread mode instead of serialized: the pool hands each connection to one thread at
//!   a time, so SQLite's mutex around every API call (a lock per column read) buys nothing.
//! - No memory statistics: they take a global mutex on every allocation.
//! - The query planner stability guarantee (QPSG) on every connection: without it, a statement
//!   whose plan could depend on a bound value (any `LIMIT ?`) is marked expired when a value is
//!   bound and prepared again on every run, which defeats diesel's statement cache.
//! - Statement journals kept in memory (SQLite's default spills them to a temporary file past
//!   64 KiB): the filing writer gives each filing of a group a savepoint, whose journal holds
//!   the first image of every page the filing changes (about forty), so with the default every
//!   savepoint created, wrote and removed a file of its own. A positive limit is also the size
//!   of the journal's first allocation, so none (`-1`): a journal holds only pages that
//!   existed before its savepoint, released when the savepoint is.

use std::os::raw::{c_char, c_int};

use libsqlite3_sys as ffi;

/// Statement journals never spill to a temporary file.
const STATEMENT_JOURNAL_IN_MEMORY: c_int = -1;

/// Runs once per process, before any SQLite connection is opened (later calls do nothing).
pub fn configure() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config is called before SQLite is initialised in this process (it
        // returns SQLITE_MISUSE, changing nothing, if something initialised it earlier), with
        // the argument lists its documentation gives for these options. sqlite3_auto_extension
        // takes a function pointer that lives as long as the program.
        unsafe {
            ffi::sqlite3_config(ffi::SQLITE_CONFIG_MULTITHREAD);
            ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as c_int);
            ffi::sqlite3_config(ffi::SQLITE_CONFIG_STMTJRNL_SPILL, STATEMENT_JOURNAL_IN_MEMORY);
            ffi::sqlite3_auto_extension(Some(on_open));
        }
    });
}

/// Called by SQLite for each connection it opens.
unsafe extern "C" fn on_open(
    db: *mut ffi::sqlite3,
    _error: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: `db` is the connection being opened; SQLITE_DBCONFIG_ENABLE_QPSG takes an int
    // and a nullable int pointer for the previous setting.
    unsafe { ffi::sqlite3_db_config(db, ffi::SQLITE_DBCONFIG_ENABLE_QPSG, 1 as c_int, std::ptr::null_mut::<c_int>()) };
    ffi::SQLITE_OK
}
