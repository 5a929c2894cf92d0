//! Every page on two phones and a laptop: at 360, 390 and 1366 px wide, nothing visible reaches
//! past the right edge of the viewport, neither `html` nor `body` hides horizontal overflow (which
//! would hide the problem instead of fixing it), and axe-core finds no violation of any impact.
//! Screenshots are kept as target/screenshots/layout-<width>-<page>.png.

use changedesk::domain::Role;
use serde_json::json;

use crate::browser::{Browser, Screen};
use crate::helpers::{Backend, TestApp, spawn_app};
use crate::journey::{sign_in, url};
use crate::journey_accounts::{mailed_link, open_link};
use crate::pages::person;

const SCREENS: [(u32, Screen); 3] =
    [(360, Screen::Phone(360, 780)), (390, Screen::Phone(390, 844)), (1366, Screen::Desktop(1366, 900))];

/// What the page shows past the viewport's right edge, and whether `html` or `body` hides it.
const FITS: &str = r##"
    // The screen's width, less a vertical scroll bar's where the page has one.
    const width = Math.min(arguments[0], document.documentElement.clientWidth);
    const hiding = [document.documentElement, document.body]
        .filter(e => ["hidden", "clip"].includes(getComputedStyle(e).overflowX))
        .map(e => e.tagName.toLowerCase());
    // Whether an ancestor that clips its overflow (a visually hidden heading row, a cut title)
    // ends within the screen: what lies past it is not visible.
    const clippedWithin = (e, width) => {
        for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
            const s = getComputedStyle(a);
            const clips = ["hidden", "clip"].includes(s.overflowX) || s.clip !== "auto" || s.clipPath !== "none";
            if (clips && a.getBoundingClientRect().right <= width + 0.5) return true;
        }
        return false;
    };
    const past = [];
    for (const e of document.body.querySelectorAll("*")) {
        const r = e.getBoundingClientRect();
        if (r.width === 0 || r.height === 0 || r.right <= width + 0.5) continue;
        if (getComputedStyle(e).visibility === "hidden" || clippedWithin(e, width)) continue;
        const classes = typeof e.className === "string" && e.className.trim() ? "." + e.className.trim().split(/\s+/).join(".") : "";
        past.push(`${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${classes} to ${Math.round(r.right)} px`);
    }
    return { width, scroll: document.documentElement.scrollWidth, hiding, past: past.slice(0, 6) };
"##;

/// Opens `path`; what is wrong with it on this screen, if anything.
async fn check(browser: &Browser, app: &TestApp, width: u32, name: &str, path: &str) -> Option<String> {
    browser.goto(&url(app, path)).await;
    check_here(browser, width, name).await
}

async fn check_here(browser: &Browser, width: u32, name: &str) -> Option<String> {
    browser.client().execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
    let shot = browser.screenshot(&format!("layout-{width}-{name}")).await;
    let fits = browser.client().execute(FITS, vec![json!(width)]).await.unwrap();
    let mut wrong = Vec::new();
    if fits["hiding"] != json!([]) {
        wrong.push(format!("html or body hides horizontal overflow: {}", fits["hiding"]));
    }
    if !fits["past"].as_array().unwrap().is_empty() || fits["scroll"].as_f64() > fits["width"].as_f64() {
        wrong.push(format!("{} px wide, past the screen: {}", fits["scroll"], fits["past"]));
    }
    let violations = browser.axe_violations().await;
    if !violations.is_empty() {
        wrong.push(format!("axe-core: {}", violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")));
    }
    (!wrong.is_empty()).then(|| format!("{name} at {width} px ({}): {}", shot.display(), wrong.join("; ")))
}

#[tokio::test]
async fn every_page_fits_a_phone_and_a_laptop_without_sideways_scrolling() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let ann = person(&app, "ann@example.org", Role::Requester, &[]);
    let ian = person(&app, "ian@example.org", Role::Agent, &["it"]);
    person(&app, "lea@example.org", Role::Lead, &["it"]);
    let ada = person(&app, "ada@example.org", Role::Admin, &[]);
    // Requests with what stretches a page: a long title, a long unbroken address, a comment.
    let long = "The checkout page shows the old price list on phones after the spring campaign went live";
    let mut keys = Vec::new();
    for (title, category) in [(long, "bug"), ("Replace the hero image", "content"), ("Fix the sitemap", "seo")] {
        let body = json!({ "title": title, "category": category, "priority": "P2",
            "description": "See https://www.example.org/campaigns/spring-2026/landing-pages/checkout?utm_source=newsletter&utm_medium=email&utm_campaign=spring",
            "page_url": "https://www.example.org/campaigns/spring-2026/landing-pages/checkout-with-a-very-long-address" });
        let reply = app.post("/api/v1/requests", &ann, body).await;
        keys.push(reply.ok()["key"].as_str().unwrap().to_owned());
    }
    let bug = &keys[0];
    app.set_status(&ian, bug, "acknowledged", None).await;
    app.comment(&ian, bug, "Looking at it: the cache of https://www.example.org/campaigns/spring-2026/landing-pages/checkout was not purged.", false).await;
    let invite = json!({ "email": "nia@example.org", "name": "Nia", "role": "agent", "teams": ["it"] });
    assert_eq!(app.post("/api/v1/users", &ada, invite).await.status, 201);
    assert_eq!(app.post("/api/v1/password-resets", &ann, json!({ "email": "lea@example.org" })).await.status, 202);
    let (invitation, reset) = (mailed_link(&app, "invitation"), mailed_link(&app, "password_reset"));

    let pages: [(&str, &[(&str, &str)]); 4] = [
        (
            "ann@example.org",
            &[("new-request", "/requests/new"), ("my-requests", "/requests/mine"), ("account", "/account/password")],
        ),
        ("ian@example.org", &[("queue", "/queues/it"), ("request", "")]),
        (
            "lea@example.org",
            &[
                ("dashboard", "/dashboard"),
                ("whatif", "/dashboard/whatif?move=bug:marketing"),
                ("agreement", "/dashboard/agreement"),
            ],
        ),
        (
            "ada@example.org",
            &[
                ("admin", "/admin"),
                ("people", "/admin/people"),
                ("routing", "/admin/routing"),
                ("sla", "/admin/sla"),
                ("mail", "/admin/mail"),
                ("not-found", "/requests/CR-999"),
            ],
        ),
    ];
    let mut wrong = Vec::new();
    for (width, screen) in SCREENS {
        let browser = Browser::start_as(screen).await;
        wrong.extend(check(&browser, &app, width, "sign-in", "/sign-in").await);
        wrong.extend(check(&browser, &app, width, "password-reset-request", "/password-resets").await);
        open_link(&browser, &app, &invitation).await;
        wrong.extend(check_here(&browser, width, "invitation").await);
        open_link(&browser, &app, &reset).await;
        wrong.extend(check_here(&browser, width, "password-reset").await);
        for (email, paths) in pages {
            browser.client().delete_all_cookies().await.unwrap();
            sign_in(&browser, &app, email).await;
            for (name, path) in paths {
                let path = if path.is_empty() { format!("/requests/{bug}") } else { path.to_string() };
                wrong.extend(check(&browser, &app, width, name, &path).await);
            }
        }
    }
    assert!(wrong.is_empty(), "{} pages do not fit:\n{}", wrong.len(), wrong.join("\n"));
}
