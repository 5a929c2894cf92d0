//! Changing a request's priority: the owning team's staff only, while it is open; the clocks
//! are measured again from creation against the new priority's targets (docs/sla.md); the
//! change is an event with before, after and why; and the queue's bulk form does it too.

use changedesk::domain::Role;
use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;
use crate::pages::{Visitor, person};

fn changes(r: &serde_json::Value) -> Vec<serde_json::Value> {
    r["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "priority_changed")
        .map(|e| e["data"].clone())
        .collect()
}

on_both_backends! {
    async fn a_new_priority_measures_the_clocks_again_from_creation(app: TestApp) {
        let cast = app.cast();
        // Monday 09:00: a P3 bug for IT, first response due after 4 business hours (08:00-12:30,
        // 13:30-18:00): 14:00.
        let filed = app.file(&cast.ann, "Footer link broken", "404 on /about", "bug").await;
        assert_eq!((filed["priority"].as_str(), filed["sla"]["first_response"]["due_at"].as_str()), (Some("P3"), Some("2026-11-16T14:00:00Z")));
        app.clock.set(time("2026-11-16T10:00:00Z"));

        let p2 = app.post("/api/v1/requests/CR-1/priority", &cast.ian, json!({ "priority": "P2", "reason": "blocks the campaign" })).await.ok();
        assert_eq!(p2["priority"], "P2");
        assert_eq!(p2["sla"]["first_response"]["target_minutes"], 120);
        assert_eq!(p2["sla"]["first_response"]["due_at"], "2026-11-16T11:00:00Z", "2 business hours from creation, not from now");
        assert_eq!(changes(&p2), [json!({ "from": "P3", "to": "P2", "reason": "blocks the campaign" })]);

        // Raised to P1 (30 minutes, round the clock) an hour after filing: already breached.
        let p1 = app.post("/api/v1/requests/CR-1/priority", &cast.ian, json!({ "priority": "P1" })).await.ok();
        assert_eq!(p1["sla"]["first_response"]["breached_at"], "2026-11-16T09:30:00Z");
        assert_eq!(p1["sla"]["first_response"]["state"], "breached");
        // The same again records nothing.
        let same = app.post("/api/v1/requests/CR-1/priority", &cast.ian, json!({ "priority": "P1" })).await.ok();
        assert_eq!(changes(&same).len(), 2);
        // Now first in the triage queue.
        app.file(&cast.ann, "Older copy fix", "x", "bug").await;
        let queue = app.get("/api/v1/requests?team=it&sort=urgency", &cast.ian).await.ok();
        assert_eq!(queue["items"][0]["key"], "CR-1");

        // Lowered to P4 after the first response: the resolution clock takes P4's target.
        app.set_status(&cast.ian, "CR-1", "acknowledged", None).await.ok();
        let p4 = app.post("/api/v1/requests/CR-1/priority", &cast.ian, json!({ "priority": "P4" })).await.ok();
        assert_eq!(p4["sla"]["resolution"]["target_minutes"], 90 * 60);

        // Who may, and what is refused.
        app.post("/api/v1/requests/CR-1/priority", &cast.ann, json!({ "priority": "P1" })).await.assert_error(403, "forbidden");
        app.post("/api/v1/requests/CR-1/priority", &cast.mia, json!({ "priority": "P1" })).await.assert_error(403, "forbidden");
        let bad = app.post("/api/v1/requests/CR-1/priority", &cast.ian, json!({ "priority": "P9" })).await;
        bad.assert_error(422, "validation_failed");
        assert!(bad.body["error"]["fields"]["priority"].is_string());
        app.set_status(&cast.ian, "CR-2", "rejected", Some("duplicate")).await.ok();
        app.post("/api/v1/requests/CR-2/priority", &cast.ian, json!({ "priority": "P1" })).await.assert_error(409, "conflict");
        assert_eq!(app.get("/api/v1/requests/CR-2", &cast.ian).await.ok()["priority"], "P3", "nothing changed");
    }

    async fn the_queue_gives_ticked_requests_a_new_priority_and_the_request_page_one(app: TestApp) {
        let ann = person(&app, "ann@example.org", Role::Requester, &[]);
        person(&app, "ian@example.org", Role::Agent, &["it"]);
        for title in ["Footer typo", "Old banner", "Form bug"] {
            assert_eq!(app.post("/api/v1/requests", &ann, json!({ "title": title, "description": "x", "category": "bug" })).await.status, 201);
        }
        let mut ian = Visitor::new(&app);
        ian.sign_in("ian@example.org").await;
        let csrf = ian.csrf("/queues/it").await;
        let set = ian.post("/queues/it/bulk", &[("csrf", &csrf), ("action", "priority"), ("priority", "P2"), ("key", "CR-1"), ("key", "CR-3")]).await;
        assert_eq!(set.location.as_deref(), Some("/queues/it?did=priority&done=2&failed="));
        assert!(ian.get(set.location.as_deref().unwrap()).await.body.contains("2 requests given the new priority."));
        let priorities: Vec<String> = priorities_of(&app, &ann, &["CR-1", "CR-2", "CR-3"]).await;
        assert_eq!(priorities, ["P2", "P3", "P2"]);
        let none = ian.post("/queues/it/bulk", &[("csrf", &csrf), ("action", "priority"), ("priority", ""), ("key", "CR-2")]).await;
        assert_eq!(none.status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);

        // The request page offers it, and says what it did.
        let page = ian.get("/requests/CR-2").await;
        assert!(page.body.contains("action=\"/requests/CR-2/priority\""));
        let changed = ian.post("/requests/CR-2/priority", &[("csrf", &csrf), ("priority", "P1"), ("reason", "the whole form is down")]).await;
        assert_eq!(changed.location.as_deref(), Some("/requests/CR-2?done=priority"));
        let shown = ian.get("/requests/CR-2?done=priority").await;
        assert!(shown.body.contains("Now P1 · Site down or broken for everyone; its clocks are measured"), "{}", shown.body);
        assert!(shown.body.contains("changed the priority from P3 to P1"), "in the conversation");
        // A closed request offers no priority change.
        let staff = app.user("ivy@example.org", Role::Agent, &["it"]);
        app.set_status(&staff, "CR-3", "rejected", Some("duplicate")).await.ok();
        assert!(!ian.get("/requests/CR-3").await.body.contains("action=\"/requests/CR-3/priority\""));
    }
}

async fn priorities_of(app: &TestApp, token: &str, keys: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for key in keys {
        out.push(
            app.get(&format!("/api/v1/requests/{key}"), token).await.ok()["priority"].as_str().unwrap().to_owned(),
        );
    }
    out
}
