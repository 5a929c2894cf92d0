use reqwest::Method;
use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends! {
    async fn a_requester_cannot_read_or_list_another_requesters_request(app: TestApp) {
        let cast = app.cast();
        let anns = app.file(&cast.ann, "Ann's page", "Private to Ann", "content").await;
        let id = anns["id"].as_str().unwrap();
        app.file(&cast.bob, "Bob's page", "Bob's own", "content").await;

        app.get(&format!("/api/v1/requests/{id}"), &cast.bob).await.assert_error(403, "forbidden");
        app.get("/api/v1/requests/CR-1", &cast.bob).await.assert_error(403, "forbidden");
        app.comment(&cast.bob, "CR-1", "me too", false).await.assert_error(403, "forbidden");

        for query in ["", "?requester=ann@example.org", "?team=marketing", "?q=Ann"] {
            let list = app.get(&format!("/api/v1/requests{query}"), &cast.bob).await.ok();
            let keys: Vec<&str> = list["items"].as_array().unwrap().iter().map(|r| r["key"].as_str().unwrap()).collect();
            assert!(!keys.contains(&"CR-1"), "{query}: {keys:?}");
        }
        let own = app.get("/api/v1/requests", &cast.bob).await.ok();
        assert_eq!(own["items"][0]["key"], "CR-2");

        // Staff read everything, including requests of other teams.
        app.get(&format!("/api/v1/requests/{id}"), &cast.ian).await.ok();
        let all = app.get("/api/v1/requests", &cast.ian).await.ok();
        assert_eq!(all["items"].as_array().unwrap().len(), 2);
    }

    async fn internal_notes_are_hidden_from_the_requester(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Fix the footer", "Broken link", "bug").await;
        app.comment(&cast.ian, "CR-1", "Secret: the CDN bill is overdue", true).await.ok();
        app.comment(&cast.ian, "CR-1", "We are on it", false).await.ok();
        let as_ann = app.get("/api/v1/requests/CR-1", &cast.ann).await.ok();
        let bodies: Vec<&str> = as_ann["events"].as_array().unwrap().iter().filter_map(|e| e["data"]["body"].as_str()).collect();
        assert_eq!(bodies, ["We are on it"]);
        let as_ian = app.get("/api/v1/requests/CR-1", &cast.ian).await.ok();
        assert_eq!(as_ian["events"].as_array().unwrap().iter().filter(|e| e["type"] == "commented").count(), 2);
        app.comment(&cast.ann, "CR-1", "sneaky", true).await.assert_error(422, "validation_failed");
    }

    async fn a_revoked_token_no_longer_works(app: TestApp) {
        let cast = app.cast();
        app.get("/api/v1/teams", &cast.ann).await.ok();
        let tokens = app.get("/api/v1/tokens", &cast.ann).await.ok();
        assert_eq!(tokens.as_array().unwrap().len(), 1);
        assert!(!tokens.to_string().contains(&cast.ann), "the token itself is never shown again");
        let token_id = tokens[0]["id"].as_str().unwrap().to_owned();
        let other = app.call(Method::DELETE, &format!("/api/v1/tokens/{token_id}"), Some(&cast.bob), None).await;
        other.assert_error(404, "not_found");
        let revoked = app.call(Method::DELETE, &format!("/api/v1/tokens/{token_id}"), Some(&cast.ann), None).await;
        assert_eq!(revoked.status.as_u16(), 204);
        app.get("/api/v1/teams", &cast.ann).await.assert_error(401, "unauthorized");
    }

    async fn only_admins_change_the_configuration(app: TestApp) {
        let cast = app.cast();
        let categories = app.get("/api/v1/categories", &cast.ian).await.ok();
        let body = json!({ "categories": categories["categories"] });
        app.put("/api/v1/categories", &cast.ian, body.clone()).await.assert_error(403, "forbidden");
        app.put("/api/v1/routing-rules", &cast.ann, json!({ "rules": [] })).await.assert_error(403, "forbidden");
        app.put("/api/v1/teams", &cast.mia, json!([])).await.assert_error(403, "forbidden");
        app.get("/api/v1/audit", &cast.ian).await.assert_error(403, "forbidden");
        app.put("/api/v1/categories", &cast.ada, body).await.ok();
    }
}
