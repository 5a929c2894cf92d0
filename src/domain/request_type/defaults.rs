//! The request types a new installation starts with.

use super::{FieldDef, FieldKind, RequestType};

/// The types a new installation starts with, for the ten default categories: what a web team
/// asks for before it can start on each kind of work. Categories the map lacks are left out.
pub fn default_types(categories: &[String]) -> Vec<RequestType> {
    use FieldKind::*;
    let f = |key: &str, label: &str, kind: FieldKind, required: bool, help: &str, choices: &[&str]| FieldDef {
        key: key.into(),
        label: label.into(),
        kind,
        required,
        help: help.into(),
        choices: choices.iter().map(|c| (*c).to_owned()).collect(),
    };
    let all = vec![
        RequestType {
            category: "content".into(),
            fields: vec![
                f("page", "Page to change", Url, false, "Its address; leave empty for a new page.", &[]),
                f("new_copy", "The new copy", LongText, false, "Or attach the document.", &[]),
                f("deadline", "Deadline", Date, false, "When it must be live, if there is a date.", &[]),
            ],
        },
        RequestType {
            category: "seo".into(),
            fields: vec![
                f(
                    "change",
                    "What kind of change",
                    Choice,
                    true,
                    "",
                    &["Redirect", "Titles and meta descriptions", "Sitemap or robots.txt", "Structured data", "Other"],
                ),
                f("old_url", "Old URL", Url, false, "For a redirect: the address that moves.", &[]),
                f("new_url", "New URL", Url, false, "For a redirect: where it goes.", &[]),
                f("go_live", "Go-live date", Date, false, "", &[]),
            ],
        },
        RequestType {
            category: "analytics".into(),
            fields: vec![
                f(
                    "tag_vendor",
                    "Tag vendor",
                    Choice,
                    true,
                    "",
                    &[
                        "Google Analytics",
                        "Google Tag Manager",
                        "Meta Pixel",
                        "LinkedIn Insight Tag",
                        "Hotjar",
                        "Other",
                    ],
                ),
                f("pages", "Pages", LongText, false, "Which pages the tag goes on, one per line, or 'all'.", &[]),
                f(
                    "consent_category",
                    "Consent category",
                    Choice,
                    true,
                    "Under which cookie-banner consent it may fire.",
                    &["Strictly necessary", "Analytics", "Marketing", "Preferences"],
                ),
            ],
        },
        RequestType {
            category: "ux".into(),
            fields: vec![
                f("pages", "Pages", Text, false, "", &[]),
                f("design_link", "Link to the design", Url, false, "Figma, a mock-up, a screenshot.", &[]),
            ],
        },
        RequestType {
            category: "branding".into(),
            fields: vec![f(
                "asset",
                "What changes",
                Choice,
                false,
                "",
                &["Logo", "Colours", "Fonts", "Imagery", "Other"],
            )],
        },
        RequestType {
            category: "hosting".into(),
            fields: vec![
                f("environment", "Environment", Choice, false, "", &["Production", "Staging", "Both"]),
                f("domain", "Domain", Text, false, "e.g. shop.example.org", &[]),
                f("downtime_ok", "Downtime acceptable", YesNo, false, "May the site be down briefly for it?", &[]),
            ],
        },
        RequestType {
            category: "security".into(),
            fields: vec![
                f("affected_url", "Affected address", Url, false, "", &[]),
                f("exploited", "Already exploited", YesNo, false, "Do you know of it being used?", &[]),
            ],
        },
        RequestType {
            category: "bug".into(),
            fields: vec![
                f("browser", "Browser and device", Text, false, "e.g. Safari on an iPhone", &[]),
                f("steps", "Steps to see it", LongText, false, "", &[]),
            ],
        },
        RequestType {
            category: "integration".into(),
            fields: vec![
                f("system", "System", Text, false, "The CRM, form tool or service it connects to.", &[]),
                f("go_live", "Go-live date", Date, false, "", &[]),
            ],
        },
        RequestType { category: "other".into(), fields: vec![] },
    ];
    all.into_iter().filter(|t| categories.contains(&t.category) && !t.fields.is_empty()).collect()
}
