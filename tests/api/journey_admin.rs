//! An admin works each settings form in headless Chromium with the page's script on: a rule
//! added, filled in and moved to the top, a category given to another team, a calendar's
//! Saturday opened, a target changed in words, a team renamed by pressing Enter; a refused
//! calendar shows its problem beside the day (checked by axe-core). Each change is read back
//! through the API. admin_forms.rs does the same without a browser (no script at all).

use changedesk::domain::Role;
use fantoccini::key::Key;
use serde_json::Value;

use crate::browser::Browser;
use crate::helpers::*;
use crate::journey::{check_page, eventually, path, sign_in, url};
use crate::pages::person;

/// Waits until the browser shows `expected` (path and query).
async fn arrives(browser: &Browser, expected: &str) {
    eventually(expected, || async move {
        let at = path(browser).await;
        if at == expected { Ok(()) } else { Err(at) }
    })
    .await;
}

async fn value(browser: &Browser, css: &str) -> String {
    let found = browser.client().execute(&format!("return document.querySelector({css:?}).value"), vec![]).await;
    found.ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// A screenshot with `css` at the top of the window (docs/pages.md shows it).
async fn scrolled_to(browser: &Browser, css: &str, name: &str) {
    browser.client().execute(&format!("document.querySelector({css:?}).scrollIntoView()"), vec![]).await.unwrap();
    browser.screenshot(name).await;
}

fn index(items: &Value, key: &str, wanted: &str) -> usize {
    items.as_array().unwrap().iter().position(|i| i[key] == wanted).unwrap()
}

#[tokio::test]
async fn an_admin_changes_each_settings_form_in_the_browser() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    person(&app, "ada@example.org", Role::Admin, &[]);
    let token = app.user("root@example.org", Role::Admin, &[]);
    let ada = Browser::start().await;
    sign_in(&ada, &app, "ada@example.org").await;

    // A rule: added, filled in, moved to the top, saved.
    ada.goto(&url(&app, "/admin/routing")).await;
    ada.click("#rules-form button[value='add:rules']").await;
    ada.wait_for("#rules-2-name").await;
    ada.fill("#rules-2-name", "tracking tags").await;
    ada.fill("#rules-2-words", "gtm, google tag manager").await;
    ada.select("#rules-2-team", "marketing").await;
    // Each move comes back as a new page: wait for it before the next.
    for (up, to) in [("up:rules:2", "#rules-1-name"), ("up:rules:1", "#rules-0-name")] {
        ada.click(&format!("#rules-form button[value='{up}']")).await;
        eventually("the new rule one place up", || async {
            let there = value(&ada, to).await;
            if there == "tracking tags" { Ok(()) } else { Err(there) }
        })
        .await;
    }
    scrolled_to(&ada, "#rules-form", "admin-routing-rules-form").await;
    ada.click("#rules-form button.primary").await;
    arrives(&ada, "/admin/routing?saved=rules").await;
    let rules = app.get("/api/v1/routing-rules", &token).await.ok();
    assert_eq!(rules["rules"][0]["name"], "tracking tags");
    assert_eq!(rules["rules"][0]["words"], serde_json::json!(["gtm", "google tag manager"]));

    // A category to another team.
    let seo = index(&app.get("/api/v1/categories", &token).await.ok()["categories"], "key", "seo");
    ada.select(&format!("#categories-{seo}-team"), "it").await;
    ada.click("#categories-form button.primary").await;
    arrives(&ada, "/admin/routing?saved=categories").await;
    assert_eq!(app.get("/api/v1/categories", &token).await.ok()["categories"][seo]["team"], "it");

    // A calendar refused, its problem beside the day; then Saturday mornings opened.
    ada.goto(&url(&app, "/admin/sla")).await;
    ada.fill("#calendars-0-hours-mon", "9-5").await;
    ada.click("#calendars-form button.primary").await;
    ada.wait_for("#calendars-0-hours-mon-error").await;
    check_page(&ada, "admin-sla-form-errors").await;
    scrolled_to(&ada, "#calendars-form", "admin-sla-calendars-form").await;
    ada.fill("#calendars-0-hours-mon", "09:00-17:30").await;
    ada.fill("#calendars-0-hours-sat", "10:00-13:00").await;
    ada.click("#calendars-form button.primary").await;
    arrives(&ada, "/admin/sla?saved=calendars").await;
    let calendars = app.get("/api/v1/calendars", &token).await.ok();
    assert_eq!(calendars["calendars"][0]["hours"]["sat"], serde_json::json!(["10:00-13:00"]));

    // A target in words.
    let sla = app.get("/api/v1/sla-policies", &token).await.ok();
    let p3 =
        sla["policies"].as_array().unwrap().iter().position(|p| p["team"] == "it" && p["priority"] == "P3").unwrap();
    ada.fill(&format!("#policies-{p3}-first_response_minutes"), "5 h").await;
    ada.click("#policies-form button.primary").await;
    arrives(&ada, "/admin/sla?saved=policies").await;
    assert_eq!(app.get("/api/v1/sla-policies", &token).await.ok()["policies"][p3]["first_response_minutes"], 300);

    // A team renamed: Enter in the field saves (the form's first button is "Save").
    let it = index(&app.get("/api/v1/teams", &token).await.ok(), "key", "it");
    ada.goto(&url(&app, "/admin/people")).await;
    let name = ada.wait_for(&format!("#teams-{it}-name")).await;
    name.clear().await.unwrap();
    name.send_keys(&format!("IT web ops{}", char::from(Key::Enter))).await.unwrap();
    arrives(&ada, "/admin/people?saved=teams").await;
    assert_eq!(app.get("/api/v1/teams", &token).await.ok()[it]["name"], "IT web ops");
}
