use changedesk::domain::Status;
use chrono::TimeDelta;
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;

/// Moves a request as the one who may: the requester withdraws, the team does the rest;
/// `waiting:{reason}` is the move to waiting for that reason.
async fn move_to(app: &TestApp, cast: &Cast, key: &str, step: &str, note: Option<&str>) -> Reply {
    let (status, reason) = step.split_once(':').map_or((step, None), |(s, r)| (s, Some(r)));
    let who = if status == "withdrawn" { &cast.ann } else { &cast.ian };
    let body = json!({ "status": status, "note": note, "reason": reason });
    app.post(&format!("/api/v1/requests/{key}/status"), who, body).await
}

/// The moves (and notes) that take a new request to `target`.
fn path_to(target: Status) -> Vec<(&'static str, Option<&'static str>)> {
    let ack = ("acknowledged", None);
    let work = ("in_progress", None);
    match target {
        Status::New => vec![],
        Status::Acknowledged => vec![ack],
        Status::InProgress => vec![ack, work],
        Status::WaitingOnRequester => vec![ack, work, ("waiting_on_requester", None)],
        Status::Waiting => vec![ack, work, ("waiting:vendor", None)],
        Status::Withdrawn => vec![("withdrawn", None)],
        Status::Resolved => vec![ack, work, ("resolved", None)],
        Status::Closed => vec![ack, work, ("resolved", None), ("closed", None)],
        Status::Rejected => vec![("rejected", Some("duplicate of CR-1"))],
    }
}

on_both_backends! {
    async fn every_status_move_is_allowed_or_refused_with_the_allowed_moves(app: TestApp) {
        let cast = app.cast();
        for from in Status::ALL {
            for to in Status::ALL {
                let r = app.file(&cast.ann, "Fix the footer", "Broken link", "bug").await;
                let key = r["key"].as_str().unwrap();
                for (step, note) in path_to(from) {
                    move_to(&app, &cast, key, step, note).await.ok();
                }
                // A move to waiting names a reason other than the one it may wait for already.
                let step = if to == Status::Waiting { "waiting:agency" } else { to.as_str() };
                let reply = move_to(&app, &cast, key, step, Some("because")).await;
                if from.can_move_to(to) {
                    let body = reply.ok();
                    assert_eq!(body["status"], to.as_str(), "{from} -> {to}");
                } else {
                    reply.assert_error(409, "conflict");
                    let message = reply.body["error"]["message"].as_str().unwrap();
                    for allowed in from.allowed_moves() {
                        assert!(message.contains(allowed.as_str()), "{from} -> {to}: {message}");
                    }
                    let now = app.get(&format!("/api/v1/requests/{key}"), &cast.ian).await.ok();
                    assert_eq!(now["status"], from.as_str(), "a refused move changes nothing");
                }
            }
        }
    }

    async fn rejecting_needs_a_reason_and_records_it(app: TestApp) {
        let cast = app.cast();
        let r = app.file(&cast.ann, "Fix the footer", "Broken link", "bug").await;
        app.set_status(&cast.ian, "CR-1", "rejected", None).await.assert_error(422, "validation_failed");
        let after = app.get("/api/v1/requests/CR-1", &cast.ian).await.ok();
        assert_eq!(after["status"], "new");
        assert_eq!(event_types(&after), event_types(&r), "nothing half-written");

        let rejected = app.set_status(&cast.ian, "CR-1", "rejected", Some("works as designed")).await.ok();
        assert_eq!(rejected["status"], "rejected");
        let last = rejected["events"].as_array().unwrap().iter().rfind(|e| e["type"] == "rejected").unwrap();
        assert_eq!(last["data"], json!({ "from": "new", "to": "rejected", "note": "works as designed" }));
        assert!(rejected["closed_at"].is_string());
    }

    async fn the_first_response_is_recorded_once_and_only_by_the_owning_team(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Fix the footer", "Broken link", "bug").await;

        // The requester's own comment, another team and an internal note are not a response.
        app.comment(&cast.ann, "CR-1", "Any news?", false).await.ok();
        app.comment(&cast.mia, "CR-1", "Not ours, but we saw it", false).await.assert_error(403, "forbidden");
        app.comment(&cast.ian, "CR-1", "Looks like the CDN", true).await.ok();
        let admin_note = app.comment(&cast.ada, "CR-1", "Admin here, not on the team", false).await.ok();
        assert_eq!(admin_note["first_response_at"], json!(null));

        app.clock.advance(TimeDelta::minutes(30));
        let answered = app.comment(&cast.ian, "CR-1", "On it", false).await.ok();
        let first = answered["first_response_at"].clone();
        assert_eq!(first, json!("2026-11-16T09:30:00Z"));

        app.clock.advance(TimeDelta::minutes(30));
        let later = app.set_status(&cast.ian, "CR-1", "acknowledged", None).await.ok();
        assert_eq!(later["first_response_at"], first, "recorded once");
        let responses: Vec<_> = later["events"].as_array().unwrap().iter().filter(|e| e["type"] == "first_response").collect();
        assert_eq!(responses.len(), 1);
        assert_eq!(responses[0]["data"]["via"], "comment");
        assert_eq!(responses[0]["actor"]["email"], "ian@example.org");
    }

    async fn acknowledging_is_a_first_response(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Fix the footer", "Broken link", "bug").await;
        app.clock.advance(TimeDelta::minutes(7));
        let acked = app.set_status(&cast.ian, "CR-1", "acknowledged", None).await.ok();
        assert_eq!(acked["first_response_at"], "2026-11-16T09:07:00Z");
        assert_eq!(event_types(&acked), ["created", "routed", "acknowledged", "first_response"]);
    }

    async fn reassigning_moves_the_request_keeps_its_creation_and_records_a_correction(app: TestApp) {
        let cast = app.cast();
        let r = app.file(&cast.ann, "Change the hero copy", "New wording attached", "bug").await;
        assert_eq!(r["team"], "it");
        app.post("/api/v1/requests/CR-1/assign", &cast.ian, json!({ "assignee": "ian@example.org" })).await.ok();

        let path = "/api/v1/requests/CR-1/reassign";
        app.post(path, &cast.ian, json!({ "team": "marketing" })).await.assert_error(422, "validation_failed");
        app.post(path, &cast.ian, json!({ "team": "it", "reason": "x" })).await.assert_error(422, "validation_failed");
        app.post(path, &cast.ian, json!({ "team": "sales", "reason": "x" })).await.assert_error(422, "validation_failed");
        app.post(path, &cast.mia, json!({ "team": "marketing", "reason": "x" })).await.assert_error(403, "forbidden");
        app.post(path, &cast.ann, json!({ "team": "marketing", "reason": "x" })).await.assert_error(403, "forbidden");

        app.clock.advance(TimeDelta::hours(2));
        let moved = app.post(path, &cast.ian, json!({ "team": "marketing", "reason": "copy change, not a bug" })).await.ok();
        assert_eq!(moved["team"], "marketing");
        assert_eq!(moved["created_at"], r["created_at"]);
        assert_eq!(moved["assignee"], json!(null), "the new team triages it");
        assert_eq!(moved["routing"], r["routing"], "the original routing stays on record");
        let event = moved["events"].as_array().unwrap().iter().rfind(|e| e["type"] == "reassigned").unwrap();
        assert_eq!(event["data"], json!({ "from": "it", "to": "marketing", "reason": "copy change, not a bug", "routing_correction": true }));

        // Now marketing works it, and IT no longer can.
        app.set_status(&cast.mia, "CR-1", "acknowledged", None).await.ok();
        app.set_status(&cast.ian, "CR-1", "in_progress", None).await.assert_error(403, "forbidden");
    }

    async fn assignment_is_limited_to_members_of_the_owning_team(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Fix the footer", "Broken link", "bug").await;
        let path = "/api/v1/requests/CR-1/assign";
        app.post(path, &cast.ian, json!({ "assignee": "mia@example.org" })).await.assert_error(422, "validation_failed");
        app.post(path, &cast.ian, json!({ "assignee": "nobody@example.org" })).await.assert_error(422, "validation_failed");
        app.post(path, &cast.mia, json!({ "assignee": "mia@example.org" })).await.assert_error(403, "forbidden");
        let assigned = app.post(path, &cast.ian, json!({ "assignee": "ian@example.org" })).await.ok();
        assert_eq!(assigned["assignee"]["email"], "ian@example.org");
        let list = app.get("/api/v1/requests?assignee=ian@example.org", &cast.ian).await.ok();
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        let unassigned = app.post(path, &cast.ian, json!({ "assignee": null })).await.ok();
        assert_eq!(unassigned["assignee"], json!(null));
        let last = unassigned["events"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["data"], json!({ "assignee": null, "previous": "ian@example.org" }));
    }

    async fn a_requester_reply_hands_a_waiting_request_back_to_the_team(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Fix the footer", "Broken link", "bug").await;
        for s in ["acknowledged", "in_progress", "waiting_on_requester"] {
            app.set_status(&cast.ian, "CR-1", s, None).await.ok();
        }
        let replied = app.comment(&cast.ann, "CR-1", "It is the one on /about", false).await.ok();
        assert_eq!(replied["status"], "in_progress");
        assert!(replied["events"].as_array().unwrap().iter().all(|e| e["data"]["internal"] != true));
    }

    async fn a_requester_can_close_or_reopen_their_resolved_request_but_not_work_it(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Fix the footer", "Broken link", "bug").await;
        app.set_status(&cast.ann, "CR-1", "acknowledged", None).await.assert_error(403, "forbidden");
        for s in ["acknowledged", "in_progress", "resolved"] {
            app.set_status(&cast.ian, "CR-1", s, None).await.ok();
        }
        let reopened = app.set_status(&cast.ann, "CR-1", "in_progress", Some("still broken")).await.ok();
        assert_eq!(reopened["status"], "in_progress");
        assert_eq!(reopened["resolved_at"], json!(null));
        assert_eq!(event_types(&reopened).last().unwrap(), "reopened");
        app.set_status(&cast.ian, "CR-1", "resolved", None).await.ok();
        let closed = app.set_status(&cast.ann, "CR-1", "closed", None).await.ok();
        assert_eq!(closed["status"], "closed");
        app.comment(&cast.ann, "CR-1", "thanks", false).await.assert_error(409, "conflict");
    }

    async fn concurrent_filings_get_distinct_consecutive_keys(app: TestApp) {
        let cast = app.cast();
        let filings = (0..12).map(|i| app.file(&cast.ann, "Parallel", if i % 2 == 0 { "a" } else { "b" }, "content"));
        let created = futures_util::future::join_all(filings).await;
        let mut keys: Vec<i64> = created
            .iter()
            .map(|r| r["key"].as_str().unwrap()[3..].parse().unwrap())
            .collect();
        keys.sort();
        assert_eq!(keys, (1..=12).collect::<Vec<_>>());
    }

    async fn sixteen_concurrent_filers_lose_nothing_and_their_refusals_leave_nothing(app: TestApp) {
        let cast = app.cast();
        // Sixteen clients, eight filings each; every fourth names an unknown category (422).
        let client = |c: usize| {
            let (app, ann) = (&app, &cast.ann);
            async move {
                let mut replies = Vec::new();
                for i in 0..8 {
                    let category = if i % 4 == 3 { "no-such-category" } else { "bug" };
                    let body = json!({"title": format!("Client {c} filing {i}"), "description": "d", "category": category});
                    replies.push((category, app.call(Method::POST, "/api/v1/requests", Some(ann), Some(body)).await));
                }
                replies
            }
        };
        let replies: Vec<_> = futures_util::future::join_all((0..16).map(client)).await.into_iter().flatten().collect();
        let mut filed = Vec::new();
        for (category, reply) in &replies {
            if *category == "bug" {
                assert_eq!(reply.status, 201, "{}", reply.body);
                filed.push(reply.body["id"].as_str().unwrap().to_owned());
            } else {
                reply.assert_error(422, "validation_failed");
            }
        }
        assert_eq!(filed.len(), 16 * 6);
        let mut conn = app.pool.get().unwrap();
        assert_eq!(changedesk::db::count_requests(&mut conn).unwrap(), filed.len() as i64, "refusals wrote no request");
        let mut keys = Vec::new();
        for id in &filed {
            let row = changedesk::db::find_request(&mut conn, id).unwrap().expect("every 201 is stored");
            keys.push(row.number);
            let kinds: Vec<String> =
                changedesk::db::events_of(&mut conn, id).unwrap().iter().map(|e| e.event.kind().to_owned()).collect();
            assert_eq!(kinds, ["created", "routed"], "{id}");
        }
        keys.sort();
        assert_eq!(keys, (1..=filed.len() as i64).collect::<Vec<_>>(), "keys contiguous: no number spent on a refusal");
        assert_eq!(app.outbox().len(), filed.len(), "one notice per filing, none for a refusal");
        // Each group wrote its filings' search index rows last; a refusal's row went with it.
        let found = app.get("/api/v1/requests?q=client%20filing&limit=200", &cast.ian).await.ok();
        let mut found: Vec<&str> = found["items"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
        found.sort();
        filed.sort();
        assert_eq!(found, filed, "every filing found by the next search, and nothing else");
    }
}
