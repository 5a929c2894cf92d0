//! In a real browser: a new colleague accepts an invitation, and a marketer who forgot her
//! password resets it from the sign-in page. Both pages pass axe-core.

use changedesk::domain::Role;
use serde_json::json;

use crate::browser::Browser;
use crate::helpers::{Backend, TestApp, spawn_app};
use crate::journey::{check_page, eventually, http_status, path, url};
use crate::pages::person;

const CHOSEN: &str = "marketing owns the hero image";

/// The link of the newest `kind` mail, as its reader would click it.
pub(crate) fn mailed_link(app: &TestApp, kind: &str) -> String {
    let mail = app.outbox().into_iter().filter(|m| m.kind == kind).max_by(|a, b| a.id.cmp(&b.id)).expect("a mail");
    let at = mail.text_body.find(&app.settings.server.base_url).expect("a link");
    mail.text_body[at..].split_whitespace().next().unwrap().to_owned()
}

/// Opens a mailed link on the test server (the mail names `server.base_url`).
pub(crate) async fn open_link(browser: &Browser, app: &TestApp, link: &str) {
    let path = link.strip_prefix(&app.settings.server.base_url).unwrap();
    browser.goto(&url(app, path)).await;
}

async fn choose_password(browser: &Browser) {
    browser.fill("#password", CHOSEN).await;
    browser.fill("#confirm", CHOSEN).await;
    browser.submit("form.narrow").await;
    eventually("to be signed in", || async move {
        let at = path(browser).await;
        if at.starts_with("/invitations/") || at.starts_with("/password-resets/") { Err(at) } else { Ok(()) }
    })
    .await;
}

#[tokio::test]
async fn a_new_colleague_accepts_an_invitation_and_a_marketer_resets_her_password() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let ada = app.user("ada@example.org", Role::Admin, &[]);
    person(&app, "ann@example.org", Role::Requester, &[]);
    let body = json!({ "email": "nia@example.org", "name": "Nia", "role": "agent", "teams": ["it"] });
    assert_eq!(app.post("/api/v1/users", &ada, body).await.status, 201);

    // Nia opens the invitation, chooses her password, and lands on her team's queue.
    let nia = Browser::start().await;
    let invitation = mailed_link(&app, "invitation");
    open_link(&nia, &app, &invitation).await;
    assert!(nia.text("h1").await.contains("choose your password"));
    check_page(&nia, "invitation").await;
    choose_password(&nia).await;
    assert_eq!(path(&nia).await, "/queues/it");
    open_link(&nia, &app, &invitation).await;
    assert_eq!(http_status(&nia).await, 404, "the link worked once");

    // Ann forgot her password: from the sign-in page to a new one, signed in.
    let ann = Browser::start().await;
    ann.goto(&url(&app, "/sign-in")).await;
    ann.click("a[href='/password-resets']").await;
    ann.fill("#email", "ann@example.org").await;
    check_page(&ann, "password-reset-request").await;
    ann.submit("form[action='/password-resets']").await;
    ann.wait_for("#reset-sent").await;
    open_link(&ann, &app, &mailed_link(&app, "password_reset")).await;
    assert!(ann.text("h1").await.contains("new password"));
    check_page(&ann, "password-reset").await;
    choose_password(&ann).await;
    assert_eq!(path(&ann).await, "/requests/mine");
}

#[tokio::test]
async fn a_marketer_signs_in_with_her_organisations_account() {
    let (app, _provider) = crate::sso::app_with_sso(Backend::Sqlite, |_| {}).await.unwrap();
    let alice = Browser::start().await;
    alice.goto(&url(&app, "/sign-in")).await;
    check_page(&alice, "sign-in-with-sso").await;
    alice.click("#sso").await;
    // The provider's own pages: its login form, then its consent form.
    alice.wait_for("input[name=login]").await;
    alice.fill("input[name=login]", "alice").await;
    alice.fill("input[name=password]", "any password").await;
    alice.submit("form").await;
    let browser = &alice;
    eventually("the provider's consent page", || async move {
        let html = browser.html().await;
        if html.contains("name=\"prompt\" value=\"consent\"") { Ok(()) } else { Err(html) }
    })
    .await;
    alice.submit("form").await;
    eventually("to be back at changedesk, signed in", || async move {
        let at = path(browser).await;
        if at == "/requests/mine" { Ok(()) } else { Err(at) }
    })
    .await;
    assert!(alice.html().await.contains("Alice Example"), "signed in under the name the provider gave");
}
