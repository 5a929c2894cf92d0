//! The pages in a real browser (tests/api/browser.rs), against the running app on SQLite: the
//! journey from a marketer's request to IT's acknowledgement, script payloads in every text
//! field, CSRF tokens tampered with in the page, and every page screenshotted and checked by
//! axe-core, with one walk through the request form by keyboard. (tests/api/pages.rs covers the
//! same pages over plain HTTP, on both backends.)

use std::future::Future;
use std::time::{Duration, Instant};

use changedesk::db;
use changedesk::domain::Role;
use diesel::prelude::*;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use serde_json::{Value, json};

use crate::browser::Browser;
use crate::helpers::{Backend, TestApp, spawn_app};
use crate::pages::{PASSWORD, person};

const ANN: &str = "ann@example.org";
const IAN: &str = "ian@example.org";

/// A fresh app on SQLite with a marketer (ann) and an IT agent (ian), both signing in with
/// `PASSWORD`.
async fn app_with_people() -> TestApp {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    person(&app, ANN, Role::Requester, &[]);
    person(&app, IAN, Role::Agent, &["it"]);
    app
}

pub(crate) fn url(app: &TestApp, path: &str) -> String {
    format!("{}{path}", app.address)
}

/// The path (and query) of the page the browser shows.
pub(crate) async fn path(browser: &Browser) -> String {
    let url = url::Url::parse(&browser.current_url().await).unwrap();
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// Checks again and again until `check` gives Ok, for up to 10 s; fails with what it saw last.
/// For what the page does on its own time (the live preview): waits, never times.
pub(crate) async fn eventually<T, F: Future<Output = Result<T, String>>>(
    what: &str,
    mut check: impl FnMut() -> F,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match check().await {
            Ok(found) => return found,
            Err(seen) if Instant::now() > deadline => panic!("gave up waiting for {what}; last saw: {seen}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Signs in on the sign-in page the browser shows; returns once it has left it.
async fn sign_in_here(browser: &Browser, email: &str) {
    browser.fill("#email", email).await;
    browser.fill("#password", PASSWORD).await;
    browser.submit("form[action='/sign-in']").await;
    eventually("the sign-in page to let us in", || async move {
        let at = path(browser).await;
        if at.starts_with("/sign-in") { Err(at) } else { Ok(()) }
    })
    .await;
}

/// Opens the sign-in page and signs in as `email`.
pub(crate) async fn sign_in(browser: &Browser, app: &TestApp, email: &str) {
    browser.goto(&url(app, "/sign-in")).await;
    sign_in_here(browser, email).await;
}

/// Fills the request form the browser shows: title, details and the kind of change.
async fn fill_request(browser: &Browser, title: &str, description: &str, category: &str) {
    browser.fill("#title", title).await;
    browser.fill("#description", description).await;
    browser.click(&format!("#category-{category}")).await;
}

/// Files the filled-in request form; returns the new request's key, from the page it lands on.
async fn file(browser: &Browser) -> String {
    browser.click("button[value=file]").await;
    browser.wait_for("#status").await;
    let at = path(browser).await;
    let key = at.strip_prefix("/requests/").unwrap_or_else(|| panic!("filing landed on {at}"));
    let key = key.strip_suffix("?done=filed").unwrap_or_else(|| panic!("filing says it filed: {at}"));
    assert!(browser.text("#done").await.starts_with(&format!("Filed as {key}.")), "the page says what happened");
    key.to_owned()
}

/// The text of the element matching `css` as the page shows it now ("" while there is none),
/// for checks repeated while the page may be changing under them.
async fn text_now(browser: &Browser, css: &str) -> String {
    let script = "const el = document.querySelector(arguments[0]); return el ? el.innerText : ''";
    let found = browser.client().execute(script, vec![json!(css)]).await;
    found.ok().and_then(|t| t.as_str().map(str::to_owned)).unwrap_or_default()
}

/// Waits until the live preview says `needle`; returns all it says.
async fn wait_for_preview(browser: &Browser, needle: &str) -> String {
    eventually(&format!("the preview to say {needle:?}"), || async move {
        let said = text_now(browser, "#preview").await;
        if said.contains(needle) { Ok(said) } else { Err(said) }
    })
    .await
}

/// The HTTP status of the page the browser shows (from the Navigation Timing API).
pub(crate) async fn http_status(browser: &Browser) -> u64 {
    let script = "return performance.getEntriesByType('navigation')[0].responseStatus";
    browser.client().execute(script, vec![]).await.unwrap().as_u64().expect("a response status")
}

/// Runs `script` in the page; returns what it returns.
pub(crate) async fn run(browser: &Browser, script: &str) -> Value {
    browser.client().execute(script, vec![]).await.unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

fn requests_filed(app: &TestApp) -> i64 {
    let mut conn = app.pool.get().unwrap();
    db::schema::requests::table.count().get_result(&mut conn).unwrap()
}

/// Screenshots the page from its top as target/screenshots/<name>.png and fails on any serious
/// or critical axe-core violation.
pub(crate) async fn check_page(browser: &Browser, name: &str) {
    run(browser, "window.scrollTo(0, 0)").await;
    browser.screenshot(name).await;
    browser.axe(name).await;
}

#[tokio::test]
async fn a_marketer_files_a_request_and_sees_it_acknowledged_by_it() {
    let app = app_with_people().await;
    // An older, less urgent request already waits in IT's queue.
    let bob = app.user("bob@example.org", Role::Requester, &[]);
    let older =
        json!({ "title": "Typo on the pricing page", "description": "Minor", "category": "bug", "priority": "P4" });
    assert_eq!(app.post("/api/v1/requests", &bob, older).await.status, reqwest::StatusCode::CREATED);

    // The marketer asks for the form, signs in on the way, and comes back to it.
    let ann = Browser::start().await;
    ann.goto(&url(&app, "/requests/new")).await;
    assert_eq!(path(&ann).await, "/sign-in?next=%2Frequests%2Fnew");
    sign_in_here(&ann, ANN).await;
    assert_eq!(path(&ann).await, "/requests/new");

    ann.select("#priority", "P2").await;
    fill_request(&ann, "Checkout button does nothing", "Clicking 'Pay' on /checkout does nothing.", "bug").await;
    let preview = wait_for_preview(&ann, "first response by").await;
    assert!(preview.contains("IT web operations") && preview.contains("2 business hours"), "{preview}");
    assert!(preview.contains("category 'bug' is owned by IT web operations"), "the preview says why: {preview}");

    let key = file(&ann).await;
    assert_eq!(key, "CR-2");
    assert_eq!(ann.text("#status").await, "New");
    assert!(ann.text("h1").await.contains("Checkout button does nothing"));

    // The IT agent, in a browser of their own, starts at the queue: the new request is on top.
    let ian = Browser::start().await;
    sign_in(&ian, &app, IAN).await;
    assert_eq!(path(&ian).await, "/queues/it");
    let rows = run(&ian, "return [...document.querySelectorAll('table.queue tbody tr')].map(r => r.id)").await;
    assert_eq!(rows, json!(["row-CR-2", "row-CR-1"]), "the P2 request is due first");
    ian.click("#row-CR-2 button[aria-label='Acknowledge CR-2']").await;
    // The post reloads the queue: wait for the new page's row (the old page's goes stale).
    let agent = &ian;
    eventually("the queue to show CR-2 acknowledged", || async move {
        let status = text_now(agent, "#row-CR-2 .status").await;
        if status == "Acknowledged" { Ok(()) } else { Err(status) }
    })
    .await;
    assert_eq!(path(&ian).await, "/queues/it?did=acknowledge&done=1", "back at the queue");
    assert_eq!(text_now(&ian, "main .notice").await, "1 request acknowledged.", "which says what happened");
    let buttons = run(&ian, "return document.querySelectorAll(\"[aria-label='Acknowledge CR-2']\").length").await;
    assert_eq!(buttons, 0, "nothing left to acknowledge");

    // The marketer reloads the request's page and sees the news.
    ann.client().refresh().await.unwrap();
    assert_eq!(ann.text("#status").await, "Acknowledged");
    let history = ann.text("ol.history").await;
    assert!(history.contains("ian moved it from New to Acknowledged"), "{history}");
}

const SCRIPT: &str = "<script>window.__pwned=1</script>";
const DOUBLE_QUOTED: &str = "\"><img src=x onerror=\"window.__pwned=1\">";
const SINGLE_QUOTED: &str = "'><img src=x onerror='window.__pwned=1'>";

/// Every payload at once, so that each field gets each of them.
fn payloads() -> String {
    format!("{SCRIPT}{DOUBLE_QUOTED}{SINGLE_QUOTED}")
}

/// What goes into `field`: its name (to tell the fields apart on the page) and the payloads.
fn typed(field: &str) -> String {
    format!("{field} {}", payloads())
}

/// Asserts that no payload ran on the page: the flag is unset, and no image, inline script or
/// event-handler attribute made it into the document.
async fn assert_inert(browser: &Browser, page: &str) {
    let found = run(
        browser,
        r#"return {
            pwned: typeof window.__pwned,
            images: document.images.length,
            inline_scripts: [...document.scripts].filter(s => !s.src).length,
            handlers: document.querySelectorAll("[onerror], [onload]").length,
        }"#,
    )
    .await;
    let clean = json!({ "pwned": "undefined", "images": 0, "inline_scripts": 0, "handlers": 0 });
    assert_eq!(found, clean, "a payload ran or was parsed as markup on {page}");
}

/// Asserts that the element matching `css` shows `text` as text.
async fn assert_shows(browser: &Browser, css: &str, text: &str) {
    let shown = browser.text(css).await;
    assert!(shown.contains(text), "`{css}` on {} should show {text:?} literally, shows {shown:?}", path(browser).await);
}

#[tokio::test]
async fn script_payloads_in_every_text_field_come_back_as_text() {
    let app = app_with_people().await;
    let (title, description, comment) = (typed("title"), typed("description"), typed("comment"));
    let (note, status_note, reason) = (typed("internal note"), typed("status note"), typed("reason"));
    let page_url = format!("https://example.org/landing?q={}", payloads());
    // The page address is kept as a URL, percent-encoded: it comes back as that text.
    let shown_url = url::Url::parse(&page_url).unwrap().to_string();

    // The marketer files a request with payloads in its title, details and page address, and
    // comments on it with another.
    let ann = Browser::start().await;
    sign_in(&ann, &app, ANN).await;
    ann.goto(&url(&app, "/requests/new")).await;
    fill_request(&ann, &title, &description, "bug").await;
    ann.fill("#page_url", &page_url).await;
    wait_for_preview(&ann, "IT web operations").await;
    assert_inert(&ann, "the request form").await;
    let key = file(&ann).await;
    ann.fill("#comment-body", &comment).await;
    ann.submit("form[action$='/comment']").await;
    ann.wait_for("ol.history blockquote").await;
    assert_inert(&ann, "the request page (requester)").await;

    ann.goto(&url(&app, "/requests/mine")).await;
    assert_inert(&ann, "my requests").await;
    assert_shows(&ann, "table.list tbody", &format!("{key} · {title}")).await;

    // The agent sees it in the queue, searches for the payloads, adds an internal note,
    // acknowledges the request with a note and hands it to Marketing with a reason.
    let ian = Browser::start().await;
    sign_in(&ian, &app, IAN).await;
    assert_eq!(path(&ian).await, "/queues/it");
    assert_inert(&ian, "the queue").await;
    assert_shows(&ian, &format!("#row-{key}"), &format!("{key} · {title}")).await;

    ian.fill("#f-q", &payloads()).await;
    ian.submit("form.filters").await;
    let agent = &ian;
    eventually("the search to be in the address", || async move {
        let at = path(agent).await;
        if at.starts_with("/queues/it?q=") { Ok(()) } else { Err(at) }
    })
    .await;
    ian.wait_for(&format!("#row-{key}")).await;
    assert_inert(&ian, "the queue with the search").await;
    let searched = run(&ian, "return document.getElementById('f-q').value").await;
    assert_eq!(searched, payloads(), "the search box keeps the search as typed");
    // The search marks its words in the title (`<mark>`), and the title is cut to one line:
    // WebDriver's visible text leaves out the marks past the cut, so read the text the row holds.
    let held = run(&ian, &format!("return document.querySelector('#row-{key} td.title a').textContent")).await;
    assert!(held.as_str().unwrap().contains(&title), "the searched queue shows the title literally: {held}");
    let marks = run(&ian, &format!("return document.querySelectorAll('#row-{key} td.title a mark').length")).await;
    assert!(marks.as_u64().unwrap() > 0, "and marks the words it found");

    ian.goto(&url(&app, &format!("/requests/{key}"))).await;
    ian.fill("#comment-body", &note).await;
    ian.click("#comment-internal").await;
    ian.submit("form[action$='/comment']").await;
    ian.wait_for("ol.history li.internal").await;
    ian.select("#status-to", "acknowledged").await;
    ian.fill("#status-note", &status_note).await;
    ian.submit("form[action$='/status']").await;
    eventually("the acknowledgement in the history", || async move {
        let history = text_now(agent, "ol.history").await;
        if history.contains("moved it from New to Acknowledged") { Ok(()) } else { Err(history) }
    })
    .await;
    ian.click("details.hand-over summary").await;
    ian.select("#reassign-team", "marketing").await;
    ian.fill("#reassign-reason", &reason).await;
    ian.submit("form[action$='/reassign']").await;
    eventually("the hand-over in the history", || async move {
        let history = text_now(agent, "ol.history").await;
        if history.contains("handed it from IT web operations to Marketing web team") { Ok(()) } else { Err(history) }
    })
    .await;

    // Both see every payload as text on the request page; only staff see the note.
    for (who, browser) in [("agent", &ian), ("requester", &ann)] {
        browser.goto(&url(&app, &format!("/requests/{key}"))).await;
        assert_inert(browser, &format!("the request page ({who})")).await;
        assert_shows(browser, "h1", &title).await;
        let tab_title = browser.client().title().await.unwrap();
        assert!(tab_title.contains(&title), "the window title shows the title as text: {tab_title:?}");
        assert_shows(browser, ".description", &description).await;
        assert_shows(browser, "dl.facts a", &shown_url).await;
        let href = run(browser, "return document.querySelector('dl.facts a').getAttribute('href')").await;
        assert_eq!(href, shown_url.as_str());
        for text in [&comment, &status_note, &reason] {
            assert_shows(browser, "ol.history", text).await;
        }
        let history = browser.text("ol.history").await;
        assert_eq!(history.contains(&note), who == "agent", "{who}: {history}");
    }
}

#[tokio::test]
async fn forms_with_a_removed_or_altered_csrf_token_are_refused_and_change_nothing() {
    let app = app_with_people().await;
    let browser = Browser::start().await;
    let refused = |page: &'static str| {
        let browser = &browser;
        async move {
            // Wait for the answer page to replace the form's before reading its status.
            eventually(page, || async move {
                let h1 = text_now(browser, "h1").await;
                if h1 == "Forbidden" { Ok(()) } else { Err(h1) }
            })
            .await;
            assert_eq!(http_status(browser).await, 403, "{page}");
            assert_shows(browser, "main [role=alert]", "did not come from changedesk").await;
        }
    };

    // Sign-in (before any session: the token is double-submitted with a cookie).
    browser.goto(&url(&app, "/sign-in")).await;
    browser.fill("#email", ANN).await;
    browser.fill("#password", PASSWORD).await;
    run(&browser, "document.querySelector('input[name=csrf]').remove()").await;
    browser.submit("form[action='/sign-in']").await;
    refused("sign-in without its token").await;
    browser.goto(&url(&app, "/requests/mine")).await;
    assert!(path(&browser).await.starts_with("/sign-in"), "not signed in");

    // The request form, its token removed.
    sign_in(&browser, &app, ANN).await;
    browser.goto(&url(&app, "/requests/new")).await;
    fill_request(&browser, "Fix the footer", "It is broken", "bug").await;
    run(&browser, "document.querySelector('#request-form input[name=csrf]').remove()").await;
    browser.click("button[value=file]").await;
    refused("the request form without its token").await;
    assert_eq!(requests_filed(&app), 0, "nothing filed");

    // A comment, its token replaced by one of the right shape.
    browser.goto(&url(&app, "/requests/new")).await;
    fill_request(&browser, "Fix the footer", "It is broken", "bug").await;
    let key = file(&browser).await;
    let lines = "return document.querySelectorAll('ol.history li').length";
    let before = run(&browser, lines).await;
    browser.fill("#comment-body", "Forged comment").await;
    run(&browser, "document.querySelector(\"form[action$='/comment'] input[name=csrf]\").value = 'a'.repeat(64)").await;
    browser.submit("form[action$='/comment']").await;
    refused("a comment with another token").await;
    browser.goto(&url(&app, &format!("/requests/{key}"))).await;
    assert_eq!(run(&browser, lines).await, before, "no comment added");
    assert!(!browser.text("ol.history").await.contains("Forged comment"));
}

#[tokio::test]
async fn every_page_is_screenshotted_and_has_no_serious_accessibility_violation() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();

    // First run on a fresh app: the setup page, with and without errors.
    let admin = Browser::start().await;
    admin.goto(&url(&app, "/")).await;
    assert_eq!(path(&admin).await, "/setup");
    check_page(&admin, "setup").await;
    for (field, value) in
        [("#name", "Ada"), ("#email", "ada@example.org"), ("#password", "short"), ("#confirm", "short")]
    {
        admin.fill(field, value).await;
    }
    admin.submit("form[action='/setup']").await;
    admin.wait_for("#password-error").await;
    check_page(&admin, "setup-errors").await;

    person(&app, ANN, Role::Requester, &[]);
    person(&app, IAN, Role::Agent, &["it"]);

    // The marketer's pages.
    let ann = Browser::start().await;
    ann.goto(&url(&app, "/sign-in")).await;
    check_page(&ann, "sign-in").await;
    ann.fill("#email", ANN).await;
    ann.fill("#password", "not the password").await;
    ann.submit("form[action='/sign-in']").await;
    ann.wait_for("#sign-in-error").await;
    check_page(&ann, "sign-in-error").await;
    sign_in_here(&ann, ANN).await;

    ann.goto(&url(&app, "/requests/new")).await;
    fill_request(&ann, "Padlock warning", "Browsers warn about the certificate", "security").await;
    wait_for_preview(&ann, "first response by").await;
    check_page(&ann, "new-request").await;
    ann.fill("#title", "").await;
    ann.click("button[value=file]").await;
    ann.wait_for("#title-error").await;
    check_page(&ann, "new-request-errors").await;
    ann.fill("#title", "Padlock warning").await;
    let key = file(&ann).await;
    ann.fill("#comment-body", "It started this morning.").await;
    ann.submit("form[action$='/comment']").await;
    ann.wait_for("ol.history blockquote").await;
    check_page(&ann, "request-requester").await;
    ann.goto(&url(&app, "/requests/mine")).await;
    check_page(&ann, "my-requests").await;
    ann.goto(&url(&app, "/requests/CR-999")).await;
    assert_eq!(http_status(&ann).await, 404);
    check_page(&ann, "error").await;

    // The agent's pages, in the first browser once the admin's cookies are gone.
    admin.client().delete_all_cookies().await.unwrap();
    sign_in(&admin, &app, IAN).await;
    let ian = admin;
    ian.goto(&url(&app, "/queues/it")).await;
    ian.wait_for(&format!("#row-{key}")).await;
    check_page(&ian, "queue").await;
    ian.click(&format!("#select-{key}")).await;
    ian.click("#bulk button[value=assign]").await;
    ian.wait_for("main .notice").await;
    check_page(&ian, "queue-after-bulk").await;
    ian.goto(&url(&app, &format!("/requests/{key}"))).await;
    ian.fill("#comment-body", "Certificate renewal is queued.").await;
    ian.click("#comment-internal").await;
    ian.submit("form[action$='/comment']").await;
    ian.wait_for("ol.history li.internal").await;
    // One reply that asks the requester and waits for them, once the work has started.
    for (status, said) in [("acknowledged", "Now acknowledged."), ("in_progress", "Now in progress.")] {
        ian.select("#status-to", status).await;
        ian.submit("form[action$='/status']").await;
        eventually("the status to move", || async {
            let done = text_now(&ian, "#done").await;
            if done == said { Ok(()) } else { Err(done) }
        })
        .await;
    }
    ian.fill("#comment-body", "Which price list should the phone page show?").await;
    ian.click("#reply-wait").await;
    eventually("the reply to wait for the requester", || async {
        let done = text_now(&ian, "#done").await;
        if done == "Now waiting on requester." { Ok(()) } else { Err(done) }
    })
    .await;
    ian.click("details.hand-over summary").await;
    check_page(&ian, "request-agent").await;

    // A lead's dashboard, then every admin page (one with a refused document).
    person(&app, "lea@example.org", Role::Lead, &["it"]);
    person(&app, "ada@example.org", Role::Admin, &[]);
    ian.client().delete_all_cookies().await.unwrap();
    sign_in(&ian, &app, "lea@example.org").await;
    let lea = ian;
    lea.goto(&url(&app, "/dashboard")).await;
    lea.wait_for("#gap").await;
    check_page(&lea, "dashboard").await;
    lea.goto(&url(&app, "/teams/it/canned-replies")).await;
    lea.wait_for("#add-heading").await;
    check_page(&lea, "canned-replies").await;
    lea.client().delete_all_cookies().await.unwrap();
    sign_in(&lea, &app, "ada@example.org").await;
    let ada = lea;
    let pages = [
        ("/admin", "admin"),
        ("/admin/routing?title=The+site+is+down&description=&category=content&page_url=", "admin-routing"),
        ("/admin/sla", "admin-sla"),
        ("/admin/people", "admin-people"),
        ("/admin/mail", "admin-mail"),
    ];
    for (path, name) in pages {
        ada.goto(&url(&app, path)).await;
        check_page(&ada, name).await;
    }
    ada.goto(&url(&app, "/admin/routing")).await;
    // A bad pattern in the rules form: the problem beside the field, the rest kept.
    ada.fill("#rules-0-regex", "(unclosed").await;
    ada.click("#rules-form button.primary").await;
    ada.wait_for("#rules-0-regex-error").await;
    check_page(&ada, "admin-routing-form-errors").await;
    // The JSON import is folded away until asked for.
    ada.click("summary:has(#edit-heading)").await;
    ada.fill("#doc-rules", "{ \"rules\": [ }").await;
    ada.submit("form[action='/admin/routing/rules']").await;
    ada.wait_for("#doc-rules-errors").await;
    check_page(&ada, "admin-routing-errors").await;
}

/// Presses Tab once, as a person would (WebDriver key actions, not a script).
async fn press_tab(browser: &Browser) {
    let tab = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: Key::Tab.into() })
        .then(KeyAction::Up { value: Key::Tab.into() });
    browser.client().perform_actions(tab).await.expect("press Tab");
}

/// The focused element: its id (or, for a button, `button:<value>`; for a link, its text), and
/// whether it shows a focus outline.
async fn focused(browser: &Browser) -> (String, Value) {
    let found = run(
        browser,
        r#"const el = document.activeElement;
           const style = getComputedStyle(el);
           const name = el.id || (el.tagName === "BUTTON" ? "button:" + el.value : el.textContent.trim());
           return { name, focus_visible: el.matches(":focus-visible"),
                    outline: style.outlineStyle, width: style.outlineWidth };"#,
    )
    .await;
    (found["name"].as_str().unwrap().to_owned(), found)
}

#[tokio::test]
async fn the_request_form_is_reached_in_order_by_keyboard_with_a_visible_focus() {
    let app = app_with_people().await;
    let browser = Browser::start().await;
    sign_in(&browser, &app, ANN).await;
    browser.goto(&url(&app, "/requests/new")).await;

    let mut stops = Vec::new();
    for _ in 0..40 {
        press_tab(&browser).await;
        let (name, focus) = focused(&browser).await;
        assert!(
            focus["outline"] != "none" && focus["width"] != "0px",
            "{name} is focused without a visible outline: {focus}"
        );
        if stops.last() != Some(&name) {
            stops.push(name.clone());
        }
        if name == "button:preview" {
            break;
        }
    }
    assert_eq!(stops.first().map(String::as_str), Some("Skip to content"), "the skip link comes first: {stops:?}");
    let form = stops.iter().position(|s| s == "title").unwrap_or_else(|| panic!("Tab never reached #title: {stops:?}"));
    let expected = [
        "title",
        "description",
        "category-content",
        "priority",
        "page_url",
        "desired_date",
        "watchers",
        "files",
        "button:file",
        "button:preview",
    ];
    assert_eq!(stops[form..], expected, "the form's fields in order (each radio group is one stop)");
}

/// Presses one key, as a person would.
async fn press(browser: &Browser, key: char) {
    let keys =
        KeyActions::new("keyboard".into()).then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
    browser.client().perform_actions(keys).await.expect("press a key");
}

#[tokio::test]
async fn the_queue_is_worked_from_the_keyboard_and_its_shortcuts_can_be_turned_off() {
    let app = app_with_people().await;
    let ann = person(&app, "ann2@example.org", Role::Requester, &[]);
    for title in ["First", "Second", "Third"] {
        app.file(&ann, title, "d", "bug").await;
    }
    let browser = Browser::start().await;
    sign_in(&browser, &app, IAN).await;
    browser.goto(&url(&app, "/queues/it")).await;
    browser.wait_for("table.queue").await;
    let focused_row = || async { run(&browser, "return document.querySelector('tr.row-focus').id").await };
    press(&browser, 'j').await;
    press(&browser, 'j').await;
    let second = focused_row().await;
    press(&browser, 'k').await;
    let first = focused_row().await;
    assert_ne!(first, second, "j and k move between requests");
    press(&browser, 'x').await;
    let ticked =
        run(&browser, "return Array.from(document.querySelectorAll('input[name=key]:checked')).map(b => b.value)")
            .await;
    assert_eq!(ticked.as_array().unwrap().len(), 1, "x ticks the request in focus: {ticked}");
    press(&browser, 'a').await;
    browser.wait_for("main .notice").await;
    assert_eq!(text_now(&browser, "main .notice").await, "1 request acknowledged.", "a acknowledged it");
    press(&browser, '/').await;
    assert_eq!(run(&browser, "return document.activeElement.id").await, "f-q", "/ goes to the search box");
    // Typing in the search box types; it does not move the focus.
    press(&browser, 'j').await;
    assert_eq!(run(&browser, "return document.getElementById('f-q').value").await, "j");
    // Turned off, the keys do nothing, and stay off on the next visit.
    browser.click("#shortcuts summary").await;
    browser.click("#shortcuts-on").await;
    browser.goto(&url(&app, "/queues/it")).await;
    browser.wait_for("table.queue").await;
    press(&browser, 'j').await;
    assert_eq!(run(&browser, "return document.querySelectorAll('tr.row-focus').length").await, 0);
}
