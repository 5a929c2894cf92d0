//! Editing a request after filing (`PATCH /api/v1/requests/{id}`): the owning team's staff in
//! triage, the requester until the team acknowledges it; each edit an event with before and
//! after; a category of another team is a hand-over with a reason, counted as a routing miss;
//! a priority measures the clocks again from creation.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::on_both_backends;

async fn patch(app: &TestApp, token: &str, key: &str, body: Value) -> Reply {
    app.call(Method::PATCH, &format!("/api/v1/requests/{key}"), Some(token), Some(body)).await
}

fn edits(r: &Value) -> Vec<Value> {
    r["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "edited")
        .map(|e| e["data"]["changes"].clone())
        .collect()
}

on_both_backends! {
    async fn the_requester_edits_until_acknowledged_and_the_team_in_triage(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Footer link broken", "404 on /about", "bug").await;

        // Ann corrects her request while it is new: one event, every field before and after.
        let r = patch(&app, &cast.ann, "CR-1", json!({ "title": "Footer links broken", "desired_date": "2026-12-01" })).await.ok();
        assert_eq!((r["title"].as_str(), r["desired_date"].as_str()), (Some("Footer links broken"), Some("2026-12-01")));
        assert_eq!(edits(&r), [json!([
            { "field": "title", "before": "Footer link broken", "after": "Footer links broken" },
            { "field": "desired_date", "before": null, "after": "2026-12-01" },
        ])]);
        // The same values again record nothing; every problem is named at once.
        let r = patch(&app, &cast.ann, "CR-1", json!({ "title": "Footer links broken" })).await.ok();
        assert_eq!(edits(&r).len(), 1, "{:?}", edits(&r));
        let bad = patch(&app, &cast.ann, "CR-1", json!({ "title": "", "priority": "P9", "desired_date": "soon", "category": "nope" })).await;
        bad.assert_error(422, "validation_failed");
        for field in ["title", "priority", "desired_date", "category"] {
            assert!(bad.body["error"]["fields"][field].is_string(), "{field}: {}", bad.body);
        }
        // A field the category's request type does not have, named (bugs ask for none here).
        let unknown = patch(&app, &cast.ann, "CR-1", json!({ "fields": { "browser": "Safari" } })).await;
        unknown.assert_error(422, "validation_failed");
        assert!(unknown.body["error"]["fields"]["fields.browser"].as_str().unwrap().contains("not a field"));
        // Bob may not; Mia (another team) may not.
        patch(&app, &cast.bob, "CR-1", json!({ "title": "Mine" })).await.assert_error(403, "forbidden");
        patch(&app, &cast.mia, "CR-1", json!({ "title": "Ours" })).await.assert_error(403, "forbidden");

        // Acknowledged: Ann asks in a comment; Ian edits the details in triage.
        app.set_status(&cast.ian, "CR-1", "acknowledged", None).await.ok();
        patch(&app, &cast.ann, "CR-1", json!({ "title": "Again" })).await.assert_error(409, "conflict");
        let r = patch(&app, &cast.ian, "CR-1", json!({ "description": "404 on /about and /contact" })).await.ok();
        assert_eq!(edits(&r)[1], json!([{ "field": "description", "before": "404 on /about", "after": "404 on /about and /contact" }]));
        // Closed requests are not edited.
        for status in ["in_progress", "resolved", "closed"] {
            app.set_status(&cast.ian, "CR-1", status, None).await.ok();
        }
        patch(&app, &cast.ian, "CR-1", json!({ "title": "Late" })).await.assert_error(409, "conflict");
    }

    async fn a_category_of_another_team_hands_the_request_over_with_a_reason(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "New banner", "For the spring campaign", "bug").await;
        // `content` is marketing's: without a reason, nothing changes.
        let refused = patch(&app, &cast.ian, "CR-1", json!({ "category": "content", "title": "New spring banner" })).await;
        refused.assert_error(422, "validation_failed");
        assert_eq!(refused.body["error"]["fields"]["reason"], "'content' belongs to team marketing: say why the request moves there");
        let r = app.get("/api/v1/requests/CR-1", &cast.ian).await.ok();
        assert_eq!((r["title"].as_str(), r["team"].as_str()), (Some("New banner"), Some("it")));

        let r = patch(&app, &cast.ian, "CR-1", json!({ "category": "content", "reason": "Copy and images: marketing's" })).await.ok();
        assert_eq!((r["category"].as_str(), r["team"].as_str()), (Some("content"), Some("marketing")));
        let kinds = event_types(&r);
        assert_eq!(kinds[kinds.len() - 2..], ["edited", "reassigned"]);
        let handed = r["events"].as_array().unwrap().iter().rfind(|e| e["type"] == "reassigned").unwrap().clone();
        assert_eq!(handed["data"], json!({ "from": "it", "to": "marketing", "reason": "Copy and images: marketing's", "routing_correction": true }));
        // Marketing's address hears of it; IT's staff no longer edit it.
        let told = app.outbox().into_iter().find(|m| m.kind == "request_reassigned").expect("the receiving team is told");
        assert_eq!(told.recipients, r#"["marketing-web@example.org"]"#);
        patch(&app, &cast.ian, "CR-1", json!({ "title": "x" })).await.assert_error(403, "forbidden");
        // A routing miss in the reports: IT handed one away.
        let report = app.get("/api/v1/reports/sla?from=2026-11-16&to=2026-11-16", &cast.ada).await.ok();
        let it = report["teams"].as_array().unwrap().iter().find(|t| t["team"] == "it").unwrap().clone();
        assert_eq!(it["reassignments_away"], 1, "{report}");
    }

    async fn a_priority_edit_measures_the_clocks_again_from_creation(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Checkout slow", "Takes 10 s", "bug").await;
        let before = app.get("/api/v1/requests/CR-1", &cast.ian).await.ok();
        let r = patch(&app, &cast.ian, "CR-1", json!({ "priority": "P1", "reason": "Checkout is revenue" })).await.ok();
        assert_eq!(r["priority"], "P1");
        let changed = r["events"].as_array().unwrap().iter().rfind(|e| e["type"] == "priority_changed").unwrap().clone();
        assert_eq!(changed["data"], json!({ "from": "P3", "to": "P1", "reason": "Checkout is revenue" }));
        assert!(edits(&r).is_empty(), "a priority alone is its own event");
        let due = |r: &Value| r["sla"]["first_response"]["due_at"].as_str().unwrap().to_owned();
        assert!(due(&r) < due(&before), "P1's target is shorter: {} then {}", due(&before), due(&r));
    }
}

on_both_backends! {
    async fn the_request_page_edits_without_javascript(app: TestApp) {
        use crate::pages::{Visitor, person};
        let ann = person(&app, "ann@example.org", changedesk::domain::Role::Requester, &[]);
        person(&app, "ian@example.org", changedesk::domain::Role::Agent, &["it"]);
        app.file(&ann, "Footer link broken", "404 on /about", "bug").await;
        let mut ann_page = Visitor::new(&app);
        ann_page.sign_in("ann@example.org").await;
        let page = ann_page.get("/requests/CR-1").await;
        assert!(page.body.contains("Edit the request"), "the requester edits a new request");
        let csrf = page.csrf();
        let form = [("csrf", csrf.as_str()), ("title", "Footer links broken"), ("description", "404 on /about"),
            ("category", "bug"), ("desired_date", ""), ("reason", "")];
        let saved = ann_page.post("/requests/CR-1/edit", &form).await;
        assert_eq!(saved.location.as_deref(), Some("/requests/CR-1?done=edited"));
        let page = ann_page.get("/requests/CR-1?done=edited").await;
        assert!(page.body.contains("edited the title") && page.body.contains("Title: Footer link broken → Footer links broken"), "{}", page.body);

        // Ian moves it to marketing's kind of change: without a reason the page says why.
        let mut ian = Visitor::new(&app);
        ian.sign_in("ian@example.org").await;
        let csrf = ian.csrf("/requests/CR-1").await;
        let mut form = [("csrf", csrf.as_str()), ("title", "Footer links broken"), ("description", "404 on /about"),
            ("category", "content"), ("desired_date", ""), ("reason", "")];
        let refused = ian.post("/requests/CR-1/edit", &form).await;
        assert!(refused.location.unwrap().contains("refused="), "comes back saying why");
        form[5] = ("reason", "The footer copy is marketing's");
        ian.post("/requests/CR-1/edit", &form).await;
        let r = app.get("/api/v1/requests/CR-1", &ann).await.ok();
        assert_eq!((r["team"].as_str(), r["category"].as_str()), (Some("marketing"), Some("content")));
        // Acknowledged by marketing: no longer Ann's to edit.
        assert!(!ian.get("/requests/CR-1").await.body.contains("Edit the request"), "no longer IT's");
    }
}
