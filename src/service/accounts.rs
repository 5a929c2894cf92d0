//! People's accounts beyond what an admin types in: invitations mailed to new people to choose
//! their password, "forgot my password" mailed on request, and changing a person's name, role
//! and teams. Links are single-use and expire; only the SHA-256 of their token is stored; every
//! step goes to the security log.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::{Actor, generate_secret, hash_password, hash_token};
use crate::db::{self, AnyConnection, UserRow, to_db, write_tx};
use crate::domain::request::parse_text;
use crate::domain::{FieldErrors, Role};
use crate::mail::message::Notice;
use crate::service::Error;
use crate::service::notify::Notifier;
use crate::service::security_log::{self, Origin};
use crate::service::users::{self, NewUser, UserSummary};

/// How long an invitation link works.
pub const INVITATION_HOURS: i64 = 72;
/// How long a password-reset link works.
pub const RESET_MINUTES: i64 = 60;
/// Reset mails an account may be sent in the sign-in throttle's window (15 minutes).
pub const RESETS_PER_WINDOW: i32 = 3;
/// Reset mails one client address may cause in a window, over all accounts.
pub const RESETS_PER_ADDRESS: i32 = 20;

/// What a mailed link lets its holder do, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    Invitation,
    PasswordReset,
}

impl LinkPurpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::PasswordReset => "password_reset",
        }
    }

    /// The page's path under the service's address.
    pub fn path(self) -> &'static str {
        match self {
            Self::Invitation => "invitations",
            Self::PasswordReset => "password-resets",
        }
    }

    fn lifetime(self) -> TimeDelta {
        match self {
            Self::Invitation => TimeDelta::hours(INVITATION_HOURS),
            Self::PasswordReset => TimeDelta::minutes(RESET_MINUTES),
        }
    }
}

/// Adds a person without a password and mails them a link to choose one (admins).
pub fn invite(
    conn: &mut AnyConnection,
    admin: &Actor,
    notifier: &Notifier,
    new: &NewUser,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<UserRow, Error> {
    admin.require_admin()?;
    let new = NewUser { password_hash: None, ..new.clone() };
    let (email, name) = users::check_new_user(&new)?;
    write_tx(conn, |conn| {
        let user = users::insert_new_user(conn, &new, email, name, Some(&admin.id), now)?;
        mail_link(conn, notifier, &user, LinkPurpose::Invitation, now)?;
        let origin = Origin { actor_id: Some(&admin.id), address };
        let detail = json!({ "role": user.role, "teams": new.teams });
        security_log::record(conn, now, "invitation_sent", Some(&user.email), origin, detail)?;
        Ok(user)
    })
}

/// Mails a new link of `purpose` to `user`; earlier unused links of theirs of that purpose stop
/// working.
fn mail_link(
    conn: &mut AnyConnection,
    notifier: &Notifier,
    user: &UserRow,
    purpose: LinkPurpose,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let token = generate_secret();
    let expires = now + purpose.lifetime();
    db::insert_account_link(conn, &hash_token(&token), &user.id, purpose.as_str(), to_db(now), to_db(expires))?;
    let link = format!("{}/{}/{token}", notifier.base_url, purpose.path());
    let (subject, heading, body, key) = match purpose {
        LinkPurpose::Invitation => (
            format!("You are invited to changedesk · {}", notifier.org),
            format!("Welcome to changedesk, {}", user.name),
            format!(
                "An admin of {} added you to changedesk, where website change requests are filed and \
                 answered. Choose your password with the link below; it works once, for {INVITATION_HOURS} hours.",
                notifier.org
            ),
            "your invitation",
        ),
        LinkPurpose::PasswordReset => (
            "Choose a new changedesk password".to_owned(),
            "Forgot your password?".to_owned(),
            format!(
                "Someone asked to reset the password of {} on changedesk. If it was you, choose a new one \
                 with the link below; it works once, for {RESET_MINUTES} minutes. If it was not you, \
                 ignore this mail: your password stays as it is.",
                user.email
            ),
            "the password page",
        ),
    };
    let notice = Notice { subject, heading, key: key.into(), lines: Vec::new(), body: Some(body), link };
    notifier.queue(conn, purpose.as_str(), None, std::slice::from_ref(&user.email), &notice, None, now, now)?;
    Ok(())
}

/// "Forgot my password": mails a reset link when an active account has this email, and says
/// nothing either way (the caller answers the same whatever happened, so nobody learns which
/// emails have accounts). At most `RESETS_PER_WINDOW` mails an account per window.
pub fn request_reset(
    conn: &mut AnyConnection,
    notifier: &Notifier,
    email: &str,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let email = email.trim().to_lowercase();
    let origin = Origin { actor_id: None, address };
    let Some(user) = db::user_by_email(conn, &email)?.filter(|u| u.active) else {
        let detail = json!({ "outcome": "no active account" });
        return write_tx(conn, |c| {
            security_log::record(c, now, "password_reset_requested", Some(&email), origin, detail)
        });
    };
    let window = TimeDelta::minutes(crate::service::sessions::THROTTLE_WINDOW_MINUTES);
    let (at, cutoff) = (to_db(now), to_db(now - window));
    let key = format!("reset:{}", user.email);
    // Per account, and per client address (one address asking for many accounts' mail).
    let from_address = match address {
        Some(a) => db::take_throttle_check(conn, &format!("reset-address:{a}"), at, cutoff, RESETS_PER_ADDRESS)?,
        None => true,
    };
    let allowed = from_address && db::take_throttle_check(conn, &key, at, cutoff, RESETS_PER_WINDOW)?;
    write_tx(conn, |conn| {
        let outcome = if allowed {
            mail_link(conn, notifier, &user, LinkPurpose::PasswordReset, now)?;
            "mailed"
        } else {
            "throttled"
        };
        security_log::record(
            conn,
            now,
            "password_reset_requested",
            Some(&user.email),
            origin,
            json!({ "outcome": outcome }),
        )
    })
}

/// The email of the account a link acts on, while the link works (to show its page).
pub fn link_email(
    conn: &mut AnyConnection,
    token: &str,
    purpose: LinkPurpose,
    now: DateTime<Utc>,
) -> Result<Option<String>, Error> {
    let Some(user_id) = db::account_link_user(conn, &hash_token(token), purpose.as_str(), to_db(now))? else {
        return Ok(None);
    };
    Ok(db::user_by_id(conn, &user_id)?.filter(|u| u.active).map(|u| u.email))
}

/// Sets the password through a link, once and before it expires; every session of the account
/// ends. Answers the user's id, to sign them in.
pub fn set_password_by_link(
    conn: &mut AnyConnection,
    token: &str,
    purpose: LinkPurpose,
    password: &str,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, Error> {
    // argon2 before the transaction: it is slow on purpose.
    let hash = hash_password(password).map_err(|e| Error::validation("password", e))?;
    let gone = || Error::NotFound("this link has been used or has expired; ask for a new one".into());
    write_tx(conn, |conn| {
        let token_hash = hash_token(token);
        let user_id = db::account_link_user(conn, &token_hash, purpose.as_str(), to_db(now))?.ok_or_else(gone)?;
        let user = db::user_by_id(conn, &user_id)?.filter(|u| u.active).ok_or_else(gone)?;
        if !db::use_account_link(conn, &token_hash, purpose.as_str(), to_db(now))? {
            return Err(gone());
        }
        db::set_password_hash(conn, &user.id, &hash)?;
        db::delete_sessions_of(conn, &user.id, None)?;
        let kind = match purpose {
            LinkPurpose::Invitation => "invitation_accepted",
            LinkPurpose::PasswordReset => "password_reset",
        };
        security_log::record(conn, now, kind, Some(&user.email), Origin { actor_id: None, address }, json!({}))?;
        Ok(user.id)
    })
}

/// A change to a person (`PATCH /api/v1/users/{email}`): what is absent stays.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// requester, agent, lead or admin.
    #[schema(pattern = r"^(requester|agent|lead|admin)$")]
    pub role: Option<String>,
    /// Team keys: all of the person's teams (agents and leads need at least one).
    pub teams: Option<Vec<String>>,
}

/// Changes a person's name, role and teams (admins). An admin cannot take away their own admin
/// role (so one always remains who can give it back).
pub fn update_user(
    conn: &mut AnyConnection,
    admin: &Actor,
    email: &str,
    patch: &UserPatch,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<UserSummary, Error> {
    admin.require_admin()?;
    let mut errors = FieldErrors::default();
    let name = patch.name.as_deref().and_then(|n| errors.check("name", parse_text(n, 200, false)));
    let role = patch.role.as_deref().and_then(|r| errors.check("role", Role::parse(r)));
    if email.trim().eq_ignore_ascii_case(&admin.email) && role.is_some_and(|r| r != Role::Admin) {
        errors.add("role", "you cannot take away your own admin role");
    }
    errors.finish(|| ()).map_err(Error::Validation)?;
    write_tx(conn, |conn| {
        let user = db::user_by_email(conn, &email.trim().to_lowercase())?
            .ok_or_else(|| Error::not_found(format!("user '{email}'")))?;
        let before = users::summary(conn, &user)?;
        let role = role.unwrap_or(Role::parse(&user.role).map_err(|e| Error::Internal(anyhow::anyhow!(e)))?);
        let teams = patch.teams.clone().unwrap_or_else(|| before.teams.clone());
        for team in &teams {
            if !db::team_exists(conn, team)? {
                return Err(Error::validation("teams", format!("unknown team '{team}'")));
            }
        }
        if role.is_staff() && role != Role::Admin && teams.is_empty() {
            return Err(Error::validation("teams", "agents and leads belong to at least one team"));
        }
        let name = name.clone().unwrap_or_else(|| user.name.clone());
        db::update_user_profile(conn, &user.id, &name, role.as_str())?;
        db::set_memberships(conn, &user.id, &teams)?;
        let changed = db::user_by_id(conn, &user.id)?.unwrap_or(user);
        let after = users::summary(conn, &changed)?;
        let detail = json!({
            "before": { "name": before.name, "role": before.role, "teams": before.teams },
            "after": { "name": after.name, "role": after.role, "teams": after.teams },
        });
        let origin = Origin { actor_id: Some(&admin.id), address };
        security_log::record(conn, now, "user_changed", Some(&after.email), origin, detail)?;
        Ok(after)
    })
}
