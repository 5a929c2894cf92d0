//! What every answer carries and what every page form must show, in one middleware:
//!
//! - **Security headers** on pages, assets, downloads and the API alike: a
//!   Content-Security-Policy that allows no inline script or style and no framing, the same
//!   for older browsers (`X-Frame-Options`), `X-Content-Type-Options: nosniff`,
//!   `Referrer-Policy: same-origin`, HSTS when the service is reached over https
//!   (`server.base_url`), and `Cache-Control: no-store` on every answer that does not set its
//!   own (only the stylesheet and script do), so no signed-in page or API answer is kept by a
//!   browser or a proxy.
//! - **Forms from this site only.** A page form (any unsafe method outside `/api/`, which takes
//!   bearer tokens, never cookies) is refused with 403 when the browser says it was sent from
//!   another site (`Sec-Fetch-Site`) or its `Origin` is not this site, whatever its CSRF token.
//!   A browser that sends neither header is left to the token.
//! - **No NUL in an address.** `%00` in a path or query is answered 400 before any handler:
//!   PostgreSQL stores no NUL in text, and a filter or key holding one made a 500 there.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};

use super::PageError;
use crate::error::ApiError;

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// This site as browsers name it, from `server.base_url`, read once at start-up.
#[derive(Debug, Clone)]
pub struct Site {
    /// `scheme://host[:port]`, as an `Origin` header carries it.
    origin: String,
    https: bool,
}

impl Site {
    pub fn from_base_url(base_url: &str) -> Self {
        let origin = url::Url::parse(base_url).map(|u| u.origin().ascii_serialization()).unwrap_or_default();
        Self { https: origin.starts_with("https://"), origin }
    }

    /// Whether `origin` is this site: its public address, or the host the request was sent to
    /// (a browser sets both `Origin` and `Host`; another site can set neither to ours).
    fn is_own(&self, origin: &str, host: Option<&str>) -> bool {
        let sent_to = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
        origin == self.origin || (sent_to.is_some() && sent_to == host)
    }

    /// Whether a request is a page form sent from another site.
    fn is_from_elsewhere(&self, req: &ServiceRequest) -> bool {
        if req.method().is_safe() || req.path().starts_with("/api/") {
            return false;
        }
        let headers = req.headers();
        let text = |name| headers.get(name).map(|v: &HeaderValue| v.to_str().unwrap_or("?"));
        let cross_fetch = text("sec-fetch-site").is_some_and(|site| !matches!(site, "same-origin" | "none"));
        let host = text(header::HOST.as_str());
        let foreign_origin = text(header::ORIGIN.as_str()).is_some_and(|origin| !self.is_own(origin, host));
        cross_fetch || foreign_origin
    }

    fn add_headers(&self, headers: &mut HeaderMap) {
        let set = |headers: &mut HeaderMap, name, value| {
            headers.insert(name, HeaderValue::from_static(value));
        };
        // A response with a policy of its own (a download's `sandbox`) keeps it and gets this one
        // too: a browser enforces every policy it is sent, so the two only add restrictions.
        headers.append(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
        set(headers, header::X_FRAME_OPTIONS, "DENY");
        set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
        set(headers, header::REFERRER_POLICY, "same-origin");
        if self.https {
            set(headers, header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains");
        }
        if !headers.contains_key(header::CACHE_CONTROL) {
            set(headers, header::CACHE_CONTROL, "no-store");
        }
    }
}

/// Whether the request's path or query, decoded, holds a NUL character.
fn has_nul(req: &ServiceRequest) -> bool {
    let raw = req.uri().path_and_query().map_or("", |p| p.as_str()).as_bytes();
    raw.windows(3).any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

/// The middleware (`actix_web::middleware::from_fn`).
pub async fn guard(
    site: actix_web::web::Data<Site>,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let refused = if has_nul(&req) {
        let error = ApiError::BadRequest("the address holds a NUL character (%00)".into());
        Some(if req.path().starts_with("/api/") {
            error.error_response()
        } else {
            PageError::Api(error).error_response()
        })
    } else if site.is_from_elsewhere(&req) {
        Some(PageError::CrossSite.error_response())
    } else {
        None
    };
    let mut res = if let Some(answer) = refused {
        let (req, _) = req.into_parts();
        ServiceResponse::new(req, answer).map_into_right_body()
    } else {
        next.call(req).await?.map_into_left_body()
    };
    site.add_headers(res.headers_mut());
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn a_form_is_from_elsewhere_when_the_browser_or_its_origin_says_so() {
        let site = Site::from_base_url("https://desk.example.org/");
        let post = |headers: &[(&str, &str)]| {
            let mut req = TestRequest::post().uri("/requests/new").insert_header(("host", "desk.example.org"));
            for h in headers {
                req = req.insert_header(*h);
            }
            site.is_from_elsewhere(&req.to_srv_request())
        };
        assert!(!post(&[]), "no header: the CSRF token decides");
        assert!(!post(&[("sec-fetch-site", "same-origin"), ("origin", "https://desk.example.org")]));
        assert!(!post(&[("origin", "http://desk.example.org")]), "the host it was sent to, behind a proxy");
        assert!(post(&[("sec-fetch-site", "cross-site")]));
        assert!(post(&[("sec-fetch-site", "same-site")]), "a sibling subdomain is another site");
        assert!(post(&[("origin", "http://evil.example")]));
        assert!(post(&[("origin", "null")]));
        assert!(post(&[("sec-fetch-site", "same-origin"), ("origin", "https://evil.example")]));
        let api = TestRequest::post().uri("/api/v1/requests").insert_header(("origin", "http://evil.example"));
        assert!(!site.is_from_elsewhere(&api.to_srv_request()), "the API takes no cookies");
        let get = TestRequest::get().uri("/requests/new").insert_header(("sec-fetch-site", "cross-site"));
        assert!(!site.is_from_elsewhere(&get.to_srv_request()), "following a link from elsewhere is fine");
    }
}
