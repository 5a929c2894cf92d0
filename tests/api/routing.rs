use changedesk::domain::Role;
use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends! {
    async fn a_category_goes_to_its_owner_with_the_reason(app: TestApp) {
        let ann = app.user("ann@example.org", Role::Requester, &[]);
        let content = app.file(&ann, "New hero image", "For the spring campaign", "content").await;
        assert_eq!(content["team"], "marketing");
        assert_eq!(content["routing"]["rule"], json!(null));
        assert_eq!(content["routing"]["reason"], "category 'content' is owned by marketing");
        assert_eq!(content["key"], "CR-1");
        assert_eq!(content["status"], "new");
        assert_eq!(content["priority"], "P3");
        assert_eq!(content["requester"], json!({ "email": "ann@example.org", "name": "ann" }));

        let security = app.file(&ann, "Renew our TLS certificate", "It expires next month", "security").await;
        assert_eq!(security["team"], "it");
        assert_eq!(security["routing"]["reason"], "category 'security' is owned by it");
        assert_eq!(security["key"], "CR-2");
        assert_eq!(event_types(&security), ["created", "routed"]);
        assert_eq!(security["events"][1]["data"]["reason"], "category 'security' is owned by it");
    }

    async fn other_goes_to_the_configured_fallback_team(app: TestApp) {
        let ann = app.user("ann@example.org", Role::Requester, &[]);
        let r = app.file(&ann, "A question", "Who maintains the intranet link?", "other").await;
        assert_eq!(r["team"], "it");
        assert_eq!(r["routing"]["reason"], "category 'other' goes to the fallback team it");
    }

    async fn a_matching_rule_overrides_the_category_and_quotes_the_match(app: TestApp) {
        let ann = app.user("ann@example.org", Role::Requester, &[]);
        let r = app.file(&ann, "Homepage banner", "Urgent: the site is down for visitors in France", "content").await;
        assert_eq!(r["team"], "it");
        assert_eq!(r["routing"]["rule"], "outage words");
        assert_eq!(r["routing"]["reason"], "rule 'outage words' matched \"site is down\"");
        assert_eq!(r["priority"], "P1", "the rule's suggested priority applies when none was chosen");

        // A chosen priority wins over the rule's suggestion.
        let body = json!({ "title": "Outage banner copy", "description": "Text for the next outage notice",
                           "category": "content", "priority": "P4" });
        let chosen = app.post("/api/v1/requests", &ann, body).await.ok();
        assert_eq!((chosen["team"].as_str(), chosen["priority"].as_str()), (Some("it"), Some("P4")));

        let regex = app.file(&ann, "Old pricing URL", "Please add a redirect to /pricing", "hosting").await;
        assert_eq!(regex["team"], "marketing");
        assert_eq!(regex["routing"]["reason"], "rule 'redirects are seo' matched \"redirect\"");
    }

    async fn preview_says_where_a_request_would_go_and_creates_nothing(app: TestApp) {
        let ann = app.user("ann@example.org", Role::Requester, &[]);
        let body = json!({ "title": "Add GA4 tag", "description": "On the landing page", "category": "analytics" });
        let preview = app.post("/api/v1/requests/preview", &ann, body).await.ok();
        assert_eq!(preview["team"], "marketing");
        assert_eq!(preview["routing"], json!({ "rule": null, "reason": "category 'analytics' is owned by marketing" }));
        let list = app.get("/api/v1/requests", &ann).await.ok();
        assert_eq!(list["items"], json!([]));
        let r = app.file(&ann, "First for real", "x", "seo").await;
        assert_eq!(r["key"], "CR-1", "a preview takes no number");
    }

    async fn a_page_url_rule_routes_by_the_url(app: TestApp) {
        let ada = app.user("ada@example.org", Role::Admin, &[]);
        let rules = json!({ "rules": [{ "name": "shop", "page_url": "^https://shop\\.", "team": "it" }] });
        app.put("/api/v1/routing-rules", &ada, rules).await.ok();
        let body = json!({ "title": "Button colour", "description": "Make it green", "category": "branding",
                           "page_url": "https://shop.example.org/cart" });
        let r = app.post("/api/v1/requests", &ada, body).await.ok();
        assert_eq!(r["team"], "it");
        assert_eq!(r["routing"]["reason"], "rule 'shop' matched page_url \"https://shop.example.org/cart\"");
        assert_eq!(r["routing"]["version"], 2);
    }
}
