//! Triage in a real browser (tests/api/browser.rs), on SQLite: a request type's fields on the
//! form with the pages' script and without it, editing, merging a duplicate, a search with its
//! words marked, and a saved view; each page screenshotted and checked by axe-core.

use changedesk::domain::Role;
use serde_json::json;

use crate::browser::Browser;
use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::journey::{check_page, eventually, path, run, sign_in, url};
use crate::pages::person;

const ANN: &str = "ann@example.org";
const MIA: &str = "mia@example.org";

/// An app whose categories ask for their default fields, with a marketer and a marketing agent.
async fn app() -> TestApp {
    let app = spawn_app_with(Backend::Sqlite, |s| s.request_types.seed_defaults = true).await.unwrap();
    person(&app, ANN, Role::Requester, &[]);
    person(&app, MIA, Role::Agent, &["marketing"]);
    app
}

/// Whether the fieldset of `category`'s fields is hidden and disabled.
async fn fields_hidden(browser: &Browser, category: &str) -> (bool, bool) {
    let script = format!(
        "const f = document.querySelector('fieldset[data-category={category}]'); return [f.hidden, f.disabled]"
    );
    let v = run(browser, &script).await;
    (v[0].as_bool().unwrap(), v[1].as_bool().unwrap())
}

async fn fill_redirect(browser: &Browser) {
    browser.fill("#title", "Redirect the spring sale").await;
    browser.fill("#description", "The campaign is over").await;
}

#[tokio::test]
async fn a_request_types_fields_show_for_the_chosen_category_with_and_without_the_script() {
    let app = app().await;

    // With the script: choosing the category shows its fields at once, and only its own.
    let ann = Browser::start().await;
    sign_in(&ann, &app, ANN).await;
    ann.goto(&url(&app, "/requests/new")).await;
    fill_redirect(&ann).await;
    assert_eq!(fields_hidden(&ann, "seo").await, (true, true), "no category chosen yet");
    ann.click("#category-seo").await;
    let browser = &ann;
    eventually("the seo fields to show", || async move {
        let state = fields_hidden(browser, "seo").await;
        if state == (false, false) { Ok(()) } else { Err(format!("{state:?}")) }
    })
    .await;
    assert_eq!(fields_hidden(&ann, "analytics").await, (true, true));
    ann.select("#field-seo-change", "Redirect").await;
    ann.fill("#field-seo-old_url", "https://example.org/spring-sale").await;
    ann.fill("#field-seo-new_url", "https://example.org/sale").await;
    check_page(&ann, "request-form-type-fields").await;
    ann.click("button[value=file]").await;
    ann.wait_for("#status").await;
    assert_eq!(path(&ann).await, "/requests/CR-1?done=filed");
    let facts = ann.text("dl.facts").await;
    assert!(
        facts.contains("Old URL\nhttps://example.org/spring-sale")
            || facts.contains("Old URL https://example.org/spring-sale"),
        "{facts}"
    );
    check_page(&ann, "request-type-fields").await;

    // Without it: the fields show once the form comes back with the category chosen, and a
    // missing required one is said next to it.
    let plain = Browser::start_without_script().await;
    sign_in(&plain, &app, ANN).await;
    plain.goto(&url(&app, "/requests/new")).await;
    fill_redirect(&plain).await;
    plain.click("#category-seo").await;
    assert_eq!(fields_hidden(&plain, "seo").await, (true, true), "no script to show them");
    plain.click("button[value=preview]").await;
    plain.wait_for("fieldset[data-category=seo]:not([hidden])").await;
    assert_eq!(fields_hidden(&plain, "seo").await, (false, false));
    plain.fill("#field-seo-old_url", "https://example.org/summer").await;
    plain.click("button[value=file]").await;
    let error = plain.text("#field-seo-change-error").await;
    assert_eq!(error, "is required");
    plain.select("#field-seo-change", "Redirect").await;
    plain.click("button[value=file]").await;
    plain.wait_for("#status").await;
    assert_eq!(path(&plain).await, "/requests/CR-2?done=filed");
    assert!(plain.text("dl.facts").await.contains("https://example.org/summer"));
}

#[tokio::test]
async fn staff_edit_merge_search_and_keep_a_view_in_the_browser() {
    let app = app().await;
    let ann = app.user("ann.api@example.org", Role::Requester, &[]);
    for (title, description) in [
        ("Hero banner blurry", "The spring hero banner is blurry on retina screens"),
        ("Blurry hero banner again", "Same as before, on the home page"),
        ("Footer copy", "Update the address"),
    ] {
        let body = json!({ "title": title, "description": description, "category": "content" });
        app.post("/api/v1/requests", &ann, body).await.ok();
    }
    let mia = Browser::start().await;
    sign_in(&mia, &app, MIA).await;

    // Editing: the title, from the request page.
    mia.goto(&url(&app, "/requests/CR-1")).await;
    mia.click("details.edit summary").await;
    mia.fill("#edit-title", "Hero banner blurry on retina").await;
    mia.submit("details.edit form").await;
    mia.wait_for("#done").await;
    assert_eq!(mia.text("h1").await, "CR-1 Hero banner blurry on retina");
    check_page(&mia, "request-edited").await;

    // Merging: CR-2 is a duplicate of CR-1, closed with the link shown.
    mia.goto(&url(&app, "/requests/CR-2")).await;
    mia.select("#link-kind", "duplicate_of").await;
    mia.fill("#link-target", "CR-1").await;
    mia.submit("form.add-link").await;
    mia.wait_for("#done").await;
    assert_eq!(mia.text("#status").await, "Closed");
    assert!(mia.text("ul.links").await.contains("CR-1"));
    check_page(&mia, "request-merged").await;

    // A search from the queue, its words marked.
    mia.goto(&url(&app, "/queues/marketing?q=blurry%20hero&status=new%2Cclosed")).await;
    let rows = run(&mia, "return [...document.querySelectorAll('table.queue tbody tr')].map(r => r.id).sort()").await;
    assert_eq!(rows, json!(["row-CR-1", "row-CR-2"]), "the merged duplicate too, closed ones asked for; not CR-3");
    let marked = run(&mia, "return [...document.querySelectorAll('#row-CR-1 mark')].map(m => m.textContent)").await;
    assert_eq!(
        marked,
        json!(["Hero", "blurry", "hero", "blurry"]),
        "in the title, then around the first match of the details"
    );
    check_page(&mia, "queue-search").await;

    // The filters kept as a view, in the top bar.
    mia.fill("#view-name", "Blurry heroes").await;
    mia.submit("form.save-view").await;
    mia.wait_for("a.saved-view").await;
    assert_eq!(mia.text("a.saved-view").await, "Blurry heroes");
    mia.click("a.saved-view").await;
    mia.wait_for("table.queue").await;
    assert!(path(&mia).await.contains("q=blurry+hero"), "{}", path(&mia).await);
    check_page(&mia, "saved-view").await;
}
