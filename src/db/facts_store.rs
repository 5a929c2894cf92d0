//! Reading and writing a request's stored report facts rows (the row types are in `facts.rs`).

use diesel::prelude::*;

use super::AnyConnection;
use super::facts::FactsRow;
use super::schema::request_facts;

pub fn facts_of(conn: &mut AnyConnection, request_id: &str) -> QueryResult<Vec<FactsRow>> {
    request_facts::table
        .filter(request_facts::request_id.eq(request_id))
        .order(request_facts::seq)
        .select(FactsRow::as_select())
        .load(conn)
}

/// The facts of several requests in one query, each in order.
pub fn facts_of_many(conn: &mut AnyConnection, ids: &[&str]) -> QueryResult<Vec<FactsRow>> {
    request_facts::table
        .filter(request_facts::request_id.eq_any(ids))
        .order((request_facts::request_id, request_facts::seq))
        .select(FactsRow::as_select())
        .load(conn)
}

/// A request's clocks to the requester, as a page of requests shows them: no more columns
/// than that (the facts row has 42).
/// Stores the facts rows of a request just filed (nothing stored yet to compare with).
pub fn insert_facts(conn: &mut AnyConnection, rows: &[FactsRow]) -> QueryResult<()> {
    // One statement per row: the multi-backend connection has no batch insert (a new request
    // has one or two rows).
    for row in rows {
        per_backend!(&mut *conn, c => diesel::insert_into(request_facts::table).values(row).execute(c))?;
    }
    Ok(())
}

/// Makes the stored facts of a request equal to `wanted`, writing only the rows that differ.
pub fn save_facts(conn: &mut AnyConnection, request_id: &str, wanted: &[FactsRow]) -> QueryResult<()> {
    let stored = facts_of(conn, request_id)?;
    if stored == wanted {
        return Ok(());
    }
    for row in wanted {
        if stored.iter().any(|s| s == row) {
            continue;
        }
        diesel::delete(request_facts::table.find((request_id, row.seq))).execute(conn)?;
        diesel::insert_into(request_facts::table).values(row).execute(conn)?;
    }
    diesel::delete(
        request_facts::table
            .filter(request_facts::request_id.eq(request_id))
            .filter(request_facts::seq.ge(wanted.len() as i32)),
    )
    .execute(conn)?;
    Ok(())
}
