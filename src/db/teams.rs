//! Teams and their members.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{team_members, teams};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = teams)]
pub struct TeamRow {
    pub key: String,
    pub name: String,
    pub email: String,
    /// JSON array of email addresses.
    pub lead_emails: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl TeamRow {
    pub fn leads(&self) -> Vec<String> {
        serde_json::from_str(&self.lead_emails).unwrap_or_default()
    }
}

pub fn load_teams(conn: &mut AnyConnection) -> QueryResult<Vec<TeamRow>> {
    teams::table.order(teams::key).select(TeamRow::as_select()).load(conn)
}

pub fn team_keys(conn: &mut AnyConnection) -> QueryResult<Vec<String>> {
    teams::table.order(teams::key).select(teams::key).load(conn)
}

pub fn team_exists(conn: &mut AnyConnection, key: &str) -> QueryResult<bool> {
    // No key holds a NUL, and PostgreSQL refuses one in a text parameter: answer, don't fail.
    if key.contains('\0') {
        return Ok(false);
    }
    diesel::select(diesel::dsl::exists(teams::table.find(key))).get_result(conn)
}

pub fn insert_team(conn: &mut AnyConnection, row: &TeamRow) -> QueryResult<()> {
    diesel::insert_into(teams::table).values(row).execute(conn)?;
    super::config_stamp::bump_config_stamp(conn)
}

pub fn update_team(conn: &mut AnyConnection, row: &TeamRow) -> QueryResult<()> {
    diesel::update(teams::table.find(&row.key))
        .set((
            teams::name.eq(&row.name),
            teams::email.eq(&row.email),
            teams::lead_emails.eq(&row.lead_emails),
            teams::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    super::config_stamp::bump_config_stamp(conn)
}

pub fn delete_team(conn: &mut AnyConnection, key: &str) -> QueryResult<()> {
    diesel::delete(teams::table.find(key)).execute(conn)?;
    super::config_stamp::bump_config_stamp(conn)
}

/// Whether `user_id` belongs to `team`.
pub fn is_member(conn: &mut AnyConnection, user_id: &str, team: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(team_members::table.find((user_id, team)))).get_result(conn)
}

/// Whether any request or member still points at the team.
pub fn team_is_referenced(conn: &mut AnyConnection, key: &str) -> QueryResult<bool> {
    use super::schema::requests;
    let requests: bool =
        diesel::select(diesel::dsl::exists(requests::table.filter(requests::team_key.eq(key)))).get_result(conn)?;
    let members: bool = diesel::select(diesel::dsl::exists(team_members::table.filter(team_members::team_key.eq(key))))
        .get_result(conn)?;
    Ok(requests || members)
}

/// A request's watchers' addresses, in the order they were added.
pub fn watchers_of(conn: &mut AnyConnection, request_id: &str) -> QueryResult<Vec<String>> {
    use super::schema::watchers as w;
    w::table.filter(w::request_id.eq(request_id)).order((w::added_at, w::email)).select(w::email).load(conn)
}

/// Whether `email` watches the request.
pub fn is_watching(conn: &mut AnyConnection, request_id: &str, email: &str) -> QueryResult<bool> {
    use super::schema::watchers as w;
    diesel::select(diesel::dsl::exists(w::table.filter(w::request_id.eq(request_id)).filter(w::email.eq(email))))
        .get_result(conn)
}

/// Adds a watcher; false when the address already watches the request.
pub fn add_watcher(
    conn: &mut AnyConnection,
    request_id: &str,
    email: &str,
    by: &str,
    at: chrono::NaiveDateTime,
) -> QueryResult<bool> {
    use super::schema::watchers as w;
    if is_watching(conn, request_id, email)? {
        return Ok(false);
    }
    diesel::insert_into(w::table)
        .values((w::request_id.eq(request_id), w::email.eq(email), w::added_by.eq(by), w::added_at.eq(at)))
        .execute(conn)?;
    Ok(true)
}

/// Removes a watcher; false when the address did not watch the request.
pub fn remove_watcher(conn: &mut AnyConnection, request_id: &str, email: &str) -> QueryResult<bool> {
    use super::schema::watchers as w;
    let gone =
        diesel::delete(w::table.filter(w::request_id.eq(request_id)).filter(w::email.eq(email))).execute(conn)?;
    Ok(gone > 0)
}
