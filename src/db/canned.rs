//! A team's canned replies (`canned_replies`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::canned_replies as c;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = c)]
pub struct CannedRow {
    pub id: String,
    pub team_key: String,
    pub name: String,
    pub body: String,
    pub updated_by: Option<String>,
    pub updated_at: NaiveDateTime,
}

/// The team's canned replies, by name.
pub fn canned_of(conn: &mut AnyConnection, team: &str) -> QueryResult<Vec<CannedRow>> {
    c::table.filter(c::team_key.eq(team)).order(c::name).select(CannedRow::as_select()).load(conn)
}

pub fn canned_by_id(conn: &mut AnyConnection, team: &str, id: &str) -> QueryResult<Option<CannedRow>> {
    c::table.filter(c::team_key.eq(team)).filter(c::id.eq(id)).select(CannedRow::as_select()).first(conn).optional()
}

/// Whether another of the team's replies has this name.
pub fn canned_name_taken(conn: &mut AnyConnection, team: &str, name: &str, except: &str) -> QueryResult<bool> {
    let same = c::table.filter(c::team_key.eq(team)).filter(c::name.eq(name)).filter(c::id.ne(except));
    diesel::select(diesel::dsl::exists(same)).get_result(conn)
}

/// Inserts or replaces a reply (by id).
pub fn save_canned(conn: &mut AnyConnection, row: &CannedRow) -> QueryResult<()> {
    let updated = diesel::update(c::table.find(&row.id)).set(row).execute(conn)?;
    if updated == 0 {
        diesel::insert_into(c::table).values(row).execute(conn)?;
    }
    Ok(())
}

pub fn delete_canned(conn: &mut AnyConnection, team: &str, id: &str) -> QueryResult<bool> {
    Ok(diesel::delete(c::table.filter(c::team_key.eq(team)).filter(c::id.eq(id))).execute(conn)? > 0)
}
