//! Every mail about a request carries its key in the subject and the same thread root in
//! In-Reply-To and References, so mail clients group a request's mails (as sent by the file
//! transport and read back with mail-parser).

use mail_parser::MessageParser;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends! {
    async fn a_requests_mails_carry_its_key_and_one_thread(app: TestApp) {
        let cast = app.cast();
        let filed = app.file(&cast.ann, "Footer link broken", "404 on /about", "bug").await;
        app.comment(&cast.ian, "CR-1", "Fixed on staging", false).await.ok();
        app.dispatch_mail_at("2026-11-16T09:05:00Z").await;
        let id = filed["id"].as_str().unwrap();
        let root = format!("request-{id}@127.0.0.1");
        let mails: Vec<_> = app.outbox().into_iter().filter(|m| m.request_id.as_deref() == Some(id)).collect();
        assert!(mails.len() >= 2, "the team's notice and the requester's");
        let mut seen = std::collections::HashSet::new();
        for m in mails {
            let eml = std::fs::read(app.settings.mail.file_dir.join(format!("{}.eml", m.id))).unwrap();
            let parsed = MessageParser::default().parse(&eml).unwrap();
            assert!(parsed.subject().unwrap().starts_with("[CR-1] "), "{:?}", parsed.subject());
            assert_eq!(parsed.in_reply_to().as_text(), Some(root.as_str()));
            assert_eq!(parsed.references().as_text(), Some(root.as_str()));
            assert!(seen.insert(parsed.message_id().unwrap().to_owned()), "each mail its own Message-ID");
        }
    }
}

on_both_backends! {
    async fn the_team_hears_when_the_requester_answers_its_question(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Footer link broken", "404 on /about", "bug").await;
        for status in ["acknowledged", "in_progress"] {
            app.set_status(&cast.ian, "CR-1", status, None).await.ok();
        }
        app.set_status(&cast.ian, "CR-1", "waiting_on_requester", Some("Which footer?")).await.ok();
        app.comment(&cast.ann, "CR-1", "The one on /about", false).await.ok();
        let answered: Vec<_> = app.outbox().into_iter().filter(|m| m.kind == "requester_answered").collect();
        assert_eq!(answered.len(), 1);
        assert_eq!(answered[0].recipients, "[\"it-web@example.org\"]", "nobody assigned: the team's address");
        assert_eq!(answered[0].subject, "[CR-1] The requester answered: Footer link broken");
        assert!(answered[0].text_body.contains("The one on /about"));

        // Assigned: to the assignee. A comment while nobody waits tells nobody.
        app.post("/api/v1/requests/CR-1/assign", &cast.ian, serde_json::json!({ "assignee": "ian@example.org" })).await.ok();
        app.comment(&cast.ann, "CR-1", "Also the one on /contact", false).await.ok();
        app.set_status(&cast.ian, "CR-1", "waiting_on_requester", Some("Anything else?")).await.ok();
        app.comment(&cast.ann, "CR-1", "No, thanks", false).await.ok();
        let to: Vec<String> = app.outbox().into_iter().filter(|m| m.kind == "requester_answered").map(|m| m.recipients).collect();
        assert_eq!(to.len(), 2);
        assert!(to.contains(&"[\"ian@example.org\"]".to_owned()), "{to:?}");
    }
}

on_both_backends! {
    async fn watchers_get_the_requesters_public_updates_by_mail(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Footer link broken", "404 on /about", "bug").await;
        let added = app.post("/api/v1/requests/CR-1/watchers", &cast.ann, serde_json::json!({ "email": " Lee@Example.org " })).await.ok();
        assert_eq!(added, serde_json::json!(["lee@example.org"]));
        let again = app.post("/api/v1/requests/CR-1/watchers", &cast.ian, serde_json::json!({ "email": "lee@example.org" })).await.ok();
        assert_eq!(again, serde_json::json!(["lee@example.org"]), "added once");
        app.post("/api/v1/requests/CR-1/watchers", &cast.bob, serde_json::json!({ "email": "x@example.org" })).await.assert_error(403, "forbidden");
        app.post("/api/v1/requests/CR-1/watchers", &cast.mia, serde_json::json!({ "email": "x@example.org" })).await.assert_error(403, "forbidden");
        let bad = app.post("/api/v1/requests/CR-1/watchers", &cast.ann, serde_json::json!({ "email": "not an address" })).await;
        bad.assert_error(422, "validation_failed");
        assert!(bad.body["error"]["fields"]["email"].is_string());

        app.comment(&cast.ian, "CR-1", "Fixed on staging", false).await.ok();
        let commented = |app: &TestApp| -> Vec<String> {
            app.outbox().into_iter().filter(|m| m.kind == "commented").map(|m| m.recipients).collect()
        };
        assert_eq!(commented(&app), ["[\"ann@example.org\",\"lee@example.org\"]"]);

        let gone = app.client.delete(format!("{}/api/v1/requests/CR-1/watchers/lee@example.org", app.address))
            .bearer_auth(&cast.ian).send().await.unwrap();
        assert_eq!(gone.status(), 204);
        let again = app.client.delete(format!("{}/api/v1/requests/CR-1/watchers/lee@example.org", app.address))
            .bearer_auth(&cast.ian).send().await.unwrap();
        assert_eq!(again.status(), 404);
        app.comment(&cast.ian, "CR-1", "Deployed", false).await.ok();
        let mut both = commented(&app);
        both.sort();
        assert_eq!(both, ["[\"ann@example.org\",\"lee@example.org\"]", "[\"ann@example.org\"]"], "the second without lee");
        let kinds: Vec<String> = app.get("/api/v1/requests/CR-1", &cast.ann).await.ok()["events"].as_array().unwrap()
            .iter().map(|e| e["type"].as_str().unwrap().to_owned()).filter(|k| k.starts_with("watcher")).collect();
        assert_eq!(kinds, ["watcher_added", "watcher_removed"]);
        assert!(app.get("/api/v1/requests/CR-1/watchers", &cast.ann).await.ok().as_array().unwrap().is_empty());
    }
}
