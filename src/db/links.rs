//! Links between requests (`request_links`), read from either side.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{request_links as l, requests as r};

/// A link as stored: `from` names it (`kind`) about `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRow {
    pub from: String,
    pub kind: String,
    pub to: String,
}

/// Adds a link; false when it was there already.
pub fn add_link(conn: &mut AnyConnection, link: &LinkRow, by: &str, at: NaiveDateTime) -> QueryResult<bool> {
    if link_exists(conn, link)? {
        return Ok(false);
    }
    diesel::insert_into(l::table)
        .values((
            l::request_id.eq(&link.from),
            l::kind.eq(&link.kind),
            l::target_id.eq(&link.to),
            l::created_by.eq(by),
            l::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(true)
}

pub fn link_exists(conn: &mut AnyConnection, link: &LinkRow) -> QueryResult<bool> {
    let found =
        l::table.filter(l::request_id.eq(&link.from)).filter(l::kind.eq(&link.kind)).filter(l::target_id.eq(&link.to));
    diesel::select(diesel::dsl::exists(found)).get_result(conn)
}

/// Removes a link; false when there was none.
pub fn remove_link(conn: &mut AnyConnection, link: &LinkRow) -> QueryResult<bool> {
    let found =
        l::table.filter(l::request_id.eq(&link.from)).filter(l::kind.eq(&link.kind)).filter(l::target_id.eq(&link.to));
    Ok(diesel::delete(found).execute(conn)? > 0)
}

/// Every link that names the request, from either side, with each side's number, oldest first.
pub fn links_of(conn: &mut AnyConnection, request_id: &str) -> QueryResult<Vec<(LinkRow, i64, i64)>> {
    let rows: Vec<(String, String, String)> = l::table
        .filter(l::request_id.eq(request_id).or(l::target_id.eq(request_id)))
        .order(l::created_at)
        .select((l::request_id, l::kind, l::target_id))
        .load(conn)?;
    let ids: Vec<&str> = rows.iter().flat_map(|(a, _, b)| [a.as_str(), b.as_str()]).collect();
    let numbers: std::collections::HashMap<String, i64> = r::table
        .filter(r::id.eq_any(&ids))
        .select((r::id, r::number))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|(from, kind, to)| {
            let (a, b) = (*numbers.get(&from)?, *numbers.get(&to)?);
            Some((LinkRow { from, kind, to }, a, b))
        })
        .collect())
}

/// Which of `ids` an open request blocks (the queue's badge), in one query.
pub fn blocked_among(conn: &mut AnyConnection, ids: &[&str], open: &[&str]) -> QueryResult<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    l::table
        .inner_join(r::table)
        .filter(l::kind.eq("blocks"))
        .filter(l::target_id.eq_any(ids))
        .filter(r::status.eq_any(open))
        .select(l::target_id)
        .distinct()
        .load(conn)
}
