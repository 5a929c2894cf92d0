//! Secondary indexes (and PostgreSQL foreign keys) set aside during a big import and put back
//! before its commit: rebuilding an index by sorting beats updating it row by row.

use super::*;

/// An index or foreign key set aside: the statements that drop it and put it back.
#[derive(QueryableByName)]
pub(super) struct SetAside {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub(super) drop: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub(super) create: String,
}

/// Drops the indexes of `requests`, `request_events` and `request_stretches` that back no key (keys stay, and keep
/// checking) and, on PostgreSQL, their foreign keys (SQLite's are off during an import), and
/// returns them, to be put back in the same transaction. On PostgreSQL this locks both tables
/// until the import commits; SQLite's readers keep reading the last commit.
pub(super) fn set_aside(conn: &mut AnyConnection) -> QueryResult<Vec<SetAside>> {
    let query = match conn {
        AnyConnection::Sqlite(_) => {
            "SELECT 'DROP INDEX \"' || name || '\"' AS \"drop\", sql AS \"create\" FROM sqlite_master \
             WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('requests', 'request_events', 'request_stretches', 'request_facts')"
        }
        AnyConnection::Postgresql(_) => {
            "SELECT format('DROP INDEX %I', i.relname) AS drop, pg_get_indexdef(i.oid) AS create \
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
             WHERE t.relname IN ('requests', 'request_events', 'request_stretches', 'request_facts') AND pg_table_is_visible(t.oid) \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid) \
             UNION ALL \
             SELECT format('ALTER TABLE %I DROP CONSTRAINT %I', t.relname, c.conname), \
             format('ALTER TABLE %I ADD CONSTRAINT %I %s', t.relname, c.conname, pg_get_constraintdef(c.oid)) \
             FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
             WHERE c.contype = 'f' AND t.relname IN ('requests', 'request_events', 'request_stretches', 'request_facts') AND pg_table_is_visible(t.oid)"
        }
    };
    let set_aside: Vec<SetAside> = diesel::sql_query(query).load(conn)?;
    for item in &set_aside {
        conn.batch_execute(&item.drop)?;
    }
    Ok(set_aside)
}

/// Files at least this big, and at least as big as the tables they go into, are written with
/// the tables' secondary indexes (and, on PostgreSQL, foreign keys) set aside and put back
/// before the commit: building an index by sorting, or checking a key in one join, is several
/// times faster for a million rows than doing it row by row.
pub(super) const SET_ASIDE_FROM: usize = 50_000;

pub(super) fn set_aside_pays(conn: &mut AnyConnection, rows: usize, from: usize) -> QueryResult<bool> {
    if rows < from {
        return Ok(false);
    }
    let existing: i64 = requests::table.count().get_result(conn)?;
    Ok(rows as i64 >= existing)
}

/// SQLite settings while importing, and the pool's to restore. Foreign keys are off (checking
/// them took a third of the time): every row written refers to a user, team, map version or
/// request read or written in the same transaction, which holds the write lock. The pragma is
/// a no-op inside a transaction, hence around it. A 64 MiB page cache holds the indexes' hot
/// pages (one per requester in `requests_by_requester`) instead of rereading them.
/// Putting the indexes back sorts a million keys for each: in memory, on a helper thread too.
pub(super) const SQLITE_BULK: &str =
    "PRAGMA foreign_keys = OFF; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; PRAGMA threads = 2;";
pub(super) const SQLITE_USUAL: &str =
    "PRAGMA foreign_keys = ON; PRAGMA cache_size = -2000; PRAGMA temp_store = DEFAULT; PRAGMA threads = 0;";
