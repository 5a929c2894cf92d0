//! Conversations by mail beyond the plain reply (tests/api/inbound.rs): per-recipient reply
//! addresses, watchers (on the form, by CC, replying without an account), the receipt on
//! filing, new requests mailed to a team's intake address, and replies written by real mail
//! clients (tests/fixtures/mail, a published corpus; see its README for sources and licences).

use changedesk::config::{IntakeAddress, Settings};
use changedesk::mail::reply::ReplyAddresses;
use changedesk::service::inbound::Outcome;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::on_both_backends_with;

/// Replies to desk@example.org, two intake addresses, people of example.org welcome.
fn mail_in(s: &mut Settings) {
    s.mail.inbound.address = Some("desk@example.org".into());
    s.mail.inbound.allowed_domains = vec!["example.org".into()];
    s.mail.inbound.intake = vec![
        IntakeAddress { address: "web-marketing@example.org".into(), team: "marketing".into(), category: None },
        IntakeAddress { address: "seo@example.org".into(), team: "marketing".into(), category: Some("seo".into()) },
    ];
    s.mail.confirm_filing = true;
}

fn reply_addresses(app: &TestApp) -> ReplyAddresses {
    let mut conn = app.pool.get().unwrap();
    changedesk::service::inbound::reply_addresses(&mut conn, &app.settings, app.clock.now()).unwrap().unwrap()
}

/// A plain text message.
fn mail(from: &str, to: &str, headers: &str, subject: &str, body: &str) -> String {
    format!(
        "From: {from}\nTo: {to}\n{headers}Subject: {subject}\nMessage-ID: <{}@mail.example.org>\n\
         Date: Mon, 16 Nov 2026 10:30:00 +0000\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n{body}\n",
        uuid::Uuid::now_v7()
    )
}

fn rejected(outcome: Outcome) -> String {
    match outcome {
        Outcome::Rejected(why) => why,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

on_both_backends_with! {
    async fn each_recipient_replies_by_an_address_of_their_own(app: TestApp) with mail_in; {
        let cast = app.cast();
        let filed = app.file(&cast.ann, "Footer link broken", "404 on /about", "bug").await;
        let id = filed["id"].as_str().unwrap();
        let addresses = reply_addresses(&app);
        let anns = addresses.for_recipient(id, "ann@example.org");
        assert!(anns.starts_with("desk+") && anns.ends_with("@example.org"), "{anns}");

        // Ann's reply to her own address, without any threading header (some clients drop them).
        let outcome = app.receive(&mail("Ann <ann@example.org>", &anns, "", "Re: [CR-1] Received", "It is the footer on /about."));
        assert_eq!(outcome, Outcome::Commented("CR-1".into()));
        // Bob uses Ann's address (a forwarded mail): refused, as is a token changed by one digit.
        let why = rejected(app.receive(&mail("bob@example.org", &anns, "", "Re: [CR-1]", "Me too")));
        assert!(why.starts_with("a reply address not made for bob@example.org"), "{why}");
        let (head, tail) = anns.split_once('@').unwrap();
        let flipped = if head.ends_with('0') { '1' } else { '0' };
        let forged = format!("{}{flipped}@{tail}", &head[..head.len() - 1]);
        let why = rejected(app.receive(&mail("ann@example.org", &forged, "", "Re: [CR-1]", "Again")));
        assert!(why.starts_with("a reply address not made for ann@example.org"), "{why}");
        let r = app.get("/api/v1/requests/CR-1", &cast.ian).await.ok();
        assert_eq!(comments(&r), [("ann@example.org".to_owned(), "It is the footer on /about.".to_owned())]);

        // Sent mail carries each recipient's own Reply-To, one message per recipient.
        app.post("/api/v1/requests/CR-1/watchers", &cast.ann, json!({ "email": "carl@example.org" })).await.ok();
        app.comment(&cast.ian, "CR-1", "Which footer?", false).await.ok();
        app.dispatch_mail_at("2026-11-16T09:05:00Z").await;
        let update = app.outbox().into_iter().find(|m| m.kind == "commented").unwrap();
        let mut seen = Vec::new();
        for n in 0..2 {
            let eml = std::fs::read(app.settings.mail.file_dir.join(format!("{}.{n}.eml", update.id))).unwrap();
            let parsed = mail_parser::MessageParser::default().parse(&eml).unwrap();
            let to = parsed.to().unwrap().first().unwrap().address().unwrap().to_owned();
            let reply_to = parsed.reply_to().unwrap().first().unwrap().address().unwrap().to_owned();
            assert_eq!(reply_to, addresses.for_recipient(id, &to));
            seen.push(to);
        }
        seen.sort();
        assert_eq!(seen, ["ann@example.org", "carl@example.org"]);

        // The team's notice went to its shared address: Ian, a member, answers it from his own
        // address (an answer from the team); Mia, of another team, cannot.
        let teams = addresses.for_recipient(id, "it-web@example.org");
        let why = rejected(app.receive(&mail("mia@example.org", &teams, "", "Re: [CR-1] New request", "Mine?")));
        assert!(why.starts_with("a reply address not made for mia@example.org"), "{why}");
        let outcome = app.receive(&mail("ian@example.org", &teams, "", "Re: [CR-1] New request", "On it."));
        assert_eq!(outcome, Outcome::Commented("CR-1".into()));
        let r = app.get("/api/v1/requests/CR-1", &cast.ian).await.ok();
        assert_eq!(comments(&r).last().unwrap(), &("ian@example.org".to_owned(), "On it.".to_owned()));

        // An agent's reply by mail is the team's answer: on a new request, its first response.
        let second = app.file(&cast.bob, "Checkout 500", "On submit", "bug").await;
        let teams = addresses.for_recipient(second["id"].as_str().unwrap(), "it-web@example.org");
        app.clock.advance(chrono::TimeDelta::minutes(20));
        let outcome = app.receive(&mail("ian@example.org", &teams, "", "Re: [CR-2] New request", "Looking at it now."));
        assert_eq!(outcome, Outcome::Commented("CR-2".into()));
        let r = app.get("/api/v1/requests/CR-2", &cast.ian).await.ok();
        assert_eq!(r["first_response_at"], "2026-11-16T09:20:00Z", "the mail's time, 20 minutes after filing");
    }
}

on_both_backends_with! {
    async fn watchers_named_on_filing_or_copied_in_reply_without_an_account(app: TestApp) with mail_in; {
        let cast = app.cast();
        let filed = app
            .post("/api/v1/requests", &cast.ann, json!({
                "title": "New hero image", "description": "For the spring campaign", "category": "content",
                "watchers": ["Carl@Example.org", "carl@example.org", "dora@example.org"],
            }))
            .await
            .ok();
        let key = filed["key"].as_str().unwrap();
        assert_eq!(app.get(&format!("/api/v1/requests/{key}/watchers"), &cast.ann).await.ok(), json!(["carl@example.org", "dora@example.org"]));
        // The receipt goes to Ann and her watchers, with when to expect the first response.
        let receipt = app.outbox().into_iter().find(|m| m.kind == "request_received").expect("a receipt");
        assert_eq!(receipt.recipients, r#"["ann@example.org","carl@example.org","dora@example.org"]"#);
        assert_eq!(receipt.subject, format!("[{key}] Received: New hero image"));
        assert!(receipt.text_body.contains("First response: within 4 business hours, by Mon 16 Nov 2026, 13:00 GMT"), "{}", receipt.text_body);
        let bad = app.post("/api/v1/requests", &cast.ann, json!({
            "title": "t", "description": "d", "category": "content", "watchers": ["not an address"],
        })).await;
        bad.assert_error(422, "validation_failed");
        assert_eq!(bad.body["error"]["fields"]["watchers"], "'not an address' is not an email address");

        // Carl has no account: he replies to the receipt's thread, and one is made for him.
        let thread = format!("In-Reply-To: {}\n", receipt.message_id);
        let outcome = app.receive(&mail("Carl Jones <carl@example.org>", "desk@example.org", &thread, "Re: received", "The image is in the shared drive."));
        assert_eq!(outcome, Outcome::Commented(key.into()));
        let r = app.get(&format!("/api/v1/requests/{key}"), &cast.mia).await.ok();
        assert_eq!(comments(&r), [("carl@example.org".to_owned(), "The image is in the shared drive.".to_owned())]);
        assert_eq!(r["first_response_at"], Value::Null, "a watcher speaks for the requester's side");

        // Ann answers a question of the team's, copying Erin in: Erin watches from now on; the
        // team's and changedesk's own addresses do not.
        app.comment(&cast.mia, key, "Which size?", false).await.ok();
        let question = app.outbox().into_iter().rfind(|m| m.kind == "commented").unwrap();
        let headers = format!("Cc: Erin <erin@example.org>, marketing-web@example.org, desk@example.org\nIn-Reply-To: {}\n", question.message_id);
        let outcome = app.receive(&mail("ann@example.org", "desk@example.org", &headers, "Re: question", "1600 wide"));
        assert_eq!(outcome, Outcome::Commented(key.into()));
        let watchers = app.get(&format!("/api/v1/requests/{key}/watchers"), &cast.ann).await.ok();
        assert_eq!(watchers, json!(["carl@example.org", "dora@example.org", "erin@example.org"]));

        // Someone from outside who was never mailed is refused.
        let why = rejected(app.receive(&mail("eve@elsewhere.example", "desk@example.org", &thread, "Re: received", "hi")));
        assert_eq!(why, "not a reply to mail changedesk sent to eve@elsewhere.example, nor mail to an intake address");
    }
}

on_both_backends_with! {
    async fn mail_to_a_teams_intake_address_files_a_request(app: TestApp) with mail_in; {
        let cast = app.cast();
        // Ann (an account) writes to marketing's address: category other, and no rule matches,
        // so marketing takes it (the map would give `other` to the fallback team, IT).
        let new = mail("Ann <ann@example.org>", "Web Marketing <web-marketing@example.org>", "Cc: frank@example.org\n",
            "Spring campaign banner", "Please put the new banner on the home page.\n\n-- \nAnn, Marketing");
        assert_eq!(app.receive(&new), Outcome::Filed("CR-1".into()));
        let r = app.get("/api/v1/requests/CR-1", &cast.mia).await.ok();
        assert_eq!((r["team"].as_str(), r["category"].as_str(), r["requester"]["email"].as_str()),
            (Some("marketing"), Some("other"), Some("ann@example.org")));
        assert_eq!(r["routing"]["reason"], "mailed to web-marketing@example.org, the intake address of marketing");
        assert!(r["description"].as_str().unwrap().starts_with("Please put the new banner on the home page."));
        assert_eq!(app.get("/api/v1/requests/CR-1/watchers", &cast.ann).await.ok(), json!(["frank@example.org"]));
        let receipt = app.outbox().into_iter().find(|m| m.kind == "request_received").unwrap();
        assert_eq!(receipt.recipients, r#"["ann@example.org","frank@example.org"]"#);
        let found = app.get("/api/v1/requests?q=spring%20banner", &cast.mia).await.ok();
        assert_eq!(found["items"][0]["key"], "CR-1", "indexed in the mail's transaction");

        // The rules still route: an outage mailed to marketing goes to IT.
        let outage = mail("ann@example.org", "web-marketing@example.org", "", "Site is down", "Outage on the pricing page");
        assert_eq!(app.receive(&outage), Outcome::Filed("CR-2".into()));
        let r = app.get("/api/v1/requests/CR-2", &cast.ian).await.ok();
        assert_eq!((r["team"].as_str(), r["priority"].as_str()), (Some("it"), Some("P1")));

        // An address with a category; a newcomer from an allowed domain gets an account.
        let seo = mail("Gina <gina@example.org>", "seo@example.org", "", "Meta descriptions", "For the product pages");
        assert_eq!(app.receive(&seo), Outcome::Filed("CR-3".into()));
        let r = app.get("/api/v1/requests/CR-3", &cast.mia).await.ok();
        assert_eq!((r["category"].as_str(), r["requester"]["name"].as_str()), (Some("seo"), Some("Gina")));

        // Strangers from other domains are not taken; nothing is filed.
        let why = rejected(app.receive(&mail("x@spam.example", "seo@example.org", "", "Buy links", "cheap")));
        assert_eq!(why, "x@spam.example has no account, and spam.example is not in mail.inbound.allowed_domains");
        assert_eq!(app.get("/api/v1/requests?limit=50", &cast.ada).await.ok()["items"].as_array().unwrap().len(), 3);
    }
}

/// A fixture from tests/fixtures/mail, threaded as a reply from `from` to `in_reply_to`.
fn fixture_reply(name: &str, from: &str, in_reply_to: &str) -> String {
    let raw = std::fs::read(format!("tests/fixtures/mail/{name}")).unwrap();
    let raw = String::from_utf8_lossy(&raw).replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap();
    // Keep the MIME headers (and the automatic-mail markers); replace who, what and which thread.
    let replaced =
        ["from:", "to:", "cc:", "message-id:", "in-reply-to:", "references:", "return-path:", "delivered-to:"];
    let mut kept: Vec<String> = Vec::new();
    for line in head.lines() {
        let continued = line.starts_with(' ') || line.starts_with('\t');
        if continued {
            if let Some(last) = kept.last_mut()
                && !last.is_empty()
            {
                last.push('\n');
                last.push_str(line);
            }
            continue;
        }
        let lower = line.to_ascii_lowercase();
        let drop = replaced.iter().any(|h| lower.starts_with(h))
            && !(lower.starts_with("return-path:") && line.contains("<>"));
        kept.push(if drop { String::new() } else { line.to_owned() });
    }
    let kept: Vec<String> = kept.into_iter().filter(|l| !l.is_empty()).collect();
    format!(
        "From: {from}\nTo: desk@example.org\nMessage-ID: <{name}-{}@mail.example.org>\nIn-Reply-To: {in_reply_to}\n{}\n\n{body}",
        uuid::Uuid::now_v7(),
        kept.join("\n")
    )
}

on_both_backends_with! {
    async fn replies_written_by_real_mail_clients_keep_what_was_typed(app: TestApp) with mail_in; {
        let cast = app.cast();
        app.file(&cast.ann, "Footer link broken", "404 on /about", "bug").await;
        app.comment(&cast.ian, "CR-1", "Which footer?", false).await.ok();
        let to_ann = app.outbox().into_iter().find(|m| m.kind == "commented").unwrap().message_id;
        let expected: Value = serde_json::from_str(&std::fs::read_to_string("tests/fixtures/mail/expected.json").unwrap()).unwrap();
        let squeeze = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut checked = 0;
        for (name, case) in expected.as_object().unwrap() {
            let before = comments(&app.get("/api/v1/requests/CR-1", &cast.ian).await.ok()).len();
            let outcome = app.receive(&fixture_reply(name, "ann@example.org", &to_ann));
            match case["kind"].as_str().unwrap() {
                "reply" | "forward" => {
                    assert_eq!(outcome, Outcome::Commented("CR-1".into()), "{name}");
                    let body = comments(&app.get("/api/v1/requests/CR-1", &cast.ian).await.ok()).pop().unwrap().1;
                    let want = case["expected_reply_text"].as_str().unwrap();
                    match name.as_str() {
                        // The reply parser reads English attributions only: the Russian "On …
                        // wrote:" line of this Android reply stays (docs/operations.md says so).
                        "android_reply.eml" => assert!(body.starts_with("Hello\n") && body.contains("пользователь"), "{name}: {body:?}"),
                        // Its signature line starts with "-": the parser takes it for one.
                        "top_posted_list_reply.eml" => assert_eq!(body, want.trim_end_matches("\n\n-Abhishek Kona"), "{name}"),
                        // HTML converted to text keeps the paragraphs' indentation.
                        "html_only.eml" => assert_eq!(squeeze(&body), squeeze(want), "{name}"),
                        _ => assert_eq!(body, want, "{name}"),
                    }
                }
                _ => {
                    let why = rejected(outcome);
                    assert!(why.starts_with("an automatic mail"), "{name}: {why}");
                    assert_eq!(comments(&app.get("/api/v1/requests/CR-1", &cast.ian).await.ok()).len(), before, "{name}");
                }
            }
            checked += 1;
        }
        assert!(checked >= 12, "the whole corpus ({checked})");
    }
}

on_both_backends_with! {
    async fn watchers_are_named_and_changed_on_the_pages(app: TestApp) with mail_in; {
        use crate::pages::{Visitor, person};
        let anns_token = person(&app, "ann@example.org", changedesk::domain::Role::Requester, &[]);
        person(&app, "bob@example.org", changedesk::domain::Role::Requester, &[]);
        person(&app, "cat@example.org", changedesk::domain::Role::Requester, &[]);
        let mut ann = Visitor::new(&app);
        ann.sign_in("ann@example.org").await;
        let csrf = ann.csrf("/requests/new").await;
        let filed = ann
            .post("/requests/new", &[("csrf", &csrf), ("title", "New hero image"), ("description", "For spring"),
                ("category", "content"), ("watchers", "bob@example.org, dora@example.org")])
            .await;
        assert_eq!(filed.location.as_deref(), Some("/requests/CR-1?done=filed"));
        let page = ann.get("/requests/CR-1").await;
        assert!(page.body.contains("Kept informed") && page.body.contains("bob@example.org") && page.body.contains("dora@example.org"));

        // Ann adds Erin and removes Dora; a bad address comes back saying why.
        let added = ann.post("/requests/CR-1/watchers", &[("csrf", &csrf), ("email", "erin@example.org")]).await;
        assert_eq!(added.location.as_deref(), Some("/requests/CR-1?done=watcher_added"));
        ann.post("/requests/CR-1/watchers/remove", &[("csrf", &csrf), ("email", "dora@example.org")]).await;
        let bad = ann.post("/requests/CR-1/watchers", &[("csrf", &csrf), ("email", "not an address")]).await;
        assert!(bad.location.unwrap().contains("refused="), "refused on the page");
        assert_eq!(app.get("/api/v1/requests/CR-1/watchers", &anns_token).await.ok(), json!(["bob@example.org", "erin@example.org"]));

        // Bob watches: he reads the request and may stop watching, but not change the others.
        let mut bob = Visitor::new(&app);
        bob.sign_in("bob@example.org").await;
        let page = bob.get("/requests/CR-1").await;
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("Keep a colleague informed"), "no add form for a watcher");
        // He comments on the page too, as the requester's side.
        let bobs = page.csrf();
        let said = bob.post("/requests/CR-1/comment", &[("csrf", &bobs), ("body", "The hero image is in the drive")]).await;
        assert_eq!(said.location.as_deref(), Some("/requests/CR-1?done=commented"));
        let r = app.get("/api/v1/requests/CR-1", &anns_token).await.ok();
        assert_eq!(comments(&r).last().unwrap().0, "bob@example.org");
        let bobs = bob.csrf("/requests/CR-1").await;
        let refused = bob.post("/requests/CR-1/watchers/remove", &[("csrf", &bobs), ("email", "erin@example.org")]).await;
        assert_eq!(refused.status, 403);
        bob.post("/requests/CR-1/watchers/remove", &[("csrf", &bobs), ("email", "bob@example.org")]).await;
        assert_eq!(bob.get("/requests/CR-1").await.status, 403, "no longer his to read");
        // Cat never watched it.
        let mut cat = Visitor::new(&app);
        cat.sign_in("cat@example.org").await;
        assert_eq!(cat.get("/requests/CR-1").await.status, 403);
    }
}
