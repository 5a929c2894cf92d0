//! The weekly digest: its content, and one send per week and recipient across restarts,
//! downtime and two schedulers.

use changedesk::clock::Clock;
use changedesk::domain::Role;
use changedesk::startup::Application;
use changedesk::workers::digest::check;
use serde_json::json;

use crate::browser::Browser;
use crate::helpers::*;
use crate::pages::{Visitor, person};
use mail_parser::MimeHeaders;

const RECIPIENTS: [&str; 2] = ["cmo@example.org", "cio@example.org"];

async fn app_with_digest(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |s| {
        s.digest.recipients = RECIPIENTS.iter().map(|r| r.to_string()).collect();
        s.digest.team_digests = true;
    })
    .await
}

fn digests(app: &TestApp) -> Vec<(String, String)> {
    let mut d: Vec<(String, String)> =
        app.outbox().into_iter().filter(|m| m.kind == "digest").map(|m| (m.dedupe_key, m.recipients)).collect();
    d.sort();
    d
}

async fn one_digest_per_week_and_recipient(backend: Backend) {
    let Some(app) = app_with_digest(backend).await else { return };
    // Monday 16 November 09:00: the digest of week 46 is due (Monday 08:00).
    let now = time("2026-11-16T09:00:00Z");
    let schedulers: Vec<_> = (0..2)
        .map(|_| {
            let pool =
                changedesk::db::connect(&changedesk::db::DatabaseUrl::parse(&app.database_url).unwrap(), 2).unwrap();
            let (settings, notifier) = (app.settings.clone(), app.notifier.clone());
            std::thread::spawn(move || check(&pool, &settings, &notifier, now).unwrap())
        })
        .collect();
    for s in schedulers {
        s.join().unwrap();
    }
    // The app's own scheduler checked at start-up too; a restarted instance checks again.
    let restarted = Application::build(app.settings.clone(), Clock::manual(now)).unwrap();
    tokio::spawn(restarted.run_until_stopped());
    assert_eq!(check(&app.pool, &app.settings, &app.notifier, now).unwrap(), 0);
    assert_eq!(
        digests(&app),
        [
            ("digest:2026-W46:cio@example.org".to_owned(), "[\"cio@example.org\"]".to_owned()),
            ("digest:2026-W46:cmo@example.org".to_owned(), "[\"cmo@example.org\"]".to_owned()),
            ("digest:2026-W46:it:it-lead@example.org".to_owned(), "[\"it-lead@example.org\"]".to_owned()),
            (
                "digest:2026-W46:marketing:marketing-lead@example.org".to_owned(),
                "[\"marketing-lead@example.org\"]".to_owned()
            ),
        ]
    );
    // The restarted instance's outbox worker may send some of them first: either way, each
    // is claimed and sent exactly once.
    app.dispatch_mail_at("2026-11-16T09:00:00Z").await;
    let digest_states = || -> Vec<(String, i32)> {
        app.outbox().into_iter().filter(|m| m.kind == "digest").map(|m| (m.status, m.attempts)).collect()
    };
    // A message the other instance claimed may still be on its way: wait for it to land.
    for _ in 0..200 {
        if digest_states().iter().all(|(status, _)| status != "sending") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let sent = digest_states();
    assert_eq!(sent, vec![("sent".to_owned(), 1); 4]);

    // Next Monday just before and at 08:00 London (= UTC in November).
    assert_eq!(check(&app.pool, &app.settings, &app.notifier, time("2026-11-23T07:59:00Z")).unwrap(), 0);
    // Down over the scheduled hour: sent when the service comes back on Tuesday.
    assert_eq!(check(&app.pool, &app.settings, &app.notifier, time("2026-11-24T10:00:00Z")).unwrap(), 4);
    assert_eq!(check(&app.pool, &app.settings, &app.notifier, time("2026-11-24T10:01:00Z")).unwrap(), 0);
    assert_eq!(digests(&app).len(), 8);
}

#[tokio::test]
async fn one_digest_per_week_and_recipient_on_sqlite() {
    one_digest_per_week_and_recipient(Backend::Sqlite).await
}

#[tokio::test]
async fn one_digest_per_week_and_recipient_on_postgres() {
    one_digest_per_week_and_recipient(Backend::Postgres).await
}

crate::on_both_backends! {
    async fn the_digest_shows_teams_gap_trend_breaches_backlog_and_misses(app: TestApp) {
        let cast = app.cast();
        let lee = app.user("lee@example.org", Role::Lead, &["it"]);
        week_47(&app, &cast).await;

        app.get("/api/v1/digests/2026-W47", &cast.ian).await.assert_error(403, "forbidden");
        app.get("/api/v1/digests/2026-47", &lee).await.assert_error(422, "validation_failed");
        let d = app.get("/api/v1/digests/2026-W47", &lee).await.ok();
        assert_eq!((d["from"].as_str(), d["to"].as_str()), (Some("2026-11-16"), Some("2026-11-22")));
        let team = |k: &str| d["teams"].as_array().unwrap().iter().find(|t| t["team"] == k).unwrap().clone();
        let (it, marketing) = (team("it"), team("marketing"));
        // A team's row counts its holds: IT held CR-1 and CR-3 (until it handed CR-3 over),
        // marketing CR-2 and CR-3 (from the hand-over).
        assert_eq!((it["requests"].as_u64(), marketing["requests"].as_u64()), (Some(2), Some(2)));
        assert_eq!(it["handed_over"], json!({ "out": 1, "in": 0, "minutes_before_out": 30 }));
        assert_eq!(marketing["handed_over"], json!({ "out": 0, "in": 1, "minutes_before_out": 0 }));
        // IT: 09:00 Monday to 09:00 Tuesday = 480 + 60 business minutes; 1440 wall-clock.
        assert_eq!(it["first_response"]["median_business_minutes"], 540);
        assert_eq!(it["first_response"]["median_wall_minutes"], 1440);
        assert_eq!(it["first_response_attainment"], 0.0);
        assert_eq!(marketing["first_response"]["median_business_minutes"], 30);
        assert_eq!(marketing["first_response_attainment"], 0.5, "CR-2 met; CR-3, handed over, breached");
        assert_eq!(it["reassignments_away"], 1);
        assert_eq!(marketing["open_backlog"], 2, "CR-2 acknowledged and CR-3, both still open");
        assert_eq!(d["gap"]["median_first_response_ratio"], 18.0);
        assert_eq!(d["gap"]["first_response_attainment_difference"], -0.5);
        assert!(d["gap"]["summary"].as_str().unwrap().starts_with("IT web operations took 18.0× as long as Marketing web team"), "{}", d["gap"]["summary"]);
        let weeks: Vec<&str> = d["trend"].as_array().unwrap().iter().map(|w| w["week"].as_str().unwrap()).collect();
        assert_eq!(weeks, ["2026-W43", "2026-W44", "2026-W45", "2026-W46", "2026-W47"]);
        // CR-3: 30 minutes with IT, then marketing's 480 on Monday and 510 a day to Friday:
        // 2550 against 240, still unanswered. CR-1: 540 against 240.
        let worst: Vec<(&str, i64)> = d["worst_breaches"].as_array().unwrap().iter()
            .map(|b| (b["key"].as_str().unwrap(), b["minutes"].as_i64().unwrap())).collect();
        assert_eq!(worst[..2], [("CR-3", 2310), ("CR-1", 300)]);
        assert_eq!(d["worst_breaches"][1]["link"], "http://127.0.0.1:8080/requests/CR-1");
        assert_eq!(d["routing_misses"][0]["category"], "bug");
        assert_eq!(d["ownership_candidates"][0]["category"], "bug");
        assert_eq!(d["ownership_candidates"][0]["owner"], "it");

        let app_settings = app.settings.clone();
        let mut settings = app_settings;
        settings.digest.recipients = vec!["cmo@example.org".into()];
        settings.digest.team_digests = true;
        assert_eq!(check(&app.pool, &settings, &app.notifier, app.clock.now()).unwrap(), 4, "the organisation's; IT's for it-lead and lee; marketing's");
        let mail = app.outbox().into_iter().find(|m| m.dedupe_key == "digest:2026-W47:cmo@example.org").unwrap();
        assert!(mail.subject.starts_with("SLA digest 2026-W47 (Example Org): IT web operations took 18.0× as long"), "{}", mail.subject);
        for section in ["TEAMS", "TREND", "WORST BREACHES", "OLDEST OPEN REQUESTS", "ROUTING MISSES", "CANDIDATES FOR A CHANGE OF OWNERSHIP"] {
            assert!(mail.text_body.contains(section), "{section} missing:\n{}", mail.text_body);
        }
        assert!(mail.html_body.contains("<a href=\"http://127.0.0.1:8080/requests/CR-1\">CR-1</a>"), "{}", mail.html_body);
    }
}

/// Week 47 as in the test above: CR-1 (IT) breached and acknowledged late, CR-2 (marketing)
/// answered in 30 minutes, CR-3 handed from IT to marketing and breached there.
async fn week_47(app: &TestApp, cast: &Cast) {
    app.file(&cast.ann, "Footer link broken", "404 on /about", "bug").await;
    app.file(&cast.ann, "Hero image", "For the spring campaign", "content").await;
    app.file(&cast.ann, "Change the pricing copy", "New wording", "bug").await;
    app.clock.set(time("2026-11-16T09:30:00Z"));
    app.set_status(&cast.mia, "CR-2", "acknowledged", None).await.ok();
    app.post("/api/v1/requests/CR-3/reassign", &cast.ian, json!({ "team": "marketing", "reason": "copy" })).await.ok();
    app.clock.set(time("2026-11-17T09:00:00Z"));
    app.set_status(&cast.ian, "CR-1", "acknowledged", None).await.ok();
    // After the week: CR-1 moves on, so its state now differs from its state then.
    app.clock.set(time("2026-11-23T07:00:00Z"));
    app.set_status(&cast.ian, "CR-1", "in_progress", None).await.ok();
    app.clock.set(time("2026-11-23T08:00:00Z"));
}

async fn each_lead_gets_their_teams_digest_and_anyone_may_stop_theirs(backend: Backend) {
    let Some(app) = app_with_digest(backend).await else { return };
    week_47(&app, &app.cast()).await;
    person(&app, "lee@example.org", Role::Lead, &["it"]);
    person(&app, "lena@example.org", Role::Lead, &["marketing"]);
    person(&app, "cmo@example.org", Role::Admin, &[]);
    person(&app, "amy@example.org", Role::Requester, &[]);

    // A marketer is offered no digest; the executive stops theirs on the account page.
    let mut amy = Visitor::new(&app);
    amy.sign_in("amy@example.org").await;
    assert!(!amy.get("/account/password").await.body.contains("weekly SLA digest"));
    let mut lee = Visitor::new(&app);
    lee.sign_in("lee@example.org").await;
    let page = lee.get("/account/password").await;
    assert!(page.body.contains(r#"id="digest" name="digest" value="1" checked"#), "a lead gets it by default");
    let mut cmo = Visitor::new(&app);
    cmo.sign_in("cmo@example.org").await;
    let csrf = cmo.csrf("/account/password").await;
    let stopped = cmo.post("/account/digest", &[("csrf", &csrf)]).await;
    assert_eq!(stopped.location.as_deref(), Some("/account/password?saved=digest-off"));
    let page = cmo.get("/account/password?saved=digest-off").await;
    assert!(page.body.contains("You will no longer get the weekly digest."));
    assert!(page.body.contains(r#"id="digest" name="digest" value="1" >"#), "{}", page.body);

    // Each team's goes to the leads its settings name for escalations and to its lead members.
    assert_eq!(check(&app.pool, &app.settings, &app.notifier, app.clock.now()).unwrap(), 5);
    // (Week 46's went out when the app started, on Monday 16 November.)
    let keys: Vec<String> = digests(&app).into_iter().map(|(k, _)| k).filter(|k| k.contains("W47")).collect();
    assert_eq!(
        keys,
        [
            "digest:2026-W47:cio@example.org",
            "digest:2026-W47:it:it-lead@example.org",
            "digest:2026-W47:it:lee@example.org",
            "digest:2026-W47:marketing:lena@example.org",
            "digest:2026-W47:marketing:marketing-lead@example.org",
        ]
    );

    let outbox = app.outbox();
    let mail = |key: &str| outbox.iter().find(|m| m.dedupe_key == key).unwrap();
    let it = mail("digest:2026-W47:it:lee@example.org");
    assert!(
        it.subject.starts_with(
            "SLA digest 2026-W47 (IT web operations): IT web operations: 2 new requests; 0% of \
                first-response targets met (median first response 9 h 00 m of business time)"
        ),
        "{}",
        it.subject
    );
    assert!(it.text_body.contains("SLA digest 2026-W47 for IT web operations"), "{}", it.text_body);
    assert!(!it.text_body.contains("Marketing web team: "), "only IT's row:\n{}", it.text_body);
    assert!(
        it.html_body.contains("/requests/CR-1\">CR-1</a>") && !it.html_body.contains("/requests/CR-3\""),
        "{}",
        it.html_body
    );
    assert!(
        it.text_body.contains("Acknowledged at the end of the week, in progress now."),
        "CR-1's state then and now:\n{}",
        it.text_body
    );
    let marketing = mail("digest:2026-W47:marketing:lena@example.org");
    assert!(
        marketing
            .subject
            .contains("(Marketing web team): Marketing web team: 2 new requests; 50% of first-response targets met"),
        "{}",
        marketing.subject
    );
    assert!(marketing.html_body.contains("/requests/CR-3\">CR-3</a>"), "{}", marketing.html_body);
    // Durations in words, never raw minutes.
    for m in [it, marketing, mail("digest:2026-W47:cio@example.org")] {
        assert!(!m.text_body.contains(" minutes") && !m.html_body.contains(" minutes"), "{}", m.text_body);
    }
}

#[tokio::test]
async fn each_lead_gets_their_teams_digest_and_anyone_may_stop_theirs_on_sqlite() {
    each_lead_gets_their_teams_digest_and_anyone_may_stop_theirs(Backend::Sqlite).await
}

#[tokio::test]
async fn each_lead_gets_their_teams_digest_and_anyone_may_stop_theirs_on_postgres() {
    each_lead_gets_their_teams_digest_and_anyone_may_stop_theirs(Backend::Postgres).await
}

crate::on_both_backends! {
    async fn the_digest_mail_shows_its_trend_chart_inline_and_chromium_renders_it(app: TestApp) {
        week_47(&app, &app.cast()).await;
        let mut settings = app.settings.clone();
        settings.digest.recipients = vec!["cmo@example.org".into()];
        settings.digest.team_digests = true;
        assert_eq!(check(&app.pool, &settings, &app.notifier, app.clock.now()).unwrap(), 3, "and each team's lead's");
        app.dispatch_mail_at("2026-11-23T08:00:00Z").await;
        let row = app.outbox().into_iter().find(|m| m.dedupe_key == "digest:2026-W47:cmo@example.org").unwrap();
        let eml = std::fs::read(app.settings.mail.file_dir.join(format!("{}.eml", row.id))).unwrap();

        // multipart/alternative: text/plain, then multipart/related: text/html and the PNG.
        let message = mail_parser::MessageParser::default().parse(&eml).unwrap();
        let kinds: Vec<String> = message
            .parts
            .iter()
            .map(|p| p.content_type().map_or("?".into(), |c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or(""))))
            .collect();
        assert_eq!(kinds, ["multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png"]);
        let image = &message.parts[4];
        assert_eq!(image.content_id(), Some("trend-chart"));
        assert_eq!(image.content_disposition().map(|d| d.ctype()), Some("inline"));
        let png = image.contents();
        let decoder = png::Decoder::new(std::io::Cursor::new(png.to_vec()));
        let info = decoder.read_info().unwrap();
        assert_eq!((info.info().width, info.info().height), (600, 260));
        let html = message.body_html(0).unwrap().into_owned();
        assert!(html.contains(r#"<img src="cid:trend-chart""#), "{html}");

        // As a mail client shows it: the cid: reference resolved to the attached image.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("trend-chart.png"), png).unwrap();
        let page = dir.path().join("digest.html");
        std::fs::write(&page, html.replace("cid:trend-chart", "trend-chart.png")).unwrap();
        let browser = Browser::start().await;
        browser.goto(&format!("file://{}", page.display())).await;
        let shown = browser
            .client()
            .execute("const i = document.querySelector('img'); return [i.complete, i.naturalWidth, i.naturalHeight, i.getBoundingClientRect().width]", vec![])
            .await
            .unwrap();
        assert_eq!(shown[0], true, "the chart loaded");
        assert_eq!((shown[1].as_u64(), shown[2].as_u64()), (Some(600), Some(260)));
        assert!(shown[3].as_f64().unwrap() > 500.0, "shown at (nearly) its size: {shown}");
        let headline = browser.text("h1").await;
        assert!(headline.starts_with("IT web operations took 18.0× as long as Marketing web team"), "{headline}");
        let backend = if app.database_url.starts_with("postgres") { "postgres" } else { "sqlite" };
        browser.screenshot(&format!("digest-{backend}")).await;
    }
}

crate::on_both_backends! {
    async fn the_headline_stays_true_when_a_median_is_zero(app: TestApp) {
        let cast = app.cast();
        // Monday 09:00: marketing answers the moment its request arrives (0 business minutes),
        // IT an hour later: a ratio to 0 means nothing, so each team's own figures are said.
        app.file(&cast.ann, "Hero image", "For the spring campaign", "content").await;
        app.file(&cast.ann, "Footer link broken", "404 on /about", "bug").await;
        app.set_status(&cast.mia, "CR-1", "acknowledged", None).await.ok();
        app.clock.set(time("2026-11-16T10:00:00Z"));
        app.set_status(&cast.ian, "CR-2", "acknowledged", None).await.ok();
        app.clock.set(time("2026-11-23T08:00:00Z"));
        let mut settings = app.settings.clone();
        settings.digest.recipients = vec!["cmo@example.org".into()];
        assert_eq!(check(&app.pool, &settings, &app.notifier, app.clock.now()).unwrap(), 1);
        let mail = app.outbox().into_iter().find(|m| m.dedupe_key == "digest:2026-W47:cmo@example.org").unwrap();
        let headline = "In this period IT web operations first responded in a median of 1 h 00 m of business time \
                        (targets met: 100%), and Marketing web team first responded in a median of 0 m of business \
                        time (targets met: 100%).";
        assert_eq!(mail.subject, format!("SLA digest 2026-W47 (Example Org): {headline}"));
        assert!(mail.html_body.contains(&format!("<h1 style=\"font-size: 20px; line-height: 1.35; margin: 8px 0 16px;\">{headline}</h1>")), "{}", mail.html_body);
        assert!(mail.text_body.contains(headline));
    }
}
