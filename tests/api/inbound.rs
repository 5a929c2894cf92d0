//! Replies by mail through `changedesk mailgate` (a mail server's pipe): a reply to one of
//! changedesk's mails becomes a comment from its sender with the quoted mail cut off and its
//! files attached; the same message twice is one comment; forged, unthreaded and automatic
//! mail is kept as rejected with its reason; an oversized message exits 65.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::helpers::*;
use crate::on_both_backends;

/// Pipes `message` to `changedesk mailgate`; its exit code.
fn mailgate(app: &TestApp, message: &str, extra_env: &[(&str, &str)]) -> i32 {
    let mut child = Command::new(env!("CARGO_BIN_EXE_changedesk"))
        .arg("mailgate")
        .env("DATABASE_URL", &app.database_url)
        .envs(extra_env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A mail server may stop feeding a message the gate has refused: a closed pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(message.replace('\n', "\r\n").as_bytes());
    let out = child.wait_with_output().unwrap();
    out.status.code().unwrap_or(-1)
}

/// A reply from `from` naming `in_reply_to` (an outbox Message-ID, with its brackets).
fn reply(from: &str, message_id: &str, in_reply_to: Option<&str>, extra_headers: &str, body: &str) -> String {
    let threading = in_reply_to.map_or(String::new(), |id| format!("In-Reply-To: {id}\nReferences: {id}\n"));
    format!(
        "From: Someone <{from}>\nTo: changedesk <changedesk@example.org>\nSubject: Re: [CR-1] New comment: Footer link broken\n\
         Message-ID: {message_id}\nDate: Mon, 16 Nov 2026 10:30:00 +0000\n{threading}{extra_headers}MIME-Version: 1.0\n\
         Content-Type: text/plain; charset=utf-8\n\n{body}"
    )
}

const QUOTED: &str = "Yes, the /about page. Thanks!\n\nOn Mon, 16 Nov 2026 at 10:00, changedesk <changedesk@example.org> wrote:\n> Fixed on staging\n> Is it the footer on /about?\n";

on_both_backends! {
    async fn a_reply_by_mail_becomes_one_comment_and_anything_else_is_kept_as_rejected(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Footer link broken", "404 on /about", "bug").await;
        app.comment(&cast.ian, "CR-1", "Fixed on staging", false).await.ok();
        let sent = app.outbox().into_iter().find(|m| m.recipients.contains("ann@example.org")).expect("ann was mailed");
        let to_ann = sent.message_id.clone();

        // Ann's reply: the quoted mail is cut off; delivered twice, it is one comment.
        let message = reply("ann@example.org", "<reply-1@mail.example.org>", Some(&to_ann), "", QUOTED);
        assert_eq!(mailgate(&app, &message, &[]), 0);
        assert_eq!(mailgate(&app, &message, &[]), 0);
        let r = app.get("/api/v1/requests/CR-1", &cast.ian).await.ok();
        assert_eq!(comments(&r), [
            ("ian@example.org".to_owned(), "Fixed on staging".to_owned()),
            ("ann@example.org".to_owned(), "Yes, the /about page. Thanks!".to_owned()),
        ]);

        // Bob takes the same thread: the mail was not sent to him. No threading at all, an
        // auto-reply and an unknown sender: all kept, none used.
        assert_eq!(mailgate(&app, &reply("bob@example.org", "<forged@evil.example>", Some(&to_ann), "", "Let me in"), &[]), 0);
        assert_eq!(mailgate(&app, &reply("ann@example.org", "<no-thread@mail.example.org>", None, "", "About CR-1"), &[]), 0);
        let away = reply("ann@example.org", "<away@mail.example.org>", Some(&to_ann), "Auto-Submitted: auto-replied\n", "I am away");
        assert_eq!(mailgate(&app, &away, &[]), 0);
        assert_eq!(comments(&app.get("/api/v1/requests/CR-1", &cast.ian).await.ok()).len(), 2, "none of them a comment");

        // A message over the size limit: 65, and kept as rejected with its headers.
        let big = reply("ann@example.org", "<big@mail.example.org>", Some(&to_ann), "", &"x".repeat(4096));
        assert_eq!(mailgate(&app, &big, &[("CHANGEDESK__MAIL__INBOUND__MAX_BYTES", "2048")]), 65);

        let rejected = app.get("/api/v1/mail/rejected", &cast.ada).await.ok();
        let reasons: Vec<(&str, &str)> = rejected.as_array().unwrap().iter()
            .map(|m| (m["message_id"].as_str().unwrap(), m["reason"].as_str().unwrap())).collect();
        let reason = |id: &str| reasons.iter().find(|(m, _)| *m == id).map(|(_, r)| *r).unwrap_or_else(|| panic!("{id} not kept: {reasons:?}"));
        assert_eq!(reason("<forged@evil.example>"), "not a reply to mail changedesk sent to bob@example.org, nor mail to an intake address");
        assert_eq!(reason("<no-thread@mail.example.org>"), "not a reply to mail changedesk sent to ann@example.org, nor mail to an intake address");
        assert!(reason("<away@mail.example.org>").starts_with("an automatic mail (Auto-Submitted)"));
        assert!(reason("<big@mail.example.org>").starts_with("over the size limit"));
        app.get("/api/v1/mail/rejected", &cast.ian).await.assert_error(403, "forbidden");
    }

    async fn a_reply_by_mail_brings_its_files(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Footer link broken", "404 on /about", "bug").await;
        app.comment(&cast.ian, "CR-1", "Which footer?", false).await.ok();
        let to_ann = app.outbox().into_iter().find(|m| m.recipients.contains("ann@example.org")).unwrap().message_id;
        let message = format!(
            "From: Ann <ann@example.org>\nTo: changedesk@example.org\nSubject: Re: [CR-1]\nMessage-ID: <files-1@mail.example.org>\n\
             In-Reply-To: {to_ann}\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1\"\n\n\
             --b1\nContent-Type: text/plain; charset=utf-8\n\nThis one, see the screenshot.\n\
             --b1\nContent-Type: image/png\nContent-Disposition: attachment; filename=\"footer.png\"\nContent-Transfer-Encoding: base64\n\n\
             iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==\n--b1--\n"
        );
        assert_eq!(mailgate(&app, &message, &[]), 0);
        let files = app.get("/api/v1/requests/CR-1/attachments", &cast.ian).await.ok();
        assert_eq!((files[0]["name"].as_str(), files[0]["content_type"].as_str()), (Some("footer.png"), Some("image/png")));
        let r = app.get("/api/v1/requests/CR-1", &cast.ian).await.ok();
        let comment = r["events"].as_array().unwrap().iter().rfind(|e| e["type"] == "commented").unwrap();
        assert_eq!(comment["data"]["body"], "This one, see the screenshot.");
        assert_eq!(files[0]["event_id"], comment["id"]);
    }
}

on_both_backends! {
    async fn a_mail_loop_stops_at_the_senders_hourly_limit_and_admins_see_what_was_kept(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Footer link broken", "404 on /about", "bug").await;
        app.comment(&cast.ian, "CR-1", "Fixed on staging", false).await.ok();
        let to_ann = app.outbox().into_iter().find(|m| m.recipients.contains("ann@example.org")).unwrap().message_id;
        let limit = [("CHANGEDESK__MAIL__INBOUND__PER_SENDER_PER_HOUR", "3")];
        for n in 0..4 {
            let message = reply("ann@example.org", &format!("<loop-{n}@mail.example.org>"), Some(&to_ann), "", &format!("Thanks ({n})"));
            assert_eq!(mailgate(&app, &message, &limit), 0);
        }
        let r = app.get("/api/v1/requests/CR-1", &cast.ian).await.ok();
        assert_eq!(comments(&r).len(), 1 + 3, "ian's, and three of ann's four");
        let rejected = app.get("/api/v1/mail/rejected", &cast.ada).await.ok();
        assert_eq!(rejected[0]["reason"], "more than 3 messages from ann@example.org in an hour (a mail loop?)");

        crate::pages::person(&app, "adm@example.org", changedesk::domain::Role::Admin, &[]);
        let mut adm = crate::pages::Visitor::new(&app);
        adm.sign_in("adm@example.org").await;
        let page = adm.get("/admin/mail").await;
        assert!(page.body.contains("Received but not used") && page.body.contains("a mail loop?"), "{}", page.body);
    }
}
