use chrono::TimeDelta;
use serde_json::Value;

use crate::helpers::*;
use crate::on_both_backends;

fn keys(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|r| r["key"].as_str().unwrap().to_owned()).collect()
}

on_both_backends! {
    async fn pages_walk_every_request_once_newest_first(app: TestApp) {
        let cast = app.cast();
        for i in 0..7 {
            app.file(&cast.ann, &format!("Request {i}"), "d", "content").await;
            // Two requests share each instant: the id breaks the tie.
            if i % 2 == 1 {
                app.clock.advance(TimeDelta::seconds(1));
            }
        }
        let mut seen = Vec::new();
        let mut path = "/api/v1/requests?limit=3".to_owned();
        loop {
            let page = app.get(&path, &cast.ian).await.ok();
            seen.extend(keys(&page));
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/api/v1/requests?limit=3&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(seen, ["CR-7", "CR-6", "CR-5", "CR-4", "CR-3", "CR-2", "CR-1"]);
    }

    async fn filters_narrow_the_list(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Hero image", "Spring campaign", "content").await;
        app.file(&cast.ann, "TLS certificate", "Renew it", "security").await;
        app.file(&cast.bob, "Footer LINK broken", "404 on /about", "bug").await;
        app.set_status(&cast.ian, "CR-2", "acknowledged", None).await.ok();
        app.post("/api/v1/requests/CR-3/assign", &cast.ian, serde_json::json!({ "assignee": "ian@example.org" })).await.ok();

        for (query, expected) in [
            ("team=it", vec!["CR-3", "CR-2"]),
            ("team=marketing", vec!["CR-1"]),
            ("status=acknowledged", vec!["CR-2"]),
            ("category=bug", vec!["CR-3"]),
            ("priority=P3", vec!["CR-3", "CR-2", "CR-1"]),
            ("requester=bob@example.org", vec!["CR-3"]),
            ("assignee=ian@example.org", vec!["CR-3"]),
            ("assignee=none&team=it", vec!["CR-2"]),
            ("q=link", vec!["CR-3"]),
            ("q=RENEW", vec!["CR-2"]),
            ("q=100%25", vec![]),
        ] {
            let page = app.get(&format!("/api/v1/requests?{query}"), &cast.ian).await.ok();
            assert_eq!(keys(&page), expected, "{query}");
        }
    }
}

on_both_backends! {
    // A fresh P1 heads the queue above weeks-old breached P3s; then the breached, longest
    // overdue first; then the one at risk; then the rest. Page by page, the same order.
    async fn the_most_urgent_come_first_a_fresh_p1_above_weeks_old_breaches(app: TestApp) {
        let cast = app.cast();
        let file = |title: &'static str, priority: &'static str| {
            let body = serde_json::json!({ "title": title, "description": "d", "category": "bug", "priority": priority });
            let app = &app;
            let ann = cast.ann.clone();
            async move { app.post("/api/v1/requests", &ann, body).await.ok()["key"].as_str().unwrap().to_owned() }
        };
        let old = file("Old broken form", "P3").await;
        app.clock.advance(TimeDelta::seconds(1));
        let older_than_none = file("Old broken link", "P3").await;
        app.clock.advance(TimeDelta::weeks(3)); // Monday, 09:00 three weeks later
        let soon = file("Checkout slow", "P2").await;
        app.clock.advance(TimeDelta::minutes(100)); // 100 of its 120 minutes: at risk
        let later = file("Typo in the footer", "P4").await;
        let outage = file("The site is down", "P1").await;

        let order = |sort: &'static str, limit: usize| {
            let app = &app;
            let ian = cast.ian.clone();
            async move {
                let mut seen = Vec::new();
                let mut path = format!("/api/v1/requests?team=it&sort={sort}&limit={limit}");
                loop {
                    let page = app.get(&path, &ian).await.ok();
                    seen.extend(keys(&page));
                    match page["next_cursor"].as_str() {
                        Some(cursor) => path = format!("/api/v1/requests?team=it&sort={sort}&limit={limit}&cursor={cursor}"),
                        None => break seen,
                    }
                }
            }
        };
        let expected = [outage.clone(), old.clone(), older_than_none.clone(), soon.clone(), later.clone()];
        assert_eq!(order("urgency", 50).await, expected);
        assert_eq!(order("urgency", 1).await, expected, "one request a page, across the tiers");
        assert_eq!(order("urgency", 2).await, expected);
        // Soonest due alone puts the outage (due in 30 minutes) after the one at risk (20).
        assert_eq!(order("due", 50).await, [old, older_than_none, soon, outage, later]);
        let page = app.get("/api/v1/requests?team=it&sort=urgency&limit=1", &cast.ian).await.ok();
        let cursor = page["next_cursor"].as_str().unwrap();
        app.get(&format!("/api/v1/requests?team=it&sort=due&cursor={cursor}"), &cast.ian).await
            .assert_error(422, "validation_failed");
    }
}
