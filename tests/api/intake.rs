//! Filing's way in: the configuration held in memory and refreshed by its stamp, grouped
//! commits that lose nothing across a kill -9, and overload answered 503 with nothing written.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use changedesk::domain::Role;
use changedesk::service::{admin, users};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use reqwest::Method;
use serde_json::json;

use crate::cli::{changedesk, output, serve};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends! {
    async fn a_configuration_changed_elsewhere_is_used_by_the_next_filing(app: TestApp) {
        let cast = app.cast();
        let first = app.file(&cast.ann, "Footer link broken", "on the pricing page", "bug").await;
        assert_eq!(first["team"], "it");
        // Another instance (here: the test's own pool, which shares no memory with the
        // service) gives bugs to Marketing, renames IT and changes the SLA policies.
        let mut conn = app.pool.get().unwrap();
        let ada = changedesk::db::user_by_email(&mut conn, "ada@example.org").unwrap().unwrap();
        let ada = users::actor(&mut conn, ada).unwrap();
        let now = app.clock.now();
        admin::change_map(&mut conn, &ada, now, "categories", |map| {
            map.categories.iter_mut().filter(|c| c.key == "bug").for_each(|c| c.team = Some("marketing".into()));
        })
        .unwrap();
        let mut teams = admin::teams(&mut conn).unwrap();
        teams.iter_mut().filter(|t| t.key == "marketing").for_each(|t| t.name = "Web marketing".into());
        admin::put_teams(&mut conn, &ada, &teams, now).unwrap();
        let before = first["sla_version"].as_i64().unwrap();
        admin::change_sla(&mut conn, &ada, now, "sla_policies", |c| {
            c.policies.iter_mut().for_each(|p| p.first_response_minutes += 1);
        })
        .unwrap();

        let second = app.file(&cast.ann, "Footer link broken again", "on the home page", "bug").await;
        assert_eq!(second["team"], "marketing", "the new map routed it: {second:#}");
        assert_eq!(second["routing"]["version"].as_i64(), Some(first["routing"]["version"].as_i64().unwrap() + 1));
        assert_eq!(second["sla_version"].as_i64(), Some(before + 1), "the new SLA configuration measures it");
        let notice = app.outbox().into_iter().find(|m| m.request_id.as_deref() == second["id"].as_str()).unwrap();
        assert!(notice.subject.contains("Web marketing"), "the renamed team: {}", notice.subject);
    }
}

/// Holds the database's write lock from outside the service, as another process (SQLite) or
/// another session (PostgreSQL) would, until dropped.
#[allow(dead_code)] // held only for its lock
enum WriteLock {
    Sqlite(diesel::SqliteConnection),
    Postgres(diesel::PgConnection),
}

fn hold_writes(url: &str) -> WriteLock {
    match url.strip_prefix("sqlite://") {
        Some(path) => {
            let mut conn = diesel::SqliteConnection::establish(path).unwrap();
            conn.batch_execute("BEGIN IMMEDIATE").unwrap();
            WriteLock::Sqlite(conn)
        }
        None => {
            // Every filing takes the next key from the counters table.
            let mut conn = diesel::PgConnection::establish(url).unwrap();
            conn.batch_execute("BEGIN; LOCK TABLE counters IN EXCLUSIVE MODE").unwrap();
            WriteLock::Postgres(conn)
        }
    }
}

/// A filing's status, its Retry-After header and its body.
async fn file_raw(app: &TestApp, token: &str, i: usize) -> (u16, Option<String>, serde_json::Value) {
    let body = json!({ "title": format!("Filing {i}"), "description": "d", "category": "bug" });
    let resp = app
        .client
        .post(format!("{}/api/v1/requests", app.address))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let retry = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    (resp.status().as_u16(), retry, resp.json().await.unwrap_or_default())
}

/// The writer is held up by a lock taken outside the service: while it waits with the first
/// filing, two more fit the queue (capacity 2) and eight are refused at once; when the lock
/// goes, the first is committed and the two queued ones, having waited past their 600 ms, are
/// refused without starting. Every refusal is a 503 with Retry-After and leaves nothing.
async fn overload_is_answered_503_and_writes_nothing(app: TestApp) {
    let ann = app.user("ann@example.org", Role::Requester, &[]);
    let lock = hold_writes(&app.database_url);
    let release = async {
        tokio::time::sleep(Duration::from_millis(2000)).await;
        drop(lock);
    };
    let wave = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        futures_util::future::join_all((1..=10).map(|i| file_raw(&app, &ann, i))).await
    };
    let ((), first, wave) = tokio::join!(release, file_raw(&app, &ann, 0), wave);
    assert_eq!(first.0, 201, "the filing that held the writer's turn is committed: {:#}", first.2);
    assert_eq!(first.2["key"], "CR-1");
    for (status, retry, body) in &wave {
        assert_eq!(*status, 503, "{body:#}");
        assert_eq!(retry.as_deref(), Some("1"), "503 says when to retry");
        assert_eq!(body["error"]["code"], "unavailable", "{body:#}");
    }
    let mut conn = app.pool.get().unwrap();
    assert_eq!(changedesk::db::count_requests(&mut conn).unwrap(), 1, "no refused filing was written");
    assert_eq!(app.outbox().len(), 1, "nor its mail");
    let next = file_raw(&app, &ann, 11).await;
    assert_eq!((next.0, next.2["key"].as_str()), (201, Some("CR-2")), "no key was spent on a refusal");
}

#[tokio::test]
async fn overload_is_answered_503_and_writes_nothing_on_sqlite() {
    let app = spawn_app_with(Backend::Sqlite, overload_settings).await.unwrap();
    overload_is_answered_503_and_writes_nothing(app).await;
}

#[tokio::test]
async fn overload_is_answered_503_and_writes_nothing_on_postgres() {
    if let Some(app) = spawn_app_with(Backend::Postgres, overload_settings).await {
        overload_is_answered_503_and_writes_nothing(app).await;
    }
}

fn overload_settings(s: &mut changedesk::config::Settings) {
    s.database.write_queue = 2;
    s.database.write_wait_ms = 600;
}

/// Sixteen clients file as fast as the server takes them, so commits hold groups of filings;
/// the server is killed with SIGKILL in the middle. Every filing answered 201 is stored with
/// its events, the keys have no gap (a group is committed whole or not at all), and the
/// stored state equals its derivation. Each filing carries an `Idempotency-Key`: a client whose
/// filing went unanswered sends it again to the restarted server and gets one request, whether
/// its first try was committed or not.
async fn a_kill_9_during_grouped_commits_loses_no_acknowledged_filing(url: String) {
    let add = ["user", "add", "--email", "ann@example.org", "--name", "Ann", "--role", "requester"];
    let (ok, _, err) = output(changedesk(&url).args(add));
    assert!(ok, "{err}");
    let (ok, token, err) = output(changedesk(&url).args(["token", "create", "--email", "ann@example.org"]));
    assert!(ok, "{err}");
    let token = token.trim().to_owned();
    let mail = tempfile::tempdir().unwrap();
    let (mut server, address, _log) =
        serve(changedesk(&url).args(["serve", "--bind", "127.0.0.1:0"]).env("CHANGEDESK__MAIL__FILE_DIR", mail.path()));
    let client = reqwest::Client::new();
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let unanswered = Arc::new(Mutex::new(Vec::new()));
    let file = |address: &str, key: &str, body: &serde_json::Value| {
        let sent = client.request(Method::POST, format!("{address}/api/v1/requests")).bearer_auth(&token);
        sent.header("Idempotency-Key", key).json(body).send()
    };
    let filer = |c: usize| {
        let (address, acknowledged, unanswered, file) = (&address, acknowledged.clone(), unanswered.clone(), &file);
        async move {
            for i in 0.. {
                let body = json!({ "title": format!("Client {c} filing {i}"), "description": "d", "category": "bug" });
                let key = format!("client-{c}-filing-{i}");
                let Ok(resp) = file(address, &key, &body).await else {
                    unanswered.lock().unwrap().push((key, body));
                    return;
                };
                let status = resp.status().as_u16();
                let Ok(body) = resp.json::<serde_json::Value>().await else {
                    unanswered.lock().unwrap().push((key, body));
                    return;
                };
                assert_eq!(status, 201, "{body:#}");
                acknowledged.lock().unwrap().push(body["id"].as_str().unwrap().to_owned());
            }
        }
    };
    let kill = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        server.0.kill().unwrap(); // SIGKILL
        server.0.wait().unwrap();
    };
    tokio::join!(kill, futures_util::future::join_all((0..16).map(filer)));

    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 16, "the server filed before it was killed: {}", acknowledged.len());
    let committed_before_retries = {
        let pool = changedesk::db::connect(&changedesk::db::DatabaseUrl::parse(&url).unwrap(), 1).unwrap();
        changedesk::db::count_requests(&mut pool.get().unwrap()).unwrap()
    };
    // The clients that heard nothing retry, with the same key and body, once the service is back.
    let unanswered = unanswered.lock().unwrap().clone();
    assert_eq!(unanswered.len(), 16, "every client was cut off once");
    let (_server, address, _log) =
        serve(changedesk(&url).args(["serve", "--bind", "127.0.0.1:0"]).env("CHANGEDESK__MAIL__FILE_DIR", mail.path()));
    let mut replayed = 0;
    for (key, body) in &unanswered {
        let resp = file(&address, key, body).await.unwrap();
        assert_eq!(resp.status().as_u16(), 201, "{key}");
        replayed += usize::from(resp.headers().get("idempotent-replayed").is_some());
        let answer: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(answer["title"], body["title"], "{key}");
    }
    assert_eq!(
        replayed as i64,
        committed_before_retries - acknowledged.len() as i64,
        "every filing committed but unanswered before the kill was answered on retry, not filed again"
    );
    let pool = changedesk::db::connect(&changedesk::db::DatabaseUrl::parse(&url).unwrap(), 1).unwrap();
    let stored = changedesk::db::count_requests(&mut pool.get().unwrap()).unwrap();
    assert_eq!(stored, (acknowledged.len() + unanswered.len()) as i64, "one request per key");
    drop(_server);
    let pool = changedesk::db::connect(&changedesk::db::DatabaseUrl::parse(&url).unwrap(), 1).unwrap();
    let mut conn = pool.get().unwrap();
    for id in &acknowledged {
        assert!(changedesk::db::find_request(&mut conn, id).unwrap().is_some(), "acknowledged {id} was lost");
        let kinds: Vec<String> =
            changedesk::db::events_of(&mut conn, id).unwrap().iter().map(|e| e.event.kind().to_owned()).collect();
        assert_eq!(kinds, ["created", "routed"], "{id}");
    }
    let stored = changedesk::db::count_requests(&mut conn).unwrap();
    assert!(stored >= acknowledged.len() as i64);
    let last = changedesk::db::find_request(&mut conn, &format!("CR-{stored}")).unwrap();
    let after = changedesk::db::find_request(&mut conn, &format!("CR-{}", stored + 1)).unwrap();
    assert!(last.is_some() && after.is_none(), "keys 1..={stored} have no gap");
    drop(conn);
    let (ok, out, err) = output(changedesk(&url).arg("verify"));
    assert!(ok, "stored state equals its derivation after the kill: {out}{err}");
}

#[tokio::test]
async fn a_kill_9_during_grouped_commits_loses_no_acknowledged_filing_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    a_kill_9_during_grouped_commits_loses_no_acknowledged_filing(format!(
        "sqlite://{}",
        dir.path().join("crash.db").display()
    ))
    .await;
}

#[tokio::test]
async fn a_kill_9_during_grouped_commits_loses_no_acknowledged_filing_on_postgres() {
    if let Some(database) = fresh_postgres_database() {
        a_kill_9_during_grouped_commits_loses_no_acknowledged_filing(database.url.clone()).await;
    }
}

/// Files with an `Idempotency-Key` on `base`; answers (status, body, replayed).
async fn file_keyed(base: &str, token: &str, key: &str, title: &str) -> (u16, serde_json::Value, bool) {
    let body = json!({ "title": title, "description": "The hero image is blurry", "category": "bug" });
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v1/requests"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let replayed = resp.headers().get("idempotent-replayed").is_some_and(|v| v == "true");
    (resp.status().as_u16(), resp.json().await.unwrap_or_default(), replayed)
}

on_both_backends! {
    async fn a_retry_with_the_same_idempotency_key_files_nothing_new(app: TestApp) {
        let cast = app.cast();
        let base = app.address.clone();
        let (status, first, replayed) = file_keyed(&base, &cast.ann, "3f1c-retry", "Hero image").await;
        assert_eq!((status, replayed), (201, false), "{first:#}");
        app.set_status(&cast.ian, "CR-1", "acknowledged", None).await.ok();
        let (status, again, replayed) = file_keyed(&base, &cast.ann, "3f1c-retry", "Hero image").await;
        assert_eq!((status, replayed), (201, true), "{again:#}");
        assert_eq!((again["id"].clone(), again["status"].clone()), (first["id"].clone(), json!("acknowledged")),
            "the request the key filed, as it is now");
        let notices = app.outbox().into_iter().filter(|m| m.kind == "request_created").count();
        assert_eq!(notices, 1, "one new-request notice: nothing was filed again");
        let (status, other, _) = file_keyed(&base, &cast.ann, "3f1c-retry", "Another title").await;
        assert_eq!(status, 422, "{other:#}");
        assert!(other["error"]["fields"]["Idempotency-Key"].as_str().unwrap().contains("another body"), "{other:#}");
        let (status, bobs, _) = file_keyed(&base, &cast.bob, "3f1c-retry", "Hero image").await;
        assert_eq!(status, 201, "keys are their caller's: {bobs:#}");
        assert_ne!(bobs["id"], first["id"]);
        for bad in ["", "has space", &"k".repeat(256)] {
            let (status, body, _) = file_keyed(&base, &cast.ann, bad, "Hero image").await;
            assert_eq!(status, 422, "{bad:?}: {body:#}");
        }
        app.clock.advance(chrono::TimeDelta::hours(24) + chrono::TimeDelta::seconds(1));
        let (status, later, replayed) = file_keyed(&base, &cast.ann, "3f1c-retry", "Another title").await;
        assert_eq!((status, replayed), (201, false), "a key is kept 24 hours: {later:#}");
        // Twelve at once, on two instances: one request; each answer is it, or 409 while it is
        // being filed.
        let second = app.second_instance();
        let tries = (0..12).map(|i| {
            let (base, token) = (if i % 2 == 0 { base.clone() } else { second.clone() }, cast.mia.clone());
            async move { file_keyed(&base, &token, "burst", "Checkout down").await }
        });
        let answers = futures_util::future::join_all(tries).await;
        let filed: Vec<&serde_json::Value> = answers.iter().filter(|a| a.0 == 201).map(|a| &a.1["id"]).collect();
        assert!(!filed.is_empty() && filed.iter().all(|id| *id == filed[0]), "{answers:?}");
        assert!(answers.iter().all(|a| a.0 == 201 || (a.0 == 409 && a.1["error"]["code"] == "conflict")), "{answers:?}");
        let mut conn = app.pool.get().unwrap();
        assert_eq!(changedesk::db::count_requests(&mut conn).unwrap(), 4, "CR-1, Bob's, the one after 24 hours, the burst's");
    }
}
