//! An honest ETA at filing: what the team actually did with this kind of request in the last
//! 90 days (unanswered requests the slowest), how many are ahead, and a word when the wanted-by
//! date is earlier than nine in ten such requests took.

use chrono::TimeDelta;
use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends! {
    async fn the_preview_says_what_happened_to_this_kind_of_request_lately(app: TestApp) {
        let cast = app.cast();
        // Six bug requests filed Monday 09:00 (IT: 08:00-12:30, 13:30-18:00, London); four
        // answered after 30, 60, 90 and 120 minutes, two never.
        for n in 1..=6 {
            app.file(&cast.ann, &format!("Bug {n}"), "Broken", "bug").await;
        }
        for n in 1..=4 {
            app.clock.advance(TimeDelta::minutes(30));
            app.set_status(&cast.ian, &format!("CR-{n}"), "acknowledged", None).await.ok();
        }
        let preview = app.post("/api/v1/requests/preview", &cast.ann, json!({ "title": "t", "description": "d", "category": "bug" })).await.ok();
        assert_eq!(preview["eta"], json!({
            "team": "it", "category": "bug", "requests": 6, "unanswered": 2,
            "first_response_median_minutes": 90, "first_response_p90_minutes": null,
            "resolution_median_minutes": null, "resolution_p90_minutes": null, "ahead": 6,
        }));
        assert_eq!(preview["observed"], json!({
            "first_response": { "median_business_minutes": 90, "p90_business_minutes": null },
            "resolution": { "median_business_minutes": null, "p90_business_minutes": null },
            "sample": 6, "ahead_in_queue": 6,
        }));

        // The form's live preview says it in words.
        let mut ann = crate::pages::Visitor::new(&app);
        crate::pages::person(&app, "amy@example.org", changedesk::domain::Role::Requester, &[]);
        ann.sign_in("amy@example.org").await;
        let csrf = ann.csrf("/requests/new").await;
        let live = ann.post("/requests/preview", &[("csrf", csrf.as_str()), ("category", "bug"), ("title", "t"), ("description", "d")]).await;
        let live: serde_json::Value = serde_json::from_str(&live.body).unwrap();
        assert_eq!(live["eta"], "IT web operations answered half of the Bug requests of the last 90 days within 1 h 30 m of business time; more than one in ten is not answered yet. 6 requests are ahead of yours in its queue.");
        assert_eq!(live["too_soon"], serde_json::Value::Null);

        // Marketing resolved five content requests, each a day after it came in.
        for n in 7..=11 {
            app.file(&cast.bob, &format!("Copy {n}"), "New words", "content").await;
        }
        app.clock.advance(TimeDelta::days(1));
        for n in 7..=11 {
            for status in ["acknowledged", "in_progress", "resolved"] {
                app.set_status(&cast.mia, &format!("CR-{n}"), status, None).await.ok();
            }
        }
        app.clock.advance(TimeDelta::minutes(11));
        let soon = app.clock.now().date_naive().to_string();
        let body = |date: &str| json!({ "title": "t", "description": "d", "category": "content", "desired_date": date });
        let preview = app.post("/api/v1/requests/preview", &cast.ann, body(&soon)).await.ok();
        assert!(preview["eta"]["resolution_p90_minutes"].as_i64().unwrap() > 0, "{preview}");
        // Five content requests resolved a day after they came in: 510 business minutes of
        // Marketing's (09:00-17:30) each, so the median and the p90 are both 510.
        assert_eq!(preview["observed"]["resolution"], json!({ "median_business_minutes": 510, "p90_business_minutes": 510 }));
        assert_eq!(preview["observed"]["sample"], 5);
        assert!(preview["usual_resolution_by"].is_string());
        // A day later the session has lapsed: sign in again.
        ann.sign_in("amy@example.org").await;
        let csrf = ann.csrf("/requests/new").await;
        let live = ann.post("/requests/preview", &[("csrf", csrf.as_str()), ("category", "content"), ("title", "t"), ("description", "d"), ("desired_date", &soon)]).await;
        let live: serde_json::Value = serde_json::from_str(&live.body).unwrap();
        assert!(live["too_soon"].as_str().unwrap().starts_with(&format!("You want it by {soon}, but nine in ten of these took until")), "{live}");
        let later = ann.post("/requests/preview", &[("csrf", csrf.as_str()), ("category", "content"), ("title", "t"), ("description", "d"), ("desired_date", "2027-06-01")]).await;
        let later: serde_json::Value = serde_json::from_str(&later.body).unwrap_or_else(|e| panic!("{e}: {:?} {:?} {}", later.status, later.location, later.body));
        assert_eq!(later["too_soon"], serde_json::Value::Null);
    }
}

on_both_backends! {
    async fn reports_and_the_digest_show_whether_requests_came_by_the_date_asked(app: TestApp) {
        let cast = app.cast();
        let lee = app.user("lee@example.org", changedesk::domain::Role::Lead, &["it"]);
        let wanted = |title: &str, category: &str, date: &str| json!({ "title": title, "description": "For the campaign",
            "category": category, "desired_date": date });
        // Monday 16 November; the report's week is 16-22 November (London, UTC in November).
        for (title, category, date) in [
            ("Met", "bug", "2026-11-18"),       // CR-1: resolved Tuesday, before its date
            ("Late", "bug", "2026-11-17"),      // CR-2: resolved Thursday, after its date
            ("Open late", "bug", "2026-11-18"), // CR-3: still open on Friday, its date past
            ("Next week", "content", "2026-11-25"), // CR-4: wanted after the period
            ("Due today", "bug", "2026-11-20"), // CR-5: open, its day not over: pending
            ("Dropped", "bug", "2026-11-19"),   // CR-6: withdrawn: left out
        ] {
            app.post("/api/v1/requests", &cast.ann, wanted(title, category, date)).await.ok();
        }
        let resolve = |key: &'static str| {
            let app = &app;
            let ian = cast.ian.clone();
            async move {
                for status in ["acknowledged", "in_progress", "resolved"] {
                    app.set_status(&ian, key, status, None).await.ok();
                }
            }
        };
        app.clock.set(time("2026-11-17T15:00:00Z"));
        resolve("CR-1").await;
        app.clock.set(time("2026-11-19T10:00:00Z"));
        resolve("CR-2").await;
        app.set_status(&cast.ann, "CR-6", "withdrawn", None).await.ok();
        app.clock.set(time("2026-11-20T12:00:00Z"));

        let report = app.get("/api/v1/reports/sla?from=2026-11-16&to=2026-11-22", &lee).await.ok();
        let it = report["teams"].as_array().unwrap().iter().find(|t| t["team"] == "it").unwrap();
        assert_eq!(it["desired_dates"], json!({ "met": 1, "missed": 2, "pending": 1, "attainment": 1.0 / 3.0 }));
        let bug = report["categories"].as_array().unwrap().iter().find(|c| c["category"] == "bug").unwrap();
        assert_eq!(bug["desired_dates"]["met"], 1);
        assert_eq!(bug["desired_dates"]["missed"], 2);
        let marketing = report["teams"].as_array().unwrap().iter().find(|t| t["team"] == "marketing").unwrap();
        assert_eq!(marketing["desired_dates"]["attainment"], serde_json::Value::Null, "nothing of theirs was due");

        let csv = app.client.get(format!("{}/api/v1/reports/sla.csv?from=2026-11-16&to=2026-11-22", app.address))
            .bearer_auth(&lee).send().await.unwrap().text().await.unwrap();
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let it_row: Vec<&str> = lines.find(|l| l.starts_with("team,it,")).unwrap().split(',').collect();
        let column = |name: &str| it_row[header.iter().position(|h| *h == name).unwrap()];
        assert_eq!((column("desired_date_met"), column("desired_date_missed"), column("desired_date_attainment")), ("1", "2", "0.3333"));

        let digest = app.get("/api/v1/digests/2026-W47", &lee).await.ok();
        let it = digest["teams"].as_array().unwrap().iter().find(|t| t["team"] == "it").unwrap();
        assert_eq!(it["desired_dates"]["missed"], 2);
        // The week's digest goes out the Monday after: CR-5's day has passed too by then.
        app.clock.set(time("2026-11-23T09:00:00Z"));
        let mut settings = app.settings.clone();
        settings.digest.recipients = vec!["cmo@example.org".into()];
        changedesk::workers::digest::check(&app.pool, &settings, &app.notifier, app.clock.now()).unwrap();
        let mail = app.outbox().into_iter().find(|m| m.kind == "digest").unwrap();
        assert!(mail.text_body.starts_with("SLA digest 2026-W47"), "{}", mail.text_body);
        assert!(mail.text_body.contains("delivered by the date asked: 1 of 4 (25%)"), "{}", mail.text_body);
        assert!(mail.html_body.contains("By the date asked") && mail.html_body.contains("1 of 4 (25%)"));
    }
}

/// The form in headless Chromium: choosing the kind of change shows what happened to such
/// requests lately, and a wanted-by date sooner than nine in ten of them took draws a warning
/// before filing; checked by axe-core.
#[tokio::test]
async fn the_form_shows_the_honest_eta_and_warns_of_a_date_too_soon_in_the_browser() {
    use crate::journey::{check_page, run, sign_in, url};
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let cast = app.cast();
    // Five content requests Marketing resolved a day after they came in (510 business minutes).
    for n in 1..=5 {
        app.file(&cast.bob, &format!("Copy {n}"), "New words", "content").await;
    }
    app.clock.advance(TimeDelta::days(1));
    for n in 1..=5 {
        for status in ["acknowledged", "in_progress", "resolved"] {
            app.set_status(&cast.mia, &format!("CR-{n}"), status, None).await.ok();
        }
    }
    // Tuesday 09:11: nine in ten took 510 business minutes, so from now they end Wednesday 09:11.
    app.clock.advance(TimeDelta::minutes(11));
    crate::pages::person(&app, "amy@example.org", changedesk::domain::Role::Requester, &[]);
    let amy = crate::browser::Browser::start().await;
    sign_in(&amy, &app, "amy@example.org").await;
    amy.goto(&url(&app, "/requests/new")).await;
    amy.fill("#title", "New hero copy").await;
    amy.fill("#description", "For the spring campaign").await;
    amy.click("#category-content").await;
    let eta = amy.text("#preview p.eta").await;
    assert!(
        eta.starts_with("Marketing web team answered half of the Content requests of the last 90 days within"),
        "{eta}"
    );
    assert!(eta.ends_with("None are ahead of yours in its queue."), "{eta}");
    // Today (Tuesday) is wanted: its end comes before Wednesday 09:11.
    let today = app.clock.now().date_naive().to_string();
    run(&amy, &format!("const d = document.querySelector('#desired_date'); d.value = '{today}'; d.dispatchEvent(new Event('input', {{ bubbles: true }}))")).await;
    let warning = amy.text("#preview p.too-soon").await;
    assert!(warning.starts_with(&format!("You want it by {today}, but nine in ten of these took until")), "{warning}");
    check_page(&amy, "request-form-eta").await;
}
