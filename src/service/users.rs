//! Users and API tokens, as the CLI (and later the admin pages) manage them.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::auth::{generate_token, hash_token};
use crate::db::{self, AnyConnection, TokenRow, UserRow, to_db, write_tx};
use crate::domain::request::parse_text;
use crate::domain::{FieldErrors, Role};
use crate::error::ApiError;
use crate::service::admin::looks_like_email;

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub teams: Vec<String>,
    /// Already hashed (argon2); `None` for API-only users.
    pub password_hash: Option<String>,
}

/// Adds a user and their team memberships in one transaction.
pub fn add_user(conn: &mut AnyConnection, new: &NewUser, now: DateTime<Utc>) -> Result<UserRow, ApiError> {
    let (email, name) = check_new_user(new)?;
    write_tx(conn, |conn| insert_new_user(conn, new, email, name, now))
}

/// Adds the first admin (the first-run page): refused once any admin exists, checked in the
/// same transaction as the insert, so two first runs cannot both succeed.
pub fn add_first_admin(conn: &mut AnyConnection, new: &NewUser, now: DateTime<Utc>) -> Result<UserRow, ApiError> {
    let (email, name) = check_new_user(new)?;
    write_tx(conn, |conn| {
        if db::has_admin(conn)? {
            return Err(ApiError::Forbidden("changedesk already has an admin: sign in instead".into()));
        }
        insert_new_user(conn, new, email, name, now)
    })
}

/// The new user's normalised email and name, or what is wrong with them.
fn check_new_user(new: &NewUser) -> Result<(String, String), ApiError> {
    let mut errors = FieldErrors::default();
    let email = new.email.trim().to_lowercase();
    if !looks_like_email(&email) {
        errors.add("email", format!("'{email}' is not an email address"));
    }
    let name = errors.check("name", parse_text(&new.name, 200, false));
    if new.role.is_staff() && new.role != Role::Admin && new.teams.is_empty() {
        errors.add("team", "agents and leads belong to at least one team");
    }
    match name {
        Some(name) if errors.is_empty() => Ok((email, name)),
        _ => Err(ApiError::Validation(errors)),
    }
}

fn insert_new_user(
    conn: &mut AnyConnection,
    new: &NewUser,
    email: String,
    name: String,
    now: DateTime<Utc>,
) -> Result<UserRow, ApiError> {
    if db::user_by_email(conn, &email)?.is_some() {
        return Err(ApiError::Conflict {
            message: format!("a user with email '{email}' already exists"),
            fields: FieldErrors::single("email", "already taken"),
        });
    }
    for team in &new.teams {
        if !db::team_exists(conn, team)? {
            return Err(ApiError::validation("team", format!("unknown team '{team}'")));
        }
    }
    let row = UserRow {
        id: Uuid::now_v7().to_string(),
        email,
        name,
        role: new.role.as_str().to_owned(),
        password_hash: new.password_hash.clone(),
        active: true,
        created_at: to_db(now),
    };
    db::insert_user(conn, &row)?;
    for team in &new.teams {
        db::add_membership(conn, &row.id, team)?;
    }
    Ok(row)
}

/// Creates a token for the user; the plain token is returned once and only its hash is kept.
pub fn create_token(
    conn: &mut AnyConnection,
    email: &str,
    label: &str,
    now: DateTime<Utc>,
) -> Result<(TokenRow, String), ApiError> {
    write_tx(conn, |conn| {
        let user = db::user_by_email(conn, email)?.ok_or_else(|| ApiError::not_found(format!("user '{email}'")))?;
        let token = generate_token();
        let row = TokenRow {
            id: Uuid::now_v7().to_string(),
            user_id: user.id,
            label: label.to_owned(),
            token_hash: hash_token(&token),
            created_at: to_db(now),
            revoked_at: None,
        };
        db::insert_token(conn, &row)?;
        Ok((row, token))
    })
}
