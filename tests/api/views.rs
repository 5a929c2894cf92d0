//! Saved views: a person saves a queue's or their requests' filters under a name; the top bar
//! lists them; they are theirs alone.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;
use crate::pages::{Visitor, person};
use changedesk::domain::Role;

on_both_backends! {
    async fn a_person_saves_views_of_the_pages_they_may_read(app: TestApp) {
        let cast = app.cast();
        let saved = app.post("/api/v1/views", &cast.ian, json!({ "name": "Urgent and mine", "path": "/queues/it", "query": "?priority=P1&assignee=me&q=" })).await;
        assert_eq!(saved.status, 201);
        let view = saved.ok();
        assert_eq!(view["url"], "/queues/it?priority=P1&assignee=me", "empty filters dropped");
        let listed = app.get("/api/v1/views", &cast.ian).await.ok();
        assert_eq!(listed.as_array().unwrap().len(), 1);
        // Checked: the name once, the page's own filters, queues of one's own teams.
        app.post("/api/v1/views", &cast.ian, json!({ "name": "Urgent and mine", "path": "/queues/it" })).await.assert_error(409, "conflict");
        let unknown = app.post("/api/v1/views", &cast.ian, json!({ "name": "x", "path": "/queues/it", "query": "sort=due" })).await;
        unknown.assert_error(422, "validation_failed");
        assert!(unknown.body["error"]["fields"]["query"].as_str().unwrap().starts_with("'sort' is not a filter of /queues/it"));
        app.post("/api/v1/views", &cast.ian, json!({ "name": "x", "path": "/queues/marketing" })).await.assert_error(403, "forbidden");
        app.post("/api/v1/views", &cast.ian, json!({ "name": "x", "path": "/admin" })).await.assert_error(422, "validation_failed");
        // A requester keeps views of their requests; nobody sees another's.
        let anns = app.post("/api/v1/views", &cast.ann, json!({ "name": "Open", "path": "/requests/mine", "query": "show=open" })).await.ok();
        assert_eq!(app.get("/api/v1/views", &cast.ann).await.ok().as_array().unwrap().len(), 1);
        let ians = format!("/api/v1/views/{}", view["id"].as_str().unwrap());
        app.call(Method::DELETE, &ians, Some(&cast.ann), None).await.assert_error(404, "not_found");
        let own = format!("/api/v1/views/{}", anns["id"].as_str().unwrap());
        assert_eq!(app.call(Method::DELETE, &own, Some(&cast.ann), None).await.status, 204);
        assert_eq!(app.get("/api/v1/views", &cast.ann).await.ok(), json!([]));
    }

    async fn the_pages_save_views_and_the_top_bar_lists_them(app: TestApp) {
        person(&app, "ian@example.org", Role::Agent, &["it"]);
        let mut ian = Visitor::new(&app);
        ian.sign_in("ian@example.org").await;
        let page = ian.get("/queues/it?priority=P1&sla=breached").await.body;
        assert!(page.contains("name=\"query\" value=\"priority=P1&#38;sla=breached\""), "{page}");
        let csrf = ian.csrf("/queues/it").await;
        let saved = ian.post("/views", &[("csrf", &csrf), ("name", "P1 breached"), ("path", "/queues/it"), ("query", "priority=P1&sla=breached")]).await;
        assert_eq!(saved.location.as_deref(), Some("/queues/it?priority=P1&sla=breached"));
        let anywhere = ian.get("/requests/mine").await.body;
        assert!(anywhere.contains("<a href=\"/queues/it?priority=P1&#38;sla=breached\" class=\"saved-view\">P1 breached</a>"), "{anywhere}");
        // The same name again comes back to the page saying why.
        let again = ian.post("/views", &[("csrf", &csrf), ("name", "P1 breached"), ("path", "/queues/it"), ("query", "")]).await;
        let back = again.location.unwrap();
        assert!(back.starts_with("/queues/it?refused="), "{back}");
        assert!(ian.get(&back).await.body.contains("Not saved:"));
        // Deleted from "My requests".
        let page = ian.get("/requests/mine").await.body;
        let id = page.split("action=\"/views/").nth(1).unwrap().split('/').next().unwrap().to_owned();
        ian.post(&format!("/views/{id}/delete"), &[("csrf", &csrf)]).await;
        assert!(!ian.get("/requests/mine").await.body.contains("saved-view"));
    }
}
