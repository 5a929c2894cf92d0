//! SLA clocks through the API, and the sweeper's escalations, with an injected clock.
//! IT's default calendar: London, Mon-Fri 08:00-12:30 and 13:30-18:00; P3 first response 240
//! business minutes. The clock starts at Monday 16 November 2026, 09:00 UTC (= London time).

use changedesk::clock::Clock;
use changedesk::db;
use changedesk::domain::sla::derive_all;
use changedesk::service::sla::{columns, timeline};
use changedesk::startup::Application;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::on_both_backends;

fn events_of<'a>(r: &'a Value, kind: &str) -> Vec<&'a Value> {
    r["events"].as_array().unwrap().iter().filter(|e| e["type"] == kind).collect()
}

/// Every request's stored clock columns equal a fresh derivation from its events.
fn assert_stored_clocks_match_derivation(app: &TestApp) {
    let mut conn = app.pool.get().unwrap();
    let filter = db::RequestFilter { limit: 1000, now: time("2026-11-16T09:00:00Z").naive_utc(), ..Default::default() };
    let rows = db::list_requests(&mut conn, &filter).unwrap();
    assert!(!rows.is_empty());
    for ((listed, ..), _) in rows {
        let row = db::find_request(&mut conn, &listed.id).unwrap().unwrap();
        let events = db::events_of(&mut conn, &row.id).unwrap();
        let config = db::sla_version(&mut conn, row.sla_version).unwrap().config;
        let plans = derive_all(&timeline(&row, &events), &config);
        let recorded = db::escalations_of(&mut conn, &row.id).unwrap();
        assert_eq!(row.clocks, columns(&plans, &recorded, row.escalate_from), "CR-{}", row.number);
    }
}

on_both_backends! {
    async fn every_request_carries_its_clocks_and_the_preview_predicts_them(app: TestApp) {
        let cast = app.cast();
        let r = app.file(&cast.ann, "Footer link broken", "404 on /about", "bug").await;
        let fr = &r["sla"]["first_response"];
        assert_eq!(fr["target_minutes"], 240);
        assert_eq!(fr["calendar"], "it-hours");
        assert_eq!(fr["due_at"], "2026-11-16T14:00:00Z", "3.5 hours before lunch, 30 minutes after");
        assert_eq!(fr["state"], "running");
        assert_eq!(fr["elapsed_minutes"], 0);
        assert_eq!(r["sla"]["resolution"]["due_at"], "2026-11-23T09:00:00Z", "2700 minutes: five 540-minute days");

        app.clock.advance(chrono::TimeDelta::minutes(190));
        let later = app.get("/api/v1/requests/CR-1", &cast.ann).await.ok();
        assert_eq!(later["sla"]["first_response"]["state"], "at_risk");
        assert_eq!(later["sla"]["first_response"]["elapsed_minutes"], 190);
        let list = app.get("/api/v1/requests", &cast.ian).await.ok();
        assert_eq!(list["items"][0]["sla"]["first_response"]["state"], "at_risk");

        let body = json!({ "title": "Footer", "description": "x", "category": "bug", "at": "2026-11-21T10:00:00Z" });
        let preview = app.post("/api/v1/requests/preview", &cast.ann, body).await.ok();
        assert_eq!(preview["sla"], json!({
            "first_response_due": "2026-11-23T12:00:00Z", "resolution_due": "2026-11-27T18:00:00Z",
            "first_response_minutes": 240, "resolution_minutes": 2700, "calendar": "it-hours" }), "filed on a Saturday");
        let p1 = json!({ "title": "Outage", "description": "the site is down", "category": "content", "at": "2026-11-21T03:00:00Z" });
        let preview = app.post("/api/v1/requests/preview", &cast.ann, p1).await.ok();
        assert_eq!((preview["priority"].as_str(), preview["sla"]["calendar"].as_str()), (Some("P1"), Some("24x7")));
        assert_eq!(preview["sla"]["first_response_due"], "2026-11-21T03:30:00Z");

        let bad = json!({ "title": "t", "description": "d", "category": "bug", "at": "tomorrow" });
        app.post("/api/v1/requests/preview", &cast.ann, bad.clone()).await.assert_error(422, "validation_failed");
        app.post("/api/v1/requests", &cast.ann, bad).await.assert_error(422, "validation_failed");
        assert_stored_clocks_match_derivation(&app);
    }

    async fn a_request_goes_at_risk_then_breached_and_each_escalation_is_recorded_once(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Footer link broken", "404 on /about", "bug").await;
        assert_eq!(app.sweep_at("2026-11-16T11:59:00Z"), 0);
        assert_eq!(app.sweep_at("2026-11-16T12:00:00Z"), 1);
        assert_eq!(app.sweep_at("2026-11-16T12:00:00Z"), 0, "a second sweep records nothing");

        // Two sweepers at once, on their own pools.
        let sweepers: Vec<_> = (0..2)
            .map(|_| {
                let pool = db::connect(&db::DatabaseUrl::parse(&app.database_url).unwrap(), 2).unwrap();
                let notifier = app.notifier.clone();
                std::thread::spawn(move || {
                    changedesk::workers::sla_sweeper::sweep(&pool, &notifier, time("2026-11-16T14:30:00Z")).unwrap()
                })
            })
            .collect();
        let recorded: usize = sweepers.into_iter().map(|s| s.join().unwrap()).sum();
        assert_eq!(recorded, 1, "the breach is recorded once between two sweepers");

        // A restart: a second application on the same database sweeps later.
        let restarted = Application::build(test_settings(&app.database_url), Clock::manual(time("2026-11-16T18:30:00Z"))).unwrap();
        tokio::spawn(restarted.run_until_stopped());
        // Either instance may record the level-3 escalation first; the events below show it
        // was recorded exactly once.
        app.sweep_at("2026-11-16T18:30:00Z");
        assert_eq!(app.sweep_at("2026-11-17T18:30:00Z"), 0);

        app.clock.set(time("2026-11-16T18:30:00Z"));
        let r = app.get("/api/v1/requests/CR-1", &cast.ian).await.ok();
        let at_risk = events_of(&r, "sla_at_risk");
        let breached = events_of(&r, "sla_breached");
        let twice = events_of(&r, "sla_breached_twice");
        assert_eq!((at_risk.len(), breached.len(), twice.len()), (1, 1, 1), "{:#}", r["events"]);
        assert_eq!(at_risk[0]["at"], "2026-11-16T12:00:00Z");
        assert_eq!(at_risk[0]["data"]["recipients"], json!(["it-web@example.org"]), "unassigned: the team");
        assert_eq!(at_risk[0]["data"]["clock"], "first_response");
        assert_eq!(breached[0]["at"], "2026-11-16T14:00:00Z");
        assert_eq!(breached[0]["data"]["recipients"], json!(["it-lead@example.org"]));
        assert_eq!(breached[0]["data"]["deliver_after"], "2026-11-16T14:30:00Z");
        assert_eq!(twice[0]["at"], "2026-11-16T18:00:00Z");
        assert_eq!(twice[0]["data"]["recipients"], json!(["cio@example.org", "cmo@example.org"]));
        assert_eq!(twice[0]["data"]["deliver_after"], "2026-11-17T08:00:00Z", "a P3 waits for the next opening");
        assert_eq!(r["sla"]["first_response"]["state"], "breached");
        assert_eq!(r["sla"]["first_response"]["breached_at"], "2026-11-16T14:00:00Z");
        let as_requester = app.get("/api/v1/requests/CR-1", &cast.ann).await.ok();
        assert!(event_types(&as_requester).iter().all(|t| !t.starts_with("sla_")), "escalations name leads: staff only");
        assert_eq!(as_requester["sla"]["first_response"]["state"], "breached", "but the clock itself is shown");
        assert_stored_clocks_match_derivation(&app);
    }

    async fn a_breach_during_downtime_is_recorded_with_its_real_time(app: TestApp) {
        let cast = app.cast();
        app.clock.set(time("2026-11-20T17:00:00Z"));
        app.file(&cast.ann, "Footer link broken", "404 on /about", "bug").await;
        app.post("/api/v1/requests/CR-1/assign", &cast.ian, json!({ "assignee": "ian@example.org" })).await.ok();
        // Down from Friday evening to Tuesday morning.
        assert_eq!(app.sweep_at("2026-11-24T10:00:00Z"), 3);
        app.clock.set(time("2026-11-24T10:00:00Z"));
        let r = app.get("/api/v1/requests/CR-1", &cast.ian).await.ok();
        let at = |kind: &str| events_of(&r, kind)[0]["at"].clone();
        assert_eq!(at("sla_at_risk"), "2026-11-23T10:00:00Z");
        assert_eq!(at("sla_breached"), "2026-11-23T11:00:00Z");
        assert_eq!(at("sla_breached_twice"), "2026-11-23T16:00:00Z");
        assert_eq!(events_of(&r, "sla_at_risk")[0]["data"]["recipients"], json!(["ian@example.org"]), "the assignee");
    }

    async fn p1_escalations_go_out_at_once_even_at_night(app: TestApp) {
        let cast = app.cast();
        app.clock.set(time("2026-11-21T03:00:00Z"));
        let r = app.file(&cast.ann, "Help", "the site is down", "content").await;
        assert_eq!((r["priority"].as_str(), r["sla"]["first_response"]["due_at"].as_str()), (Some("P1"), Some("2026-11-21T03:30:00Z")));
        assert_eq!(app.sweep_at("2026-11-21T03:31:00Z"), 2);
        app.clock.set(time("2026-11-21T03:31:00Z"));
        let r = app.get("/api/v1/requests/CR-1", &cast.ian).await.ok();
        assert_eq!(events_of(&r, "sla_breached")[0]["data"]["deliver_after"], "2026-11-21T03:30:00Z");
    }

    async fn waiting_on_the_requester_pauses_the_clock_and_the_due_time_moves(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Footer link broken", "404 on /about", "bug").await;
        app.clock.set(time("2026-11-16T09:30:00Z"));
        for s in ["acknowledged", "in_progress"] {
            app.set_status(&cast.ian, "CR-1", s, None).await.ok();
        }
        app.clock.set(time("2026-11-16T10:00:00Z"));
        let waiting = app.set_status(&cast.ian, "CR-1", "waiting_on_requester", Some("which link?")).await.ok();
        assert_eq!(waiting["sla"]["first_response"]["state"], "met");
        assert_eq!(waiting["sla"]["first_response"]["stopped_at"], "2026-11-16T09:30:00Z");
        assert_eq!(waiting["sla"]["resolution"]["state"], "paused");
        assert_eq!(waiting["sla"]["resolution"]["due_at"], json!(null));
        app.clock.set(time("2026-11-17T11:00:00Z"));
        let answered = app.comment(&cast.ann, "CR-1", "The one in the footer", false).await.ok();
        assert_eq!(answered["status"], "in_progress");
        assert_eq!(answered["sla"]["resolution"]["due_at"], "2026-11-24T10:00:00Z", "60 minutes used, the night not counted");
        let holders: Vec<&str> = answered["segments"].as_array().unwrap().iter().map(|s| s["holder"].as_str().unwrap()).collect();
        assert_eq!(holders, ["team", "requester", "team"]);
        assert_stored_clocks_match_derivation(&app);
    }

    async fn the_triage_queue_sorts_by_due_time_and_filters_by_sla_state(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Blog typo", "x", "content").await; // marketing P3: due 13:00
        app.file(&cast.ann, "Footer", "x", "bug").await; // IT P3: due 14:00
        app.file(&cast.ann, "Down", "the site is down", "content").await; // IT P1: due 09:30
        let waiting = app.file(&cast.ann, "Logo", "x", "bug").await; // IT P3, will be paused
        let key = waiting["key"].as_str().unwrap();
        for s in ["acknowledged", "in_progress", "waiting_on_requester"] {
            app.set_status(&cast.ian, key, s, None).await.ok();
        }
        let keys = |page: &Value| page["items"].as_array().unwrap().iter().map(|r| r["key"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        let queue = app.get("/api/v1/requests?sort=due", &cast.ian).await.ok();
        assert_eq!(keys(&queue), ["CR-3", "CR-1", "CR-2", "CR-4"], "soonest due first; paused last");
        let it = app.get("/api/v1/requests?team=it&sort=due&limit=1", &cast.ian).await.ok();
        assert_eq!(keys(&it), ["CR-3"]);
        let cursor = it["next_cursor"].as_str().unwrap();
        let next = app.get(&format!("/api/v1/requests?team=it&sort=due&limit=1&cursor={cursor}"), &cast.ian).await.ok();
        assert_eq!(keys(&next), ["CR-2"]);
        app.get(&format!("/api/v1/requests?cursor={cursor}"), &cast.ian).await.assert_error(422, "validation_failed");

        app.clock.set(time("2026-11-16T12:30:00Z"));
        let at_risk = app.get("/api/v1/requests?sla=at_risk&sort=due", &cast.ian).await.ok();
        assert_eq!(keys(&at_risk), ["CR-1", "CR-2"], "P1 is breached, not at risk");
        let breached = app.get("/api/v1/requests?sla=breached", &cast.ian).await.ok();
        assert_eq!(keys(&breached), ["CR-3"]);
        app.get("/api/v1/requests?sla=late", &cast.ian).await.assert_error(422, "validation_failed");
        app.get("/api/v1/requests?sort=oldest", &cast.ian).await.assert_error(422, "validation_failed");
    }

    async fn a_reassignment_keeps_the_clock_running_from_creation(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Hero copy", "New wording", "content").await; // marketing: 09:00-17:30
        app.clock.set(time("2026-11-16T11:00:00Z"));
        let moved = app.post("/api/v1/requests/CR-1/reassign", &cast.mia, json!({ "team": "it", "reason": "it is a bug" })).await.ok();
        let fr = &moved["sla"]["first_response"];
        assert_eq!((fr["calendar"].as_str(), fr["due_at"].as_str()), (Some("it-hours"), Some("2026-11-16T14:00:00Z")));
        assert_eq!(fr["elapsed_minutes"], 120);
        assert_stored_clocks_match_derivation(&app);
    }

    async fn changing_policies_and_calendars_leaves_existing_requests_alone(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Footer", "x", "bug").await;
        let mut policies = app.get("/api/v1/sla-policies", &cast.ian).await.ok();
        assert_eq!(policies["version"], 1);
        for p in policies["policies"].as_array_mut().unwrap() {
            if p["team"] == "it" && p["priority"] == "P3" {
                p["first_response_minutes"] = json!(60);
            }
        }
        app.put("/api/v1/sla-policies", &cast.ian, json!({ "policies": policies["policies"] })).await.assert_error(403, "forbidden");
        let stored = app.put("/api/v1/sla-policies", &cast.ada, json!({ "policies": policies["policies"] })).await.ok();
        assert_eq!(stored["version"], 2);

        let old = app.get("/api/v1/requests/CR-1", &cast.ian).await.ok();
        assert_eq!(old["sla"]["first_response"]["due_at"], "2026-11-16T14:00:00Z", "created under version 1");
        let new = app.file(&cast.ann, "Header", "x", "bug").await;
        assert_eq!(new["sla"]["first_response"]["due_at"], "2026-11-16T10:00:00Z");

        let mut calendars = app.get("/api/v1/calendars", &cast.ian).await.ok();
        calendars["calendars"][1]["hours"]["mon"] = json!(["10:00-09:00"]);
        let reply = app.put("/api/v1/calendars", &cast.ada, json!({ "calendars": calendars["calendars"] })).await;
        reply.assert_error(422, "validation_failed");
        assert!(reply.body["error"]["fields"]["calendars[1].hours.mon[0]"].is_string(), "{:#}", reply.body);
        calendars["calendars"][1]["hours"]["mon"] = json!(["07:00-19:00"]);
        let stored = app.put("/api/v1/calendars", &cast.ada, json!({ "calendars": calendars["calendars"] })).await.ok();
        assert_eq!(stored["version"], 3);
        let audit = app.get("/api/v1/audit", &cast.ada).await.ok();
        assert_eq!(audit[0]["kind"], "calendars_updated");
        assert_eq!(audit[1]["kind"], "sla_policies_updated");
        let old = app.get("/api/v1/requests/CR-1", &cast.ian).await.ok();
        assert_eq!(old["sla"]["first_response"]["due_at"], "2026-11-16T14:00:00Z");
    }
}
