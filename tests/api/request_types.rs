//! Request types: the fields each category asks for (seeded for the ten default categories),
//! taken and checked on the API and the form (with and without JavaScript: see browser.rs for
//! the script), shown on the request page and in the mails, usable by routing rules, edited
//! with the request, and versioned: a request keeps what it was filed with.

use changedesk::domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::on_both_backends_with;
use crate::pages::{Visitor, person};

fn with_types(s: &mut changedesk::config::Settings) {
    s.request_types.seed_defaults = true;
}

async fn file(app: &TestApp, token: &str, category: &str, fields: Value) -> Reply {
    let body = json!({ "title": "Move the spring sale page", "description": "Campaign is over", "category": category, "fields": fields });
    app.post("/api/v1/requests", token, body).await
}

on_both_backends_with! {
    async fn the_api_takes_checks_and_returns_a_categorys_fields(app: TestApp) with with_types; {
        let cast = app.cast();
        let types = app.get("/api/v1/request-types", &cast.ann).await.ok();
        let categories: Vec<&str> = types.as_array().unwrap().iter().map(|t| t["category"].as_str().unwrap()).collect();
        assert_eq!(categories, ["content", "seo", "analytics", "ux", "branding", "hosting", "security", "bug", "integration"]);
        let seo = &types[1]["fields"];
        assert_eq!(seo[1], json!({ "key": "old_url", "label": "Old URL", "type": "url", "required": false,
            "help": "For a redirect: the address that moves." }));

        // Every problem named by its field; nothing is filed.
        let refused = file(&app, &cast.ann, "seo", json!({ "old_url": "/spring", "go_live": "31/12", "colour": "red" })).await;
        refused.assert_error(422, "validation_failed");
        let fields = &refused.body["error"]["fields"];
        assert_eq!(fields["fields.change"], "is required");
        assert!(fields["fields.old_url"].as_str().unwrap().contains("not an http or https address"), "{fields}");
        assert!(fields["fields.go_live"].as_str().unwrap().contains("YYYY-MM-DD"), "{fields}");
        assert!(fields["fields.colour"].as_str().unwrap().contains("not a field"), "{fields}");
        assert_eq!(app.get("/api/v1/requests", &cast.ian).await.ok()["items"].as_array().unwrap().len(), 0);
        file(&app, &cast.ann, "seo", json!({ "change": "Teleport" })).await.assert_error(422, "validation_failed");

        let filed = file(&app, &cast.ann, "seo", json!({
            "change": "Redirect", "old_url": "https://example.org/spring-sale", "new_url": "https://example.org/sale", "go_live": "2026-11-30"
        })).await.ok();
        assert_eq!(filed["fields"], json!({ "change": "Redirect", "old_url": "https://example.org/spring-sale",
            "new_url": "https://example.org/sale", "go_live": "2026-11-30" }));
        let read = app.get("/api/v1/requests/CR-1", &cast.mia).await.ok();
        assert_eq!(read["fields"], filed["fields"]);
        // A category without fields takes none; yes/no takes booleans.
        let other = file(&app, &cast.ann, "other", json!({})).await.ok();
        assert_eq!(other["fields"], json!({}));
        let hosting = file(&app, &cast.ann, "hosting", json!({ "downtime_ok": false, "environment": "Staging" })).await.ok();
        assert_eq!(hosting["fields"]["downtime_ok"], false);

        // The team's notice and the list show them.
        let notice = app.outbox().into_iter().find(|m| m.kind == "request_created" && m.subject.starts_with("[CR-1]")).unwrap();
        assert!(notice.text_body.contains("Old URL: https://example.org/spring-sale"), "{}", notice.text_body);
        assert!(notice.text_body.contains("Go-live date: 2026-11-30"), "{}", notice.text_body);
        let listed = app.get("/api/v1/requests?team=marketing", &cast.mia).await.ok();
        assert_eq!(listed["items"][0]["fields"]["change"], "Redirect");

        // Mail cannot fill in fields: a required one does not refuse a mailed request.
        // (tests/api/mail_in.rs files by mail into `other`; here a mapped address would need a
        // category with required fields, which the defaults give only to seo and analytics.)
    }

    async fn edits_change_fields_and_a_new_version_leaves_old_requests_as_filed(app: TestApp) with with_types; {
        let cast = app.cast();
        file(&app, &cast.ann, "seo", json!({ "change": "Redirect", "old_url": "https://example.org/a" })).await.ok();
        let patch = |body: Value| app.call(Method::PATCH, "/api/v1/requests/CR-1", Some(&cast.mia), Some(body));
        let r = patch(json!({ "fields": { "new_url": "https://example.org/b", "old_url": null } })).await.ok();
        assert_eq!(r["fields"], json!({ "change": "Redirect", "new_url": "https://example.org/b" }));
        let edited = r["events"].as_array().unwrap().iter().rfind(|e| e["type"] == "edited").unwrap();
        assert_eq!(edited["data"]["changes"][0]["field"], "fields");
        patch(json!({ "fields": { "change": "" } })).await.assert_error(422, "validation_failed");
        patch(json!({ "fields": { "new_url": "ftp://x" } })).await.assert_error(422, "validation_failed");

        // Admins change the types: a new version. CR-1 keeps its fields and their labels.
        let mut types = app.get("/api/v1/request-types", &cast.ada).await.ok();
        types[1]["fields"] = json!([{ "key": "keyword", "label": "Target keyword", "type": "text", "required": true }]);
        app.put("/api/v1/request-types", &cast.mia, types.clone()).await.assert_error(403, "forbidden");
        let mut bad = types.clone();
        bad[1]["fields"][0]["type"] = json!("choice");
        let refused = app.put("/api/v1/request-types", &cast.ada, bad).await;
        refused.assert_error(422, "validation_failed");
        assert!(refused.body["error"]["fields"]["types[1].fields[0].choices"].is_string(), "{}", refused.body);
        let mut unknown = types.clone();
        unknown[0]["category"] = json!("podcasts");
        app.put("/api/v1/request-types", &cast.ada, unknown).await.assert_error(422, "validation_failed");
        app.put("/api/v1/request-types", &cast.ada, types).await.ok();

        let old = app.get("/api/v1/requests/CR-1", &cast.mia).await.ok();
        assert_eq!(old["fields"]["change"], "Redirect", "filed with the old type, kept");
        let r = patch(json!({ "fields": { "new_url": "https://example.org/c" } })).await.ok();
        assert_eq!(r["fields"]["new_url"], "https://example.org/c", "edited against the type it was filed under");
        file(&app, &cast.ann, "seo", json!({ "change": "Redirect" })).await.assert_error(422, "validation_failed");
        let new = file(&app, &cast.ann, "seo", json!({ "keyword": "spring sale" })).await.ok();
        assert_eq!(new["fields"], json!({ "keyword": "spring sale" }));
        let audit = app.get("/api/v1/audit", &cast.ada).await.ok();
        assert!(audit.as_array().unwrap().iter().any(|a| a["kind"] == "request_types_updated"), "audited");
    }

    async fn routing_rules_read_the_fields(app: TestApp) with with_types; {
        let cast = app.cast();
        let rule = json!({ "rules": [{ "name": "server-side pixels", "fields": { "tag_vendor": "^Meta" }, "team": "it" }] });
        app.put("/api/v1/routing-rules", &cast.ada, rule).await.ok();
        let bad = json!({ "rules": [{ "name": "broken", "fields": { "tag_vendor": "(" }, "team": "it" }] });
        let refused = app.put("/api/v1/routing-rules", &cast.ada, bad).await;
        refused.assert_error(422, "validation_failed");
        assert!(refused.body["error"]["fields"]["rules[0].fields.tag_vendor"].is_string(), "{}", refused.body);

        let meta = file(&app, &cast.ann, "analytics", json!({ "tag_vendor": "Meta Pixel", "consent_category": "Marketing" })).await.ok();
        assert_eq!(meta["team"], "it");
        assert_eq!(meta["routing"]["reason"], "rule 'server-side pixels' matched tag_vendor \"Meta Pixel\"");
        let ga = file(&app, &cast.ann, "analytics", json!({ "tag_vendor": "Google Analytics", "consent_category": "Analytics" })).await.ok();
        assert_eq!(ga["team"], "marketing", "the map decides when the rule does not match");
    }

    async fn the_form_shows_the_chosen_categorys_fields_without_javascript(app: TestApp) with with_types; {
        person(&app, "ann@example.org", Role::Requester, &[]);
        person(&app, "mia@example.org", Role::Agent, &["marketing"]);
        let mut ann = Visitor::new(&app);
        ann.sign_in("ann@example.org").await;
        let form = ann.get("/requests/new").await;
        assert!(form.body.contains(r#"<fieldset class="type-fields" data-category="seo" hidden disabled>"#), "every category's fields are there, hidden");
        let csrf = form.csrf();
        let base = [("csrf", csrf.as_str()), ("title", "Redirect the spring sale"), ("description", "It is over"), ("category", "seo")];

        // "Where will it go?" brings the form back with the seo fields shown.
        let preview = ann.post("/requests/new", &[&base[..], &[("action", "preview")]].concat()).await;
        assert_eq!(preview.status, StatusCode::OK);
        assert!(preview.body.contains(r#"<fieldset class="type-fields" data-category="seo">"#), "{}", preview.body);
        assert!(preview.body.contains(r#"<fieldset class="type-fields" data-category="analytics" hidden disabled>"#));

        // Filed without the required field: back with the problem next to it, values kept.
        let refused = ann.post("/requests/new", &[&base[..], &[("action", "file"), ("field.old_url", "https://example.org/spring")]].concat()).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains(r#"id="field-seo-change-error">is required"#), "{}", refused.body);
        assert!(refused.body.contains(r#"value="https://example.org/spring""#));

        let filed = ann.post("/requests/new", &[&base[..], &[("action", "file"), ("field.change", "Redirect"),
            ("field.old_url", "https://example.org/spring"), ("field.go_live", "2026-11-30")]].concat()).await;
        assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
        let page = ann.get("/requests/CR-1").await;
        assert!(page.body.contains(r#"<dt>Old URL</dt><dd class="type-field">https://example.org/spring</dd>"#), "{}", page.body);
        assert!(page.body.contains(r#"<dt>What kind of change</dt><dd class="type-field">Redirect</dd>"#));

        // Marketing edits a field from the page; the requester withdraws it from there.
        let mut mia = Visitor::new(&app);
        mia.sign_in("mia@example.org").await;
        let csrf = mia.csrf("/requests/CR-1").await;
        let edit = mia.post("/requests/CR-1/edit", &[("csrf", csrf.as_str()), ("title", "Redirect the spring sale"),
            ("description", "It is over"), ("category", "seo"), ("field.change", "Redirect"), ("field.old_url", "https://example.org/spring"),
            ("field.new_url", "https://example.org/sale"), ("field.go_live", "")]).await;
        assert_eq!(edit.status, StatusCode::SEE_OTHER);
        let page = mia.get("/requests/CR-1").await;
        assert!(page.body.contains("https://example.org/sale"), "{}", page.body);
        assert!(!page.body.contains(r#"<dt>Go-live date</dt>"#), "an emptied field is cleared");
        // In progress, the team may move it to waiting, once per reason.
        for status in ["acknowledged", "in_progress"] {
            mia.post("/requests/CR-1/status", &[("csrf", csrf.as_str()), ("status", status)]).await;
        }
        let page = mia.get("/requests/CR-1").await;
        assert!(page.body.contains(r#"<option value="waiting:vendor">Waiting on a vendor</option>"#), "{}", page.body);
        let moved = mia.post("/requests/CR-1/status", &[("csrf", csrf.as_str()), ("status", "waiting:agency")]).await;
        assert_eq!(moved.status, StatusCode::SEE_OTHER);
        let page = mia.get("/requests/CR-1").await;
        assert!(page.body.contains(r#"<span class="hint" id="waiting-on">(Waiting on an agency)</span>"#), "{}", page.body);
        assert!(!page.body.contains(r#"<option value="waiting:agency">"#), "not the reason it waits on already");
        let csrf = ann.csrf("/requests/CR-1").await;
        let withdrawn = ann.post("/requests/CR-1/status", &[("csrf", csrf.as_str()), ("status", "withdrawn"), ("note", "Sale extended")]).await;
        assert_eq!(withdrawn.status, StatusCode::SEE_OTHER);
        let page = ann.get("/requests/CR-1").await;
        assert!(page.body.contains(r#"id="status">Withdrawn</span>"#), "{}", page.body);
        assert!(!page.body.contains("Withdraw the request"), "not offered twice");
    }
}

on_both_backends_with! {
    async fn admins_edit_request_types_and_waiting_reasons_on_the_settings_pages(app: TestApp) with with_types; {
        person(&app, "ada@example.org", Role::Admin, &[]);
        let mut ada = Visitor::new(&app);
        ada.sign_in("ada@example.org").await;
        let page = ada.get("/admin/routing").await;
        assert!(page.body.contains(r#"<h2 id="types-heading">Request types</h2>"#), "{}", page.body);
        assert!(page.body.contains("&#34;consent_category&#34;") || page.body.contains("&quot;consent_category&quot;"), "the defaults, as JSON");
        let csrf = page.csrf();
        let types = r#"[{"category": "seo", "fields": [{"key": "keyword", "label": "Target keyword", "type": "text", "required": true}]}]"#;
        let saved = ada.post("/admin/routing/request_types", &[("csrf", csrf.as_str()), ("document", types)]).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER);
        let now = app.get("/api/v1/request-types", &app.user("x@example.org", Role::Requester, &[])).await.ok();
        assert_eq!(now, json!([{ "category": "seo", "fields": [{ "key": "keyword", "label": "Target keyword", "type": "text",
            "required": true, "help": "" }] }]));
        let bad = r#"[{"category": "podcasts", "fields": []}]"#;
        let refused = ada.post("/admin/routing/request_types", &[("csrf", csrf.as_str()), ("document", bad)]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains("unknown category &#39;podcasts&#39;") || refused.body.contains("unknown category 'podcasts'"), "{}", refused.body);

        let page = ada.get("/admin/sla").await;
        assert!(page.body.contains(r#"<h2 id="reasons-heading">Waiting reasons</h2>"#));
        let csrf = page.csrf();
        let reasons = r#"[{"key": "legal", "label": "Waiting on legal review", "pauses_clocks": true}]"#;
        let saved = ada.post("/admin/sla/waiting_reasons", &[("csrf", csrf.as_str()), ("document", reasons)]).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER);
        let token = app.user("y@example.org", Role::Requester, &[]);
        assert_eq!(app.get("/api/v1/waiting-reasons", &token).await.ok()[0]["key"], "legal");
    }
}
