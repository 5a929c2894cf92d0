//! The weekly digest: its content, and one send per week and recipient across restarts,
//! downtime and two schedulers.

use changedesk::clock::Clock;
use changedesk::domain::Role;
use changedesk::startup::Application;
use changedesk::workers::digest::check;
use serde_json::json;

use crate::helpers::*;

const RECIPIENTS: [&str; 2] = ["cmo@example.org", "cio@example.org"];

async fn app_with_digest(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |s| s.digest.recipients = RECIPIENTS.iter().map(|r| r.to_string()).collect()).await
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
    assert_eq!(sent, [("sent".to_owned(), 1), ("sent".to_owned(), 1)]);

    // Next Monday just before and at 08:00 London (= UTC in November).
    assert_eq!(check(&app.pool, &app.settings, &app.notifier, time("2026-11-23T07:59:00Z")).unwrap(), 0);
    // Down over the scheduled hour: sent when the service comes back on Tuesday.
    assert_eq!(check(&app.pool, &app.settings, &app.notifier, time("2026-11-24T10:00:00Z")).unwrap(), 2);
    assert_eq!(check(&app.pool, &app.settings, &app.notifier, time("2026-11-24T10:01:00Z")).unwrap(), 0);
    assert_eq!(digests(&app).len(), 4);
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
        // Week 47: an IT request breaches (first response due 14:00, given Tuesday), a
        // marketing one is answered in 30 minutes, one is reassigned (a routing miss).
        app.file(&cast.ann, "Footer link broken", "404 on /about", "bug").await;
        app.file(&cast.ann, "Hero image", "For the spring campaign", "content").await;
        app.file(&cast.ann, "Change the pricing copy", "New wording", "bug").await;
        app.clock.set(time("2026-11-16T09:30:00Z"));
        app.set_status(&cast.mia, "CR-2", "acknowledged", None).await.ok();
        app.post("/api/v1/requests/CR-3/reassign", &cast.ian, json!({ "team": "marketing", "reason": "copy" })).await.ok();
        app.clock.set(time("2026-11-17T09:00:00Z"));
        app.set_status(&cast.ian, "CR-1", "acknowledged", None).await.ok();
        app.clock.set(time("2026-11-23T08:00:00Z"));

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
        assert_eq!(check(&app.pool, &settings, &app.notifier, app.clock.now()).unwrap(), 1);
        let mail = app.outbox().into_iter().find(|m| m.kind == "digest").unwrap();
        assert!(mail.subject.starts_with("SLA digest 2026-W47: IT web operations took 18.0× as long"), "{}", mail.subject);
        for section in ["TEAMS", "TREND", "WORST BREACHES", "OLDEST OPEN REQUESTS", "ROUTING MISSES", "CANDIDATES FOR A CHANGE OF OWNERSHIP"] {
            assert!(mail.text_body.contains(section), "{section} missing:\n{}", mail.text_body);
        }
        assert!(mail.html_body.contains("<a href=\"http://127.0.0.1:8080/requests/CR-1\">CR-1</a>"), "{}", mail.html_body);
    }
}
