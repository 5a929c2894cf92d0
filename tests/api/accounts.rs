//! Accounts people can adopt (issue 14): invitations and password resets by single-use,
//! expiring links, changing a person, and the security log.

use changedesk::domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;
use crate::pages::{PASSWORD, Visitor, person};

/// The token of the newest `kind` mail to `email`, from the link in its text.
fn link_token(app: &TestApp, kind: &str, email: &str) -> String {
    // The newest: ids are time-ordered (UUIDv7), the test clock stands still.
    let mail = app
        .outbox()
        .into_iter()
        .filter(|m| m.kind == kind && m.recipients.contains(email))
        .max_by(|a, b| a.id.cmp(&b.id))
        .expect("a mail");
    let path = if kind == "invitation" { "/invitations/" } else { "/password-resets/" };
    let at = mail.text_body.find(path).expect("a link") + path.len();
    mail.text_body[at..at + 64].to_owned()
}

/// Chooses `password` through a link's page; answers the final page.
async fn choose(v: &mut Visitor, path: &str, password: &str, confirm: &str) -> crate::pages::Page {
    let page = v.get(path).await;
    if page.status != StatusCode::OK {
        return page;
    }
    let csrf = page.csrf();
    v.post(path, &[("csrf", &csrf), ("password", password), ("confirm", confirm)]).await
}

async fn signs_in(app: &TestApp, email: &str, password: &str) -> StatusCode {
    let mut v = Visitor::new(app);
    let csrf = v.csrf("/sign-in").await;
    v.post("/sign-in", &[("csrf", &csrf), ("email", email), ("password", password)]).await.status
}

const NEW_PASSWORD: &str = "a brand new long password";

on_both_backends! {
    async fn an_invitation_mails_a_link_that_works_once_and_expires(app: TestApp) {
        let cast = app.cast();
        let invite = |token: String, email: &'static str| {
            let body = json!({ "email": email, "name": "Nia", "role": "agent", "teams": ["it"] });
            let app = &app;
            async move { app.call(reqwest::Method::POST, "/api/v1/users", Some(&token), Some(body)).await }
        };
        invite(cast.ann.clone(), "nia@example.org").await.assert_error(403, "forbidden");
        let made = invite(cast.ada.clone(), "Nia@Example.org").await;
        assert_eq!(made.status, 201, "{:#}", made.body);
        assert_eq!((made.body["email"].as_str(), made.body["has_password"].as_bool()), (Some("nia@example.org"), Some(false)));
        invite(cast.ada.clone(), "nia@example.org").await.assert_error(409, "conflict");
        let token = link_token(&app, "invitation", "nia@example.org");
        let path = format!("/invitations/{token}");
        let mut nia = Visitor::new(&app);
        let mismatch = choose(&mut nia, &path, NEW_PASSWORD, "something else entirely").await;
        assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
        let short = choose(&mut nia, &path, "short", "short").await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY, "the password rules hold");
        let done = choose(&mut nia, &path, NEW_PASSWORD, NEW_PASSWORD).await;
        assert_eq!((done.status, done.location.as_deref()), (StatusCode::SEE_OTHER, Some("/")), "signed in");
        assert_eq!(nia.get("/queues/it").await.status, StatusCode::OK, "as the agent she was invited as");
        let again = Visitor::new(&app).get(&path).await;
        assert_eq!(again.status, StatusCode::NOT_FOUND, "single-use");
        assert!(again.body.contains("used or has expired"), "{}", again.body);
        assert_eq!(signs_in(&app, "nia@example.org", NEW_PASSWORD).await, StatusCode::SEE_OTHER);
        // Expiry: 72 hours.
        assert_eq!(invite(cast.ada.clone(), "omar@example.org").await.status, 201);
        let token = link_token(&app, "invitation", "omar@example.org");
        app.clock.advance(chrono::TimeDelta::hours(72) + chrono::TimeDelta::seconds(1));
        let late = choose(&mut Visitor::new(&app), &format!("/invitations/{token}"), NEW_PASSWORD, NEW_PASSWORD).await;
        assert_eq!(late.status, StatusCode::NOT_FOUND, "expired");
        let invalid = Visitor::new(&app).get(&format!("/invitations/{}", "0".repeat(64))).await;
        assert_eq!(invalid.status, StatusCode::NOT_FOUND);
    }

    async fn a_password_reset_never_tells_who_has_an_account_and_its_link_works_once(app: TestApp) {
        person(&app, "ann@example.org", Role::Requester, &[]);
        let mut signed_in = Visitor::new(&app);
        signed_in.sign_in("ann@example.org").await;
        let ask = |email: &'static str| {
            let app = &app;
            async move { app.call(reqwest::Method::POST, "/api/v1/password-resets", None, Some(json!({ "email": email }))).await }
        };
        let unknown = ask("nobody@example.org").await;
        let known = ask(" ANN@example.org").await;
        assert_eq!((unknown.status.as_u16(), known.status.as_u16()), (202, 202));
        assert_eq!(unknown.body, known.body, "the same answer either way");
        let resets = |app: &TestApp| app.outbox().into_iter().filter(|m| m.kind == "password_reset").count();
        assert_eq!(resets(&app), 1, "a mail for the account only");
        let first = link_token(&app, "password_reset", "ann@example.org");
        // Through the page this time: a newer link retires the older one.
        let mut v = Visitor::new(&app);
        let csrf = v.csrf("/password-resets").await;
        let sent = v.post("/password-resets", &[("csrf", &csrf), ("email", "ann@example.org")]).await;
        assert!(sent.body.contains("id=\"reset-sent\""), "{}", sent.body);
        let second = link_token(&app, "password_reset", "ann@example.org");
        assert_ne!(first, second);
        let old = choose(&mut Visitor::new(&app), &format!("/password-resets/{first}"), NEW_PASSWORD, NEW_PASSWORD).await;
        assert_eq!(old.status, StatusCode::NOT_FOUND, "only the newest link works");
        let done = choose(&mut Visitor::new(&app), &format!("/password-resets/{second}"), NEW_PASSWORD, NEW_PASSWORD).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER);
        assert_eq!(signed_in.get("/requests/mine").await.status, StatusCode::SEE_OTHER, "every other session ended");
        assert_eq!(signs_in(&app, "ann@example.org", PASSWORD).await, StatusCode::UNAUTHORIZED, "the old password is gone");
        let reused = choose(&mut Visitor::new(&app), &format!("/password-resets/{second}"), "yet another password", "yet another password").await;
        assert_eq!(reused.status, StatusCode::NOT_FOUND, "single-use");
        ask("ann@example.org").await;
        let third = link_token(&app, "password_reset", "ann@example.org");
        app.clock.advance(chrono::TimeDelta::minutes(61));
        let late = choose(&mut Visitor::new(&app), &format!("/password-resets/{third}"), "yet another password", "yet another password").await;
        assert_eq!(late.status, StatusCode::NOT_FOUND, "expired after an hour");
        // At most three mails an account in a window, whatever is asked.
        for _ in 0..5 {
            assert_eq!(ask("ann@example.org").await.status.as_u16(), 202);
        }
        assert_eq!(resets(&app), 3 + 3, "three before, three in this window");
    }

    async fn admins_change_people_and_everything_lands_in_the_security_log(app: TestApp) {
        let cast = app.cast();
        person(&app, "mo@example.org", Role::Requester, &[]);
        let patch = |token: String, email: &'static str, body: serde_json::Value| {
            let app = &app;
            async move { app.call(reqwest::Method::PATCH, &format!("/api/v1/users/{email}"), Some(&token), Some(body)).await }
        };
        patch(cast.ann.clone(), "mo@example.org", json!({ "name": "Mo" })).await.assert_error(403, "forbidden");
        patch(cast.ada.clone(), "mo@example.org", json!({ "role": "agent" })).await.assert_error(422, "validation_failed");
        let changed = patch(cast.ada.clone(), "mo@example.org", json!({ "name": "Mo Salah", "role": "agent", "teams": ["it"] })).await;
        assert_eq!(changed.status, 200, "{:#}", changed.body);
        assert_eq!((changed.body["name"].as_str(), changed.body["role"].as_str()), (Some("Mo Salah"), Some("agent")));
        assert_eq!(changed.body["teams"], json!(["it"]));
        patch(cast.ada.clone(), "mo@example.org", json!({ "teams": ["nope"] })).await.assert_error(422, "validation_failed");
        patch(cast.ada.clone(), "ada@example.org", json!({ "role": "lead" })).await.assert_error(422, "validation_failed");
        patch(cast.ada.clone(), "nobody@example.org", json!({ "name": "X" })).await.assert_error(404, "not_found");
        assert_eq!(signs_in(&app, "mo@example.org", "not the password").await, StatusCode::UNAUTHORIZED);
        assert_eq!(signs_in(&app, "mo@example.org", PASSWORD).await, StatusCode::SEE_OTHER);
        app.get("/api/v1/security-log", &cast.ann).await.assert_error(403, "forbidden");
        let log = app.get("/api/v1/security-log?limit=1000", &cast.ada).await.ok();
        let kinds: Vec<&str> = log["items"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
        for kind in ["user_added", "user_changed", "sign_in_failed", "sign_in"] {
            assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
        }
        assert_eq!(kinds[0], "sign_in", "newest first");
        let change = log["items"].as_array().unwrap().iter().find(|i| i["kind"] == "user_changed").unwrap();
        assert!(change["detail"].as_str().unwrap().contains("\"role\":\"requester\""), "before and after: {change:#}");
        let page = app.get("/api/v1/security-log?limit=2", &cast.ada).await.ok();
        let before = page["next_before"].as_i64().expect("another page");
        let next = app.get(&format!("/api/v1/security-log?limit=2&before={before}"), &cast.ada).await.ok();
        assert!(next["items"][0]["id"].as_i64().unwrap() < before);
        let csv = app.client.get(format!("{}/api/v1/security-log.csv", app.address)).bearer_auth(&cast.ada).send().await.unwrap();
        let csv = csv.text().await.unwrap();
        assert!(csv.starts_with("id,at,kind,email,actor_id,address,detail\n") && csv.contains("sign_in_failed"), "{csv}");
        assert!(!csv.contains(PASSWORD) && !csv.contains("not the password"), "no password is ever logged");
    }
}
