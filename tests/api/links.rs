//! Links between requests (`POST /api/v1/requests/{id}/links`): a duplicate merged into the
//! request it repeats, blocks / blocked by, parent / child, shown from each side, removable.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::on_both_backends;

async fn link(app: &TestApp, token: &str, key: &str, kind: &str, target: &str) -> Reply {
    app.post(&format!("/api/v1/requests/{key}/links"), token, json!({ "kind": kind, "target": target })).await
}

fn links(r: &Value) -> Vec<(String, String)> {
    r["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["kind"].as_str().unwrap().into(), l["key"].as_str().unwrap().into()))
        .collect()
}

fn pair(kind: &str, key: &str) -> (String, String) {
    (kind.into(), key.into())
}

on_both_backends! {
    async fn a_duplicate_is_merged_into_the_request_it_repeats(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Footer link broken", "404 on /about", "bug").await;
        app.post("/api/v1/requests", &cast.bob, json!({
            "title": "Footer 404", "description": "The about link", "category": "bug", "watchers": ["dora@example.org"],
        })).await.ok();
        app.comment(&cast.ian, "CR-2", "Which page?", false).await.ok();
        app.comment(&cast.ian, "CR-2", "Same as CR-1, surely", true).await.ok();

        // Only the owning team's staff link; the kind and the target are checked.
        link(&app, &cast.bob, "CR-2", "duplicate_of", "CR-1").await.assert_error(403, "forbidden");
        let bad = link(&app, &cast.ian, "CR-2", "same_as", "CR-1").await;
        bad.assert_error(422, "validation_failed");
        assert!(bad.body["error"]["fields"]["kind"].as_str().unwrap().starts_with("'same_as' is not one of"));
        link(&app, &cast.ian, "CR-2", "duplicate_of", "CR-2").await.assert_error(422, "validation_failed");
        link(&app, &cast.ian, "CR-2", "duplicate_of", "CR-99").await.assert_error(422, "validation_failed");

        let reply = link(&app, &cast.ian, "CR-2", "duplicate_of", "CR-1").await;
        assert_eq!(reply.status, 201);
        let dup = reply.ok();
        assert_eq!(dup["status"], "closed");
        assert_eq!(links(&dup), [pair("duplicate_of", "CR-1")]);
        let closed = dup["events"].as_array().unwrap().iter().rfind(|e| e["data"]["to"] == "closed").unwrap().clone();
        assert_eq!(closed["data"]["note"], "duplicate of CR-1: its updates come from there");

        // The survivor: the link reversed, the comments copied with their visibility, Bob and
        // Dora watching (and told), Bob reading it now.
        let survivor = app.get("/api/v1/requests/CR-1", &cast.ian).await.ok();
        assert_eq!(links(&survivor), [pair("duplicated_by", "CR-2")]);
        let copied: Vec<(String, bool)> = survivor["events"].as_array().unwrap().iter()
            .filter(|e| e["type"] == "commented")
            .map(|e| (e["data"]["body"].as_str().unwrap().to_owned(), e["data"]["internal"].as_bool().unwrap()))
            .collect();
        assert_eq!(copied, [("(From CR-2) Which page?".to_owned(), false), ("(From CR-2) Same as CR-1, surely".to_owned(), true)]);
        let as_ann = app.get("/api/v1/requests/CR-1", &cast.ann).await.ok();
        assert_eq!(comments(&as_ann), [("ian@example.org".to_owned(), "(From CR-2) Which page?".to_owned())], "the note stays internal");
        assert_eq!(app.get("/api/v1/requests/CR-1/watchers", &cast.ian).await.ok(), json!(["bob@example.org", "dora@example.org"]));
        assert_eq!(app.get("/api/v1/requests/CR-1", &cast.bob).await.ok()["key"], "CR-1");
        let told = app.outbox().into_iter().find(|m| m.kind == "merged").expect("the duplicate's people are told");
        assert_eq!(told.recipients, r#"["bob@example.org","dora@example.org"]"#);
        assert_eq!(told.subject, "[CR-1] CR-2 was merged into it: Footer link broken");

        // A closed request takes no duplicate; a closed one is not merged again.
        app.file(&cast.ann, "Footer again", "404", "bug").await;
        for status in ["acknowledged", "in_progress", "resolved", "closed"] {
            app.set_status(&cast.ian, "CR-1", status, None).await.ok();
        }
        link(&app, &cast.ian, "CR-3", "duplicate_of", "CR-1").await.assert_error(409, "conflict");
        assert_eq!(app.get("/api/v1/requests/CR-3", &cast.ian).await.ok()["status"], "new", "nothing written");
    }

    async fn blocks_and_parents_read_from_both_sides_and_come_off(app: TestApp) {
        let cast = app.cast();
        for title in ["Landing page", "Form integration", "Tracking tag", "Copy"] {
            app.file(&cast.ann, title, "For the launch", "bug").await;
        }
        // Said from the blocked side; then the loop the other way is refused.
        let r = link(&app, &cast.ian, "CR-2", "blocked_by", "CR-3").await;
        assert_eq!(r.status, 201);
        assert_eq!(links(&r.ok()), [pair("blocked_by", "CR-3")]);
        assert_eq!(links(&app.get("/api/v1/requests/CR-3", &cast.ian).await.ok()), [pair("blocks", "CR-2")]);
        let looped = link(&app, &cast.ian, "CR-2", "blocks", "CR-3").await;
        looped.assert_error(422, "validation_failed");
        assert_eq!(looped.body["error"]["fields"]["target"], "CR-3 already blocks CR-2");
        // A parent with its child; the requester reads them too.
        link(&app, &cast.ian, "CR-1", "parent_of", "CR-2").await.ok();
        let child = app.get("/api/v1/requests/CR-2", &cast.ann).await.ok();
        assert_eq!(links(&child), [pair("blocked_by", "CR-3"), pair("child_of", "CR-1")]);
        assert_eq!(event_types(&child).iter().filter(|t| *t == "linked").count(), 2);

        // Removed from either side, said from that side.
        let gone = app.call(Method::DELETE, "/api/v1/requests/CR-2/links/blocked_by/CR-3", Some(&cast.ian), None).await;
        assert_eq!(gone.status, 204);
        assert_eq!(links(&app.get("/api/v1/requests/CR-3", &cast.ian).await.ok()), []);
        let again = app.call(Method::DELETE, "/api/v1/requests/CR-2/links/blocked_by/CR-3", Some(&cast.ian), None).await;
        again.assert_error(404, "not_found");
        let r = app.get("/api/v1/requests/CR-3", &cast.ian).await.ok();
        let unlinked = r["events"].as_array().unwrap().iter().rfind(|e| e["type"] == "unlinked").unwrap().clone();
        assert_eq!(unlinked["data"], json!({ "link": "blocks", "key": "CR-2" }));
        app.call(Method::DELETE, "/api/v1/requests/CR-1/links/parent_of/CR-2", Some(&cast.ann), None).await.assert_error(403, "forbidden");
    }
}

on_both_backends! {
    async fn the_pages_link_and_the_queue_shows_what_is_blocked(app: TestApp) {
        use crate::pages::{Visitor, person};
        let ann = person(&app, "ann@example.org", changedesk::domain::Role::Requester, &[]);
        person(&app, "ian@example.org", changedesk::domain::Role::Agent, &["it"]);
        for title in ["Form integration", "CRM field"] {
            app.file(&ann, title, "For the launch", "bug").await;
        }
        let mut ian = Visitor::new(&app);
        ian.sign_in("ian@example.org").await;
        let csrf = ian.csrf("/requests/CR-1").await;
        let linked = ian.post("/requests/CR-1/links", &[("csrf", &csrf), ("kind", "blocked_by"), ("target", "CR-2")]).await;
        assert_eq!(linked.location.as_deref(), Some("/requests/CR-1?done=linked"));
        let page = ian.get("/requests/CR-1").await;
        assert!(page.body.contains("Blocked by <a href=\"/requests/CR-2\">CR-2</a>"), "{}", page.body);
        let queue = ian.get("/queues/it").await.body;
        let row = |key: &str| queue.split(&format!("<tr id=\"row-{key}\">")).nth(1).unwrap().split("</tr>").next().unwrap().to_owned();
        assert!(row("CR-1").contains("blocked-badge") && !row("CR-2").contains("blocked-badge"));
        // A bad key comes back saying why; removing it from the page.
        let bad = ian.post("/requests/CR-1/links", &[("csrf", &csrf), ("kind", "blocks"), ("target", "CR-77")]).await;
        assert!(bad.location.unwrap().contains("refused="));
        ian.post("/requests/CR-1/links/remove", &[("csrf", &csrf), ("kind", "blocked_by"), ("target", "CR-2")]).await;
        assert!(!ian.get("/queues/it").await.body.contains("blocked-badge"));
        // The requester sees the links, without the forms.
        let mut ann_page = Visitor::new(&app);
        ann_page.sign_in("ann@example.org").await;
        assert!(!ann_page.get("/requests/CR-1").await.body.contains("links-heading"), "no links and no form for her");
    }
}
