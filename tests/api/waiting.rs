//! Waiting that is not the requester (`waiting` with an admin's reason, pausing the clocks or
//! not, its own holder in the ledger) and withdrawing (the requester's terminal status, counted
//! apart in the reports).
//!
//! IT's calendar in the tests: London, 08:00-12:30 and 13:30-18:00 on weekdays; a bug is IT's,
//! P3: 2,700 business minutes to resolve.

use changedesk::domain::Role;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::on_both_backends;

async fn wait(app: &TestApp, token: &str, key: &str, reason: &str) -> Reply {
    app.post(&format!("/api/v1/requests/{key}/status"), token, json!({ "status": "waiting", "reason": reason })).await
}

fn stretches(r: &Value) -> Vec<(String, Option<String>, Option<i64>)> {
    r["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["holder"].as_str().unwrap().to_owned(),
                s["waiting_on"].as_str().map(str::to_owned),
                s["business_minutes"].as_i64(),
            )
        })
        .collect()
}

on_both_backends! {
    async fn waiting_on_a_vendor_pauses_the_clocks_and_waiting_on_another_team_does_not(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Checkout button broken", "On the cart page", "bug").await;
        app.clock.set(time("2026-11-16T09:10:00Z"));
        app.set_status(&cast.ian, "CR-1", "acknowledged", None).await.ok();
        app.set_status(&cast.ian, "CR-1", "in_progress", None).await.ok();

        // A reason is required, must be one of the admins' list, and goes only with waiting.
        app.set_status(&cast.ian, "CR-1", "waiting", None).await.assert_error(422, "validation_failed");
        let unknown = wait(&app, &cast.ian, "CR-1", "moon").await;
        unknown.assert_error(422, "validation_failed");
        assert!(unknown.body["error"]["fields"]["reason"].as_str().unwrap().contains("vendor"), "{}", unknown.body);
        app.post("/api/v1/requests/CR-1/status", &cast.ian, json!({ "status": "resolved", "reason": "vendor" }))
            .await
            .assert_error(422, "validation_failed");
        // The requester does not decide what the team waits on.
        wait(&app, &cast.ann, "CR-1", "vendor").await.assert_error(403, "forbidden");

        // 10:00: waiting on the payment provider's fix.
        app.clock.set(time("2026-11-16T10:00:00Z"));
        let r = wait(&app, &cast.ian, "CR-1", "vendor").await.ok();
        assert_eq!((r["status"].as_str(), r["waiting_reason"].as_str()), (Some("waiting"), Some("vendor")));
        let event = r["events"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(event["data"]["waiting"], json!({ "reason": "vendor", "pauses": true }));
        // The same reason again is no move; another is.
        wait(&app, &cast.ian, "CR-1", "vendor").await.assert_error(409, "conflict");

        // 15:00, five hours later: the clock stood still (09:00-10:00 counted, 60 minutes).
        app.clock.set(time("2026-11-16T15:00:00Z"));
        let r = app.get("/api/v1/requests/CR-1", &cast.ian).await.ok();
        assert_eq!(r["sla"]["resolution"]["state"], "paused");
        assert_eq!(r["sla"]["resolution"]["elapsed_minutes"], 60);
        assert_eq!(r["sla"]["resolution"]["due_at"], Value::Null);
        let r = app.set_status(&cast.ian, "CR-1", "in_progress", None).await.ok();
        assert_eq!(r["waiting_reason"], Value::Null, "the reason goes with the status");
        // The vendor's stretch is its own holder: 10:00-12:30 and 13:30-15:00, 240 minutes.
        assert_eq!(stretches(&r), [
            ("team".to_owned(), None, Some(60)),
            ("waiting".to_owned(), Some("vendor".to_owned()), Some(240)),
            ("team".to_owned(), None, Some(0)),
        ]);

        // 15:30: waiting on the CMS team, which does not pause: the team still holds it.
        app.clock.set(time("2026-11-16T15:30:00Z"));
        let r = wait(&app, &cast.ian, "CR-1", "another_team").await.ok();
        assert_eq!(r["sla"]["resolution"]["state"], "running");
        app.clock.set(time("2026-11-16T16:30:00Z"));
        let r = app.set_status(&cast.ian, "CR-1", "resolved", Some("Fixed with the provider's patch")).await.ok();
        // 60 before the vendor, 30 after it, 60 waiting on another team: 150 of the team's.
        assert_eq!(r["sla"]["resolution"]["elapsed_minutes"], 150);
        assert_eq!(r["sla"]["resolution"]["state"], "met");
        assert_eq!(stretches(&r), [
            ("team".to_owned(), None, Some(60)),
            ("waiting".to_owned(), Some("vendor".to_owned()), Some(240)),
            ("team".to_owned(), None, Some(30)),
            ("team".to_owned(), Some("another_team".to_owned()), Some(60)),
            ("resolved".to_owned(), None, Some(0)),
        ]);
    }

    async fn admins_keep_the_list_of_reasons_and_a_waiting_request_keeps_what_it_recorded(app: TestApp) {
        let cast = app.cast();
        let reasons = app.get("/api/v1/waiting-reasons", &cast.ann).await.ok();
        let keys: Vec<&str> = reasons.as_array().unwrap().iter().map(|r| r["key"].as_str().unwrap()).collect();
        assert_eq!(keys, ["vendor", "agency", "another_team", "scheduled"]);
        assert_eq!(reasons[3]["pauses_clocks"], true, "a change ready and scheduled is not the team's delay");

        let mine = json!([{ "key": "legal", "label": "Waiting on legal review", "pauses_clocks": true }]);
        app.call(reqwest::Method::PUT, "/api/v1/waiting-reasons", Some(&cast.ian), Some(mine.clone()))
            .await
            .assert_error(403, "forbidden");
        let bad = json!([
            { "key": "requester", "label": "x", "pauses_clocks": true },
            { "key": "legal", "label": "", "pauses_clocks": true },
            { "key": "legal", "label": "Legal", "pauses_clocks": true },
        ]);
        let refused = app.call(reqwest::Method::PUT, "/api/v1/waiting-reasons", Some(&cast.ada), Some(bad)).await;
        refused.assert_error(422, "validation_failed");
        for field in ["waiting_reasons[0].key", "waiting_reasons[1].label", "waiting_reasons[2].key"] {
            assert!(refused.body["error"]["fields"][field].is_string(), "{field}: {}", refused.body);
        }

        // A request waiting on a vendor when the list changes keeps its paused clock.
        app.file(&cast.ann, "Payment page error", "500 on pay", "bug").await;
        for s in ["acknowledged", "in_progress"] {
            app.set_status(&cast.ian, "CR-1", s, None).await.ok();
        }
        wait(&app, &cast.ian, "CR-1", "vendor").await.ok();
        let changed = app.call(reqwest::Method::PUT, "/api/v1/waiting-reasons", Some(&cast.ada), Some(mine)).await.ok();
        assert_eq!(changed[0]["key"], "legal");
        app.clock.advance(chrono::TimeDelta::hours(2));
        let r = app.get("/api/v1/requests/CR-1", &cast.ian).await.ok();
        assert_eq!(r["sla"]["resolution"]["state"], "paused");
        wait(&app, &cast.ian, "CR-1", "vendor").await.assert_error(422, "validation_failed");
        wait(&app, &cast.ian, "CR-1", "legal").await.ok();
        let audit = app.get("/api/v1/audit", &cast.ada).await.ok();
        assert!(audit.as_array().unwrap().iter().any(|a| a["kind"] == "waiting_reasons_updated"), "audited");
    }

    async fn the_requester_withdraws_an_open_request_and_reports_count_it_apart(app: TestApp) {
        let cast = app.cast();
        let lee = app.user("lee@example.org", Role::Lead, &["it"]);
        app.file(&cast.ann, "Footer typo", "Teh", "bug").await;
        app.file(&cast.ann, "Old banner", "Remove it", "bug").await;
        app.file(&cast.ann, "Spam form", "Block it", "bug").await;
        app.set_status(&cast.ian, "CR-2", "acknowledged", None).await.ok();
        app.set_status(&cast.ian, "CR-2", "in_progress", None).await.ok();

        // Only the requester withdraws: the team rejects, with a reason; others may not.
        let refused = app.set_status(&cast.ian, "CR-1", "withdrawn", None).await;
        refused.assert_error(403, "forbidden");
        app.set_status(&cast.bob, "CR-1", "withdrawn", None).await.assert_error(403, "forbidden");

        app.clock.advance(chrono::TimeDelta::minutes(20));
        let r = app.set_status(&cast.ann, "CR-1", "withdrawn", Some("Fixed it in the CMS myself")).await.ok();
        assert_eq!(r["status"], "withdrawn");
        assert_eq!(r["closed_at"], "2026-11-16T09:20:00Z");
        assert_eq!(r["sla"]["first_response"]["state"], "met", "both clocks stop");
        assert_eq!(r["sla"]["resolution"]["stopped_at"], "2026-11-16T09:20:00Z");
        assert_eq!(r["first_response_at"], Value::Null, "a withdrawal is no response of the team's");
        assert_eq!(event_types(&r).last().unwrap(), "withdrawn");
        // From in progress too; and nothing moves a withdrawn request again.
        app.set_status(&cast.ann, "CR-2", "withdrawn", None).await.ok();
        app.set_status(&cast.ian, "CR-1", "in_progress", None).await.assert_error(409, "conflict");
        app.set_status(&cast.ian, "CR-3", "rejected", Some("Not a website change")).await.ok();

        // The team was told; a withdrawn request is closed on the requester's list.
        let mine = app.get("/api/v1/requests?status=withdrawn", &cast.ann).await.ok();
        assert_eq!(mine["items"].as_array().unwrap().len(), 2);

        app.clock.set(time("2026-11-20T17:00:00Z"));
        let report = app.get("/api/v1/reports/sla?from=2026-11-16&to=2026-11-22", &lee).await.ok();
        let it = report["teams"].as_array().unwrap().iter().find(|t| t["team"] == "it").unwrap();
        assert_eq!(it["ended"], json!({ "resolved": 0, "rejected": 1, "withdrawn": 2 }));
        assert_eq!(it["open_backlog"], 0);
    }
}
