use serde_json::{Value, json};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends! {
    async fn changing_the_ownership_map_makes_a_new_version_and_leaves_history_alone(app: TestApp) {
        let cast = app.cast();
        let before = app.file(&cast.ann, "Meta description", "For /pricing", "seo").await;
        assert_eq!((before["team"].as_str(), before["routing"]["version"].as_i64()), (Some("marketing"), Some(1)));

        let mut map = app.get("/api/v1/categories", &cast.ann).await.ok();
        assert_eq!(map["version"], 1);
        let seo = map["categories"].as_array_mut().unwrap().iter_mut().find(|c| c["key"] == "seo").unwrap();
        seo["team"] = json!("it");
        let changed = app.put("/api/v1/categories", &cast.ada, json!({ "categories": map["categories"] })).await.ok();
        assert_eq!(changed["version"], 2);

        let after = app.file(&cast.ann, "Sitemap", "Regenerate it", "seo").await;
        assert_eq!(after["team"], "it");
        assert_eq!(after["routing"], json!({ "rule": null, "reason": "category 'seo' is owned by it", "version": 2 }));
        let old = app.get("/api/v1/requests/CR-1", &cast.ann).await.ok();
        assert_eq!((old["team"].as_str(), old["routing"]["version"].as_i64()), (Some("marketing"), Some(1)));

        let audit = app.get("/api/v1/audit", &cast.ada).await.ok();
        assert_eq!(audit[0]["kind"], "ownership_map_updated");
        assert_eq!(audit[0]["data"]["version"], 2);
        assert_eq!(audit[0]["data"]["previous_version"], 1);
    }

    async fn invalid_maps_and_rules_are_refused_field_by_field(app: TestApp) {
        let cast = app.cast();
        let bad_map = json!({ "categories": [{ "key": "content", "name": "Content", "help": "", "team": "sales" }] });
        let reply = app.put("/api/v1/categories", &cast.ada, bad_map).await;
        reply.assert_error(422, "validation_failed");
        assert_eq!(reply.body["error"]["fields"]["categories[0].team"], "unknown team 'sales'");

        let bad_rules = json!({ "rules": [
            { "name": "broken", "regex": "(", "team": "it" },
            { "name": "empty", "team": "it" },
        ]});
        let reply = app.put("/api/v1/routing-rules", &cast.ada, bad_rules).await;
        reply.assert_error(422, "validation_failed");
        let fields = reply.body["error"]["fields"].as_object().unwrap();
        assert!(fields.contains_key("rules[0].regex") && fields.contains_key("rules[1]"), "{fields:?}");
        let typo = json!({ "rules": [{ "name": "typo", "words": ["x"], "team": "it", "priorty": "P1" }] });
        app.put("/api/v1/routing-rules", &cast.ada, typo).await.assert_error(422, "validation_failed");
        let rules = app.get("/api/v1/routing-rules", &cast.ada).await.ok();
        assert_eq!(rules["version"], 1, "nothing changed");
    }

    async fn routing_rules_are_tried_in_order(app: TestApp) {
        let cast = app.cast();
        let rules = json!({ "rules": [
            { "name": "dns to it", "words": ["dns"], "team": "it", "priority": "P2" },
            { "name": "everything about pages", "regex": "page", "team": "marketing" },
        ]});
        let stored = app.put("/api/v1/routing-rules", &cast.ada, rules).await.ok();
        assert_eq!(stored["version"], 2);
        let r = app.file(&cast.ann, "Landing page DNS", "Point the page at the new host", "content").await;
        assert_eq!((r["team"].as_str(), r["routing"]["rule"].as_str(), r["priority"].as_str()), (Some("it"), Some("dns to it"), Some("P2")));
    }

    async fn teams_can_be_added_and_changed_but_not_removed_while_in_use(app: TestApp) {
        let cast = app.cast();
        let mut teams: Vec<Value> = serde_json::from_value(app.get("/api/v1/teams", &cast.ann).await.ok()).unwrap();
        assert_eq!(teams.len(), 2);
        teams.push(json!({ "key": "brand", "name": "Brand studio", "email": "brand@example.org", "leads": [] }));
        teams[0]["leads"] = json!(["new-lead@example.org"]);
        let stored = app.put("/api/v1/teams", &cast.ada, json!(teams)).await.ok();
        assert_eq!(stored.as_array().unwrap().len(), 3);
        let it = stored.as_array().unwrap().iter().find(|t| t["key"] == "it").unwrap();
        assert_eq!(it["leads"], json!(["new-lead@example.org"]));

        let without_it: Vec<Value> = teams.iter().filter(|t| t["key"] != "it").cloned().collect();
        app.put("/api/v1/teams", &cast.ada, json!(without_it)).await.assert_error(409, "conflict");
        let bad = json!([{ "key": "Bad Key", "name": "", "email": "nope" }]);
        let reply = app.put("/api/v1/teams", &cast.ada, bad).await;
        reply.assert_error(422, "validation_failed");
        assert_eq!(reply.body["error"]["fields"].as_object().unwrap().len(), 3);

        let without_brand: Vec<Value> = teams.iter().filter(|t| t["key"] != "brand").cloned().collect();
        let stored = app.put("/api/v1/teams", &cast.ada, json!(without_brand)).await.ok();
        assert_eq!(stored.as_array().unwrap().len(), 2, "an unused team can go");
    }

    async fn the_openapi_document_covers_every_route_and_the_error_body(app: TestApp) {
        let doc = app.call(reqwest::Method::GET, "/api/v1/openapi.json", None, None).await.ok();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        let paths = doc["paths"].as_object().unwrap();
        for (path, method) in [
            ("/api/v1/requests", "post"), ("/api/v1/requests", "get"), ("/api/v1/requests/preview", "post"),
            ("/api/v1/requests/{id}", "get"), ("/api/v1/requests/{id}/status", "post"),
            ("/api/v1/requests/{id}/comments", "post"), ("/api/v1/requests/{id}/assign", "post"),
            ("/api/v1/requests/{id}/reassign", "post"), ("/api/v1/teams", "get"), ("/api/v1/teams", "put"),
            ("/api/v1/categories", "get"), ("/api/v1/categories", "put"), ("/api/v1/routing-rules", "get"),
            ("/api/v1/routing-rules", "put"), ("/api/v1/audit", "get"), ("/api/v1/tokens/{id}", "delete"), ("/api/v1/tokens", "get"), ("/api/v1/calendars", "get"),
            ("/api/v1/calendars", "put"), ("/api/v1/sla-policies", "get"), ("/api/v1/sla-policies", "put"),
            ("/api/v1/reports/whatif", "get"), ("/api/v1/agreements/current", "get"), ("/api/v1/reports/scorecard", "get"), ("/api/v1/agreements/{version}/signatures", "post"), ("/api/v1/openapi.json", "get"), ("/healthz", "get"), ("/readyz", "get"),
        ] {
            assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} missing");
        }
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for schema in ["ErrorBody", "ErrorDetail", "RequestDetail", "RequestInput", "RequestPage", "PreviewView"] {
            assert!(schemas.contains_key(schema), "schema {schema} missing");
        }
    }
}
