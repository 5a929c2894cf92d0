//! The admin pages: who may open them, "try this text", versioned edits of the map, rules,
//! calendars, policies and teams with problems shown by field, users, and failed mail.

use changedesk::db::{self, OutboxRow};
use changedesk::domain::Role;
use diesel::prelude::*;
use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;
use crate::pages::{Visitor, person};

async fn admin(app: &TestApp) -> Visitor {
    person(app, "ada@example.org", Role::Admin, &[]);
    let mut ada = Visitor::new(app);
    ada.sign_in("ada@example.org").await;
    ada
}

/// The document in an editor's textarea, unescaped.
fn document(body: &str, name: &str) -> String {
    let at = body.find(&format!("id=\"doc-{name}\"")).unwrap();
    let start = at + body[at..].find('>').unwrap() + 1;
    let end = start + body[start..].find("</textarea>").unwrap();
    body[start..end]
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
}

on_both_backends! {
    async fn only_admins_open_the_admin_pages(app: TestApp) {
        person(&app, "lea@example.org", Role::Lead, &["it"]);
        person(&app, "ann@example.org", Role::Requester, &[]);
        let mut ada = admin(&app).await;
        let mut others = Vec::new();
        for who in ["lea@example.org", "ann@example.org"] {
            let mut v = Visitor::new(&app);
            v.sign_in(who).await;
            others.push((who, v));
        }
        for path in ["/admin", "/admin/routing", "/admin/sla", "/admin/people", "/admin/mail"] {
            assert_eq!(ada.get(path).await.status, StatusCode::OK, "{path}");
            for (who, v) in &mut others {
                assert_eq!(v.get(path).await.status, StatusCode::FORBIDDEN, "{who} {path}");
            }
        }
        let v = &mut others[0].1;
        let csrf = v.csrf("/requests/new").await;
        let refused = v.post("/admin/sla/policies", &[("csrf", &csrf), ("document", "{}")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
    }

    async fn routing_can_be_tried_and_changed_with_problems_shown_by_field(app: TestApp) {
        let mut ada = admin(&app).await;
        let tried = ada.get("/admin/routing?title=The+site+is+down&description=&category=content&page_url=").await;
        assert!(tried.body.contains("id=\"try-result\""), "{}", tried.body);
        assert!(tried.body.contains("rule &#39;outage words&#39; matched"), "the outage rule beats the content owner");
        let page = ada.get("/admin/routing").await;
        let csrf = page.csrf();
        let version = |body: &str| body.split("Version ").nth(1).unwrap().split('.').next().unwrap().to_owned();
        let before = version(&page.body);

        let broken = ada.post("/admin/routing/categories", &[("csrf", &csrf), ("document", "{\n  \"categories\": [\n}")]).await;
        assert_eq!(broken.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(broken.body.contains("<code>document</code>: line 3"), "{}", broken.body);
        assert!(broken.body.contains("{\n  &#34;categories&#34;: [\n}"), "what was typed is kept");

        let mut doc: serde_json::Value = serde_json::from_str(&document(&page.body, "categories")).unwrap();
        doc["categories"][0]["team"] = "nobody".into();
        let wrong = ada.post("/admin/routing/categories", &[("csrf", &csrf), ("document", &doc.to_string())]).await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.body.contains("<code>categories[0].team</code>"), "{}", wrong.body);
        assert_eq!(version(&ada.get("/admin/routing").await.body), before, "nothing saved");

        doc["categories"][0]["team"] = "it".into();
        doc["categories"][0]["help"] = "Anything about words on pages".into();
        let saved = ada.post("/admin/routing/categories", &[("csrf", &csrf), ("document", &doc.to_string())]).await;
        assert_eq!(saved.location.as_deref(), Some("/admin/routing?saved=1"));
        let after = ada.get("/admin/routing?saved=1").await;
        assert_eq!(version(&after.body), (before.parse::<i32>().unwrap() + 1).to_string());
        assert!(after.body.contains("Saved as a new version"));
        assert!(ada.get("/requests/new").await.body.contains("Anything about words on pages"), "the form shows it");
    }

    async fn calendars_and_policies_are_edited_as_versions(app: TestApp) {
        let mut ada = admin(&app).await;
        let page = ada.get("/admin/sla").await;
        let csrf = page.csrf();
        let mut calendars: serde_json::Value = serde_json::from_str(&document(&page.body, "calendars")).unwrap();
        calendars["calendars"][0]["hours"]["mon"] = serde_json::json!(["9-5"]);
        let wrong = ada.post("/admin/sla/calendars", &[("csrf", &csrf), ("document", &calendars.to_string())]).await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.body.contains("<code>calendars[0].hours.mon[0]</code>: must be HH:MM-HH:MM"), "{}", wrong.body);
        let mut policies: serde_json::Value = serde_json::from_str(&document(&page.body, "policies")).unwrap();
        let p3 = policies["policies"].as_array_mut().unwrap().iter_mut()
            .find(|p| p["team"] == "it" && p["priority"] == "P3").unwrap();
        p3["first_response_minutes"] = 180.into();
        let saved = ada.post("/admin/sla/policies", &[("csrf", &csrf), ("document", &policies.to_string())]).await;
        assert_eq!(saved.location.as_deref(), Some("/admin/sla?saved=1"));
        let sla = crate::pages::without_labels(&ada.get("/admin/sla").await.body);
        assert!(sla.contains("<td>IT web operations</td><td>P3</td><td>3 business hours</td>"), "{sla}");
    }

    async fn admins_add_and_lock_out_users_and_change_teams(app: TestApp) {
        let mut ada = admin(&app).await;
        let csrf = ada.csrf("/admin/people").await;
        let added = ada.post("/admin/people/users", &[("csrf", &csrf), ("email", "Ian@Example.org"), ("name", "Ian"),
            ("role", "agent"), ("teams", "it"), ("password", crate::pages::PASSWORD)]).await;
        assert_eq!(added.location.as_deref(), Some("/admin/people?saved=1"));
        let again = ada.post("/admin/people/users", &[("csrf", &csrf), ("email", "ian@example.org"), ("name", "Ian"),
            ("role", "agent"), ("teams", "it")]).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(again.body.contains("id=\"new-email-error\""), "{}", again.body);
        let no_team = ada.post("/admin/people/users", &[("csrf", &csrf), ("email", "lea@example.org"), ("name", "Lea"),
            ("role", "lead")]).await;
        assert!(no_team.body.contains("agents and leads belong to at least one team"));

        let mut ian = Visitor::new(&app);
        assert_eq!(ian.sign_in("ian@example.org").await.status, StatusCode::SEE_OTHER);
        assert_eq!(ian.get("/queues/it").await.status, StatusCode::OK);
        let asked = ada.post("/admin/people/users/active", &[("csrf", &csrf), ("email", "ian@example.org"), ("active", "0")]).await;
        assert!(asked.status == StatusCode::OK && asked.body.contains("id=\"confirm-lock-out\""), "asked first: {}", asked.body);
        assert_eq!(ian.get("/queues/it").await.status, StatusCode::OK, "nothing happened yet");
        let locked = ada.post("/admin/people/users/active", &[("csrf", &csrf), ("email", "ian@example.org"), ("active", "0"),
            ("confirmed", "1")]).await;
        assert_eq!(locked.status, StatusCode::SEE_OTHER);
        assert_eq!(ian.get("/queues/it").await.status, StatusCode::SEE_OTHER, "a locked-out user's session ends");
        assert_eq!(Visitor::new(&app).sign_in("ian@example.org").await.status, StatusCode::UNAUTHORIZED);
        let back = ada.post("/admin/people/users/active", &[("csrf", &csrf), ("email", "ian@example.org"), ("active", "1")]).await;
        assert_eq!(back.status, StatusCode::SEE_OTHER);
        assert_eq!(ian.get("/queues/it").await.status, StatusCode::SEE_OTHER, "letting in again does not revive sessions");
        assert_eq!(Visitor::new(&app).sign_in("ian@example.org").await.status, StatusCode::SEE_OTHER);
        let me = ada.post("/admin/people/users/active", &[("csrf", &csrf), ("email", "ada@example.org"), ("active", "0"),
            ("confirmed", "1")]).await;
        assert_eq!(me.status, StatusCode::UNPROCESSABLE_ENTITY, "admins cannot lock themselves out");

        let page = ada.get("/admin/people").await;
        let mut teams: serde_json::Value = serde_json::from_str(&document(&page.body, "teams")).unwrap();
        teams.as_array_mut().unwrap().push(serde_json::json!({
            "key": "design", "name": "Design", "email": "design@example.org", "leads": []
        }));
        let saved = ada.post("/admin/people/teams", &[("csrf", &csrf), ("document", &teams.to_string())]).await;
        assert_eq!(saved.location.as_deref(), Some("/admin/people?saved=1"));
        let without_it: Vec<_> = teams.as_array().unwrap().iter().filter(|t| t["key"] != "it").cloned().collect();
        let refused = ada.post("/admin/people/teams", &[("csrf", &csrf), ("document", &serde_json::json!(without_it).to_string())]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "a team in use cannot be removed");
        let after = ada.get("/admin/people").await;
        assert!(document(&after.body, "teams").contains("\"design\"") && document(&after.body, "teams").contains("\"it\""));
    }

    async fn failed_mail_is_listed_and_sent_again(app: TestApp) {
        let mut ada = admin(&app).await;
        assert!(ada.get("/admin/mail").await.body.contains("No failed message"));
        let now = db::to_db(app.clock.now());
        let row = OutboxRow {
            id: "m-1".into(), message_id: "<m-1@test>".into(), dedupe_key: "test:m-1".into(), kind: "test".into(),
            request_id: None, recipients: "[\"ann@example.org\"]".into(), subject: "<b>Hello</b>".into(),
            text_body: "Hello".into(), html_body: "<p>Hello</p>".into(), status: "failed".into(), attempts: 8,
            next_attempt_at: now, locked_until: None, last_error: Some("550 mailbox unavailable".into()),
            created_at: now, sent_at: None, inline_png: None,
        };
        db::enqueue_mail(&mut app.pool.get().unwrap(), &row).unwrap();
        let page = ada.get("/admin/mail").await;
        assert!(page.body.contains("&#60;b&#62;Hello&#60;/b&#62;") && page.body.contains("550 mailbox unavailable"));
        let retried = ada.post("/admin/mail/m-1/retry", &[("csrf", &page.csrf())]).await;
        assert_eq!(retried.location.as_deref(), Some("/admin/mail?saved=1"));
        let status: String = db::schema::mail_outbox::table.find("m-1").select(db::schema::mail_outbox::status)
            .first(&mut app.pool.get().unwrap()).unwrap();
        assert_eq!(status, "pending");
        assert!(ada.get("/admin/mail").await.body.contains("No failed message"));
    }
}

on_both_backends! {
    async fn the_people_page_invites_without_a_password_and_changes_a_person(app: TestApp) {
        let mut ada = admin(&app).await;
        let csrf = ada.csrf("/admin/people").await;
        let added = ada.post("/admin/people/users", &[("csrf", &csrf), ("email", "nia@example.org"), ("name", "Nia"),
            ("role", "requester"), ("teams", ""), ("password", "")]).await;
        assert_eq!(added.location.as_deref(), Some("/admin/people?saved=1"));
        let invitation = app.outbox().into_iter().find(|m| m.kind == "invitation").expect("an invitation mailed");
        assert!(invitation.recipients.contains("nia@example.org") && invitation.text_body.contains("/invitations/"));
        let changed = ada.post("/admin/people/users/edit", &[("csrf", &csrf), ("email", "nia@example.org"), ("name", ""),
            ("role", "agent"), ("teams", "it, marketing")]).await;
        assert_eq!(changed.location.as_deref(), Some("/admin/people?saved=1"));
        let page = ada.get("/admin/people").await;
        let rows = crate::pages::without_labels(&page.body);
        assert!(rows.contains("<td>nia@example.org</td><td>Nia</td><td>agent</td><td>it, marketing</td>"), "{rows}");
        let refused = ada.post("/admin/people/users/edit", &[("csrf", &csrf), ("email", "nia@example.org"), ("role", "lead"),
            ("teams", "nope")]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "an unknown team");
    }
}
