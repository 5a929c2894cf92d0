//! Canned replies: a team's lead keeps them (API and page), its staff pick one on a request's
//! page, filled in for that request; nobody else reads them.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;
use crate::pages::{Visitor, person};
use changedesk::domain::Role;

const TEXT: &str = "Hello {requester_name}, {key} needs the page's address. We answer by {due}.";

on_both_backends! {
    async fn the_lead_keeps_the_teams_replies_and_its_staff_read_them(app: TestApp) {
        let cast = app.cast();
        let lee = app.user("lee@example.org", Role::Lead, &["it"]);
        let path = "/api/v1/teams/it/canned-replies";
        let added = app.post(path, &lee, json!({ "name": "Needs the address", "body": TEXT })).await;
        assert_eq!(added.status, 201);
        let id = added.ok()["id"].as_str().unwrap().to_owned();
        let listed = app.get(path, &cast.ian).await.ok();
        assert_eq!((listed[0]["name"].as_str(), listed[0]["body"].as_str()), (Some("Needs the address"), Some(TEXT)));
        // Agents read; only the lead (and admins) keep; other teams and requesters read nothing.
        app.post(path, &cast.ian, json!({ "name": "x", "body": "y" })).await.assert_error(403, "forbidden");
        app.get(path, &cast.mia).await.assert_error(403, "forbidden");
        app.get(path, &cast.ann).await.assert_error(403, "forbidden");
        app.get("/api/v1/teams/nope/canned-replies", &cast.ada).await.assert_error(404, "not_found");
        // Checked: placeholders, names unique in the team.
        let bad = app.post(path, &lee, json!({ "name": "Bad", "body": "Hi {name}" })).await;
        bad.assert_error(422, "validation_failed");
        assert_eq!(bad.body["error"]["fields"]["body"], "unknown placeholder {name}; use {requester_name}, {key} or {due}");
        app.post(path, &cast.ada, json!({ "name": "Needs the address", "body": "again" })).await.assert_error(409, "conflict");
        // Replaced, then deleted.
        let put = app.call(Method::PUT, &format!("{path}/{id}"), Some(&lee), Some(json!({ "name": "Address?", "body": TEXT }))).await.ok();
        assert_eq!(put["name"], "Address?");
        assert_eq!(app.call(Method::DELETE, &format!("{path}/{id}"), Some(&lee), None).await.status, 204);
        assert_eq!(app.get(path, &cast.ian).await.ok(), json!([]));
    }

    async fn staff_pick_a_reply_filled_in_for_the_request(app: TestApp) {
        let ann = person(&app, "ann@example.org", Role::Requester, &[]);
        person(&app, "ian@example.org", Role::Agent, &["it"]);
        person(&app, "lee@example.org", Role::Lead, &["it"]);
        app.file(&ann, "Footer link broken", "404", "bug").await;

        // Lee adds one on the team's page; a bad placeholder comes back saying why.
        let mut lee = Visitor::new(&app);
        lee.sign_in("lee@example.org").await;
        let csrf = lee.csrf("/teams/it/canned-replies").await;
        let refused = lee.post("/teams/it/canned-replies", &[("csrf", &csrf), ("name", "Bad"), ("body", "{oops}")]).await;
        assert!(refused.location.unwrap().contains("refused="));
        lee.post("/teams/it/canned-replies", &[("csrf", &csrf), ("name", "Needs the address"), ("body", TEXT)]).await;
        assert!(lee.get("/teams/it/canned-replies").await.body.contains("Needs the address"));

        // Ian picks it: without the script, "Use" reloads the page with the text in the box.
        let mut ian = Visitor::new(&app);
        ian.sign_in("ian@example.org").await;
        let page = ian.get("/requests/CR-1").await.body;
        assert!(page.contains("id=\"canned-form\"") && page.contains(">Needs the address</option>"), "{page}");
        let picker = page.split("id=\"canned\"").nth(1).unwrap();
        let id = picker.split("<option value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let page = ian.get(&format!("/requests/CR-1?reply={id}")).await.body;
        let filled = "Hello ann, CR-1 needs the page&#39;s address. We answer by Mon 16 Nov 2026, 14:00 GMT.";
        assert!(page.contains(&format!("name=\"body\" rows=\"4\" required>{filled}</textarea>")), "{page}");
        // Ann sees no picker.
        let mut ann_page = Visitor::new(&app);
        ann_page.sign_in("ann@example.org").await;
        assert!(!ann_page.get("/requests/CR-1").await.body.contains("canned-form"));
    }
}
