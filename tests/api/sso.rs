//! Single sign-on against a real, certified OpenID Connect provider (the npm package
//! oidc-provider, tests/oidc/provider.mjs) started on loopback: signing in, linking by verified
//! email then by (issuer, subject), and every refusal: an unverified email, a domain not
//! allowed, a wrong state, a wrong nonce, a login begun in another browser, a locked-out user;
//! password sign-in kept for admins only; SSO sessions that end after `sso.session_hours`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use changedesk::config::Settings;
use changedesk::domain::Role;
use diesel::prelude::*;
use reqwest::StatusCode;

use crate::helpers::*;
use crate::pages::{PASSWORD, Visitor, person};
use crate::smtp::free_port;

pub const CLIENT_ID: &str = "changedesk-tests";
const CLIENT_SECRET: &str = "a client secret for tests only";

/// The provider, stopped when dropped.
pub struct Provider {
    child: Child,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    /// Starts the provider on `port` for a client whose callback is `redirect_uri`. Fails loudly
    /// without TEST_OIDC_PROVIDER_DIR (where tests/run installs oidc-provider).
    pub fn start(port: u16, redirect_uri: &str) -> Self {
        let dir = std::env::var("TEST_OIDC_PROVIDER_DIR")
            .expect("TEST_OIDC_PROVIDER_DIR is not set: run tests/run, which installs oidc-provider from npm");
        // Node resolves `oidc-provider` from the script's own folder: run it from there.
        // Tests start providers concurrently: each writes its own copy and renames it into
        // place, so node never reads a copy another test is halfway through writing.
        let script = std::path::Path::new(&dir).join("provider.mjs");
        let staged = std::path::Path::new(&dir).join(format!("provider.{port}.mjs.tmp"));
        std::fs::copy("tests/oidc/provider.mjs", &staged).unwrap();
        std::fs::rename(&staged, &script).unwrap();
        let errors = std::path::Path::new(&dir).join(format!("provider.{port}.stderr"));
        let mut child = Command::new("node")
            .arg(&script)
            .args([&port.to_string(), CLIENT_ID, CLIENT_SECRET, redirect_uri])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&errors).unwrap())
            .spawn()
            .expect("node runs");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        if first.trim() != "ready" {
            let _ = child.wait();
            panic!("the provider did not start: {}", std::fs::read_to_string(&errors).unwrap_or_default());
        }
        let _ = std::fs::remove_file(&errors);
        // Whatever it prints later is drained: a closed pipe would end it at its next line.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        Self { child }
    }
}

/// An app whose single sign-on uses a fresh provider, with its settings changed by `change`.
pub async fn app_with_sso(backend: Backend, change: impl FnOnce(&mut Settings)) -> Option<(TestApp, Provider)> {
    let (port, idp_port) = (free_port(), free_port());
    let app = spawn_app_with(backend, |s| {
        s.server.bind = format!("127.0.0.1:{port}").parse().unwrap();
        s.server.base_url = format!("http://127.0.0.1:{port}");
        s.sso.issuer = format!("http://127.0.0.1:{idp_port}");
        s.sso.client_id = CLIENT_ID.into();
        s.sso.client_secret = changedesk::config::Secret::new(CLIENT_SECRET);
        s.sso.allowed_domains = vec!["example.org".into()];
        change(s);
    })
    .await?;
    let provider = Provider::start(idp_port, &format!("{}/sign-in/sso/callback", app.address));
    Some((app, provider))
}

/// A browser without a browser, for both sites: keeps cookies, follows no redirect.
fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn absolute(base: &str, location: &str) -> String {
    url::Url::parse(base).unwrap().join(location).unwrap().to_string()
}

/// Begins single sign-on at the app and goes through the provider's own login and consent pages
/// as `login`; answers the callback address the provider sends the browser back to, unvisited.
async fn through_provider(client: &reqwest::Client, app: &TestApp, login: &str) -> String {
    let begin = client.get(format!("{}/sign-in/sso?next=/requests/mine", app.address)).send().await.unwrap();
    assert_eq!(begin.status(), StatusCode::SEE_OTHER);
    let mut next = begin.headers()["location"].to_str().unwrap().to_owned();
    for _ in 0..12 {
        if next.starts_with(&app.address) {
            return next;
        }
        let page = client.get(&next).send().await.unwrap();
        if page.status().is_redirection() {
            next = absolute(&next, page.headers()["location"].to_str().unwrap());
            continue;
        }
        let at = next.clone();
        let html = page.text().await.unwrap();
        let action = html.split("action=\"").nth(1).and_then(|a| a.split('"').next()).expect("a form").to_owned();
        let form: Vec<(&str, &str)> = if html.contains("name=\"login\"") {
            vec![("prompt", "login"), ("login", login), ("password", "any password")]
        } else {
            vec![("prompt", "consent")]
        };
        let posted = client.post(absolute(&at, &action)).form(&form).send().await.unwrap();
        assert!(posted.status().is_redirection(), "{}: {}", posted.status(), posted.text().await.unwrap());
        next = absolute(&at, posted.headers()["location"].to_str().unwrap());
    }
    panic!("the provider never sent the browser back; last at {next}");
}

/// Visits the callback; answers its status, where it goes, and its page.
async fn back_at_app(client: &reqwest::Client, callback: &str) -> (StatusCode, Option<String>, String) {
    let resp = client.get(callback).send().await.unwrap();
    let location = resp.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
    (resp.status(), location, resp.text().await.unwrap())
}

fn with_state(callback: &str, state: &str) -> String {
    let mut url = url::Url::parse(callback).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.to_string(), if k == "state" { state.to_owned() } else { v.into_owned() }))
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    url.to_string()
}

async fn single_sign_on_signs_people_in_and_refuses_what_it_must(backend: Backend) {
    let Some((app, _provider)) = app_with_sso(backend, |_| {}).await else { return };
    person(&app, "bob@example.org", Role::Agent, &["it"]);

    // Alice is new: she gets an account as a requester and lands where she was going.
    let alice = browser();
    let callback = through_provider(&alice, &app, "alice").await;
    let (status, location, body) = back_at_app(&alice, &callback).await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/requests/mine")), "{body}");
    let mine = alice.get(format!("{}/requests/mine", app.address)).send().await.unwrap();
    assert_eq!(mine.status(), StatusCode::OK, "signed in");
    let again = back_at_app(&alice, &callback).await;
    assert_eq!(again.0, StatusCode::FORBIDDEN, "a callback works once");
    let mut conn = app.pool.get().unwrap();
    let alice_row = changedesk::db::user_by_email(&mut conn, "alice@example.org").unwrap().expect("an account");
    assert_eq!((alice_row.role.as_str(), alice_row.name.as_str()), ("requester", "Alice Example"));

    // Bob has an account: matched by his verified email, then by (issuer, subject) even after
    // his email changes here.
    let bob = browser();
    let callback = through_provider(&bob, &app, "bob").await;
    assert_eq!(back_at_app(&bob, &callback).await.0, StatusCode::SEE_OTHER);
    let schema = changedesk::db::schema::users::dsl::users;
    diesel::update(schema.filter(changedesk::db::schema::users::email.eq("bob@example.org")))
        .set(changedesk::db::schema::users::email.eq("robert@example.org"))
        .execute(&mut conn)
        .unwrap();
    let bob = browser();
    let callback = through_provider(&bob, &app, "bob").await;
    assert_eq!(back_at_app(&bob, &callback).await.0, StatusCode::SEE_OTHER);
    assert!(changedesk::db::user_by_email(&mut conn, "bob@example.org").unwrap().is_none(), "no second account");
    assert_eq!(
        bob.get(format!("{}/queues/it", app.address)).send().await.unwrap().status(),
        StatusCode::OK,
        "as the agent"
    );

    // Refused: an email the provider has not verified, a domain not allowed.
    for (login, says) in [("eve", "not verified"), ("mallory", "elsewhere.example")] {
        let client = browser();
        let callback = through_provider(&client, &app, login).await;
        let (status, _, body) = back_at_app(&client, &callback).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login}");
        assert!(body.contains(says), "{login}: {body}");
    }
    assert!(changedesk::db::user_by_email(&mut conn, "eve@example.org").unwrap().is_none());

    // A wrong state, and a login begun in another browser (login CSRF), are refused; the right
    // callback still works after them.
    let client = browser();
    let callback = through_provider(&client, &app, "alice").await;
    assert_eq!(back_at_app(&client, &with_state(&callback, "forged")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(back_at_app(&browser(), &callback).await.0, StatusCode::FORBIDDEN, "another browser");
    // ... the other browser's attempt used the login up: it works once, for its own browser.
    assert_eq!(back_at_app(&client, &callback).await.0, StatusCode::FORBIDDEN);

    // A wrong nonce: the ID token names the nonce this login sent; change what we expect.
    let client = browser();
    let callback = through_provider(&client, &app, "alice").await;
    diesel::update(changedesk::db::schema::sso_logins::table)
        .set(changedesk::db::schema::sso_logins::nonce.eq("not the nonce that was sent"))
        .execute(&mut conn)
        .unwrap();
    let (status, _, body) = back_at_app(&client, &callback).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("does not verify"), "{body}");

    // Locked out here: refused, her session ends, and her API tokens stop working.
    let (_, alices_token) =
        changedesk::service::users::create_token(&mut conn, "alice@example.org", "cli", app.clock.now()).unwrap();
    assert_eq!(app.get("/api/v1/requests", &alices_token).await.status, 200);
    app.user("ada@example.org", Role::Admin, &[]);
    let ada = changedesk::db::user_by_email(&mut conn, "ada@example.org").unwrap().unwrap();
    let admin = changedesk::service::users::actor(&mut conn, ada).unwrap();
    changedesk::service::users::set_active(&mut conn, &admin, "alice@example.org", false, app.clock.now()).unwrap();
    let client = browser();
    let callback = through_provider(&client, &app, "alice").await;
    let (status, _, body) = back_at_app(&client, &callback).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("locked"), "{body}");
    assert_eq!(mine_status(&alice, &app).await, StatusCode::SEE_OTHER, "her session ended when she was locked out");
    assert_eq!(app.get("/api/v1/requests", &alices_token).await.status, 401, "and her API tokens stopped working");

    // SSO sessions last `sso.session_hours` (8 by default).
    let bob = browser();
    let callback = through_provider(&bob, &app, "bob").await;
    assert_eq!(back_at_app(&bob, &callback).await.0, StatusCode::SEE_OTHER);
    app.clock.advance(chrono::TimeDelta::hours(7));
    assert_eq!(mine_status(&bob, &app).await, StatusCode::OK);
    app.clock.advance(chrono::TimeDelta::hours(1) + chrono::TimeDelta::minutes(1));
    assert_eq!(
        mine_status(&bob, &app).await,
        StatusCode::SEE_OTHER,
        "signed out after 8 hours: the provider is asked again"
    );
}

async fn mine_status(client: &reqwest::Client, app: &TestApp) -> StatusCode {
    client.get(format!("{}/requests/mine", app.address)).send().await.unwrap().status()
}

async fn passwords_can_be_kept_for_admins_only(backend: Backend) {
    let Some((app, _provider)) = app_with_sso(backend, |s| s.sso.password_sign_in = "admins".into()).await else {
        return;
    };
    person(&app, "ann@example.org", Role::Requester, &[]);
    person(&app, "ada@example.org", Role::Admin, &[]);
    let mut ann = Visitor::new(&app);
    let page = ann.get("/sign-in").await;
    assert!(page.body.contains("id=\"sso\""), "the sign-in page offers single sign-on");
    let csrf = page.csrf();
    let refused = ann.post("/sign-in", &[("csrf", &csrf), ("email", "ann@example.org"), ("password", PASSWORD)]).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.body.contains("only admins sign in with a password"), "{}", refused.body);
    let mut ada = Visitor::new(&app);
    assert_eq!(ada.sign_in("ada@example.org").await.status, StatusCode::SEE_OTHER, "break-glass: admins still can");
    // An admin who lost their password too: the command line sets a new one (from standard
    // input, never the command line), and their sessions end.
    let mut set = crate::cli::changedesk(&app.database_url)
        .args(["user", "set-password", "--email", "ada@example.org"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    set.stdin.take().unwrap().write_all(b"a recovered admin password\n").unwrap();
    assert!(set.wait().unwrap().success());
    assert_eq!(ada.get("/requests/mine").await.status, StatusCode::SEE_OTHER, "signed out");
    let csrf = ada.csrf("/sign-in").await;
    let back = ada
        .post("/sign-in", &[("csrf", &csrf), ("email", "ada@example.org"), ("password", "a recovered admin password")])
        .await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn single_sign_on_on_sqlite() {
    single_sign_on_signs_people_in_and_refuses_what_it_must(Backend::Sqlite).await;
}

#[tokio::test]
async fn single_sign_on_on_postgres() {
    single_sign_on_signs_people_in_and_refuses_what_it_must(Backend::Postgres).await;
}

#[tokio::test]
async fn passwords_for_admins_only_on_sqlite() {
    passwords_can_be_kept_for_admins_only(Backend::Sqlite).await;
}

#[tokio::test]
async fn passwords_for_admins_only_on_postgres() {
    passwords_can_be_kept_for_admins_only(Backend::Postgres).await;
}
