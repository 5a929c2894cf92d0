//! What the schema itself must hold, read from PostgreSQL's catalog.

use diesel::RunQueryDsl;
use diesel::sql_types::Text;

use crate::helpers::*;

#[derive(diesel::QueryableByName)]
struct Mismatch {
    #[diesel(sql_type = Text)]
    pair: String,
}

/// A join of two columns of different collations cannot use the other side's index (the
/// outbox read all of `mail_bodies` for each batch until migration 000037). PostgreSQL only:
/// SQLite compares every key byte by byte.
#[tokio::test]
async fn every_foreign_key_is_in_the_collation_of_the_key_it_names() {
    let Some(app) = spawn_app(Backend::Postgres).await else { return };
    let mut conn = app.pool.get().unwrap();
    let changedesk::db::AnyConnection::Postgresql(pg) = &mut *conn else { panic!("a PostgreSQL pool") };
    let mismatched: Vec<String> = diesel::sql_query(
        "SELECT c.conrelid::regclass || '.' || a.attname || ' -> ' || c.confrelid::regclass || '.' || f.attname AS pair \
         FROM pg_constraint c \
         CROSS JOIN LATERAL unnest(c.conkey, c.confkey) AS k(col, fcol) \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.col \
         JOIN pg_attribute f ON f.attrelid = c.confrelid AND f.attnum = k.fcol \
         WHERE c.contype = 'f' AND a.attcollation <> f.attcollation ORDER BY 1",
    )
    .load::<Mismatch>(pg)
    .unwrap()
    .into_iter()
    .map(|m| m.pair)
    .collect();
    assert_eq!(mismatched, Vec::<String>::new());
}
