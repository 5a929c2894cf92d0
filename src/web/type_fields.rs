//! A request type's fields on the pages: the request form shows every category's fields, each
//! category's in a fieldset of its own, hidden and disabled (so it sends nothing) unless its
//! category is chosen; without JavaScript the chosen one shows once the form comes back (after
//! "Where will it go?" or with problems), with JavaScript on choosing. The Edit form on a
//! request page shows its category's.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::domain::FieldErrors;
use crate::domain::request_type::{FieldKind, RequestType, shown};

/// One field as a form shows it.
pub struct FieldView {
    /// Unique on the page: `field-{category}-{key}`.
    pub id: String,
    /// What the form sends: `field.{key}`.
    pub name: String,
    pub label: String,
    pub help: String,
    pub required: bool,
    /// `input`, `textarea`, `select` (a choice) or `yes_no`.
    pub control: &'static str,
    /// For an `input`: text, url or date.
    pub input_type: &'static str,
    pub choices: Vec<String>,
    pub value: String,
    pub problem: Option<String>,
}

/// A category's fields.
pub struct Fieldset {
    pub category: String,
    pub shown: bool,
    pub fields: Vec<FieldView>,
}

/// Every category's fieldset; `chosen`'s shown, with `values` (by key) and the problems
/// (`fields.{key}`) filled in.
pub fn fieldsets(
    types: &[RequestType],
    chosen: &str,
    values: &BTreeMap<String, String>,
    errors: &FieldErrors,
) -> Vec<Fieldset> {
    types
        .iter()
        .map(|t| {
            let shown = t.category == chosen;
            let fields = t
                .fields
                .iter()
                .map(|f| {
                    let (control, input_type) = match f.kind {
                        FieldKind::Text => ("input", "text"),
                        FieldKind::Url => ("input", "url"),
                        FieldKind::Date => ("input", "date"),
                        FieldKind::LongText => ("textarea", ""),
                        FieldKind::Choice => ("select", ""),
                        FieldKind::YesNo => ("yes_no", ""),
                    };
                    FieldView {
                        id: format!("field-{}-{}", t.category, f.key),
                        name: format!("field.{}", f.key),
                        label: f.label.clone(),
                        help: f.help.clone(),
                        required: f.required,
                        control,
                        input_type,
                        choices: f.choices.clone(),
                        value: if shown { values.get(&f.key).cloned().unwrap_or_default() } else { String::new() },
                        problem: if shown { errors.get(&format!("fields.{}", f.key)).map(str::to_owned) } else { None },
                    }
                })
                .collect();
            Fieldset { category: t.category.clone(), shown, fields }
        })
        .collect()
}

/// A form's `field.{key}` entries by key.
pub fn form_values(entries: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    entries.iter().filter_map(|(k, v)| Some((k.strip_prefix("field.")?.to_owned(), v.clone()))).collect()
}

/// A request's stored values by key, in words (yes/no for booleans).
pub fn stored_values(fields: &Map<String, Value>) -> BTreeMap<String, String> {
    fields.iter().map(|(k, v)| (k.clone(), shown(v))).collect()
}
