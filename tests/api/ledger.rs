//! The responsibility ledger: every minute charged to whoever held the request (the worked
//! example of docs/metrics.md), first answers apart from first responses, and the ledger of a
//! database upgraded from before it existed.
//!
//! London = UTC in November. IT: Mon-Fri 08:00-12:30, 13:30-18:00 (540 business minutes a
//! day); marketing: 09:00-17:30. P3 first response 240 business minutes.

use std::process::Command;

use changedesk::domain::Role;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::on_both_backends;
use crate::pages::{Visitor, person};

fn team<'a>(teams: &'a Value, key: &str) -> &'a Value {
    teams.as_array().unwrap().iter().find(|t| t["team"] == key).unwrap_or_else(|| panic!("no team {key} in {teams:#}"))
}

/// Monday 09:00 filed (routed to IT); IT holds it two business days (Mon 09:00-18:00 is 480,
/// Tuesday 540, Wednesday 08:00-09:00 60: 1080 minutes) and hands it to marketing on Wednesday
/// at 09:00; marketing answers at 09:30 and resolves it at 12:00.
async fn worked_example(app: &TestApp, cast: &Cast) {
    app.file(&cast.ann, "Change the pricing copy", "New wording for the pricing page", "bug").await;
    app.clock.set(time("2026-11-18T09:00:00Z"));
    app.post("/api/v1/requests/CR-1/reassign", &cast.ian, json!({ "team": "marketing", "reason": "copy, not code" }))
        .await
        .ok();
    app.clock.set(time("2026-11-18T09:30:00Z"));
    app.comment(&cast.mia, "CR-1", "We will have the new copy live by noon.", false).await.ok();
    app.clock.set(time("2026-11-18T12:00:00Z"));
    for status in ["acknowledged", "in_progress", "resolved"] {
        app.set_status(&cast.mia, "CR-1", status, None).await.ok();
    }
    app.clock.set(time("2026-11-23T08:00:00Z"));
}

/// What both teams are charged with, as the report and the digest show it.
fn assert_charged_fairly(teams: &Value) {
    let it = team(teams, "it");
    assert_eq!(it["requests"], 1, "IT held it");
    assert_eq!(it["first_responses"], 0, "and passed it on without a response");
    assert_eq!(it["first_response_attainment"], 0.0, "its own 240-minute target elapsed on Monday at 14:00");
    assert_eq!(it["handed_over"], json!({ "out": 1, "in": 0, "minutes_before_out": 1080 }));
    assert_eq!(it["sla_breaches_charged"], 1, "the requester's first response breached while IT held it");
    let marketing = team(teams, "marketing");
    assert_eq!(marketing["requests"], 1, "marketing held it too: once for each team");
    assert_eq!(marketing["first_response"]["median_business_minutes"], 30, "from receiving it, in full");
    assert_eq!(marketing["first_response"]["median_wall_minutes"], 30);
    assert_eq!(marketing["first_answer"]["median_business_minutes"], 30, "the comment is an answer too");
    assert_eq!(marketing["first_response_attainment"], 1.0);
    assert_eq!(marketing["first_answer_attainment"], 1.0);
    assert_eq!(marketing["resolution"]["median_business_minutes"], 180, "received 09:00, resolved 12:00");
    assert_eq!(marketing["resolution_attainment"], 1.0);
    assert_eq!(marketing["handed_over"], json!({ "out": 0, "in": 1, "minutes_before_out": 0 }));
    assert_eq!(marketing["sla_breaches_charged"], 0);
}

on_both_backends! {
    async fn a_hand_over_charges_each_holder_its_own_stretch_in_the_report_the_csv_and_the_digest(app: TestApp) {
        let cast = app.cast();
        let lee = app.user("lee@example.org", Role::Lead, &["it"]);
        worked_example(&app, &cast).await;

        let request = app.get("/api/v1/requests/CR-1", &cast.ian).await.ok();
        let ledger = request["ledger"].as_array().unwrap();
        assert_eq!(ledger.len(), 3, "{ledger:#?}");
        assert_eq!(ledger[0], json!({ "holder": "team", "team": "it", "from": "2026-11-16T09:00:00Z",
            "to": "2026-11-18T09:00:00Z", "business_minutes": 1080, "wall_minutes": 2880 }));
        assert_eq!(ledger[1], json!({ "holder": "team", "team": "marketing", "from": "2026-11-18T09:00:00Z",
            "to": "2026-11-18T12:00:00Z", "business_minutes": 180, "wall_minutes": 180 }));
        // Still lasting: measured up to now (Monday 23rd 08:00): Wed 12:00-17:30, Thu, Fri.
        assert_eq!((ledger[2]["holder"].as_str(), ledger[2]["to"].as_str()), (Some("resolved"), None));
        assert_eq!(ledger[2]["business_minutes"], 330 + 510 * 2);
        assert_eq!(request["first_answer_at"], "2026-11-18T09:30:00Z");
        assert_eq!(request["first_response_at"], "2026-11-18T09:30:00Z");
        assert_eq!(request["segments"].as_array().unwrap().len(), 3, "segments stay for existing clients");

        let report = app.get("/api/v1/reports/sla?from=2026-11-16&to=2026-11-22", &lee).await.ok();
        assert_charged_fairly(&report["teams"]);
        let bug = report["categories"].as_array().unwrap().iter().find(|c| c["category"] == "bug").unwrap();
        assert_eq!(bug["requests"], 1, "the requester's view counts the request once");
        assert_eq!(bug["first_response_attainment"], 0.0, "and its first response as late as it was");

        let csv = app.client.get(format!("{}/api/v1/reports/sla.csv?from=2026-11-16&to=2026-11-22", app.address))
            .bearer_auth(&lee).send().await.unwrap().text().await.unwrap();
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let row = |name: &str| -> Vec<String> {
            csv.lines().find(|l| l.starts_with(&format!("team,{name},"))).unwrap().split(',').map(str::to_owned).collect()
        };
        let cell = |name: &str, column: &str| row(name)[header.iter().position(|h| *h == column).unwrap()].clone();
        assert_eq!(cell("it", "handed_over_out"), "1");
        assert_eq!(cell("it", "minutes_before_out"), "1080");
        assert_eq!(cell("it", "sla_breaches_charged"), "1");
        assert_eq!(cell("marketing", "handed_over_in"), "1");
        assert_eq!(cell("marketing", "first_response_median_business_minutes"), "30");
        assert_eq!(cell("marketing", "first_answer_median_business_minutes"), "30");

        let digest = app.get("/api/v1/digests/2026-W47", &lee).await.ok();
        assert_charged_fairly(&digest["teams"]);
    }

    async fn a_status_click_is_a_first_response_but_not_a_first_answer(app: TestApp) {
        person(&app, "ann@example.org", Role::Requester, &[]);
        let ian = person(&app, "ian@example.org", Role::Agent, &["it"]);
        let lee = app.user("lee@example.org", Role::Lead, &["it"]);
        let mut ann = Visitor::new(&app);
        ann.sign_in("ann@example.org").await;
        let csrf = ann.csrf("/requests/new").await;
        for title in ["Typo on pricing", "Slow images", "Broken form"] {
            ann.post("/requests/new", &[("csrf", &csrf), ("title", title), ("description", "See title"), ("category", "bug")])
                .await;
        }
        let mut agent = Visitor::new(&app);
        agent.sign_in("ian@example.org").await;
        let csrf = agent.csrf("/queues/it").await;
        app.clock.set(time("2026-11-16T09:20:00Z"));
        let bulk = agent.client.post(format!("{}/queues/it/bulk", agent.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf={csrf}&action=acknowledge&key=CR-1&key=CR-2"));
        assert_eq!(agent.send(bulk).await.location.as_deref(), Some("/queues/it?did=acknowledge&done=2&failed="));
        // One at a time through the API, with a note the requester reads: an answer.
        app.set_status(&ian, "CR-3", "acknowledged", Some("Looking at it now")).await.ok();
        // A later comment answers CR-2.
        app.clock.set(time("2026-11-16T10:00:00Z"));
        app.comment(&ian, "CR-2", "Found it: the CDN cache.", false).await.ok();

        let cr1 = app.get("/api/v1/requests/CR-1", &ian).await.ok();
        assert_eq!(cr1["first_response_at"], "2026-11-16T09:20:00Z");
        assert_eq!(cr1["first_answer_at"], Value::Null, "a bulk click answers nobody");
        let first = cr1["events"].as_array().unwrap().iter().find(|e| e["type"] == "first_response").unwrap();
        assert_eq!(first["data"], json!({ "via": "status_changed", "team": "it", "bulk": true }));
        let cr2 = app.get("/api/v1/requests/CR-2", &ian).await.ok();
        assert_eq!((cr2["first_response_at"].as_str(), cr2["first_answer_at"].as_str()),
            (Some("2026-11-16T09:20:00Z"), Some("2026-11-16T10:00:00Z")));
        assert!(event_types(&cr2).contains(&"first_answer".to_owned()));
        let cr3 = app.get("/api/v1/requests/CR-3", &ian).await.ok();
        assert_eq!(cr3["first_answer_at"], "2026-11-16T09:20:00Z", "a public status note is an answer");

        let report = app.get("/api/v1/reports/sla?from=2026-11-16&to=2026-11-22", &lee).await.ok();
        let it = team(&report["teams"], "it");
        assert_eq!(it["first_responses"], 3);
        assert_eq!(it["first_response"]["median_business_minutes"], 20);
        assert_eq!(it["first_answer"]["count"], 2, "CR-1 has no answer");
        assert_eq!(it["first_answer"]["median_business_minutes"], 20, "20 (CR-3) and 60 (CR-2)");
        assert_eq!(it["first_responses_without_answer"], 1, "CR-1: clicked, never answered");
    }

    async fn a_database_from_before_the_ledger_gets_it_from_migrate_and_serve_waits_for_it(app: TestApp) {
        let cast = app.cast();
        worked_example(&app, &cast).await;
        app.file(&cast.bob, "Landing page", "For the launch", "content").await;
        app.set_status(&cast.mia, "CR-2", "acknowledged", None).await.ok();
        app.set_status(&cast.mia, "CR-2", "in_progress", None).await.ok();
        app.set_status(&cast.mia, "CR-2", "waiting_on_requester", Some("Which photo?")).await.ok();
        // Read on connections of their own: the app's have statements prepared for the schema.
        let before = stored(&app.database_url);
        let mail_before = mail_bodies(&app.database_url);
        assert!(mail_before.len() >= 4, "the filings' notices and receipts: {mail_before:?}");
        assert_eq!(before.0.len(), 3 + 2, "CR-1: IT, marketing, resolved; CR-2: marketing, the requester");
        {
            let pool = connect(&app.database_url);
            let mut conn = pool.get().unwrap();
            let reverted = [(); 31].map(|_| changedesk::db::revert_last_migration(&mut conn).unwrap());
            assert_eq!(
                reverted,
                ["20261208000037", "20261207000036", "20261207000035", "20261207000034", "20261207000033", "20261207000032", "20261207000031", "20261207000030", "20261207000029", "20261207000028", "20261207000027", "20261207000026", "20261207000025", "20261207000024", "20261207000023", "20261207000022", "20261207000021", "20261207000020", "20261207000019", "20261207000018", "20261207000017", "20261207000016", "20261207000015", "20261207000014", "20261207000013", "20261207000012", "20261207000011", "20261207000010", "20261202000009", "20261202000008", "20261202000007"],
                "the keys in byte order again, the mail bodies', the ended indexes', the SLA signatures', the search marks', the desired-date index's, the search's, the ended index's, the statuses and fields', the resolved index's, the P1 index's, saved views', canned replies', links', mail in's (reply keys, leases), watchers', inbound mail's, attachments', the digest opt-out's, keys in byte order', people's time zones', the lighter writes', single sign-on's, the accounts', the idempotency keys', the sign-in throttle's, the configuration stamp's, the report indexes', the facts' and the ledger's migrations"
            );
        }
        let run = |args: &[&str]| {
            Command::new(env!("CARGO_BIN_EXE_changedesk"))
                .args(args)
                .env("DATABASE_URL", &app.database_url)
                .env_remove("RUST_LOG")
                .output()
                .unwrap()
        };
        // `serve` applies the upgrade's migration, then refuses until the ledger is built (were
        // it to start instead, this test would hang: it would have failed already).
        let serve = run(&["serve", "--bind", "127.0.0.1:0"]);
        assert!(!serve.status.success());
        let said = String::from_utf8_lossy(&serve.stderr);
        assert!(said.contains("ledger of 2 request(s) is not built yet") && said.contains("changedesk migrate"), "{said}");
        let built = run(&["migrate"]);
        assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
        assert!(String::from_utf8_lossy(&built.stdout).contains("built the ledger of 2 request(s)"));
        let again = run(&["migrate"]);
        assert!(!String::from_utf8_lossy(&again.stdout).contains("built the ledger"), "nothing to do twice");
        assert_eq!(stored(&app.database_url), before, "the built ledger is the one live writes keep");
        assert_eq!(mail_bodies(&app.database_url), mail_before, "each message keeps its bodies down and up again");
    }
}

/// Each outbox message's id, subject and bodies.
fn mail_bodies(url: &str) -> Vec<(String, String, String, String)> {
    let rows = changedesk::db::list_mail(&mut connect(url).get().unwrap(), None, 1000).unwrap();
    rows.into_iter().map(|r| (r.id, r.subject, r.text_body, r.html_body)).collect()
}

fn connect(url: &str) -> changedesk::db::Pool {
    changedesk::db::connect(&changedesk::db::DatabaseUrl::parse(url).unwrap(), 1).unwrap()
}

/// Per request number: its stored stretches; its first answer and its team's first response.
type Stored = (Vec<(i64, changedesk::db::StretchRow)>, Vec<(i64, Option<NaiveDateTime>, Option<NaiveDateTime>)>);

/// The stored ledger and the first-answer columns, by request number.
fn stored(url: &str) -> Stored {
    use changedesk::db::schema::{request_stretches, requests};
    let pool = connect(url);
    let mut conn = pool.get().unwrap();
    let ledger = request_stretches::table
        .inner_join(requests::table)
        .order((requests::number, request_stretches::seq))
        .select((requests::number, changedesk::db::StretchRow::as_select()))
        .load(&mut conn)
        .unwrap();
    let answers = requests::table
        .order(requests::number)
        .select((requests::number, requests::first_answer_at, requests::team_first_response_at))
        .load(&mut conn)
        .unwrap();
    (ledger, answers)
}

/// One step of a random history, applied through the service's units of work.
#[derive(Debug, Clone)]
enum Step {
    /// Time passes, in minutes.
    Wait(i64),
    /// A status move, the `n`th of those allowed from where the request is (with a note?).
    Move(usize, bool),
    /// A comment by the holding team's agent (internal?) or by the requester.
    Comment { internal: bool, by_requester: bool },
    /// Handed to the other team.
    HandOver,
    /// Assigned to the holding team's agent.
    Assign,
    /// The SLA sweeper records escalations due now.
    Sweep,
    /// A history row imported beside it, with first response and resolution after so many
    /// minutes (0: none) and a final status.
    Import(i64, i64, usize),
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        3 => (1i64..3000).prop_map(Step::Wait),
        4 => (0usize..3, any::<bool>()).prop_map(|(n, note)| Step::Move(n, note)),
        2 => (any::<bool>(), any::<bool>()).prop_map(|(internal, by_requester)| Step::Comment { internal, by_requester }),
        1 => Just(Step::HandOver),
        1 => Just(Step::Assign),
        1 => Just(Step::Sweep),
        1 => (0i64..2000, 0i64..20000, 0usize..7).prop_map(|(fr, res, s)| Step::Import(fr, res, s)),
    ]
}

on_both_backends! {
    async fn random_histories_leave_the_stored_state_equal_to_the_derivation(app: TestApp) {
        use changedesk::domain::{RequestInput, Status};
        use changedesk::service::{import, requests, users, verify};
        use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

        let cast = app.cast();
        let _ = cast;
        let pool = app.pool.clone();
        let notifier = app.notifier.clone();
        let in_force = changedesk::service::in_force::ConfigCache::default();
        let mut conn = pool.get().unwrap();
        let actor = |conn: &mut changedesk::db::AnyConnection, email: &str| {
            let user = changedesk::db::user_by_email(conn, email).unwrap().unwrap();
            users::actor(conn, user).unwrap()
        };
        let (ann, ian, mia) = (actor(&mut conn, "ann@example.org"), actor(&mut conn, "ian@example.org"), actor(&mut conn, "mia@example.org"));
        let config = Config { cases: 200, failure_persistence: None, ..Config::default() };
        let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]));
        let histories = proptest::collection::vec(step(), 1..14);
        let (conn, case) = (std::cell::RefCell::new(conn), std::cell::Cell::new(0i64));
        let result = runner.run(&(proptest::bool::ANY, histories), |(to_it, steps)| {
            let mut conn = conn.borrow_mut();
            let conn = &mut *conn;
            case.set(case.get() + 1);
            let case = case.get();
            // Each history starts on its own Monday, 09:00 UTC.
            let mut now = time("2026-11-16T09:00:00Z") + chrono::TimeDelta::weeks(case);
            let input = RequestInput {
                title: format!("History {case}"),
                description: "random".into(),
                category: if to_it { "bug" } else { "content" }.into(),
                ..Default::default()
            };
            let filed = requests::create(conn, &ann, &notifier, &in_force, &input, now).unwrap();
            let key = filed.request.key.clone();
            for step in &steps {
                let current = requests::show(conn, &ian, &key, now).unwrap().request;
                let agent = if current.team == "it" { &ian } else { &mia };
                // Refused steps are part of the history too: they must leave nothing behind.
                match step {
                    Step::Wait(minutes) => now += chrono::TimeDelta::minutes(*minutes),
                    Step::Move(n, note) => {
                        let from = Status::parse(&current.status).unwrap();
                        let Some(to) = from.allowed_moves().get(n % from.allowed_moves().len().max(1)) else { continue };
                        let who = if from == Status::Resolved || *to == Status::Withdrawn { &ann } else { agent };
                        let note = (*note || *to == Status::Rejected).then(|| "a note".to_owned());
                        // Waiting on a vendor pauses the clocks; on another team it does not.
                        let reason = (*to == Status::Waiting)
                            .then(|| if n % 2 == 0 { "vendor" } else { "another_team" }.to_owned());
                        let input = requests::StatusInput { status: to.as_str().into(), note, reason };
                        let _ = requests::change_status(conn, who, &notifier, &key, &input, now);
                    }
                    Step::Comment { internal, by_requester } => {
                        let who = if *by_requester { &ann } else { agent };
                        let input = requests::CommentInput { body: "words".into(), internal: *internal && !by_requester };
                        let _ = requests::comment(conn, who, &notifier, &key, &input, now);
                    }
                    Step::HandOver => {
                        let to = if current.team == "it" { "marketing" } else { "it" };
                        let input = requests::ReassignInput { team: to.into(), reason: "not ours".into() };
                        let _ = requests::reassign(conn, agent, &notifier, &key, &input, now);
                    }
                    Step::Assign => {
                        let input = requests::AssignInput { assignee: Some(agent.email.clone()) };
                        let _ = requests::assign(conn, agent, &notifier, &key, &input, now);
                    }
                    Step::Sweep => {
                        changedesk::workers::sla_sweeper::sweep(&pool, &notifier, now).unwrap();
                    }
                    Step::Import(fr, res, s) => {
                        let status = ["new", "acknowledged", "in_progress", "waiting_on_requester", "resolved", "closed", "rejected"][*s];
                        let created = now - chrono::TimeDelta::days(30);
                        let at = |m: i64| (created + chrono::TimeDelta::minutes(m)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
                        let first = if status == "new" { String::new() } else { at(*fr + 1) };
                        let resolved = if matches!(status, "resolved" | "closed") { at(*fr + 1 + *res + 1) } else { String::new() };
                        let csv = format!(
                            "title,category,team,priority,requester_email,created_at,first_response_at,resolved_at,status\n\
                             Imported {case},bug,it,P3,ann@example.org,{},{first},{resolved},{status}\n",
                            at(0)
                        );
                        let ctx = import::ImportContext::load(conn).unwrap();
                        let rows = import::validate(csv.as_bytes(), &ctx, now).unwrap_or_else(|e| panic!("{e:?}\n{csv}"));
                        import::import(conn, rows, "history.csv", now, &|_| {}).unwrap();
                    }
                }
            }
            let verified = verify::verify(conn, false, &|_, _| {}).unwrap();
            proptest::prop_assert!(verified.drift.is_empty(), "{:?} after {:?}", verified.drift, steps);
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
        assert!(case.get() >= 200, "{} histories", case.get());
    }

    async fn verify_finds_a_tampered_row_and_repair_mends_it(app: TestApp) {
        let cast = app.cast();
        worked_example(&app, &cast).await;
        app.file(&cast.bob, "Landing page", "For the launch", "content").await;
        let run = |args: &[&str]| {
            Command::new(env!("CARGO_BIN_EXE_changedesk"))
                .args(args)
                .env("DATABASE_URL", &app.database_url)
                .env_remove("RUST_LOG")
                .output()
                .unwrap()
        };
        let clean = run(&["verify"]);
        assert_eq!(clean.status.code(), Some(0), "{}", String::from_utf8_lossy(&clean.stderr));
        assert!(String::from_utf8_lossy(&clean.stdout).contains("checked 2 request(s), 0 drifted"));
        {
            use changedesk::db::schema::{request_stretches, requests};
            let pool = connect(&app.database_url);
            let mut conn = pool.get().unwrap();
            diesel::update(request_stretches::table.filter(request_stretches::seq.eq(0)))
                .filter(request_stretches::business_minutes.eq(1080))
                .set(request_stretches::business_minutes.eq(999))
                .execute(&mut conn)
                .unwrap();
            diesel::update(requests::table.filter(requests::number.eq(2)))
                .set(requests::fr_due_at.eq(time("2030-01-01T00:00:00Z").naive_utc()))
                .execute(&mut conn)
                .unwrap();
        }
        let found = run(&["verify"]);
        let out = String::from_utf8_lossy(&found.stdout);
        assert_eq!(found.status.code(), Some(3), "{out}");
        assert!(out.contains("CR-1: ledger drifted") && out.contains("CR-2: clocks drifted"), "{out}");
        let repaired = run(&["verify", "--repair"]);
        assert_eq!(repaired.status.code(), Some(3));
        assert!(String::from_utf8_lossy(&repaired.stdout).contains("CR-1: ledger repaired"));
        let again = run(&["verify"]);
        assert_eq!(again.status.code(), Some(0), "{}", String::from_utf8_lossy(&again.stdout));
        let broken = Command::new(env!("CARGO_BIN_EXE_changedesk"))
            .args(["verify"])
            .env("DATABASE_URL", "sqlite:///dev/null/x.db")
            .output()
            .unwrap();
        assert_eq!(broken.status.code(), Some(1), "any other failure");
    }
}

on_both_backends! {
    async fn a_report_covers_five_years_and_all_of_their_requests(app: TestApp) {
        let lee = app.user("lee@example.org", Role::Lead, &["it"]);
        let mut csv = String::from("title,category,team,priority,requester_email,created_at,first_response_at,resolved_at,status\n");
        for year in 2021..=2025 {
            csv.push_str(&format!(
                "Year {year},bug,it,P3,ann@example.org,{year}-03-02T09:00:00Z,{year}-03-02T09:30:00Z,{year}-03-02T12:00:00Z,closed\n"
            ));
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("history.csv");
        std::fs::write(&file, csv).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_changedesk"))
            .arg("import")
            .arg(&file)
            .env("DATABASE_URL", &app.database_url)
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let r = app.get("/api/v1/reports/sla?from=2021-01-01&to=2025-12-31", &lee).await.ok();
        let it = team(&r["teams"], "it");
        assert_eq!(it["requests"], 5, "one a year, all counted");
        assert_eq!(it["first_response"]["median_business_minutes"], 30);
        assert_eq!(it["first_response_attainment"], 1.0);
        let one_year = app.get("/api/v1/reports/sla?from=2023-01-01&to=2023-12-31", &lee).await.ok();
        assert_eq!(team(&one_year["teams"], "it")["requests"], 1);
    }
}
