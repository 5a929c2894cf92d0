//! Single sign-on's decisions, apart from the protocol (`web/sso.rs` speaks OpenID Connect):
//! the logins in progress, and who a verified identity is. An identity is matched by
//! (issuer, subject) once linked; the first time, by its email, which the provider must have
//! verified and which must be of an allowed domain; someone unknown gets an account with
//! `sso.new_user_role`, or none when that is empty.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

use crate::auth::hash_token;
use crate::config::SsoSettings;
use crate::db::{self, AnyConnection, SsoLoginRow, to_db, write_tx};
use crate::domain::Role;
use crate::service::Error;
use crate::service::security_log::{self, Origin};
use crate::service::users::{self, NewUser};

/// How long a login may take at the provider.
pub const LOGIN_MINUTES: i64 = 10;

/// A login begun here: the values to check when the provider sends the browser back.
pub struct Begun<'a> {
    pub state: &'a str,
    pub browser: &'a str,
    pub nonce: &'a str,
    pub pkce_verifier: &'a str,
    pub next: &'a str,
}

pub fn begin(conn: &mut AnyConnection, begun: &Begun<'_>, now: DateTime<Utc>) -> Result<(), Error> {
    let row = SsoLoginRow {
        state_hash: hash_token(begun.state),
        browser_hash: hash_token(begun.browser),
        nonce: begun.nonce.to_owned(),
        pkce_verifier: begun.pkce_verifier.to_owned(),
        next_path: begun.next.to_owned(),
        expires_at: to_db(now + TimeDelta::minutes(LOGIN_MINUTES)),
    };
    write_tx(conn, |conn| Ok(db::insert_sso_login(conn, &row, to_db(now))?))
}

/// The login `state` names, once, if it was begun in this browser and has not expired.
pub fn take(
    conn: &mut AnyConnection,
    state: &str,
    browser: &str,
    now: DateTime<Utc>,
) -> Result<Option<SsoLoginRow>, Error> {
    let row = write_tx(conn, |conn| Ok::<_, Error>(db::take_sso_login(conn, &hash_token(state))?))?;
    Ok(row.filter(|r| r.browser_hash == hash_token(browser) && r.expires_at > to_db(now)))
}

/// What the provider vouched for, from a verified ID token.
#[derive(Debug, Clone)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

/// Why a verified identity may not sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NoEmail,
    Unverified,
    DomainNotAllowed(String),
    NoAccount,
    LockedOut,
}

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Self::NoEmail => "Your organisation's sign-in did not say your email address.".into(),
            Self::Unverified => "Your organisation's sign-in has not verified your email address yet.".into(),
            Self::DomainNotAllowed(d) => format!("Accounts of {d} may not sign in to changedesk."),
            Self::NoAccount => "You have no changedesk account yet: ask an admin to invite you.".into(),
            Self::LockedOut => "Your changedesk account is locked; ask an admin.".into(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::NoEmail => "no_email",
            Self::Unverified => "email_not_verified",
            Self::DomainNotAllowed(_) => "domain_not_allowed",
            Self::NoAccount => "no_account",
            Self::LockedOut => "locked_out",
        }
    }
}

/// The user a verified identity signs in as (linking or creating the account on the way), or
/// why it may not; either way the security log has it.
pub fn sign_in(
    conn: &mut AnyConnection,
    settings: &SsoSettings,
    identity: &Identity,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Result<String, Refusal>, Error> {
    write_tx(conn, |conn| {
        let outcome = decide(conn, settings, identity, now)?;
        let origin = Origin { actor_id: None, address };
        let (kind, detail) = match &outcome {
            Ok(_) => ("sso_sign_in", json!({ "issuer": identity.issuer, "subject": identity.subject })),
            Err(refusal) => (
                "sso_refused",
                json!({ "issuer": identity.issuer, "subject": identity.subject, "reason": refusal.code() }),
            ),
        };
        security_log::record(conn, now, kind, identity.email.as_deref(), origin, detail)?;
        Ok(outcome)
    })
}

fn decide(
    conn: &mut AnyConnection,
    settings: &SsoSettings,
    identity: &Identity,
    now: DateTime<Utc>,
) -> Result<Result<String, Refusal>, Error> {
    let Some(email) = identity.email.as_deref().map(|e| e.trim().to_lowercase()) else {
        return Ok(Err(Refusal::NoEmail));
    };
    if !identity.email_verified {
        return Ok(Err(Refusal::Unverified));
    }
    let domain = email.rsplit_once('@').map_or("", |(_, d)| d).to_owned();
    if !settings.allowed_domains.is_empty() && !settings.allowed_domains.iter().any(|d| d.eq_ignore_ascii_case(&domain))
    {
        return Ok(Err(Refusal::DomainNotAllowed(domain)));
    }
    let linked = db::identity_user(conn, &identity.issuer, &identity.subject)?;
    let user = match linked {
        Some(id) => db::user_by_id(conn, &id)?,
        None => {
            let user = match db::user_by_email(conn, &email)? {
                Some(user) => user,
                None if settings.new_user_role.is_empty() => return Ok(Err(Refusal::NoAccount)),
                None => {
                    let role = Role::parse(&settings.new_user_role).map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
                    let name =
                        identity.name.clone().unwrap_or_else(|| email.split('@').next().unwrap_or("").to_owned());
                    let new = NewUser { email: email.clone(), name, role, teams: Vec::new(), password_hash: None };
                    let Ok((email, name)) = users::check_new_user(&new) else { return Ok(Err(Refusal::NoAccount)) };
                    users::insert_new_user(conn, &new, email, name, None, now)?
                }
            };
            db::insert_identity(conn, &identity.issuer, &identity.subject, &user.id, to_db(now))?;
            Some(user)
        }
    };
    Ok(match user {
        Some(user) if user.active => Ok(user.id),
        Some(_) => Err(Refusal::LockedOut),
        None => Err(Refusal::NoAccount),
    })
}
