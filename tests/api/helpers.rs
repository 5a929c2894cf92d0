//! Test harness: `spawn_app` starts the real application on a random port with a fresh
//! database (a temp SQLite file, or a new PostgreSQL database on the server named by
//! `TEST_DATABASE_URL`) and an injected clock.

use std::path::Path;

use changedesk::clock::Clock;
use changedesk::config::{Secret, Settings};
use changedesk::db::{self, Pool};
use changedesk::domain::Role;
use changedesk::mail::Mailer;
use changedesk::service::notify::Notifier;
use changedesk::service::users::{self, NewUser};
use changedesk::startup::Application;
use changedesk::workers::outbox::{self, Dispatched};
use chrono::{DateTime, TimeZone, Utc};
use diesel::{Connection, RunQueryDsl, pg::PgConnection};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// `on_both_backends!` with the settings changed first (`with |s| ...;` before the body).
#[macro_export]
macro_rules! on_both_backends_with {
    ($(async fn $name:ident($app:ident: TestApp) with $change:expr; $body:block)+) => {$(
        mod $name {
            use super::*;
            async fn run($app: TestApp) $body
            #[tokio::test]
            async fn sqlite() {
                run($crate::helpers::spawn_app_with($crate::helpers::Backend::Sqlite, $change).await.unwrap()).await
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(app) = $crate::helpers::spawn_app_with($crate::helpers::Backend::Postgres, $change).await {
                    run(app).await
                }
            }
        }
    )+};
}

/// Runs each test body once on SQLite and once on PostgreSQL, as `<name>::sqlite` and
/// `<name>::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($(async fn $name:ident($app:ident: TestApp) $body:block)+) => {$(
        mod $name {
            use super::*;
            async fn run($app: TestApp) $body
            #[tokio::test]
            async fn sqlite() {
                run($crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await.unwrap()).await
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await {
                    run(app).await
                }
            }
        }
    )+};
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub clock: Clock,
    pub pool: Pool,
    pub database_url: String,
    pub notifier: Notifier,
    pub mailer: Mailer,
    pub settings: Settings,
    _dir: tempfile::TempDir,
    // Last, so the pool above is closed before the database is dropped.
    _database: Option<TestDatabase>,
}

/// Monday 16 November 2026, 09:00 UTC: the injected clock's start.
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 16, 9, 0, 0).unwrap()
}

pub fn time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Settings from config/ with the database replaced.
pub fn test_settings(database_url: &str) -> Settings {
    let mut settings = Settings::load(Path::new("config")).expect("config/default.toml loads");
    settings.database.url = Secret::new(database_url);
    settings.database.pool_size = 4;
    // Tests sweep explicitly, at the times they choose.
    settings.sla.sweep_interval_seconds = 86_400;
    settings.digest.check_interval_seconds = 86_400;
    // Tests send mail explicitly too (`dispatch_mail_at`): the outbox worker never runs in them.
    settings.mail.outbox.poll_interval_seconds = 86_400;
    // Digest tests name their recipients and turn the teams' digests on; the others send none.
    settings.digest.recipients = vec![];
    settings.digest.team_digests = false;
    // Tests that count mail count the team's and the requester's updates; the receipt on filing
    // is tested where it is turned back on (tests/api/mail_in.rs).
    settings.mail.confirm_filing = false;
    // Tests that file name their category's fields where they test them (request_types.rs);
    // the others file into categories that ask for none.
    settings.request_types.seed_defaults = false;
    settings.server.bind = "127.0.0.1:0".parse().unwrap();
    settings
}

/// A PostgreSQL database made for one test, dropped when the test is done: every test makes
/// one (some 17 MB each), and a whole run that kept them would fill a small disk.
pub struct TestDatabase {
    pub url: String,
    admin_url: String,
    name: String,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // FORCE ends the connections the test's server and pool still hold; a failure here
        // only leaves a database behind for the server's own clean-up.
        if let Ok(mut conn) = PgConnection::establish(&self.admin_url) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).execute(&mut conn);
        }
    }
}

/// A fresh, empty PostgreSQL database on the test server, or `None` when the PostgreSQL half
/// is explicitly skipped. Without TEST_DATABASE_URL and without the skip flag, it fails loudly.
pub fn fresh_postgres_database() -> Option<TestDatabase> {
    let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
        if std::env::var("CHANGEDESK_SKIP_POSTGRES").as_deref() == Ok("1") {
            eprintln!("SKIPPED: PostgreSQL half (CHANGEDESK_SKIP_POSTGRES=1)");
            return None;
        }
        panic!(
            "TEST_DATABASE_URL is not set, so the PostgreSQL half of this test cannot run. \
             Run tests/run (starts a PostgreSQL server), or set CHANGEDESK_SKIP_POSTGRES=1 to \
             run only the SQLite half."
        );
    };
    let name = format!("changedesk_test_{}", uuid::Uuid::now_v7().simple());
    let mut conn = PgConnection::establish(&admin_url).expect("connect to TEST_DATABASE_URL");
    diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).expect("create test database");
    let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&name);
    Some(TestDatabase { url: url.to_string(), admin_url, name })
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// Like `spawn_app`, with settings changed first (e.g. mail through a test SMTP server).
pub async fn spawn_app_with(backend: Backend, change: impl FnOnce(&mut Settings)) -> Option<TestApp> {
    let dir = tempfile::tempdir().unwrap();
    let (url, database) = match backend {
        Backend::Sqlite => (format!("sqlite://{}", dir.path().join("test.db").display()), None),
        Backend::Postgres => {
            let database = fresh_postgres_database()?;
            (database.url.clone(), Some(database))
        }
    };
    let mut settings = test_settings(&url);
    settings.mail.file_dir = dir.path().join("mail");
    change(&mut settings);
    let clock = Clock::manual(start_time());
    let app = Application::build(settings.clone(), clock.clone()).expect("application builds");
    let address = format!("http://{}", app.addr());
    tokio::spawn(app.run_until_stopped());
    let pool = db::connect(&db::DatabaseUrl::parse(&url).unwrap(), 2).unwrap();
    let notifier = Notifier::from_settings(&settings);
    // The app made the reply addresses' key on start; the tests' sender uses the same.
    let reply =
        changedesk::service::inbound::reply_addresses(&mut pool.get().unwrap(), &settings, start_time()).unwrap();
    let mailer = Mailer::from_settings(&settings.mail).unwrap().with_reply_addresses(reply);
    Some(TestApp {
        address,
        client: reqwest::Client::new(),
        clock,
        pool,
        database_url: url,
        notifier,
        mailer,
        settings,
        _dir: dir,
        _database: database,
    })
}

/// A response's status and JSON body (Null when the body is not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub location: Option<String>,
}

impl Reply {
    /// Asserts an error reply: its status and the `error.code` of the JSON error body.
    pub fn assert_error(&self, status: u16, code: &str) -> &Self {
        assert_eq!(self.status.as_u16(), status, "{:#}", self.body);
        assert_eq!(self.body["error"]["code"], code, "{:#}", self.body);
        assert!(self.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{:#}", self.body);
        assert!(self.body["error"]["fields"].is_object(), "{:#}", self.body);
        self
    }

    pub fn ok(self) -> Value {
        assert!(self.status.is_success(), "{} {:#}", self.status, self.body);
        self.body
    }
}

impl TestApp {
    /// Runs one SLA sweep as if it were `at`; returns how many escalations it recorded.
    pub fn sweep_at(&self, at: &str) -> usize {
        changedesk::workers::sla_sweeper::sweep(&self.pool, &self.notifier, time(at)).unwrap()
    }

    /// Sends the mail due at `at`, as the outbox worker would.
    pub async fn dispatch_mail_at(&self, at: &str) -> Dispatched {
        outbox::dispatch(&self.pool, &self.mailer, &self.settings.mail.outbox, time(at)).await.unwrap()
    }

    /// The outbox, newest first.
    /// Takes one message in as the mail gate and the IMAP worker do.
    pub fn receive(&self, raw: &str) -> changedesk::service::inbound::Outcome {
        let config = changedesk::service::in_force::ConfigCache::default();
        let inbound = changedesk::service::inbound::Inbound {
            settings: &self.settings,
            notifier: &self.notifier,
            config: &config,
        };
        let raw = raw.replace("\r\n", "\n").replace('\n', "\r\n");
        changedesk::service::inbound::receive(&mut self.pool.get().unwrap(), &inbound, raw.as_bytes(), self.clock.now())
            .unwrap()
    }

    pub fn outbox(&self) -> Vec<changedesk::db::OutboxRow> {
        changedesk::db::list_mail(&mut self.pool.get().unwrap(), None, 1000).unwrap()
    }

    /// Adds a user with an API token; returns the token.
    pub fn user(&self, email: &str, role: Role, teams: &[&str]) -> String {
        let mut conn = self.pool.get().unwrap();
        let new = NewUser {
            email: email.into(),
            name: email.split('@').next().unwrap().into(),
            role,
            teams: teams.iter().map(|t| t.to_string()).collect(),
            password_hash: None,
        };
        users::add_user(&mut conn, &new, self.clock.now()).unwrap();
        users::create_token(&mut conn, email, "test", self.clock.now()).unwrap().1
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut req = self.client.request(method, format!("{}{}", self.address, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let location = resp.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
        let body = resp.json().await.unwrap_or(Value::Null);
        Reply { status, body, location }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    /// Files a request and returns it (asserting 201).
    pub async fn file(&self, token: &str, title: &str, description: &str, category: &str) -> Value {
        let body = json!({ "title": title, "description": description, "category": category });
        let reply = self.post("/api/v1/requests", token, body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:#}", reply.body);
        reply.body
    }

    pub async fn set_status(&self, token: &str, key: &str, status: &str, note: Option<&str>) -> Reply {
        self.post(&format!("/api/v1/requests/{key}/status"), token, json!({ "status": status, "note": note })).await
    }

    pub async fn comment(&self, token: &str, key: &str, body: &str, internal: bool) -> Reply {
        self.post(&format!("/api/v1/requests/{key}/comments"), token, json!({ "body": body, "internal": internal }))
            .await
    }

    /// The usual cast: a requester, an IT agent, a marketing agent and an admin.
    /// Another instance of the service on the same database, with its own port, pool and
    /// memory (as a second machine behind a load balancer would be); returns its address.
    pub fn second_instance(&self) -> String {
        let app = Application::build(self.settings.clone(), self.clock.clone()).expect("a second instance builds");
        let address = format!("http://{}", app.addr());
        tokio::spawn(app.run_until_stopped());
        address
    }

    pub fn cast(&self) -> Cast {
        Cast {
            ann: self.user("ann@example.org", Role::Requester, &[]),
            bob: self.user("bob@example.org", Role::Requester, &[]),
            ian: self.user("ian@example.org", Role::Agent, &["it"]),
            mia: self.user("mia@example.org", Role::Agent, &["marketing"]),
            ada: self.user("ada@example.org", Role::Admin, &[]),
        }
    }
}

/// Tokens of the usual cast.
pub struct Cast {
    /// Requester (marketer).
    pub ann: String,
    /// Another requester.
    pub bob: String,
    /// IT agent.
    pub ian: String,
    /// Marketing agent.
    pub mia: String,
    /// Admin, member of no team.
    pub ada: String,
}

/// A request's comments, oldest first: (author's email, body).
pub fn comments(r: &Value) -> Vec<(String, String)> {
    r["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "commented")
        .map(|e| (e["actor"]["email"].as_str().unwrap().to_owned(), e["data"]["body"].as_str().unwrap().to_owned()))
        .collect()
}

/// Event types of a request, oldest first.
pub fn event_types(request: &Value) -> Vec<String> {
    request["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect()
}
