//! Browser sessions, CSRF tokens, and who the client is (its address behind trusted proxies,
//! whether it came over https). The sign-in throttle is `service::sessions::sign_in`'s.
//!
//! The session cookie holds a random 256-bit token (HttpOnly, SameSite=Lax, Secure when the
//! service is reached over https); the database stores only its SHA-256 hash, with the user and
//! the session's CSRF token. Forms send the CSRF token back in a hidden `csrf` field. The
//! sign-in and first-run forms, which come before any session, use a CSRF cookie of their own
//! and the same hidden field (double submit).

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use chrono::TimeDelta;
use ipnet::IpNet;

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
    /// The user's teams as (key, name, open requests), for the top bar's queue links (staff
    /// only; a requester's are none).
    pub teams: Vec<(String, String, i64)>,
    /// The person's saved views as (id, name, link), for the top bar.
    pub views: Vec<(String, String, String)>,
    /// The time zone the pages show times in: the person's choice, else the organisation's.
    pub tz: chrono_tz::Tz,
    /// Whether that is the person's own choice.
    pub own_tz: bool,
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
            let state_config = state.config.clone();
            let org_tz = state.settings.org.timezone;
            let found = state
                .run(move |conn| {
                    let session = hash_token(&token);
                    let Some((actor, csrf, chosen)) = sessions::find(conn, &session, now)? else { return Ok(None) };
                    let own: Option<chrono_tz::Tz> = chosen.and_then(|t| t.parse().ok());
                    // Names from the configuration in force (held in memory, checked by its stamp).
                    let config = state_config.current(conn)?;
                    let mut teams = Vec::new();
                    if actor.role.is_staff() {
                        for key in &actor.teams {
                            let name = config.team(key).map_or_else(|| key.clone(), |t| t.name.clone());
                            teams.push((key.clone(), name, crate::read::list::open_count(conn, key)?));
                        }
                    }
                    let tz = own.unwrap_or(org_tz);
                    let views =
                        crate::service::views::list(conn, &actor)?.into_iter().map(|v| (v.id, v.name, v.url)).collect();
                    Ok(Some(SignedIn { actor, csrf, session, teams, views, tz, own_tz: own.is_some() }))
                })
                .await?;
            found.ok_or_else(sign_in)
        })
    }
}

/// Starts a session for `user_id`; returns the cookie to set.
pub async fn start(state: &AppState, req: &HttpRequest, user_id: String) -> Result<Cookie<'static>, PageError> {
    start_for(state, req, user_id, SESSION_HOURS).await
}

/// Starts a session that lasts `hours` (single sign-on's are shorter).
pub async fn start_for(
    state: &AppState,
    req: &HttpRequest,
    user_id: String,
    hours: i64,
) -> Result<Cookie<'static>, PageError> {
    let token = generate_secret();
    let (hash, csrf) = (hash_token(&token), generate_secret());
    let now = state.clock.now();
    let expires = now + TimeDelta::hours(hours);
    state.run(move |conn| sessions::start(conn, &hash, &user_id, &csrf, now, expires)).await?;
    Ok(cookie(state, req, SESSION_COOKIE, token, CookieDuration::hours(hours)))
}

/// Ends the session behind the request's cookie, if any; returns the cookie that clears it.
pub async fn end(state: &AppState, req: &HttpRequest) -> Result<Cookie<'static>, PageError> {
    if let Some(token) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) {
        state.run(move |conn| sessions::end(conn, &hash_token(&token))).await?;
    }
    Ok(cookie(state, req, SESSION_COOKIE, String::new(), CookieDuration::ZERO))
}

/// The pre-session CSRF token of the request, or a new one with the cookie that carries it.
pub fn login_csrf(state: &AppState, req: &HttpRequest) -> (String, Option<Cookie<'static>>) {
    match req.cookie(CSRF_COOKIE) {
        Some(c) if c.value().len() == 64 => (c.value().to_owned(), None),
        _ => {
            let token = generate_secret();
            (token.clone(), Some(cookie(state, req, CSRF_COOKIE, token, CookieDuration::hours(SESSION_HOURS))))
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

fn cookie(
    state: &AppState,
    req: &HttpRequest,
    name: &'static str,
    value: String,
    max_age: CookieDuration,
) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(over_https(req, &state.settings.server))
        .max_age(max_age)
        .finish()
}

/// The client's address: the connection's peer, unless that is a trusted proxy
/// (`server.trusted_proxies`); then the nearest address in `X-Forwarded-For` that is not one
/// (each proxy appends the address it was reached from, so only the right-most entries were
/// written by proxies we trust; what a client put before them is not believed).
pub fn client_address(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<&str> =
        req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).collect();
    let mut client = peer;
    for hop in forwarded.iter().rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) if is_trusted(&ip) => client = ip,
            Ok(ip) => return Some(ip),
            // Not an address: nothing before it can be believed either.
            Err(_) => break,
        }
    }
    Some(client)
}

/// The client's address as the security log records it (`client_address` with this service's
/// trusted proxies).
pub fn address_of(state: &AppState, req: &HttpRequest) -> Option<String> {
    client_address(req, &state.settings.server.trusted_proxies).map(|a| a.to_string())
}

/// Whether the browser reached the service over https: `server.base_url` says so, or a
/// trusted proxy does (`X-Forwarded-Proto`, its last value).
pub fn over_https(req: &HttpRequest, server: &crate::config::ServerSettings) -> bool {
    if server.base_url.starts_with("https://") {
        return true;
    }
    let from_proxy = req.peer_addr().is_some_and(|p| server.trusted_proxies.iter().any(|n| n.contains(&p.ip())));
    let proto = req.headers().get_all("x-forwarded-proto").filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(','));
    from_proxy && proto.last().is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(peer: &str, forwarded: &[&str]) -> HttpRequest {
        let mut req = actix_web::test::TestRequest::default().peer_addr(peer.parse().unwrap());
        for f in forwarded {
            req = req.append_header(("x-forwarded-for", *f));
        }
        req.to_http_request()
    }

    #[test]
    fn the_client_address_is_believed_from_trusted_proxies_only() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        let address = |peer, fwd: &[&str]| client_address(&request(peer, fwd), &trusted).unwrap().to_string();
        assert_eq!(address("192.0.2.7:5000", &["198.51.100.1"]), "192.0.2.7", "not a proxy: its header is ignored");
        assert_eq!(address("10.0.0.2:5000", &["198.51.100.1"]), "198.51.100.1");
        assert_eq!(
            address("10.0.0.2:5000", &["1.2.3.4, 198.51.100.1, 10.0.0.9"]),
            "198.51.100.1",
            "what the client wrote before the proxies is not believed"
        );
        assert_eq!(address("10.0.0.2:5000", &["1.2.3.4", "198.51.100.1"]), "198.51.100.1", "several headers");
        assert_eq!(address("10.0.0.2:5000", &["garbage, 10.0.0.3"]), "10.0.0.3");
        assert_eq!(address("10.0.0.2:5000", &[]), "10.0.0.2");
        assert_eq!(address("[::1]:5000", &["2001:db8::5"]), "2001:db8::5");
        assert_eq!(
            client_address(&request("10.0.0.2:5000", &["198.51.100.1"]), &[]).unwrap().to_string(),
            "10.0.0.2",
            "no proxies configured: no header believed"
        );
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd") && !same("abc", "ab") && !same("", "a"));
    }
}
