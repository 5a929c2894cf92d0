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
