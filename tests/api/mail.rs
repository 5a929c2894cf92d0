//! Mail through the outbox: a real SMTP server on loopback, the server going down, retries,
//! parked failures, escalations held for business hours, and the file transport.

use changedesk::config::{MailTransport, SmtpTls};
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;
use crate::smtp::{SmtpServer, free_port, read_maildir};

fn via_smtp(port: u16) -> impl FnOnce(&mut changedesk::config::Settings) {
    move |s| {
        s.mail.transport = MailTransport::Smtp;
        s.mail.smtp.host = "127.0.0.1".into();
        s.mail.smtp.port = port;
        s.mail.smtp.tls = SmtpTls::None;
        s.mail.smtp.timeout_seconds = 5;
    }
}

async fn smtp_app(backend: Backend, port: u16) -> Option<TestApp> {
    spawn_app_with(backend, via_smtp(port)).await
}

async fn notifications_arrive_with_recipients_subjects_and_both_parts(backend: Backend) {
    let server = SmtpServer::start();
    let Some(app) = smtp_app(backend, server.port).await else { return };
    let cast = app.cast();
    app.file(&cast.ann, "Fix <b>footer</b> & header", "Broken link on /about", "bug").await;
    app.post("/api/v1/requests/CR-1/assign", &cast.ada, json!({ "assignee": "ian@example.org" })).await.ok();
    app.set_status(&cast.ian, "CR-1", "acknowledged", None).await.ok();
    app.comment(&cast.ian, "CR-1", "Internal: CDN issue", true).await.ok();
    app.comment(&cast.ian, "CR-1", "Fixed in the next deploy", false).await.ok();
    app.comment(&cast.ann, "CR-1", "Thanks!", false).await.ok();

    let sent = app.dispatch_mail_at("2026-11-16T09:00:00Z").await;
    assert_eq!((sent.sent, sent.retrying, sent.failed), (4, 0, 0));
    let got = server.messages();
    let summary: Vec<(String, String)> =
        got.iter().map(|m| (m.header("To").unwrap(), m.header("Subject").unwrap())).collect();
    let expected = [
        ("it-web@example.org", "[CR-1] New request for IT web operations: Fix <b>footer</b> & header"),
        ("ian@example.org", "[CR-1] Assigned to you: Fix <b>footer</b> & header"),
        ("ann@example.org", "[CR-1] Acknowledged: Fix <b>footer</b> & header"),
        ("ann@example.org", "[CR-1] New comment: Fix <b>footer</b> & header"),
    ];
    let mut summary_sorted = summary.clone();
    summary_sorted.sort();
    let mut expected: Vec<(String, String)> = expected.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    expected.sort();
    assert_eq!(summary_sorted, expected, "internal notes and the requester's own comment send nothing");
    for m in &got {
        assert!(m.has_part("multipart/alternative"), "{}", m.raw);
        assert!(m.has_part("text/plain") && m.has_part("text/html"), "{}", m.raw);
        assert!(m.raw.contains("http://127.0.0.1:8080/requests/CR-1"), "links back to the request");
        assert!(!m.raw.contains("<b>footer</b> &amp;") || m.raw.contains("&lt;b&gt;") || m.raw.contains("&#60;b&#62;"));
        assert_eq!(m.header("From").unwrap(), "changedesk <changedesk@localhost>");
    }
    let ids: Vec<String> = got.iter().map(|m| m.header("Message-ID").unwrap()).collect();
    let mut outbox_ids: Vec<String> = app.outbox().into_iter().map(|r| r.message_id).collect();
    outbox_ids.sort();
    let mut sorted_ids = ids.clone();
    sorted_ids.sort();
    assert_eq!(sorted_ids, outbox_ids, "each message carries its outbox Message-ID");
    assert_eq!(app.dispatch_mail_at("2026-11-16T10:00:00Z").await, Default::default(), "nothing twice");
}

async fn with_the_server_down_requests_are_accepted_and_mail_arrives_once_when_it_is_back(backend: Backend) {
    let port = free_port();
    let Some(app) = smtp_app(backend, port).await else { return };
    let cast = app.cast();
    for i in 0..3 {
        app.file(&cast.ann, &format!("Request {i}"), "d", "content").await;
    }
    let first = app.dispatch_mail_at("2026-11-16T09:00:00Z").await;
    assert_eq!((first.sent, first.retrying), (0, 3));
    assert!(
        app.outbox()
            .iter()
            .all(|m| m.status == "pending" && m.last_error.as_deref().is_some_and(|e| e.contains("SMTP")))
    );

    let server = SmtpServer::start_on(port);
    assert_eq!(app.dispatch_mail_at("2026-11-16T09:00:10Z").await.sent, 0, "not due before the backoff");
    // Two dispatchers at once once the retries are due: each message goes out once.
    let (a, b) = futures_util::future::join(
        app.dispatch_mail_at("2026-11-16T09:02:00Z"),
        app.dispatch_mail_at("2026-11-16T09:02:00Z"),
    )
    .await;
    assert_eq!(a.sent + b.sent, 3);
    assert_eq!(app.dispatch_mail_at("2026-11-16T10:00:00Z").await.sent, 0);
    let got = server.messages();
    assert_eq!(got.len(), 3, "every message arrives exactly once");
    assert!(app.outbox().iter().all(|m| m.status == "sent" && m.attempts == 2));
}

async fn a_message_that_keeps_failing_is_parked_for_an_admin_to_retry(backend: Backend) {
    let port = free_port();
    let Some(app) = spawn_app_with(backend, |s| {
        via_smtp(port)(s);
        s.mail.outbox.max_attempts = 2;
    })
    .await
    else {
        return;
    };
    let cast = app.cast();
    app.file(&cast.ann, "Hero image", "d", "content").await;
    assert_eq!(app.dispatch_mail_at("2026-11-16T09:00:00Z").await.retrying, 1);
    assert_eq!(app.dispatch_mail_at("2026-11-16T09:05:00Z").await.failed, 1);
    let failed = app.get("/api/v1/mail?status=failed", &cast.ada).await.ok();
    assert_eq!(failed.as_array().unwrap().len(), 1);
    assert!(failed[0]["last_error"].as_str().unwrap().contains("SMTP"));
    assert_eq!(failed[0]["attempts"], 2);
    app.get("/api/v1/mail?status=failed", &cast.ian).await.assert_error(403, "forbidden");
    app.get("/api/v1/mail?status=lost", &cast.ada).await.assert_error(422, "validation_failed");
    assert_eq!(app.dispatch_mail_at("2026-11-17T09:00:00Z").await, Default::default(), "parked, not retried");

    let id = failed[0]["id"].as_str().unwrap();
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_changedesk"))
            .args(args)
            .env("DATABASE_URL", &app.database_url)
            .output()
            .unwrap()
    };
    let listed = cli(&["mail", "list", "--failed"]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains(id) && listed.contains("failed") && listed.contains("last error: SMTP"), "{listed}");
    assert!(!cli(&["mail", "retry", "no-such-id"]).status.success());

    let server = SmtpServer::start_on(port);
    app.clock.set(time("2026-11-17T09:00:00Z"));
    let retried = app.call(Method::POST, &format!("/api/v1/mail/{id}/retry"), Some(&cast.ada), None).await;
    assert_eq!(retried.status.as_u16(), 204);
    app.call(Method::POST, &format!("/api/v1/mail/{id}/retry"), Some(&cast.ada), None)
        .await
        .assert_error(404, "not_found");
    assert_eq!(app.dispatch_mail_at("2026-11-17T09:00:00Z").await.sent, 1);
    assert_eq!(server.messages().len(), 1);
}

#[tokio::test]
async fn notifications_arrive_over_smtp_on_sqlite() {
    notifications_arrive_with_recipients_subjects_and_both_parts(Backend::Sqlite).await
}
#[tokio::test]
async fn notifications_arrive_over_smtp_on_postgres() {
    notifications_arrive_with_recipients_subjects_and_both_parts(Backend::Postgres).await
}
#[tokio::test]
async fn smtp_down_then_back_delivers_each_message_once_on_sqlite() {
    with_the_server_down_requests_are_accepted_and_mail_arrives_once_when_it_is_back(Backend::Sqlite).await
}
#[tokio::test]
async fn smtp_down_then_back_delivers_each_message_once_on_postgres() {
    with_the_server_down_requests_are_accepted_and_mail_arrives_once_when_it_is_back(Backend::Postgres).await
}
#[tokio::test]
async fn failing_mail_is_parked_and_retried_by_an_admin_on_sqlite() {
    a_message_that_keeps_failing_is_parked_for_an_admin_to_retry(Backend::Sqlite).await
}
#[tokio::test]
async fn failing_mail_is_parked_and_retried_by_an_admin_on_postgres() {
    a_message_that_keeps_failing_is_parked_for_an_admin_to_retry(Backend::Postgres).await
}

on_both_backends! {
    async fn a_message_claimed_by_a_sender_that_crashed_is_resent_as_the_same_message(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Hero image", "d", "content").await;
        let queued = app.outbox().remove(0);
        // A sender claims it and dies before marking it sent.
        let mut conn = app.pool.get().unwrap();
        let claimed = changedesk::db::claim_mail_batch(
            &mut conn,
            std::slice::from_ref(&queued.id),
            time("2026-11-16T09:00:00Z").naive_utc(),
            time("2026-11-16T09:10:00Z").naive_utc(),
        )
        .unwrap();
        assert_eq!(claimed.len(), 1);
        let again = changedesk::db::claim_mail_batch(
            &mut conn,
            std::slice::from_ref(&queued.id),
            time("2026-11-16T09:01:00Z").naive_utc(),
            time("2026-11-16T09:11:00Z").naive_utc(),
        )
        .unwrap();
        assert!(again.is_empty(), "a second sender does not get a message under another's lease");
        assert_eq!(app.dispatch_mail_at("2026-11-16T09:05:00Z").await.sent, 0, "still leased to the first sender");
        assert_eq!(app.dispatch_mail_at("2026-11-16T09:11:00Z").await.sent, 1, "the lease ran out: sent again");
        let files = read_maildir(&app.settings.mail.file_dir);
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].header("Message-ID").unwrap(), queued.message_id, "the same message, not a new one");
        assert_eq!(app.outbox()[0].attempts, 2);
    }

    async fn a_mail_file_that_cannot_be_written_is_retried_and_counted_without_a_claim(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Hero image", "d", "content").await;
        let queued = app.outbox().len();
        assert!(queued > 0);
        // The mail folder's path taken by a plain file: no message can be written.
        let dir = app.settings.mail.file_dir.clone();
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::write(&dir, b"not a folder").unwrap();
        let failed = app.dispatch_mail_at("2026-11-16T09:00:00Z").await;
        assert_eq!((failed.sent, failed.retrying, failed.failed), (0, queued, 0));
        for m in app.outbox() {
            assert_eq!((m.status.as_str(), m.attempts), ("pending", 1), "{m:?}");
            assert!(m.last_error.as_deref().is_some_and(|e| e.contains("file transport")), "{m:?}");
        }
        assert_eq!(app.dispatch_mail_at("2026-11-16T09:00:05Z").await.sent, 0, "not before the backoff");
        // The folder back: each message written once, its second attempt counted.
        std::fs::remove_file(&dir).unwrap();
        assert_eq!(app.dispatch_mail_at("2026-11-16T10:00:00Z").await.sent, queued);
        assert!(app.outbox().iter().all(|m| m.status == "sent" && m.attempts == 2 && m.last_error.is_none()));
        assert_eq!(read_maildir(&dir).len(), queued);
        assert_eq!(app.dispatch_mail_at("2026-11-16T11:00:00Z").await.sent, 0, "sent is sent");
    }

    async fn escalations_are_mailed_with_their_level_and_held_until_business_hours(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Footer link broken", "404 on /about", "bug").await;
        assert_eq!(app.sweep_at("2026-11-16T14:30:00Z"), 2);
        let afternoon = app.dispatch_mail_at("2026-11-16T14:30:00Z").await;
        assert_eq!(afternoon.sent, 3, "the new-request mail, at risk and breached, inside hours");
        assert_eq!(app.sweep_at("2026-11-16T18:30:00Z"), 1);
        let escalations: Vec<_> = app.outbox().into_iter().filter(|m| m.kind == "escalation").collect();
        let mut subjects: Vec<(&str, &str)> =
            escalations.iter().map(|m| (m.subject.as_str(), m.recipients.as_str())).collect();
        subjects.sort();
        assert_eq!(subjects, [
            ("[CR-1] [AT RISK] Footer link broken", "[\"it-web@example.org\"]"),
            ("[CR-1] [BREACHED] Footer link broken", "[\"cio@example.org\",\"cmo@example.org\"]"),
            ("[CR-1] [BREACHED] Footer link broken", "[\"it-lead@example.org\"]"),
        ]);
        let twice = escalations.iter().find(|m| m.recipients.contains("cio")).unwrap();
        assert!(twice.text_body.contains("Target: 240 minutes of it-hours"), "{}", twice.text_body);
        assert!(twice.text_body.contains("Owner: team it, unassigned"), "{}", twice.text_body);
        assert!(twice.text_body.contains("Counted so far: 480 minutes"), "{}", twice.text_body);

        // The level-3 mail, recorded after hours, waits for Tuesday's 08:00 opening.
        assert_eq!(app.dispatch_mail_at("2026-11-16T18:30:00Z").await.sent, 0);
        let files = std::fs::read_dir(&app.settings.mail.file_dir).unwrap().count();
        assert_eq!(files, 3, "one .eml per message");
        assert_eq!(app.dispatch_mail_at("2026-11-17T07:59:00Z").await.sent, 0);
        assert_eq!(app.dispatch_mail_at("2026-11-17T08:00:00Z").await.sent, 1);
        let eml = read_maildir_like(&app.settings.mail.file_dir);
        assert!(eml.iter().any(|m| m.contains("Subject: [CR-1] [BREACHED] Footer link broken") && m.contains("cio@example.org")));
        app.sweep_at("2026-11-17T09:00:00Z");
        assert_eq!(app.outbox().iter().filter(|m| m.kind == "escalation").count(), 3, "no escalation mailed twice");
    }
}

fn read_maildir_like(dir: &std::path::Path) -> Vec<String> {
    read_maildir(dir).into_iter().map(|m| m.raw).collect()
}
