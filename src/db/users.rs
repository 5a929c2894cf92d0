//! Users, their team memberships, their API tokens and their browser sessions.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{api_tokens, sessions, team_members, users};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub password_hash: Option<String>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    /// The IANA time zone the person reads the pages in; none: the organisation's.
    pub timezone: Option<String>,
    /// The person asked not to get the weekly digest.
    pub digest_opt_out: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct TokenRow {
    pub id: String,
    pub user_id: String,
    pub label: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn insert_user(conn: &mut AnyConnection, row: &UserRow) -> QueryResult<()> {
    diesel::insert_into(users::table).values(row).execute(conn).map(drop)
}

pub fn user_by_email(conn: &mut AnyConnection, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email.trim().to_lowercase()))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// Users by id, in one query (for the people named on a page of requests or events).
pub fn users_by_ids(conn: &mut AnyConnection, ids: &[&str]) -> QueryResult<HashMap<String, UserRow>> {
    let rows: Vec<UserRow> = users::table.filter(users::id.eq_any(ids)).select(UserRow::as_select()).load(conn)?;
    Ok(rows.into_iter().map(|u| (u.id.clone(), u)).collect())
}

pub fn add_membership(conn: &mut AnyConnection, user_id: &str, team: &str) -> QueryResult<()> {
    diesel::insert_into(team_members::table)
        .values((team_members::user_id.eq(user_id), team_members::team_key.eq(team)))
        .execute(conn)
        .map(drop)
}

pub fn teams_of(conn: &mut AnyConnection, user_id: &str) -> QueryResult<Vec<String>> {
    per_backend!(conn, c => team_members::table
        .filter(team_members::user_id.eq(user_id))
        .order(team_members::team_key)
        .select(team_members::team_key)
        .load(c))
}

/// The active members of a team (email, name), by name.
pub fn members_of(conn: &mut AnyConnection, team: &str) -> QueryResult<Vec<(String, String)>> {
    team_members::table
        .inner_join(users::table)
        .filter(team_members::team_key.eq(team))
        .filter(users::active.eq(true))
        .order((users::name, users::email))
        .select((users::email, users::name))
        .load(conn)
}

/// Sets the time zone a person reads the pages in (none: the organisation's).
pub fn set_digest_opt_out(conn: &mut AnyConnection, user_id: &str, opt_out: bool) -> QueryResult<()> {
    diesel::update(users::table.find(user_id)).set(users::digest_opt_out.eq(opt_out)).execute(conn).map(drop)
}

/// Every active person with the teams they are in (who gets which weekly digest).
pub fn digest_people(conn: &mut AnyConnection) -> QueryResult<Vec<(UserRow, Vec<String>)>> {
    let people: Vec<UserRow> = users::table.filter(users::active.eq(true)).select(UserRow::as_select()).load(conn)?;
    let memberships: Vec<(String, String)> =
        team_members::table.select((team_members::user_id, team_members::team_key)).load(conn)?;
    let mut teams: HashMap<String, Vec<String>> = HashMap::new();
    for (user, team) in memberships {
        teams.entry(user).or_default().push(team);
    }
    Ok(people.into_iter().map(|u| (teams.remove(&u.id).unwrap_or_default(), u)).map(|(t, u)| (u, t)).collect())
}

pub fn set_timezone(conn: &mut AnyConnection, user_id: &str, timezone: Option<&str>) -> QueryResult<()> {
    diesel::update(users::table.find(user_id)).set(users::timezone.eq(timezone)).execute(conn).map(drop)
}

pub fn insert_token(conn: &mut AnyConnection, row: &TokenRow) -> QueryResult<()> {
    diesel::insert_into(api_tokens::table).values(row).execute(conn).map(drop)
}

/// The active user holding the unrevoked token with this hash, and their teams: one statement,
/// since a token is checked on every call of the API.
pub fn user_and_teams_by_token_hash(
    conn: &mut AnyConnection,
    hash: &str,
) -> QueryResult<Option<(UserRow, Vec<String>)>> {
    let rows: Vec<(UserRow, Option<String>)> = per_backend!(conn, c => api_tokens::table
        .inner_join(users::table)
        .left_join(team_members::table.on(team_members::user_id.eq(users::id)))
        .filter(api_tokens::token_hash.eq(hash))
        .filter(api_tokens::revoked_at.is_null())
        .filter(users::active.eq(true))
        .order(team_members::team_key)
        .select((UserRow::as_select(), team_members::team_key.nullable()))
        .load(c))?;
    let mut rows = rows.into_iter();
    let Some((user, team)) = rows.next() else { return Ok(None) };
    let teams = team.into_iter().chain(rows.filter_map(|(_, team)| team)).collect();
    Ok(Some((user, teams)))
}

pub fn tokens_of(conn: &mut AnyConnection, user_id: &str) -> QueryResult<Vec<TokenRow>> {
    api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .order(api_tokens::created_at)
        .select(TokenRow::as_select())
        .load(conn)
}

/// Revokes a token; `owner` limits it to that user's tokens. Returns whether one was revoked.
pub fn revoke_token(conn: &mut AnyConnection, id: &str, owner: Option<&str>, at: NaiveDateTime) -> QueryResult<bool> {
    let target = api_tokens::table.filter(api_tokens::id.eq(id)).filter(api_tokens::revoked_at.is_null());
    let n = match owner {
        Some(user) => diesel::update(target.filter(api_tokens::user_id.eq(user)))
            .set(api_tokens::revoked_at.eq(at))
            .execute(conn)?,
        None => diesel::update(target).set(api_tokens::revoked_at.eq(at)).execute(conn)?,
    };
    Ok(n == 1)
}

/// A signed-in browser session's user and CSRF token, if the session exists, has not expired
/// and its user is active.
pub fn session_user(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(UserRow, String)>> {
    sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::expires_at.gt(now))
        .filter(users::active.eq(true))
        .select((UserRow::as_select(), sessions::csrf_token))
        .first(conn)
        .optional()
}

/// Stores a new session (by the hash of its token); expired sessions are deleted on the way.
pub fn insert_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: &str,
    csrf_token: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)?;
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(token_hash),
            sessions::user_id.eq(user_id),
            sessions::csrf_token.eq(csrf_token),
            sessions::created_at.eq(now),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn delete_session(conn: &mut AnyConnection, token_hash: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::token_hash.eq(token_hash))).execute(conn)
}

/// Whether any active admin exists (the first-run page is open only while none does).
pub fn has_admin(conn: &mut AnyConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.filter(users::role.eq("admin")).filter(users::active.eq(true))))
        .get_result(conn)
}

/// Every user with their teams, by email (two queries, whatever the number of users).
pub fn list_users(conn: &mut AnyConnection) -> QueryResult<Vec<(UserRow, Vec<String>)>> {
    let all: Vec<UserRow> = users::table.order(users::email).select(UserRow::as_select()).load(conn)?;
    let mut teams: HashMap<String, Vec<String>> = HashMap::new();
    let memberships: Vec<(String, String)> = team_members::table
        .order(team_members::team_key)
        .select((team_members::user_id, team_members::team_key))
        .load(conn)?;
    for (user, team) in memberships {
        teams.entry(user).or_default().push(team);
    }
    Ok(all.into_iter().map(|u| (teams.remove(&u.id).unwrap_or_default(), u)).map(|(t, u)| (u, t)).collect())
}

/// Turns a user's access on or off (off: their sessions and API tokens stop working).
pub fn set_user_active(conn: &mut AnyConnection, email: &str, active: bool) -> QueryResult<usize> {
    diesel::update(users::table.filter(users::email.eq(email))).set(users::active.eq(active)).execute(conn)
}

pub fn set_password_hash(conn: &mut AnyConnection, user_id: &str, hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id)).set(users::password_hash.eq(hash)).execute(conn)
}

/// Ends a user's sessions, all of them or all but the one whose token hashes to `except`.
pub fn delete_sessions_of(conn: &mut AnyConnection, user_id: &str, except: Option<&str>) -> QueryResult<usize> {
    let theirs = sessions::table.filter(sessions::user_id.eq(user_id));
    match except {
        Some(keep) => diesel::delete(theirs.filter(sessions::token_hash.ne(keep))).execute(conn),
        None => diesel::delete(theirs).execute(conn),
    }
}

pub fn user_by_id(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<UserRow>> {
    users::table.find(id).select(UserRow::as_select()).first(conn).optional()
}

/// Sets a user's name and role.
pub fn update_user_profile(conn: &mut AnyConnection, id: &str, name: &str, role: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id)).set((users::name.eq(name), users::role.eq(role))).execute(conn)
}

/// Replaces a user's team memberships.
pub fn set_memberships(conn: &mut AnyConnection, user_id: &str, teams: &[String]) -> QueryResult<()> {
    diesel::delete(team_members::table.filter(team_members::user_id.eq(user_id))).execute(conn)?;
    for team in teams {
        add_membership(conn, user_id, team)?;
    }
    Ok(())
}
