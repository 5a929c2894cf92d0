//! The IMAP worker of `changedesk serve`, against real servers on loopback: a notice goes out
//! by SMTP (aiosmtpd), the reply is put in the IMAP box (dovecot), the worker turns it into a
//! comment with its file and moves it to the done folder; the worker lives through the IMAP
//! server restarting; a message delivered twice (by the pipe and by IMAP) is one comment; a
//! message over the size limit is kept as rejected; one instance at a time holds the mailbox.

use std::time::{Duration, Instant};

use changedesk::config::{ImapSettings, ImapTls, Secret, Settings};
use changedesk::db::{take_lease, to_db};
use serde_json::Value;

use crate::helpers::*;
use crate::imap_server::ImapServer;
use crate::smtp::SmtpServer;

const DONE: &str = "changedesk-done";

fn with_servers(s: &mut Settings, smtp: u16, imap: &ImapServer) {
    s.mail.inbound.address = Some("desk@example.org".into());
    s.mail.transport = changedesk::config::MailTransport::Smtp;
    s.mail.smtp.host = "127.0.0.1".into();
    s.mail.smtp.port = smtp;
    s.mail.smtp.tls = changedesk::config::SmtpTls::None;
    s.mail.imap = Some(ImapSettings {
        host: "127.0.0.1".into(),
        port: imap.port,
        tls: ImapTls::None,
        username: imap.user.clone(),
        password: Secret::new(&imap.password),
        mailbox: "INBOX".into(),
        done_folder: DONE.into(),
        poll_seconds: 2,
        timeout_seconds: 5,
        lease_seconds: 30,
    });
}

/// Waits for `ready` (the worker runs beside the test), failing after 30 s.
async fn eventually<F: Future<Output = bool>>(what: &str, ready: impl Fn() -> F) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready().await {
        assert!(Instant::now() < deadline, "{what}: not within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn comment_events(r: &Value) -> Vec<Value> {
    r["events"].as_array().unwrap().iter().filter(|e| e["type"] == "commented").cloned().collect()
}

const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

fn reply_with_file(from: &str, to: &str, in_reply_to: &str, message_id: &str, text: &str) -> Vec<u8> {
    format!(
        "From: Ann <{from}>\nTo: {to}\nSubject: Re: [CR-1] New comment\nMessage-ID: {message_id}\n\
         In-Reply-To: {in_reply_to}\nReferences: {in_reply_to}\nDate: Mon, 16 Nov 2026 10:30:00 +0000\nMIME-Version: 1.0\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\n{text}\n\n\
         On Mon, 16 Nov 2026 at 10:00, changedesk <changedesk@localhost> wrote:\n> Which footer?\n\
         --b1\nContent-Type: image/png\nContent-Disposition: attachment; filename=\"footer.png\"\n\
         Content-Transfer-Encoding: base64\n\n{PNG}\n--b1--\n"
    )
    .replace('\n', "\r\n")
    .into_bytes()
}

async fn a_reply_in_the_imap_box_becomes_a_comment_with_its_file(backend: Backend) {
    let smtp = SmtpServer::start();
    let imap = ImapServer::start();
    let Some(app) = spawn_app_with(backend, |s| with_servers(s, smtp.port, &imap)).await else { return };
    let cast = app.cast();
    let filed = app.file(&cast.ann, "Footer link broken", "404 on /about", "bug").await;
    let id = filed["id"].as_str().unwrap().to_owned();
    app.comment(&cast.ian, "CR-1", "Which footer?", false).await.ok();
    assert_eq!(app.dispatch_mail_at("2026-11-16T09:05:00Z").await.sent, 2, "the team's notice and ann's update");

    // What reached Ann by SMTP: her own reply address, and the request's thread.
    let sent = smtp.messages();
    let to_ann = sent.iter().find(|m| m.header("To").unwrap().contains("ann@example.org")).expect("ann's mail");
    let to_team = sent.iter().find(|m| m.header("To").unwrap().contains("it-web@example.org")).expect("the team's");
    let root = format!("<request-{id}@127.0.0.1>");
    for m in [to_ann, to_team] {
        assert_eq!(m.header("References").as_deref(), Some(root.as_str()), "one thread");
        assert!(m.header("Subject").unwrap().starts_with("[CR-1] "));
    }
    let reply_to = to_ann.header("Reply-To").unwrap();
    assert!(reply_to.starts_with("desk+"), "{reply_to}");

    // Ann answers from her mail client; the message lands in the IMAP box.
    let message_id = to_ann.header("Message-ID").unwrap();
    let reply =
        reply_with_file("ann@example.org", &reply_to, &message_id, "<imap-1@mail.example.org>", "The one on /about.");
    imap.append("INBOX", &reply).await;
    eventually("ann's reply as a comment", || async {
        comment_events(&app.get("/api/v1/requests/CR-1", &cast.ian).await.ok()).len() == 2
    })
    .await;
    let r = app.get("/api/v1/requests/CR-1", &cast.ian).await.ok();
    let comment = comment_events(&r).pop().unwrap();
    assert_eq!(
        (comment["actor"]["email"].as_str(), comment["data"]["body"].as_str()),
        (Some("ann@example.org"), Some("The one on /about."))
    );
    let files = app.get("/api/v1/requests/CR-1/attachments", &cast.ian).await.ok();
    assert_eq!((files[0]["name"].as_str(), &files[0]["event_id"]), (Some("footer.png"), &comment["id"]));
    eventually("the reply moved to the done folder", || async {
        imap.messages("INBOX").await.is_empty() && imap.messages(DONE).await.len() == 1
    })
    .await;
}

#[tokio::test]
async fn a_reply_in_the_imap_box_becomes_a_comment_with_its_file_on_sqlite() {
    a_reply_in_the_imap_box_becomes_a_comment_with_its_file(Backend::Sqlite).await
}

#[tokio::test]
async fn a_reply_in_the_imap_box_becomes_a_comment_with_its_file_on_postgres() {
    a_reply_in_the_imap_box_becomes_a_comment_with_its_file(Backend::Postgres).await
}

async fn the_worker_outlives_a_restart_and_takes_each_message_once(backend: Backend) {
    let smtp = SmtpServer::start();
    let mut imap = ImapServer::start();
    let Some(app) = spawn_app_with(backend, |s| with_servers(s, smtp.port, &imap)).await else { return };
    let cast = app.cast();
    app.file(&cast.ann, "Footer link broken", "404 on /about", "bug").await;
    app.comment(&cast.ian, "CR-1", "Which footer?", false).await.ok();
    let to_ann = app.outbox().into_iter().find(|m| m.recipients.contains("ann@example.org")).unwrap().message_id;
    // The worker is connected (it made its done folder); the server goes away and comes back.
    eventually("the worker's done folder", || async {
        let mut session = imap.session().await;
        let names: Vec<_> =
            futures_util::TryStreamExt::try_collect(session.list(Some(""), Some("*")).await.unwrap()).await.unwrap();
        names.iter().any(|n| n.name() == DONE)
    })
    .await;
    imap.stop();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    imap.start_again();
    let first = reply_with_file(
        "ann@example.org",
        "desk@example.org",
        &to_ann,
        "<after-restart@mail.example.org>",
        "After the restart.",
    );
    imap.append("INBOX", &first).await;
    eventually("the reply sent after the restart", || async {
        comment_events(&app.get("/api/v1/requests/CR-1", &cast.ian).await.ok()).len() == 2
    })
    .await;

    // Delivered twice: the mail server's pipe took it, then it also lands in the box (or the
    // worker stopped between taking it in and moving it). One comment; both copies moved.
    let twice = reply_with_file("ann@example.org", "desk@example.org", &to_ann, "<twice@mail.example.org>", "Twice.");
    assert!(matches!(
        app.receive(&String::from_utf8(twice.clone()).unwrap()),
        changedesk::service::inbound::Outcome::Commented(_)
    ));
    imap.append("INBOX", &twice).await;
    imap.append("INBOX", &first).await;
    // A message over the size limit (25 MiB): kept as rejected, by its headers, and moved.
    let mut big = reply_with_file("ann@example.org", "desk@example.org", &to_ann, "<big@mail.example.org>", "Big.");
    big.extend(std::iter::repeat_n(b'x', 30 * 1024 * 1024));
    imap.append("INBOX", &big).await;
    eventually("the box emptied", || async { imap.messages("INBOX").await.is_empty() }).await;
    assert_eq!(imap.messages(DONE).await.len(), 4);
    assert_eq!(
        comment_events(&app.get("/api/v1/requests/CR-1", &cast.ian).await.ok()).len(),
        3,
        "ian's, and one each of the two"
    );
    let rejected = app.get("/api/v1/mail/rejected", &cast.ada).await.ok();
    let big = rejected.as_array().unwrap().iter().find(|m| m["message_id"] == "<big@mail.example.org>").expect("kept");
    assert!(big["reason"].as_str().unwrap().starts_with("over the size limit"), "{big}");
    assert!(big["size"].as_i64().unwrap() > 30 * 1024 * 1024);
}

#[tokio::test]
async fn the_worker_outlives_a_restart_and_takes_each_message_once_on_sqlite() {
    the_worker_outlives_a_restart_and_takes_each_message_once(Backend::Sqlite).await
}

#[tokio::test]
async fn the_worker_outlives_a_restart_and_takes_each_message_once_on_postgres() {
    the_worker_outlives_a_restart_and_takes_each_message_once(Backend::Postgres).await
}

crate::on_both_backends! {
    async fn one_instance_at_a_time_holds_the_mailbox(app: TestApp) {
        let mut conn = app.pool.get().unwrap();
        let at = |minutes: i64| to_db(time("2026-11-16T09:00:00Z") + chrono::TimeDelta::minutes(minutes));
        let mut take = |holder: &str, now: i64| {
            changedesk::db::write_tx(&mut conn, |c| take_lease(c, "test-box", holder, at(now), at(now + 2))).unwrap()
        };
        assert!(take("a", 0), "free: a takes it");
        assert!(!take("b", 1), "held by a");
        assert!(take("a", 1), "a renews it (until 3)");
        assert!(!take("b", 2));
        assert!(take("b", 3), "expired: b takes it over");
        assert!(!take("a", 4), "a lost it");
    }
}
