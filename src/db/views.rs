//! A person's saved views (`saved_views`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::saved_views as v;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = v)]
pub struct SavedViewRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub path: String,
    pub query: String,
    pub created_at: NaiveDateTime,
}

/// The person's views, by name (the UNIQUE (user_id, name) index serves it).
pub fn views_of(conn: &mut AnyConnection, user_id: &str) -> QueryResult<Vec<SavedViewRow>> {
    v::table.filter(v::user_id.eq(user_id)).order(v::name).select(SavedViewRow::as_select()).load(conn)
}

pub fn view_name_taken(conn: &mut AnyConnection, user_id: &str, name: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(v::table.filter(v::user_id.eq(user_id)).filter(v::name.eq(name))))
        .get_result(conn)
}

pub fn insert_view(conn: &mut AnyConnection, row: &SavedViewRow) -> QueryResult<()> {
    diesel::insert_into(v::table).values(row).execute(conn).map(drop)
}

pub fn delete_view(conn: &mut AnyConnection, user_id: &str, id: &str) -> QueryResult<bool> {
    Ok(diesel::delete(v::table.filter(v::user_id.eq(user_id)).filter(v::id.eq(id))).execute(conn)? > 0)
}
