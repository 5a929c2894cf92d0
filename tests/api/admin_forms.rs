//! The settings forms without JavaScript: rows added, moved and removed by the form's own
//! buttons (nothing saved until "Save"), saves that the API then returns, and each problem
//! beside the field it names with what was typed kept. The browser journey (journey.rs) goes
//! through the same forms with the page's script on.

use changedesk::domain::Role;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;
use crate::on_both_backends;
use crate::pages::{Page, Visitor, person};

/// An admin signed in on the pages, and an admin token to read the settings back by the API.
async fn admins(app: &TestApp) -> (Visitor, String, String) {
    person(app, "ada@example.org", Role::Admin, &[]);
    let mut ada = Visitor::new(app);
    ada.sign_in("ada@example.org").await;
    let csrf = ada.csrf("/admin/routing").await;
    (ada, csrf, app.user("root@example.org", Role::Admin, &[]))
}

type Fields = Vec<(String, String)>;

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// A group's rows as the form posts them: `{group}.{i}.{field}` for each of `fields`, read from
/// the API's JSON (lists joined with commas).
fn rows(group: &str, items: &Value, fields: &[(&str, &str)]) -> Fields {
    let mut out = Fields::new();
    for (i, item) in items.as_array().unwrap().iter().enumerate() {
        for (field, path) in fields {
            let value = path.split('.').fold(item, |v, k| &v[k]);
            out.push((format!("{group}.{i}.{field}"), text(value)));
        }
    }
    out
}

fn set(fields: &mut Fields, name: &str, value: &str) {
    match fields.iter_mut().find(|(n, _)| n == name) {
        Some(f) => f.1 = value.to_owned(),
        None => fields.push((name.to_owned(), value.to_owned())),
    }
}

async fn press(v: &mut Visitor, form: &str, csrf: &str, fields: &Fields, op: &str) -> Page {
    let mut body: Vec<(&str, &str)> = vec![("csrf", csrf), ("op", op)];
    body.extend(fields.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    v.post(&format!("/admin/forms/{form}"), &body).await
}

const RULE_FIELDS: [(&str, &str); 6] = [
    ("name", "name"),
    ("words", "words"),
    ("regex", "regex"),
    ("page_url", "page_url"),
    ("team", "team"),
    ("priority", "priority"),
];

on_both_backends! {
    async fn rules_are_added_moved_removed_and_saved_by_the_forms_buttons(app: TestApp) {
        let (mut ada, csrf, token) = admins(&app).await;
        let rules = app.get("/api/v1/routing-rules", &token).await.ok()["rules"].clone();
        let names = |v: &Value| v["rules"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        assert_eq!(names(&serde_json::json!({ "rules": rules })), ["outage words", "redirects are seo"]);
        let mut fields = rows("rules", &rules, &RULE_FIELDS);

        // Add a row: the form comes back with an empty third rule; nothing is saved.
        let added = press(&mut ada, "rules", &csrf, &fields, "add:rules").await;
        assert_eq!(added.status, StatusCode::OK);
        assert!(added.body.contains("id=\"rules-2-name\"") && added.body.contains("not saved yet"), "{}", added.body);
        // Move the second up: it comes back first, still unsaved.
        let moved = press(&mut ada, "rules", &csrf, &fields, "up:rules:1").await;
        let first = moved.body.find("<legend>Rule 1: redirects are seo</legend>");
        assert!(first.is_some_and(|at| at < moved.body.find("<legend>Rule 2: outage words</legend>").unwrap()), "{}", moved.body);
        assert_eq!(names(&app.get("/api/v1/routing-rules", &token).await.ok()), ["outage words", "redirects are seo"]);

        // Save the new order and a third rule; a fourth row left empty is dropped.
        fields = rows("rules", &serde_json::json!([rules[1], rules[0]]), &RULE_FIELDS);
        for (field, value) in [("name", "tracking tags"), ("words", "gtm, google tag manager"), ("team", "marketing"), ("priority", "P3")] {
            set(&mut fields, &format!("rules.2.{field}"), value);
        }
        set(&mut fields, "rules.3.name", "  ");
        let saved = press(&mut ada, "rules", &csrf, &fields, "save").await;
        assert_eq!(saved.location.as_deref(), Some("/admin/routing?saved=rules"), "{}", saved.body);
        let now = app.get("/api/v1/routing-rules", &token).await.ok();
        assert_eq!(names(&now), ["redirects are seo", "outage words", "tracking tags"]);
        assert_eq!(now["rules"][2]["words"], serde_json::json!(["gtm", "google tag manager"]));
        assert_eq!(now["rules"][2]["priority"], "P3");
        assert!(ada.get("/admin/routing?saved=rules").await.body.contains("Saved as a new version"));

        // Problems beside their fields, what was typed kept, nothing saved.
        set(&mut fields, "rules.0.regex", "(unclosed");
        set(&mut fields, "rules.1.team", "");
        let wrong = press(&mut ada, "rules", &csrf, &fields, "save").await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.body.contains("id=\"rules-0-regex-error\"") && wrong.body.contains("id=\"rules-1-team-error\""), "{}", wrong.body);
        assert!(wrong.body.contains("value=\"(unclosed\""), "kept as typed");
        assert!(wrong.body.contains("aria-describedby=\"rules-0-regex-error\""));
        assert_eq!(names(&app.get("/api/v1/routing-rules", &token).await.ok()).len(), 3);

        // Remove the third: gone once saved.
        let fields = rows("rules", &now["rules"], &RULE_FIELDS);
        let removed = press(&mut ada, "rules", &csrf, &fields, "remove:rules:2").await;
        assert!(!removed.body.contains("id=\"rules-2-name\""), "{}", removed.body);
        let fields: Fields = fields.into_iter().filter(|(n, _)| !n.starts_with("rules.2.")).collect();
        assert_eq!(press(&mut ada, "rules", &csrf, &fields, "save").await.status, StatusCode::SEE_OTHER);
        assert_eq!(names(&app.get("/api/v1/routing-rules", &token).await.ok()), ["redirects are seo", "outage words"]);
    }

    async fn the_ownership_map_form_moves_a_category_to_another_team(app: TestApp) {
        let (mut ada, csrf, token) = admins(&app).await;
        let map = app.get("/api/v1/categories", &token).await.ok();
        let fields_of = |map: &Value| {
            let mut f = rows("categories", &map["categories"], &[("key", "key"), ("name", "name"), ("team", "team"), ("help", "help")]);
            f.push(("fallback_team".into(), text(&map["fallback_team"])));
            f
        };
        let seo = map["categories"].as_array().unwrap().iter().position(|c| c["key"] == "seo").unwrap();
        assert_eq!(map["categories"][seo]["team"], "marketing");
        let mut fields = fields_of(&map);
        set(&mut fields, &format!("categories.{seo}.team"), "it");
        let saved = press(&mut ada, "categories", &csrf, &fields, "save").await;
        assert_eq!(saved.location.as_deref(), Some("/admin/routing?saved=categories"), "{}", saved.body);
        let now = app.get("/api/v1/categories", &token).await.ok();
        assert_eq!(now["categories"][seo]["team"], "it");
        assert_eq!(now["categories"].as_array().unwrap().len(), map["categories"].as_array().unwrap().len());

        set(&mut fields, "categories.0.key", "Bad Key!");
        set(&mut fields, "fallback_team", "nobody");
        let wrong = press(&mut ada, "categories", &csrf, &fields, "save").await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.body.contains("id=\"categories-0-key-error\""), "{}", wrong.body);
        assert!(wrong.body.contains("id=\"fallback_team-error\""), "{}", wrong.body);
        assert_eq!(app.get("/api/v1/categories", &token).await.ok(), now, "nothing saved");
    }

    async fn calendars_and_targets_are_edited_in_words_and_checked_by_field(app: TestApp) {
        let (mut ada, csrf, token) = admins(&app).await;
        let calendars = app.get("/api/v1/calendars", &token).await.ok()["calendars"].clone();
        let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let paths: Vec<(String, String)> = days.iter().map(|d| (format!("hours.{d}"), format!("hours.{d}"))).collect();
        let mut shape: Vec<(&str, &str)> = vec![("name", "name"), ("timezone", "timezone"), ("holidays", "holidays")];
        shape.extend(paths.iter().map(|(a, b)| (a.as_str(), b.as_str())));
        let mut fields = rows("calendars", &calendars, &shape);
        set(&mut fields, "calendars.0.hours.mon", "08:00-12:00, 13:00-16:00");
        set(&mut fields, "calendars.0.holidays", "01-01\n12-24\n12-25");
        let saved = press(&mut ada, "calendars", &csrf, &fields, "save").await;
        assert_eq!(saved.location.as_deref(), Some("/admin/sla?saved=calendars"), "{}", saved.body);
        let now = app.get("/api/v1/calendars", &token).await.ok();
        assert_eq!(now["calendars"][0]["hours"]["mon"], serde_json::json!(["08:00-12:00", "13:00-16:00"]));
        assert_eq!(now["calendars"][0]["holidays"], serde_json::json!(["01-01", "12-24", "12-25"]));

        set(&mut fields, "calendars.0.hours.mon", "25:00-26:00");
        set(&mut fields, "calendars.1.timezone", "Mars/Olympus_Mons");
        let wrong = press(&mut ada, "calendars", &csrf, &fields, "save").await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.body.contains("id=\"calendars-1-timezone-error\""), "{}", wrong.body);
        let fields: Fields = fields.into_iter().map(|(n, v)| if n == "calendars.1.timezone" { (n, "Europe/London".into()) } else { (n, v) }).collect();
        let wrong = press(&mut ada, "calendars", &csrf, &fields, "save").await;
        assert!(wrong.body.contains("id=\"calendars-0-hours-mon-error\""), "the hours beside their day: {}", wrong.body);
        assert!(wrong.body.contains("value=\"25:00-26:00\""));

        let sla = app.get("/api/v1/sla-policies", &token).await.ok();
        let policy_shape = [("team", "team"), ("priority", "priority"), ("calendar", "calendar"),
            ("first_response_minutes", "first_response_minutes"), ("resolution_minutes", "resolution_minutes"), ("at_risk_share", "at_risk_share")];
        let mut fields = rows("policies", &sla["policies"], &policy_shape);
        // Targets are written as people write them; the share as a percentage.
        for (n, v) in fields.iter_mut() {
            if n.ends_with("_minutes") {
                *v = format!("{} m", v);
            } else if n.ends_with("at_risk_share") {
                *v = format!("{}", (v.parse::<f64>().unwrap() * 100.0).round());
            }
        }
        fields.extend(rows("team_calendars", &sla["teams"], &[("team", "team"), ("calendar", "calendar"), ("executives", "executives")]));
        let p3 = sla["policies"].as_array().unwrap().iter().position(|p| p["team"] == "it" && p["priority"] == "P3").unwrap();
        set(&mut fields, &format!("policies.{p3}.first_response_minutes"), "6 h");
        set(&mut fields, &format!("policies.{p3}.at_risk_share"), "80%");
        let saved = press(&mut ada, "policies", &csrf, &fields, "save").await;
        assert_eq!(saved.location.as_deref(), Some("/admin/sla?saved=policies"), "{}", saved.body);
        let now = app.get("/api/v1/sla-policies", &token).await.ok();
        assert_eq!((now["policies"][p3]["first_response_minutes"].as_i64(), now["policies"][p3]["at_risk_share"].as_f64()), (Some(360), Some(0.8)));
        assert_eq!(now["teams"], sla["teams"], "the team calendars as they were");
        // The form shows them in words again.
        assert!(ada.get("/admin/sla").await.body.contains(&format!("id=\"policies-{p3}-first_response_minutes\" name=\"policies.{p3}.first_response_minutes\" type=\"text\" value=\"6 h 00 m\"")));

        set(&mut fields, &format!("policies.{p3}.first_response_minutes"), "4 days");
        let wrong = press(&mut ada, "policies", &csrf, &fields, "save").await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.body.contains(&format!("id=\"policies-{p3}-first_response_minutes-error\"")), "{}", wrong.body);
        assert!(wrong.body.contains("is not a duration: write it as 4 h, 1 h 30 m or 90 m"));
    }

    async fn teams_are_renamed_by_the_form_and_a_team_in_use_is_not_removed(app: TestApp) {
        let (mut ada, csrf, token) = admins(&app).await;
        let teams = app.get("/api/v1/teams", &token).await.ok();
        let shape = [("key", "key"), ("name", "name"), ("email", "email"), ("leads", "leads")];
        let mut fields = rows("teams", &teams, &shape);
        let it = teams.as_array().unwrap().iter().position(|t| t["key"] == "it").unwrap();
        set(&mut fields, &format!("teams.{it}.name"), "IT web ops");
        let saved = press(&mut ada, "teams", &csrf, &fields, "save").await;
        assert_eq!(saved.location.as_deref(), Some("/admin/people?saved=teams"), "{}", saved.body);
        assert_eq!(app.get("/api/v1/teams", &token).await.ok()[it]["name"], "IT web ops");

        let kept: Fields = fields.into_iter().filter(|(n, _)| n.starts_with(&format!("teams.{it}."))).collect();
        let refused = press(&mut ada, "teams", &csrf, &kept, "save").await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
        assert!(refused.body.contains("Not saved"), "{}", refused.body);
        assert_eq!(app.get("/api/v1/teams", &token).await.ok().as_array().unwrap().len(), teams.as_array().unwrap().len());
    }

    async fn a_settings_form_without_the_session_token_changes_nothing(app: TestApp) {
        let (mut ada, _, token) = admins(&app).await;
        let before = app.get("/api/v1/routing-rules", &token).await.ok();
        let fields = rows("rules", &before["rules"], &RULE_FIELDS);
        let forged = press(&mut ada, "rules", "not-the-token", &fields, "remove:rules:0").await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let unknown = press(&mut ada, "nothing", "x", &fields, "save").await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert_eq!(app.get("/api/v1/routing-rules", &token).await.ok(), before);
    }
}
