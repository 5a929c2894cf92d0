//! The web pages: server-rendered HTML from askama templates (auto-escaping), a small
//! stylesheet and script of our own, nothing from a CDN. Every page works without JavaScript;
//! the script only adds the live routing preview and local times.
//!
//! Pages call the same `service` functions as the API, as the signed-in user, so they follow
//! the same rules. Every form carries the session's CSRF token; every POST checks it.

mod account;
mod actions;
mod admin;
mod agreement;
mod canned;
mod conversation;
mod dashboard;
pub mod guard;
mod links;
mod mine;
mod notices;
mod sso;
mod type_fields;
mod views;
mod whatif;
pub use sso::Provider as SsoProvider;
mod queues;
mod request_page;
mod requests;
pub mod session;

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError, web};
use askama::Template;

use crate::error::ApiError;
pub use session::SignedIn;

/// Registers the pages and their assets.
pub fn pages(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(account::home))
        .route("/assets/app.css", web::get().to(stylesheet))
        .route("/assets/app.js", web::get().to(script))
        .configure(account::config)
        .configure(links::config)
        .configure(sso::config)
        .configure(requests::config)
        .configure(queues::config)
        .configure(canned::config)
        .configure(views::config)
        .configure(agreement::config)
        .configure(dashboard::config)
        .configure(whatif::config)
        .configure(admin::config);
}

async fn stylesheet() -> HttpResponse {
    asset("text/css; charset=utf-8", include_str!("assets/app.css"))
}

async fn script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", include_str!("assets/app.js"))
}

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

/// What a page handler can fail with: a visitor who must sign in first, a form that did not
/// come from our page, or any service error, shown as an HTML page with its status.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("sign in first")]
    SignIn { next: String },
    #[error("the form has expired or did not come from changedesk; go back, reload the page and try again")]
    Csrf,
    #[error("too many failed sign-ins; wait a few minutes and try again")]
    Throttled,
    #[error("this form was sent from another site; open changedesk itself and try again there")]
    CrossSite,
    /// Single sign-on did not sign the person in, and why (in their words).
    #[error("{0}")]
    SsoRefused(String),
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        Self::Api(ApiError::Internal(anyhow::anyhow!("rendering a page: {e}")))
    }
}

impl From<crate::service::Error> for PageError {
    fn from(e: crate::service::Error) -> Self {
        Self::Api(e.into())
    }
}

impl From<actix_web::error::BlockingError> for PageError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::Api(e.into())
    }
}

#[derive(Template)]
#[template(path = "pages/error.html", config = "config/askama.toml")]
struct ErrorPage<'a> {
    title: &'a str,
    message: String,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn { .. } => StatusCode::SEE_OTHER,
            Self::Csrf | Self::CrossSite | Self::SsoRefused(_) => StatusCode::FORBIDDEN,
            Self::Throttled => StatusCode::TOO_MANY_REQUESTS,
            Self::Api(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::SignIn { next } = self {
            let to =
                format!("/sign-in?next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>());
            return see_other(&to);
        }
        let status = self.status_code();
        let message = match self {
            // The details of a server fault are in the log, not on the page.
            Self::Api(ApiError::Internal(e)) => {
                log::error!("page failed: {e:#}");
                "Something went wrong on our side; it has been logged. Try again in a moment.".to_owned()
            }
            Self::Api(ApiError::Validation(fields)) => {
                fields.0.iter().map(|(f, p)| format!("{f}: {p}")).collect::<Vec<_>>().join("; ")
            }
            other => other.to_string(),
        };
        let title = status.canonical_reason().unwrap_or("Error");
        let body = ErrorPage { title, message }.render().unwrap_or_else(|_| title.to_owned());
        HttpResponse::build(status).content_type(ContentType::html()).body(body)
    }
}

/// `path` if it is a path of this site, as a browser would read it, so forms cannot be used to
/// send people elsewhere: parsed against a placeholder origin and kept only when the origin is
/// unchanged. Browsers drop tabs and newlines from an address and read `\\` as `/`, so
/// `/\t/evil.example/` is `//evil.example/`: any control character or backslash is refused
/// before parsing. The answer is the parsed path and query, percent-encoded, so it always makes
/// a valid `Location` header.
pub fn local_path(path: &str) -> Option<String> {
    const PLACEHOLDER: &str = "http://changedesk.invalid/";
    if !path.starts_with('/') || path.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    let base = url::Url::parse(PLACEHOLDER).ok()?;
    let parsed = base.join(path).ok()?;
    let local = &parsed[url::Position::BeforePath..url::Position::AfterQuery];
    // `/.//evil.example` parses to the path `//evil.example`, which a browser reads as a host.
    (parsed.origin() == base.origin() && !local.starts_with("//")).then(|| local.to_owned())
}

/// A rendered page.
pub fn html(page: impl Template) -> Result<HttpResponse, PageError> {
    html_status(page, StatusCode::OK)
}

/// A rendered page with another status: 422 for a form that comes back with its problems.
pub fn html_status(page: impl Template, status: StatusCode) -> Result<HttpResponse, PageError> {
    Ok(HttpResponse::build(status).content_type(ContentType::html()).body(page.render()?))
}

/// `response` setting `cookie`, if there is one.
pub fn with_cookie(mut response: HttpResponse, cookie: Option<Cookie<'_>>) -> Result<HttpResponse, PageError> {
    if let Some(cookie) = cookie {
        response.add_cookie(&cookie).map_err(|e| ApiError::Internal(e.into()))?;
    }
    Ok(response)
}

/// The answer to a successful form post: go and look (303, so a reload does not post again).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish()
}

/// A team's name, by its key (the key itself for a team that is gone).
pub fn team_name<'a>(teams: &'a [crate::service::admin::TeamView], key: &'a str) -> &'a str {
    teams.iter().find(|t| t.key == key).map_or(key, |t| t.name.as_str())
}

/// A routing reason as the pages say it: the team it names by its name ("category 'bug' is
/// owned by IT web operations"). The API keeps the stored reason, which names the key.
pub fn named_reason(reason: &str, teams: &[crate::service::admin::TeamView]) -> String {
    let named = teams.iter().find_map(|t| {
        let head = reason.strip_suffix(t.key.as_str())?;
        head.ends_with(' ').then(|| format!("{head}{}", t.name))
    });
    named.unwrap_or_else(|| reason.to_owned())
}

/// A request's two clocks with their names, for the lists and the request page.
pub fn clocks(r: &crate::read::views::RequestView) -> Vec<(&'static str, Option<&crate::service::sla::ClockView>)> {
    vec![("First response", r.sla.first_response.as_ref()), ("Resolution", r.sla.resolution.as_ref())]
}

pub use crate::words;

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn routing_reasons_name_the_team() {
        let team = |key: &str, name: &str| crate::service::admin::TeamView {
            key: key.into(),
            name: name.into(),
            email: String::new(),
            leads: vec![],
        };
        let teams = [team("it", "IT web operations"), team("marketing", "Marketing web team")];
        let named = |r: &str| super::named_reason(r, &teams);
        assert_eq!(named("category 'bug' is owned by it"), "category 'bug' is owned by IT web operations");
        assert_eq!(
            named("category 'other' goes to the fallback team it"),
            "category 'other' goes to the fallback team IT web operations"
        );
        assert_eq!(
            named("rule 'outage words' matched \"audit\""),
            "rule 'outage words' matched \"audit\"",
            "a rule's words stay"
        );
        assert_eq!(named("category 'x' is owned by gone"), "category 'x' is owned by gone");
    }

    #[test]
    fn targets_and_times_used_read_in_hours_and_minutes() {
        use super::words::{duration, hm};
        assert_eq!(hm(45), "45 m");
        assert_eq!(hm(2550), "42 h 30 m");
        assert_eq!(duration(&240, "it-hours"), "4 business hours");
        assert_eq!(duration(&2550, "it-hours"), "42 h 30 m of business time");
        assert_eq!(duration(&60, "24x7"), "1 hour");
        assert_eq!(duration(&90, "24x7"), "1 h 30 m");
    }

    #[test]
    fn spans_and_countdowns_read_in_their_two_largest_units() {
        use super::words::{due_in, span};
        use chrono::{TimeDelta, TimeZone, Utc};
        assert_eq!(span(TimeDelta::seconds(59)), "under a minute");
        assert_eq!(span(TimeDelta::minutes(45)), "45 m");
        assert_eq!(span(TimeDelta::minutes(190)), "3 h 10 m");
        assert_eq!(span(TimeDelta::minutes(2 * 1440 + 4 * 60 + 59)), "2 d 4 h");
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap();
        assert_eq!(due_in(&(now + TimeDelta::minutes(130)), &now), "due in 2 h 10 m");
        assert_eq!(due_in(&(now - TimeDelta::minutes(27 * 60)), &now), "overdue by 1 d 3 h");
        assert_eq!(due_in(&now, &now), "overdue by under a minute");
    }
    use proptest::prelude::*;

    #[test]
    fn only_paths_of_this_site_come_back() {
        assert_eq!(local_path("/queues/it?sort=due").as_deref(), Some("/queues/it?sort=due"));
        assert_eq!(local_path("/a b").as_deref(), Some("/a%20b"));
        for foreign in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example/",
            "/\t/evil.example/",
            "/%09/evil.example/x\n",
            "/\n/evil.example",
            "/x\r\nSet-Cookie: a=b",
            "/\u{1}",
            "/\u{7f}",
            "",
            "queues",
            "/.//evil.example",
            "/..//evil.example/",
            "/a/..//evil.example",
        ] {
            assert_eq!(local_path(foreign), None, "{foreign:?}");
        }
        // Percent-encoded, a tab is only text in a path of this site.
        assert_eq!(local_path("/%09/evil.example/").as_deref(), Some("/%09/evil.example/"));
    }

    proptest! {
        #[test]
        fn whatever_comes_in_what_goes_out_is_a_header_safe_path_of_this_site(s in "\\PC*|/[\\x00-\\x7f]{0,40}") {
            if let Some(path) = local_path(&s) {
                prop_assert!(path.starts_with('/') && !path.starts_with("//"), "{path:?}");
                prop_assert!(path.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b'\\'), "{path:?}");
                prop_assert!(actix_web::http::header::HeaderValue::from_str(&path).is_ok());
            }
        }
    }
}
