//! Who is calling: bearer tokens (stored as SHA-256 hashes) resolved to an `Actor`, and the
//! rules for what an actor may touch.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::domain::Role;
use crate::error::ApiError;
use crate::service::Error;
use crate::service::tokens;
use crate::state::AppState;

/// The authenticated user of a request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub teams: Vec<String>,
    /// The time zone they read times in, when they chose one.
    pub timezone: Option<chrono_tz::Tz>,
}

impl Actor {
    pub fn is_member(&self, team: &str) -> bool {
        self.teams.iter().any(|t| t == team)
    }

    /// Agents and leads work their own teams' requests; admins work all of them.
    pub fn works_for(&self, team: &str) -> bool {
        self.role == Role::Admin || (self.role.is_staff() && self.is_member(team))
    }

    /// Reports and digests are for leads and admins.
    pub fn require_reports(&self) -> Result<(), Error> {
        if matches!(self.role, Role::Lead | Role::Admin) {
            Ok(())
        } else {
            Err(Error::Forbidden("reports are for leads and admins".into()))
        }
    }

    pub fn require_admin(&self) -> Result<(), Error> {
        if self.role == Role::Admin { Ok(()) } else { Err(Error::Forbidden("only admins may do that".into())) }
    }
}

/// Shortest password accepted, in characters.
pub const PASSWORD_MIN_CHARS: usize = 12;

/// An argon2id hash (PHC string, random salt) of a password of at least
/// `PASSWORD_MIN_CHARS` characters.
pub fn hash_password(password: &str) -> Result<String, String> {
    if password.chars().count() < PASSWORD_MIN_CHARS {
        return Err(format!("must be at least {PASSWORD_MIN_CHARS} characters"));
    }
    Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| format!("hashing: {e}"))
}

/// Whether `password` matches a stored argon2 hash; a malformed hash matches nothing.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A new random secret for a session cookie or a CSRF token: 64 hex digits (256 bits).
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A new random API token: `cdk_` and 40 hex digits (160 bits).
pub fn generate_token() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    format!("cdk_{}", hex::encode(bytes))
}

/// Tokens are long random strings, so a fast unsalted hash is enough to make a stolen table
/// useless; only this hash is stored.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or_else(|| Error::Unauthorized("missing bearer token".into()))?;
    let value = header.to_str().map_err(|_| Error::Unauthorized("malformed Authorization header".into()))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(token.trim().to_owned())
        }
        _ => Err(ApiError::Unauthorized("expected 'Authorization: Bearer <token>'".into())),
    }
}

impl FromRequest for Actor {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let hash = hash_token(&token?);
            let state = state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no app state")))?;
            state.run(move |conn| tokens::actor_by_token_hash(conn, &hash)).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hash_to_64_hex_digits() {
        let (a, b) = (generate_token(), generate_token());
        assert_ne!(a, b);
        assert!(a.starts_with("cdk_") && a.len() == 44);
        assert_eq!(hash_token(&a).len(), 64);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), hash_token(&b));
    }

    #[test]
    fn passwords_hash_with_argon2_and_verify() {
        assert!(hash_password("short").is_err());
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert_ne!(hash, hash_password("correct horse battery").unwrap(), "a random salt each time");
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "correct horse battery!"));
        assert!(!verify_password("not a hash", "correct horse battery"));
    }
}
