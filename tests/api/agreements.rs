//! SLA agreements (issue 12): each team's lead accepts the SLA version in force for their team,
//! recorded who and when; a new version starts unsigned; the dashboard and the digest say which
//! agreement the figures are measured against and whether it is signed.

use changedesk::domain::Role;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::on_both_backends;
use crate::pages::{Visitor, person};

fn side<'a>(a: &'a Value, team: &str) -> &'a Value {
    a["teams"].as_array().unwrap().iter().find(|t| t["team"] == team).unwrap_or_else(|| panic!("{team} in {a:#}"))
}

on_both_backends! {
    async fn each_teams_lead_signs_and_a_new_version_starts_unsigned(app: TestApp) {
        let cast = app.cast();
        let lee = app.user("lee@example.org", Role::Lead, &["it"]);
        let lou = app.user("lou@example.org", Role::Lead, &["marketing"]);
        let a = app.get("/api/v1/agreements/current", &lee).await.ok();
        assert_eq!((a["version"].as_i64(), &a["signed"], &a["current"]), (Some(1), &json!(false), &json!(true)));
        assert_eq!(a["summary"], "SLA version 1, not signed yet by IT web operations and Marketing web team.");
        // IT's targets as configured: P1 30 / 240 minutes around the clock, P3 240 / 2700 in
        // business hours.
        let it = side(&a, "it");
        assert_eq!(it["targets"][0], json!({ "priority": "P1", "calendar": "24x7", "first_response_minutes": 30, "resolution_minutes": 240 }));
        assert_eq!(it["targets"][2]["resolution_minutes"], 2700);
        assert_eq!((&it["signed_by"], &it["signed_at"]), (&Value::Null, &Value::Null));

        // Only a lead of the team signs for it.
        app.get("/api/v1/agreements/current", &cast.ian).await.assert_error(403, "forbidden");
        app.post("/api/v1/agreements/1/signatures", &cast.ian, json!({ "team": "it" })).await.assert_error(403, "forbidden");
        app.post("/api/v1/agreements/1/signatures", &cast.ada, json!({ "team": "it" })).await.assert_error(403, "forbidden");
        app.post("/api/v1/agreements/1/signatures", &lee, json!({ "team": "marketing" })).await.assert_error(403, "forbidden");

        app.clock.set(time("2026-11-17T10:00:00Z"));
        let a = app.post("/api/v1/agreements/1/signatures", &lee, json!({ "team": "it" })).await.ok();
        let it = side(&a, "it");
        assert_eq!(it["signed_by"], json!({ "email": "lee@example.org", "name": "lee" }));
        assert_eq!(it["signed_at"], "2026-11-17T10:00:00Z");
        assert_eq!(a["signed"], false, "Marketing has not signed");
        assert_eq!(a["summary"], "SLA version 1, signed by IT web operations (lee, 2026-11-17); not signed yet by Marketing web team.");
        app.post("/api/v1/agreements/1/signatures", &lee, json!({ "team": "it" })).await.assert_error(409, "conflict");

        app.clock.set(time("2026-11-17T11:30:00Z"));
        let a = app.post("/api/v1/agreements/1/signatures", &lou, json!({ "team": "marketing" })).await.ok();
        assert_eq!(a["signed"], true);
        assert_eq!(side(&a, "marketing")["signed_at"], "2026-11-17T11:30:00Z");
        assert_eq!(a["summary"], "SLA agreement version 1, signed by IT web operations (lee, 2026-11-17) and Marketing web team (lou, 2026-11-17).");
        let audit = app.get("/api/v1/audit", &cast.ada).await.ok();
        assert_eq!(audit[0]["kind"], "sla_agreement_signed");
        assert_eq!(audit[0]["data"], json!({ "version": 1, "team": "marketing" }));

        // The digest of the week says which agreement its figures are measured against.
        let digest = app.get("/api/v1/digests/2026-W47", &lee).await.ok();
        assert_eq!((digest["agreement"]["version"].as_i64(), &digest["agreement"]["signed"]), (Some(1), &json!(true)));

        // An admin changes a target: a new version, unsigned; the old one keeps its signatures.
        app.clock.set(time("2026-11-18T09:00:00Z"));
        let mut policies = app.get("/api/v1/sla-policies", &cast.ada).await.ok();
        policies["policies"][0]["first_response_minutes"] = json!(45);
        let body = json!({ "policies": policies["policies"], "teams": policies["teams"] });
        app.put("/api/v1/sla-policies", &cast.ada, body).await.ok();
        let now = app.get("/api/v1/agreements/current", &lee).await.ok();
        assert_eq!((now["version"].as_i64(), &now["signed"]), (Some(2), &json!(false)));
        let old = app.get("/api/v1/agreements/1", &lee).await.ok();
        assert_eq!((&old["signed"], &old["current"]), (&json!(true), &json!(false)));
        let late = app.post("/api/v1/agreements/1/signatures", &lou, json!({ "team": "marketing" })).await;
        late.assert_error(409, "conflict");
        assert!(late.body["error"]["message"].as_str().unwrap().contains("no longer in force"));
        app.get("/api/v1/agreements/99", &lee).await.assert_error(404, "not_found");
        app.post("/api/v1/agreements/2/signatures", &lee, json!({ "team": "sales" })).await.assert_error(403, "forbidden");
        let digest = app.get("/api/v1/digests/2026-W47", &lee).await.ok();
        assert_eq!((digest["agreement"]["version"].as_i64(), &digest["agreement"]["signed"]), (Some(2), &json!(false)));

        // On the pages: the dashboard says it; the agreement page lets Marketing's lead accept.
        person(&app, "lia@example.org", Role::Lead, &["marketing"]);
        let mut lia = Visitor::new(&app);
        lia.sign_in("lia@example.org").await;
        let dashboard = lia.get("/dashboard").await;
        assert!(dashboard.body.contains("Measured against: SLA version 2, not signed yet by IT web operations and Marketing web team."), "{}", dashboard.body);
        let csrf = lia.csrf("/dashboard/agreement").await;
        let page = lia.get("/dashboard/agreement").await;
        assert!(page.body.contains("id=\"sign-marketing\"") && !page.body.contains("id=\"sign-it\""), "{}", page.body);
        let signed = lia.post("/dashboard/agreement/sign", &[("csrf", &csrf), ("version", "2"), ("team", "marketing")]).await;
        assert_eq!(signed.location.as_deref(), Some("/dashboard/agreement?done=signed"));
        let page = lia.get("/dashboard/agreement?done=signed").await;
        assert!(page.body.contains("Accepted by lia (lia@example.org) on 2026-11-18 09:00 UTC."), "{}", page.body);
        let again = lia.post("/dashboard/agreement/sign", &[("csrf", &csrf), ("version", "2"), ("team", "marketing")]).await;
        assert!(again.location.as_deref().unwrap().contains("refused="), "{:?}", again.location);
    }
}

on_both_backends! {
    async fn the_scorecard_shows_the_requesters_side_beside_the_teams(app: TestApp) {
        let cast = app.cast();
        let lee = app.user("lee@example.org", Role::Lead, &["it"]);
        // Monday 16 November 09:00 (London = UTC). IT's P3 resolution target is 2,700 business
        // minutes (08:00-12:30, 13:30-18:00: 480 left on Monday, then 540 a day): due Monday 23
        // at 09:00. Marketing's is 2,550 (09:00-17:30, 510 a day): due Friday 20 at 17:30.
        let dated = |title: &str, category: &str, date: &str| {
            json!({ "title": title, "description": "For the launch", "category": category, "desired_date": date })
        };
        app.post("/api/v1/requests", &cast.ann, dated("Form broken", "bug", "2026-11-17")).await.ok(); // CR-1: short notice
        app.post("/api/v1/requests", &cast.ann, dated("Footer", "bug", "2026-12-31")).await.ok(); // CR-2: enough
        app.post("/api/v1/requests", &cast.ann, dated("New copy", "content", "2026-11-30")).await.ok(); // CR-3: enough
        app.file(&cast.ann, "Old banner", "Remove it", "content").await; // CR-4: no date

        // 10:00: IT's first answer on CR-1 is a question that waits on Ann (it came in
        // incomplete); CR-2 is answered first ("On it") and waits on Ann only from 11:00.
        app.clock.set(time("2026-11-16T10:00:00Z"));
        for key in ["CR-1", "CR-2"] {
            app.set_status(&cast.ian, key, "acknowledged", None).await.ok();
            app.set_status(&cast.ian, key, "in_progress", None).await.ok();
        }
        app.set_status(&cast.ian, "CR-1", "waiting_on_requester", Some("Which form?")).await.ok();
        app.comment(&cast.ian, "CR-2", "On it", false).await.ok();
        app.clock.set(time("2026-11-16T11:00:00Z"));
        app.set_status(&cast.ian, "CR-2", "waiting_on_requester", Some("Which footer link?")).await.ok();
        // 14:00: CR-1's wait ends: 10:00-12:30 and 13:30-14:00 on IT's calendar, 180 minutes.
        app.clock.set(time("2026-11-16T14:00:00Z"));
        app.set_status(&cast.ian, "CR-1", "in_progress", None).await.ok();
        app.clock.set(time("2026-11-16T15:00:00Z"));

        let path = "/api/v1/reports/scorecard?from=2026-11-16&to=2026-11-16";
        app.get(path, &cast.ian).await.assert_error(403, "forbidden");
        let card = app.get(path, &lee).await.ok();
        let it = side(&card, "it");
        assert_eq!(it["requester_side"], json!({ "waited_on_requester": 2, "waiting_business_minutes": 180, "still_waiting": 1,
            "asked_first": 1, "with_desired_date": 2, "short_notice": 1 }));
        assert_eq!(it["requests"], 2);
        // IT's own side, as in the SLA report: both first responses at 10:00, 60 minutes.
        assert_eq!(it["first_response_median_business_minutes"], 60);
        let marketing = side(&card, "marketing");
        assert_eq!(marketing["requester_side"], json!({ "waited_on_requester": 0, "waiting_business_minutes": 0, "still_waiting": 0,
            "asked_first": 0, "with_desired_date": 1, "short_notice": 0 }));
        assert_eq!((card["agreement"]["version"].as_i64(), &card["agreement"]["signed"]), (Some(1), &json!(false)));

        // The dashboard shows the same, in words.
        person(&app, "lia@example.org", Role::Lead, &["it"]);
        let mut lia = Visitor::new(&app);
        lia.sign_in("lia@example.org").await;
        let dashboard = lia.get("/dashboard?from=2026-11-16&to=2026-11-16").await;
        for said in ["2 (1 still waiting)", "3 h 00 m", "1 of 2", "1 of 2 with a date"] {
            assert!(dashboard.body.contains(said), "{said}: {}", dashboard.body);
        }
    }
}
