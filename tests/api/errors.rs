use reqwest::Method;
use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends! {
    async fn bad_input_gets_a_4xx_with_the_json_error_body_and_writes_nothing(app: TestApp) {
        let cast = app.cast();
        let url = format!("{}/api/v1/requests", app.address);
        let raw = |body: &'static str, content_type: &'static str| {
            app.client.post(&url).bearer_auth(&cast.ann).header("content-type", content_type).body(body).send()
        };
        let as_reply = |resp: reqwest::Response| async move {
            let status = resp.status();
            Reply { status, body: resp.json().await.unwrap(), location: None }
        };

        as_reply(raw("{\"title\": ", "application/json").await.unwrap()).await.assert_error(400, "bad_request");
        as_reply(raw("title=x", "application/x-www-form-urlencoded").await.unwrap()).await.assert_error(415, "unsupported_media_type");
        let huge = Box::leak(format!("{{\"title\": \"{}\"}}", "x".repeat(70_000)).into_boxed_str());
        as_reply(raw(huge, "application/json").await.unwrap()).await.assert_error(413, "payload_too_large");

        let cases = [
            (json!({ "title": "", "description": "d", "category": "content" }), "title"),
            (json!({ "title": "t", "description": "", "category": "content" }), "description"),
            (json!({ "title": "t", "description": "d", "category": "nope" }), "category"),
            (json!({ "title": "t", "description": "d" }), "category"),
            (json!({ "title": "t", "description": "d", "category": "seo", "priority": "P0" }), "priority"),
            (json!({ "title": "t", "description": "d", "category": "seo", "page_url": "javascript:alert(1)" }), "page_url"),
            (json!({ "title": "t", "description": "d", "category": "seo", "desired_date": "31/12/2026" }), "desired_date"),
            (json!({ "title": "t", "description": "d", "category": "seo", "colour": "red" }), "colour"),
            (json!({ "title": 5, "description": "d", "category": "seo" }), "$"),
        ];
        for (body, field) in cases {
            let reply = app.post("/api/v1/requests", &cast.ann, body.clone()).await;
            reply.assert_error(422, "validation_failed");
            assert!(reply.body["error"]["fields"][field].is_string(), "{body}: {:#}", reply.body);
        }
        let list = app.get("/api/v1/requests", &cast.ian).await.ok();
        assert_eq!(list["items"], json!([]), "no half-written request");
        assert_eq!(app.file(&cast.ann, "t", "d", "seo").await["key"], "CR-1", "no number was used up");
    }

    async fn missing_bad_and_malformed_tokens_get_401(app: TestApp) {
        app.cast();
        app.call(Method::GET, "/api/v1/requests", None, None).await.assert_error(401, "unauthorized");
        app.get("/api/v1/requests", "cdk_0000").await.assert_error(401, "unauthorized");
        let resp = app.client.get(format!("{}/api/v1/requests", app.address)).header("authorization", "Basic YTpi").send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 401);
        assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    }

    async fn unknown_requests_and_routes_get_404(app: TestApp) {
        let cast = app.cast();
        app.get("/api/v1/requests/CR-999", &cast.ian).await.assert_error(404, "not_found");
        app.get("/api/v1/requests/not-a-request", &cast.ian).await.assert_error(404, "not_found");
        app.set_status(&cast.ian, "CR-999", "acknowledged", None).await.assert_error(404, "not_found");
        app.get("/api/v1/nothing-here", &cast.ian).await.assert_error(404, "not_found");
        // Outside the API, people get a page.
        let page = app.client.get(format!("{}/no-such-page", app.address)).send().await.unwrap();
        assert_eq!(page.status().as_u16(), 404);
        assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(page.text().await.unwrap().contains("no page or route for GET /no-such-page"));
    }

    async fn bad_query_values_get_422_naming_the_field(app: TestApp) {
        let cast = app.cast();
        for (query, field) in [("status=done", "status"), ("priority=P7", "priority"), ("limit=0", "limit"),
                               ("limit=1000", "limit"), ("cursor=zzz", "cursor"), ("limit=many", "query")] {
            let reply = app.get(&format!("/api/v1/requests?{query}"), &cast.ian).await;
            reply.assert_error(422, "validation_failed");
            assert!(reply.body["error"]["fields"][field].is_string(), "{query}: {:#}", reply.body);
        }
    }

    async fn a_created_request_has_a_location_and_can_be_read_by_id_or_key(app: TestApp) {
        let cast = app.cast();
        let body = json!({ "title": "Update the logo", "description": "New SVG", "category": "branding",
                           "priority": "p2", "page_url": "https://www.example.org/about", "desired_date": "2026-12-01" });
        let created = app.post("/api/v1/requests", &cast.ann, body).await;
        let location = created.location.clone().unwrap();
        let r = created.ok();
        assert_eq!(location, format!("/api/v1/requests/{}", r["id"].as_str().unwrap()));
        assert_eq!((r["priority"].as_str(), r["desired_date"].as_str()), (Some("P2"), Some("2026-12-01")));
        assert_eq!(r["page_url"], "https://www.example.org/about");
        assert_eq!(r["created_at"], "2026-11-16T09:00:00Z");
        let by_id = app.get(&location, &cast.ann).await.ok();
        let by_key = app.get("/api/v1/requests/cr-1", &cast.ann).await.ok();
        assert_eq!(by_id, by_key);
        assert_eq!(by_id["events"][0]["actor"]["email"], "ann@example.org");
    }

    async fn health_and_readiness_answer(app: TestApp) {
        let health = app.call(Method::GET, "/healthz", None, None).await.ok();
        assert_eq!(health["status"], "ok");
        let ready = app.call(Method::GET, "/readyz", None, None).await.ok();
        assert_eq!(ready["status"], "ready");
    }
}

crate::on_both_backends! {
    async fn a_nul_in_a_key_or_team_is_refused_not_an_internal_error(app: TestApp) {
        // PostgreSQL refuses a NUL in a text parameter; the service answers before asking it.
        let cast = app.cast();
        app.file(&cast.ann, "Footer link broken", "404", "bug").await;
        let nul = "it\u{0}x";
        app.post("/api/v1/requests/CR-1/reassign", &cast.ian, serde_json::json!({ "team": nul, "reason": "r" }))
            .await
            .assert_error(422, "validation_failed");
        app.post("/api/v1/requests/CR-1/links", &cast.ian, serde_json::json!({ "kind": "blocks", "target": nul }))
            .await
            .assert_error(422, "validation_failed");
        app.post("/api/v1/views", &cast.ian, serde_json::json!({ "name": "v", "path": format!("/queues/{nul}") }))
            .await
            .assert_error(422, "validation_failed");
    }
}
