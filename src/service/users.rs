//! Users, their passwords and access, and API tokens, as the CLI and the pages manage them.
//! Every change is audited.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use serde_json::json;

use crate::auth::{Actor, generate_token, hash_password, hash_token, verify_password};
use crate::db::{self, AnyConnection, TokenRow, UserRow, to_db, write_tx};
use crate::domain::request::parse_text;
use crate::domain::{FieldErrors, Role};
use crate::service::Error;
use crate::service::admin::looks_like_email;
use crate::service::security_log;

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub teams: Vec<String>,
    /// Already hashed (argon2); `None` for API-only users.
    pub password_hash: Option<String>,
}

/// Adds a user and their team memberships in one transaction (from the command line).
pub fn add_user(conn: &mut AnyConnection, new: &NewUser, now: DateTime<Utc>) -> Result<UserRow, Error> {
    let (email, name) = check_new_user(new)?;
    write_tx(conn, |conn| insert_new_user(conn, new, email, name, None, now))
}

/// Adds a user as an admin (the admin pages).
pub fn add_user_as(
    conn: &mut AnyConnection,
    admin: &Actor,
    new: &NewUser,
    now: DateTime<Utc>,
) -> Result<UserRow, Error> {
    admin.require_admin()?;
    let (email, name) = check_new_user(new)?;
    write_tx(conn, |conn| insert_new_user(conn, new, email, name, Some(&admin.id), now))
}

/// Sets a user's password as an admin; every session of theirs ends.
pub fn set_password(
    conn: &mut AnyConnection,
    admin: &Actor,
    email: &str,
    hash: String,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    admin.require_admin()?;
    replace_password(conn, email, &hash, Some(&admin.id), now)
}

/// Replaces a user's password and ends every session of theirs, audited as set by `by` (an
/// admin, or nobody: the command line).
fn replace_password(
    conn: &mut AnyConnection,
    email: &str,
    hash: &str,
    by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    write_tx(conn, |conn| {
        let user = existing(conn, email)?;
        db::set_password_hash(conn, &user.id, hash)?;
        db::delete_sessions_of(conn, &user.id, None)?;
        audit(conn, "password_set", by, now, json!({ "email": user.email }))
    })
}

/// Sets a user's password from the command line (whoever runs it holds the database); every
/// session of theirs ends.
pub fn set_password_from_cli(
    conn: &mut AnyConnection,
    email: &str,
    hash: String,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    replace_password(conn, email, &hash, None, now)
}

/// Changes the signed-in user's own password, given the current one; their other sessions end
/// (the one behind `keep_session` stays).
pub fn change_own_password(
    conn: &mut AnyConnection,
    actor: &Actor,
    current: &str,
    new_password: &str,
    keep_session: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let mut errors = FieldErrors::default();
    let stored = db::user_by_email(conn, &actor.email)?.and_then(|u| u.password_hash);
    if !stored.is_some_and(|h| verify_password(&h, current)) {
        errors.add("current", "is not your current password");
    }
    let hash = errors.check("password", hash_password(new_password));
    match hash {
        Some(hash) if errors.is_empty() => write_tx(conn, |conn| {
            db::set_password_hash(conn, &actor.id, &hash)?;
            db::delete_sessions_of(conn, &actor.id, Some(keep_session))?;
            audit(conn, "password_changed", Some(&actor.id), now, json!({ "email": actor.email }))
        }),
        _ => Err(Error::Validation(errors)),
    }
}

/// Locks a user out (their sessions and API tokens stop working) or lets them in again, as an
/// admin; admins cannot lock themselves out.
pub fn set_active(
    conn: &mut AnyConnection,
    admin: &Actor,
    email: &str,
    active: bool,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    admin.require_admin()?;
    if email.trim().eq_ignore_ascii_case(&admin.email) {
        return Err(Error::validation("email", "you cannot lock yourself out"));
    }
    write_tx(conn, |conn| {
        let user = existing(conn, email)?;
        db::set_user_active(conn, &user.email, active)?;
        if !active {
            db::delete_sessions_of(conn, &user.id, None)?;
        }
        let kind = if active { "user_let_in" } else { "user_locked_out" };
        audit(conn, kind, Some(&admin.id), now, json!({ "email": user.email }))
    })
}

/// A user as the people page and the API show them: never their password hash, only whether
/// they have one.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct UserSummary {
    pub email: String,
    pub name: String,
    pub role: String,
    pub active: bool,
    pub has_password: bool,
    pub teams: Vec<String>,
}

/// Every user with their teams, by email (admins).
pub fn list_users(conn: &mut AnyConnection, admin: &Actor) -> Result<Vec<UserSummary>, Error> {
    admin.require_admin()?;
    Ok(db::list_users(conn)?
        .into_iter()
        .map(|(u, teams)| UserSummary {
            has_password: u.password_hash.is_some(),
            email: u.email,
            name: u.name,
            role: u.role,
            active: u.active,
            teams,
        })
        .collect())
}

/// One user as `list_users` shows them.
pub fn summary(conn: &mut AnyConnection, user: &UserRow) -> Result<UserSummary, Error> {
    Ok(UserSummary {
        has_password: user.password_hash.is_some(),
        email: user.email.clone(),
        name: user.name.clone(),
        role: user.role.clone(),
        active: user.active,
        teams: db::teams_of(conn, &user.id)?,
    })
}

/// Whether any active admin exists (the first-run page is open only while none does).
pub fn has_admin(conn: &mut AnyConnection) -> Result<bool, Error> {
    Ok(db::has_admin(conn)?)
}

/// Sets the time zone `actor` reads the pages in: an IANA name (`Europe/Berlin`), or empty for
/// the organisation's.
pub fn set_timezone(conn: &mut AnyConnection, actor: &Actor, timezone: &str) -> Result<(), Error> {
    let timezone = timezone.trim();
    if !timezone.is_empty() && timezone.parse::<chrono_tz::Tz>().is_err() {
        return Err(Error::validation(
            "timezone",
            format!("'{timezone}' is not a time zone name such as Europe/Berlin"),
        ));
    }
    Ok(db::set_timezone(conn, &actor.id, Some(timezone).filter(|t| !t.is_empty()))?)
}

/// Whether the person opted out of the weekly digest.
pub fn digest_opt_out(conn: &mut AnyConnection, user_id: &str) -> Result<bool, Error> {
    Ok(db::user_by_id(conn, user_id)?.is_some_and(|u| u.digest_opt_out))
}

/// Stops (or restarts) the weekly digest for the person.
pub fn set_digest_opt_out(conn: &mut AnyConnection, user_id: &str, opt_out: bool) -> Result<(), Error> {
    Ok(db::set_digest_opt_out(conn, user_id, opt_out)?)
}

/// Who works in a team (its active members), by name: whom its requests may be assigned to.
pub fn members_of(conn: &mut AnyConnection, team: &str) -> Result<Vec<crate::read::views::Person>, Error> {
    Ok(db::members_of(conn, team)?
        .into_iter()
        .map(|(email, name)| crate::read::views::Person { email, name })
        .collect())
}

/// The actor a user acts as: their role and their teams.
pub fn actor(conn: &mut AnyConnection, user: UserRow) -> Result<Actor, Error> {
    let teams = db::teams_of(conn, &user.id)?;
    actor_in(user, teams)
}

/// The actor of a user whose teams were read with them.
pub fn actor_in(user: UserRow, teams: Vec<String>) -> Result<Actor, Error> {
    let role = Role::parse(&user.role).map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
    let timezone = user.timezone.as_deref().and_then(|tz| tz.parse().ok());
    Ok(Actor { id: user.id, email: user.email, name: user.name, role, teams, timezone })
}

fn existing(conn: &mut AnyConnection, email: &str) -> Result<UserRow, Error> {
    db::user_by_email(conn, email)?.ok_or_else(|| Error::not_found(format!("user '{}'", email.trim())))
}

fn audit(
    conn: &mut AnyConnection,
    kind: &str,
    actor: Option<&str>,
    now: DateTime<Utc>,
    data: serde_json::Value,
) -> Result<(), Error> {
    // An account change: the security log has it too, with the account it concerns.
    let email = data["email"].as_str().map(str::to_owned);
    let origin = security_log::Origin { actor_id: actor, address: None };
    security_log::record(conn, now, kind, email.as_deref(), origin, data.clone())?;
    Ok(db::insert_audit(conn, kind, actor, to_db(now), &data)?)
}

/// Adds the first admin (the first-run page): refused once any admin exists, checked in the
/// same transaction as the insert, so two first runs cannot both succeed.
pub fn add_first_admin(conn: &mut AnyConnection, new: &NewUser, now: DateTime<Utc>) -> Result<UserRow, Error> {
    let (email, name) = check_new_user(new)?;
    write_tx(conn, |conn| {
        if db::has_admin(conn)? {
            return Err(Error::Forbidden("changedesk already has an admin: sign in instead".into()));
        }
        insert_new_user(conn, new, email, name, None, now)
    })
}

/// The new user's normalised email and name, or what is wrong with them.
pub(crate) fn check_new_user(new: &NewUser) -> Result<(String, String), Error> {
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
        _ => Err(Error::Validation(errors)),
    }
}

/// Inserts a checked new user and their memberships, and audits it (`by`: the admin, or none
/// from the command line and the first-run page).
pub(crate) fn insert_new_user(
    conn: &mut AnyConnection,
    new: &NewUser,
    email: String,
    name: String,
    by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<UserRow, Error> {
    if db::user_by_email(conn, &email)?.is_some() {
        return Err(Error::Conflict {
            message: format!("a user with email '{email}' already exists"),
            fields: FieldErrors::single("email", "already taken"),
        });
    }
    for team in &new.teams {
        if !db::team_exists(conn, team)? {
            return Err(Error::validation("team", format!("unknown team '{team}'")));
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
        timezone: None,
        digest_opt_out: false,
    };
    db::insert_user(conn, &row)?;
    for team in &new.teams {
        db::add_membership(conn, &row.id, team)?;
    }
    let data =
        json!({ "email": row.email, "role": row.role, "teams": new.teams, "password": row.password_hash.is_some() });
    audit(conn, "user_added", by, now, data)?;
    Ok(row)
}

/// Creates a token for the user; the plain token is returned once and only its hash is kept.
pub fn create_token(
    conn: &mut AnyConnection,
    email: &str,
    label: &str,
    now: DateTime<Utc>,
) -> Result<(TokenRow, String), Error> {
    write_tx(conn, |conn| {
        let user = db::user_by_email(conn, email)?.ok_or_else(|| Error::not_found(format!("user '{email}'")))?;
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
        let detail = json!({ "token_id": row.id, "label": row.label });
        security_log::record(conn, now, "token_created", Some(&user.email), Default::default(), detail)?;
        Ok((row, token))
    })
}
