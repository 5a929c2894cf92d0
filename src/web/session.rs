//! Browser sessions, CSRF tokens and the sign-in throttle.
//!
//! The session cookie holds a random 256-bit token (HttpOnly, SameSite=Lax, Secure when the
//! service is reached over https); the database stores only its SHA-256 hash, with the user and
//! the session's CSRF token. Forms send the CSRF token back in a hidden `csrf` field. The
//! sign-in and first-run forms, which come before any session, use a CSRF cookie of their own
//! and the same hidden field (double submit).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use chrono::{DateTime, TimeDelta, Utc};

use super::PageError;
use crate::auth::{Actor, generate_secret, hash_token};
use crate::service::sessions;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "changedesk_session";
pub const CSRF_COOKIE: &str = "changedesk_csrf";
/// How long a session lasts after signing in.
pub const SESSION_HOURS: i64 = 12;

/// A signed-in user and their session's CSRF token. Extracting it from a request without a
/// valid session sends the visitor to the sign-in page, and back here afterwards.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub actor: Actor,
    pub csrf: String,
    /// The hash of this session's token (its key in `sessions`).
    pub session: String,
}

impl SignedIn {
    /// Refuses a form whose `csrf` field is not this session's token.
    pub fn check_csrf(&self, sent: &str) -> Result<(), PageError> {
        if same(sent, &self.csrf) { Ok(()) } else { Err(PageError::Csrf) }
    }
}

/// Compares secrets in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequest for SignedIn {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let next = req.uri().path_and_query().map_or("/".to_owned(), |p| p.as_str().to_owned());
        Box::pin(async move {
            let sign_in = || PageError::SignIn { next: next.clone() };
            let (Some(token), Some(state)) = (token, state) else { return Err(sign_in()) };
            let now = state.clock.now();
            let found = state
                .run(move |conn| {
                    let session = hash_token(&token);
                    let found = sessions::find(conn, &session, now)?;
                    Ok(found.map(|(actor, csrf)| SignedIn { actor, csrf, session }))
                })
                .await?;
            found.ok_or_else(sign_in)
        })
    }
}

/// Starts a session for `user_id`; returns the cookie to set.
pub async fn start(state: &AppState, user_id: String) -> Result<Cookie<'static>, PageError> {
    let token = generate_secret();
    let (hash, csrf) = (hash_token(&token), generate_secret());
    let now = state.clock.now();
    let expires = now + TimeDelta::hours(SESSION_HOURS);
    state.run(move |conn| sessions::start(conn, &hash, &user_id, &csrf, now, expires)).await?;
    Ok(cookie(state, SESSION_COOKIE, token, CookieDuration::hours(SESSION_HOURS)))
}

/// Ends the session behind the request's cookie, if any; returns the cookie that clears it.
pub async fn end(state: &AppState, req: &HttpRequest) -> Result<Cookie<'static>, PageError> {
    if let Some(token) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) {
        state.run(move |conn| sessions::end(conn, &hash_token(&token))).await?;
    }
    Ok(cookie(state, SESSION_COOKIE, String::new(), CookieDuration::ZERO))
}

/// The pre-session CSRF token of the request, or a new one with the cookie that carries it.
pub fn login_csrf(state: &AppState, req: &HttpRequest) -> (String, Option<Cookie<'static>>) {
    match req.cookie(CSRF_COOKIE) {
        Some(c) if c.value().len() == 64 => (c.value().to_owned(), None),
        _ => {
            let token = generate_secret();
            (token.clone(), Some(cookie(state, CSRF_COOKIE, token, CookieDuration::hours(SESSION_HOURS))))
        }
    }
}

/// Refuses a pre-session form whose `csrf` field does not match its CSRF cookie.
pub fn check_login_csrf(req: &HttpRequest, sent: &str) -> Result<(), PageError> {
    match req.cookie(CSRF_COOKIE) {
        Some(c) if !sent.is_empty() && same(c.value(), sent) => Ok(()),
        _ => Err(PageError::Csrf),
    }
}

fn cookie(state: &AppState, name: &'static str, value: String, max_age: CookieDuration) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.server.base_url.starts_with("https://"))
        .max_age(max_age)
        .finish()
}

/// Failed sign-ins are limited per account and per client address: after `MAX_PER_ACCOUNT`
/// (or `MAX_PER_ADDRESS`) failures within `WINDOW_MINUTES`, sign-in is refused with 429 until
/// the oldest failure leaves the window, even with the right password. Kept in memory: each
/// instance counts its own.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, Vec<DateTime<Utc>>>>,
}

pub const MAX_PER_ACCOUNT: usize = 5;
pub const MAX_PER_ADDRESS: usize = 20;
pub const WINDOW_MINUTES: i64 = 15;

impl LoginThrottle {
    fn keys(email: &str, address: &str) -> [(String, usize); 2] {
        [
            (format!("account:{}", email.trim().to_lowercase()), MAX_PER_ACCOUNT),
            (format!("address:{address}"), MAX_PER_ADDRESS),
        ]
    }

    /// Whether another attempt may be made now.
    pub fn allows(&self, email: &str, address: &str, now: DateTime<Utc>) -> bool {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let since = now - TimeDelta::minutes(WINDOW_MINUTES);
        // Forget what has left the window, so the map does not grow without bound.
        failures.retain(|_, times| {
            times.retain(|t| *t > since);
            !times.is_empty()
        });
        Self::keys(email, address).iter().all(|(key, max)| failures.get(key).map_or(0, Vec::len) < *max)
    }

    pub fn failed(&self, email: &str, address: &str, now: DateTime<Utc>) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for (key, _) in Self::keys(email, address) {
            failures.entry(key).or_default().push(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_throttle_counts_failures_per_account_and_address_within_the_window() {
        let throttle = LoginThrottle::default();
        let t0 = DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z").unwrap().to_utc();
        for i in 0..MAX_PER_ACCOUNT {
            assert!(throttle.allows("Ann@example.org", "10.0.0.1", t0), "attempt {i}");
            throttle.failed("ann@example.org", "10.0.0.1", t0);
        }
        assert!(!throttle.allows("ann@example.org", "10.0.0.2", t0), "the account is throttled from anywhere");
        assert!(throttle.allows("bob@example.org", "10.0.0.1", t0), "other accounts are not");
        let later = t0 + TimeDelta::minutes(WINDOW_MINUTES) + TimeDelta::seconds(1);
        assert!(throttle.allows("ann@example.org", "10.0.0.1", later), "failures leave the window");
        for i in 0..MAX_PER_ADDRESS {
            throttle.failed(&format!("user{i}@example.org"), "10.9.9.9", later);
        }
        assert!(!throttle.allows("new@example.org", "10.9.9.9", later), "one address guessing many accounts");
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd") && !same("abc", "ab") && !same("", "a"));
    }
}
