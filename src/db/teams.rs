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
