//! A change request as filed: the raw body and the parsed, valid `NewRequest`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::request_type::{RequestType, check_values, type_of};
use super::{FieldErrors, OwnershipMap, Priority};

pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 20_000;
pub const URL_MAX: usize = 2_000;
pub const WATCHERS_MAX: usize = 20;

/// The body of `POST /api/v1/requests` and of the preview. Fields stay strings here so that a
/// wrong value becomes a 422 naming the field rather than a 400 about JSON.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    /// Required; at most 200 characters, one line.
    #[serde(default)]
    pub title: String,
    /// Required; at most 20,000 characters.
    #[serde(default)]
    pub description: String,
    /// Required: a category key of the ownership map in force (`GET /api/v1/categories`); the
    /// map changes while the service runs, so another key is a 422, not a schema error.
    #[serde(default)]
    pub category: String,
    /// P1..P4; P3 when absent.
    pub priority: Option<String>,
    /// http or https only.
    pub page_url: Option<String>,
    /// YYYY-MM-DD.
    pub desired_date: Option<String>,
    /// Preview only: "if it were created at that moment" (RFC 3339). Refused when filing.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub at: Option<String>,
    /// Colleagues who follow the request, by address (at most 20; they need no account).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub watchers: Vec<String>,
    /// The fields its category's request type asks for (`GET /api/v1/request-types`),
    /// `{key: value}`; a wrong one is a 422 naming `fields.{key}`.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// A valid request, ready to be routed and stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRequest {
    pub title: String,
    pub description: String,
    pub category: String,
    pub priority: Option<Priority>,
    pub page_url: Option<String>,
    pub desired_date: Option<NaiveDate>,
    /// Lower case, each once.
    pub watchers: Vec<String>,
    /// Checked against the category's request type.
    pub fields: serde_json::Map<String, serde_json::Value>,
}

impl NewRequest {
    /// Checks every field against the rules and the ownership map; reports all problems at once.
    /// Takes no type fields (see `parse_typed`).
    pub fn parse(input: &RequestInput, map: &OwnershipMap) -> Result<Self, FieldErrors> {
        Self::parse_typed(input, map, &[], false)
    }

    /// `parse`, with the category's fields checked against `types`; `require` makes the type's
    /// required fields required (the form and the API; mail cannot give them).
    pub fn parse_typed(
        input: &RequestInput,
        map: &OwnershipMap,
        types: &[RequestType],
        require: bool,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let title = errors.check("title", parse_text(&input.title, TITLE_MAX, false));
        let description = errors.check("description", parse_text(&input.description, DESCRIPTION_MAX, true));
        let category = errors.check("category", parse_category(&input.category, map));
        let fields = match &category {
            Some(c) => match check_values(type_of(types, c), &input.fields, require) {
                Ok(fields) => fields,
                Err(problems) => {
                    errors.0.extend(problems.0);
                    Default::default()
                }
            },
            None => Default::default(),
        };
        let priority = match &input.priority {
            None => Some(None),
            Some(p) => errors.check("priority", Priority::parse(p).map(Some)),
        };
        let page_url = match input.page_url.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(u) => errors.check("page_url", parse_page_url(u).map(Some)),
        };
        let desired_date = match input.desired_date.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(d) => errors.check(
                "desired_date",
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| format!("must be a date as YYYY-MM-DD (got '{d}')")),
            ),
        };
        let watchers = errors.check("watchers", parse_watchers(&input.watchers));
        match (title, description, category, priority, page_url, desired_date, watchers) {
            (
                Some(title),
                Some(description),
                Some(category),
                Some(priority),
                Some(page_url),
                Some(desired_date),
                Some(watchers),
            ) if errors.is_empty() => {
                Ok(Self { title, description, category, priority, page_url, desired_date, watchers, fields })
            }
            _ => Err(errors),
        }
    }
}

/// An email address as stored: trimmed, lower case, and plausibly an address.
pub fn parse_address(email: &str) -> Result<String, String> {
    let email = email.trim().to_lowercase();
    let plausible = email.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'))
        && !email.contains(|c: char| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'))
        && email.len() <= 254;
    if plausible { Ok(email) } else { Err(format!("'{email}' is not an email address")) }
}

/// Addresses as people type a list of them: separated by commas, semicolons or spaces.
pub fn split_addresses(list: &str) -> Vec<String> {
    list.split([',', ';', ' ', '\n', '\r', '\t']).filter(|a| !a.is_empty()).map(str::to_owned).collect()
}

/// Watchers' addresses, each once, at most `WATCHERS_MAX`.
fn parse_watchers(list: &[String]) -> Result<Vec<String>, String> {
    let mut watchers: Vec<String> = Vec::with_capacity(list.len());
    for email in list.iter().filter(|e| !e.trim().is_empty()) {
        let email = parse_address(email)?;
        if !watchers.contains(&email) {
            watchers.push(email);
        }
    }
    if watchers.len() > WATCHERS_MAX {
        return Err(format!("at most {WATCHERS_MAX} watchers"));
    }
    Ok(watchers)
}

/// Trimmed, non-empty, bounded text without control characters (newlines allowed in multi-line).
pub fn parse_text(s: &str, max: usize, multiline: bool) -> Result<String, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("is required".into());
    }
    if t.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    let bad = |c: char| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t'));
    if t.chars().any(bad) {
        return Err("must not contain control characters".into());
    }
    Ok(t.to_owned())
}

pub fn parse_category(s: &str, map: &OwnershipMap) -> Result<String, String> {
    let key = s.trim();
    if key.is_empty() {
        return Err("is required".into());
    }
    if map.category(key).is_some() {
        Ok(key.to_owned())
    } else {
        let keys: Vec<&str> = map.categories.iter().map(|c| c.key.as_str()).collect();
        Err(format!("unknown category '{key}'; one of {}", keys.join(", ")))
    }
}

fn parse_page_url(s: &str) -> Result<String, String> {
    if s.len() > URL_MAX {
        return Err(format!("must be at most {URL_MAX} characters"));
    }
    let url = match url::Url::parse(s) {
        // Typed as people type addresses ("example.org/pricing"): https, as a browser would.
        Err(url::ParseError::RelativeUrlWithoutBase) if looks_like_a_host(s) => {
            url::Url::parse(&format!("https://{s}"))
        }
        parsed => parsed,
    }
    .map_err(|_| "is not a web address such as https://example.org/pricing".to_owned())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must be an http or https URL".into());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("must name a host".into());
    }
    Ok(url.to_string())
}

/// Whether `s` starts like a host name with a dot ("www.example.org", "example.org/x").
fn looks_like_a_host(s: &str) -> bool {
    let host = s.split(['/', '?', '#']).next().unwrap_or("");
    host.contains('.') && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
}

/// A request's short key, `CR-12`: formatted and read here only.
pub fn request_key(number: i64) -> String {
    format!("CR-{number}")
}

/// The number in a request key (`CR-12`, any case); None for anything else.
pub fn parse_request_key(s: &str) -> Option<i64> {
    s.get(..3).filter(|p| p.eq_ignore_ascii_case("CR-")).and_then(|_| s[3..].parse::<i64>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::routing::tests::sample_map;

    fn input(title: &str, category: &str) -> RequestInput {
        RequestInput {
            title: title.into(),
            description: "Please change it".into(),
            category: category.into(),
            priority: None,
            page_url: None,
            desired_date: None,
            at: None,
            watchers: vec![],
            fields: Default::default(),
        }
    }

    #[test]
    fn a_valid_request_is_trimmed_and_defaults_priority_to_none() {
        let r = NewRequest::parse(&input("  New banner ", "content"), &sample_map()).unwrap();
        assert_eq!(r.title, "New banner");
        assert_eq!(r.priority, None);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let mut i = input("", "nope");
        i.description = "   ".into();
        i.priority = Some("P9".into());
        i.page_url = Some("ftp://example.com/x".into());
        i.desired_date = Some("next week".into());
        let e = NewRequest::parse(&i, &sample_map()).unwrap_err();
        let fields: Vec<&str> = e.0.keys().map(String::as_str).collect();
        assert_eq!(fields, ["category", "description", "desired_date", "page_url", "priority", "title"]);
    }

    #[test]
    fn page_urls_must_be_http_or_https_with_a_host() {
        for (url, ok) in [
            ("https://example.com/pricing", true),
            ("http://example.com", true),
            ("javascript:alert(1)", false),
            ("mailto:a@b.c", false),
            ("not a url", false),
            ("example", false),
        ] {
            assert_eq!(parse_page_url(url).is_ok(), ok, "{url}");
        }
        // An address typed without its scheme is read as a browser reads it.
        assert_eq!(parse_page_url("example.org/pricing?x=1").as_deref(), Ok("https://example.org/pricing?x=1"));
        assert_eq!(parse_page_url("www.example.org").as_deref(), Ok("https://www.example.org/"));
        assert_eq!(parse_page_url("not a url"), Err("is not a web address such as https://example.org/pricing".into()));
    }

    #[test]
    fn text_refuses_control_characters_and_overlong_values() {
        assert!(parse_text("a\u{0}b", 10, false).is_err());
        assert!(parse_text("a\nb", 10, false).is_err());
        assert!(parse_text("a\nb", 10, true).is_ok());
        assert!(parse_text(&"x".repeat(11), 10, false).is_err());
    }

    #[test]
    fn request_keys_format_and_parse_in_any_case() {
        assert_eq!(request_key(12), "CR-12");
        assert_eq!(parse_request_key("CR-12"), Some(12));
        assert_eq!(parse_request_key("cr-7"), Some(7));
        for not_a_key in ["CR-", "CR-x", "12", "CX-12", "", "C"] {
            assert_eq!(parse_request_key(not_a_key), None, "{not_a_key}");
        }
    }
}
