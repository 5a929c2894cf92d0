//! Request types: per category, the fields a request of that kind asks for (a redirect's old
//! and new URL, a tracking tag's vendor and consent category). Admins change them as a whole
//! list, stored as a new version like the ownership map; a request keeps the version it was
//! filed under, so later changes never rewrite what it was filed with.
//!
//! Values are JSON: text, long text, URLs, dates (YYYY-MM-DD) and choices as strings, yes/no
//! as booleans. `check_values` is the one place that says what a value of each type may be.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::FieldErrors;
use super::routing::validate_key;

/// The fields of one category's requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestType {
    /// A category key of the ownership map.
    pub category: String,
    pub fields: Vec<FieldDef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    /// Lower-case key, the name in `fields` on a request.
    pub key: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    /// One line under the field on the form.
    #[serde(default)]
    pub help: String,
    /// The choices of a `choice` field (and only of one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    LongText,
    Url,
    Date,
    Choice,
    YesNo,
}

const TEXT_MAX: usize = 500;
const LONG_TEXT_MAX: usize = 10_000;
const URL_MAX: usize = 2_000;
const FIELDS_MAX: usize = 20;

impl FieldDef {
    /// Checks one value; `Ok(None)` for an empty optional one (not stored).
    fn check(&self, value: &Value) -> Result<Option<Value>, String> {
        let text = match value {
            Value::Null => None,
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => Some(s.trim()),
            Value::Bool(b) if self.kind == FieldKind::YesNo => return Ok(Some(Value::Bool(*b))),
            _ if self.kind == FieldKind::YesNo => return Err("must be true or false".into()),
            _ => return Err("must be a string".into()),
        };
        let Some(text) = text else {
            return if self.required { Err("is required".into()) } else { Ok(None) };
        };
        let one_line = |max: usize| {
            if text.chars().count() > max {
                Err(format!("must be at most {max} characters"))
            } else if text.contains(['\n', '\r']) || text.chars().any(|c| c.is_control()) {
                Err("must be one line of text".into())
            } else {
                Ok(Some(Value::String(text.to_owned())))
            }
        };
        match self.kind {
            FieldKind::Text => one_line(TEXT_MAX),
            FieldKind::LongText => match text.chars().count() > LONG_TEXT_MAX
                || text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            {
                true => Err(format!("must be at most {LONG_TEXT_MAX} characters of text")),
                false => Ok(Some(Value::String(text.to_owned()))),
            },
            FieldKind::Url => {
                one_line(URL_MAX)?;
                match url::Url::parse(text) {
                    Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
                        Ok(Some(Value::String(text.to_owned())))
                    }
                    _ => Err(format!("'{text}' is not an http or https address")),
                }
            }
            FieldKind::Date => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(d) => Ok(Some(Value::String(d.format("%Y-%m-%d").to_string()))),
                Err(_) => Err(format!("'{text}' is not a date (YYYY-MM-DD)")),
            },
            FieldKind::Choice => match self.choices.iter().find(|c| c.as_str() == text) {
                Some(c) => Ok(Some(Value::String(c.clone()))),
                None => Err(format!("'{text}' is not one of: {}", self.choices.join(", "))),
            },
            // A form sends yes/no as text.
            FieldKind::YesNo => match text {
                "yes" | "true" | "on" => Ok(Some(Value::Bool(true))),
                "no" | "false" | "off" => Ok(Some(Value::Bool(false))),
                _ => Err("must be yes or no".into()),
            },
        }
    }
}

/// A stored value in words: yes/no for booleans, the text otherwise.
pub fn shown(value: &Value) -> String {
    match value {
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The type of `category` in `types`, if it has one.
pub fn type_of<'a>(types: &'a [RequestType], category: &str) -> Option<&'a RequestType> {
    types.iter().find(|t| t.category == category)
}

/// Checks values against `def` (none: the category asks for nothing, so nothing is taken).
/// With `require`, required fields must be there (filing); without it, only the values given
/// are checked (an edit that leaves a field alone). Errors are named `fields.{key}`.
pub fn check_values(
    def: Option<&RequestType>,
    values: &Map<String, Value>,
    require: bool,
) -> Result<Map<String, Value>, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut out = Map::new();
    let fields = def.map_or(&[][..], |d| &d.fields[..]);
    for key in values.keys() {
        if !fields.iter().any(|f| &f.key == key) {
            let known: Vec<&str> = fields.iter().map(|f| f.key.as_str()).collect();
            let known = if known.is_empty() { "none".to_owned() } else { known.join(", ") };
            errors.add(format!("fields.{key}"), format!("is not a field of this category (its fields: {known})"));
        }
    }
    for f in fields {
        let value = match values.get(&f.key) {
            Some(v) => v,
            None if require => &Value::Null,
            None => continue,
        };
        match f.check(value) {
            Ok(Some(v)) => {
                out.insert(f.key.clone(), v);
            }
            Ok(None) => {}
            Err(problem) => errors.add(format!("fields.{}", f.key), problem),
        }
    }
    errors.finish(|| out)
}

/// Values as stored on a request (`requests.fields`); an unreadable column reads as none.
pub fn stored_fields(json: Option<&str>) -> Map<String, Value> {
    json.and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default()
}

/// The values in words, one line each, for the search index and the routing rules' text.
pub fn fields_text(values: &Map<String, Value>) -> String {
    values.values().map(shown).collect::<Vec<_>>().join("\n")
}

/// Checks a whole list of types against the map's categories; names point into the document
/// (`types[1].fields[0].choices`).
pub fn validate_types(types: &[RequestType], categories: &[String]) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::default();
    for (i, t) in types.iter().enumerate() {
        let at = |f: &str| format!("types[{i}].{f}");
        if !categories.contains(&t.category) {
            errors.add(at("category"), format!("unknown category '{}'", t.category));
        } else if types[..i].iter().any(|o| o.category == t.category) {
            errors.add(at("category"), format!("'{}' has two entries", t.category));
        }
        if t.fields.len() > FIELDS_MAX {
            errors.add(at("fields"), format!("at most {FIELDS_MAX} fields a category"));
        }
        for (j, f) in t.fields.iter().enumerate() {
            let at = |x: &str| format!("types[{i}].fields[{j}].{x}");
            if let Err(e) = validate_key(&f.key) {
                errors.add(at("key"), e);
            } else if t.fields[..j].iter().any(|o| o.key == f.key) {
                errors.add(at("key"), format!("duplicate field '{}'", f.key));
            }
            if f.label.trim().is_empty() || f.label.chars().count() > 80 {
                errors.add(at("label"), "must be 1 to 80 characters");
            }
            if f.help.chars().count() > 300 {
                errors.add(at("help"), "must be at most 300 characters");
            }
            match (f.kind, f.choices.len()) {
                (FieldKind::Choice, 0) => errors.add(at("choices"), "a choice field needs choices"),
                (FieldKind::Choice, n) if n > 50 => errors.add(at("choices"), "at most 50 choices"),
                (FieldKind::Choice, _) => {
                    for (k, c) in f.choices.iter().enumerate() {
                        if c.trim().is_empty() || c.trim() != c || c.chars().count() > 80 {
                            errors.add(at(&format!("choices[{k}]")), "must be 1 to 80 characters, trimmed");
                        } else if f.choices[..k].contains(c) {
                            errors.add(at(&format!("choices[{k}]")), format!("duplicate choice '{c}'"));
                        }
                    }
                }
                (_, 0) => {}
                (_, _) => errors.add(at("choices"), "only a choice field has choices"),
            }
        }
    }
    errors.finish(|| ())
}

mod defaults;
pub use defaults::default_types;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn redirect() -> RequestType {
        let categories = vec!["seo".to_owned()];
        default_types(&categories).remove(0)
    }

    #[test]
    fn the_defaults_are_valid_for_the_ten_default_categories() {
        let keys: Vec<String> =
            ["content", "seo", "analytics", "ux", "branding", "hosting", "security", "bug", "integration", "other"]
                .map(str::to_owned)
                .to_vec();
        let types = default_types(&keys);
        assert_eq!(types.len(), 9, "every category but `other` asks for something");
        assert_eq!(validate_types(&types, &keys), Ok(()));
    }

    #[test]
    fn values_are_checked_by_type_and_named_by_field() {
        let t = redirect();
        let ok = check_values(
            Some(&t),
            &json!({ "change": "Redirect", "old_url": "https://example.org/a", "go_live": "2026-12-24" })
                .as_object()
                .unwrap()
                .clone(),
            true,
        )
        .unwrap();
        assert_eq!(ok["go_live"], "2026-12-24");
        let bad = check_values(
            Some(&t),
            &json!({ "old_url": "javascript:alert(1)", "go_live": "24/12/2026", "colour": "red" })
                .as_object()
                .unwrap()
                .clone(),
            true,
        )
        .unwrap_err();
        assert_eq!(bad.get("fields.change"), Some("is required"));
        assert!(bad.get("fields.old_url").unwrap().contains("not an http"));
        assert!(bad.get("fields.go_live").unwrap().contains("YYYY-MM-DD"));
        assert!(bad.get("fields.colour").unwrap().contains("not a field"));
        // Without `require`, an edit checks only what it gives.
        assert!(check_values(Some(&t), &Map::new(), false).is_ok());
    }

    #[test]
    fn yes_no_takes_booleans_and_the_forms_words() {
        let f = FieldDef {
            key: "ok".into(),
            label: "OK".into(),
            kind: FieldKind::YesNo,
            required: false,
            help: String::new(),
            choices: vec![],
        };
        assert_eq!(f.check(&json!(true)), Ok(Some(json!(true))));
        assert_eq!(f.check(&json!("no")), Ok(Some(json!(false))));
        assert!(f.check(&json!(3)).is_err());
        assert_eq!(f.check(&json!("")), Ok(None));
    }

    #[test]
    fn a_choice_needs_choices_and_only_a_choice_has_them() {
        let mut t = redirect();
        t.fields[0].choices.clear();
        t.fields[1].choices = vec!["a".into()];
        let errors = validate_types(&[t], &["seo".to_owned()]).unwrap_err();
        assert!(errors.get("types[0].fields[0].choices").is_some());
        assert!(errors.get("types[0].fields[1].choices").is_some());
    }
}
