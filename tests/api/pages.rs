//! The web pages over HTTP: first run, sign-in with its throttle, sessions, CSRF, escaping,
//! the request form and the triage queue. (tests/api/browser.rs drives the same pages in a
//! real browser.)

use std::collections::HashMap;

use changedesk::db;
use changedesk::domain::Role;
use diesel::prelude::*;
use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;

pub const PASSWORD: &str = "correct horse battery";

/// Adds a user who signs in with `PASSWORD`; returns their API token.
pub fn person(app: &TestApp, email: &str, role: Role, teams: &[&str]) -> String {
    let token = app.user(email, role, teams);
    let hash = changedesk::auth::hash_password(PASSWORD).unwrap();
    let mut conn = app.pool.get().unwrap();
    diesel::update(db::schema::users::table.filter(db::schema::users::email.eq(email)))
        .set(db::schema::users::password_hash.eq(hash))
        .execute(&mut conn)
        .unwrap();
    token
}

/// A page's HTML without the `data-label` attributes of its table cells (the headings a phone
/// shows beside each cell), so tests can match rows as written.
pub fn without_labels(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find(" data-label=\"") {
        out.push_str(&rest[..at]);
        let value = &rest[at + " data-label=\"".len()..];
        rest = &value[value.find('"').map_or(value.len(), |end| end + 1)..];
    }
    out.push_str(rest);
    out
}

/// A browser without a browser: keeps cookies, follows no redirect, finds CSRF tokens.
pub struct Visitor {
    pub base: String,
    pub client: reqwest::Client,
    cookies: HashMap<String, String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    /// The first CSRF token in the page's forms.
    pub fn csrf(&self) -> String {
        let at = self.body.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + 19;
        self.body[at..].split('"').next().unwrap().to_owned()
    }
}

impl Visitor {
    pub fn new(app: &TestApp) -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { base: app.address.clone(), client, cookies: HashMap::new() }
    }

    pub async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let resp = req.header("cookie", cookie).send().await.unwrap();
        for set in resp.headers().get_all("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = resp.status();
        let location = resp.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
        let headers = resp.headers().clone();
        Page { status, location, headers, body: resp.text().await.unwrap() }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let req = self.client.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let req = self.client.post(format!("{}{path}", self.base)).form(form);
        self.send(req).await
    }

    pub async fn sign_in(&mut self, email: &str) -> Page {
        let csrf = self.get("/sign-in").await.csrf();
        self.post("/sign-in", &[("csrf", &csrf), ("email", email), ("password", PASSWORD), ("next", "/")]).await
    }

    /// The CSRF token of a page the visitor can see.
    pub async fn csrf(&mut self, path: &str) -> String {
        self.get(path).await.csrf()
    }
}

pub fn requests(app: &TestApp) -> i64 {
    let mut conn = app.pool.get().unwrap();
    db::schema::requests::table.count().get_result(&mut conn).unwrap()
}

on_both_backends! {
    async fn the_first_run_page_creates_the_first_admin_and_then_closes(app: TestApp) {
        let mut v = Visitor::new(&app);
        assert_eq!(v.get("/").await.location.as_deref(), Some("/setup"), "no admin yet");
        let csrf = v.csrf("/setup").await;
        let form = |csrf: &'static str, password: &'static str| {
            [("name", "Ada"), ("email", "ada@example.org"), ("password", password), ("confirm", password), ("csrf", csrf)]
        };
        let csrf: &'static str = Box::leak(csrf.into_boxed_str());
        let refused = v.post("/setup", &form("forged", PASSWORD)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "no CSRF token, no admin");
        let short = v.post("/setup", &form(csrf, "short")).await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(short.body.contains("id=\"password-error\"") && short.body.contains("value=\"ada@example.org\""),
            "the error stands next to the field and what was typed is kept");
        let created = v.post("/setup", &form(csrf, PASSWORD)).await;
        assert_eq!((created.status, created.location.as_deref()), (StatusCode::SEE_OTHER, Some("/")));
        assert!(v.cookies.contains_key("changedesk_session"), "signed in at once");
        let mine = v.get("/requests/mine").await;
        assert_eq!(mine.status, StatusCode::OK);
        assert!(mine.body.contains("Ada (admin)"));

        let mut stranger = Visitor::new(&app);
        assert_eq!(stranger.get("/setup").await.location.as_deref(), Some("/sign-in"), "closed once an admin exists");
        let csrf = stranger.csrf("/sign-in").await;
        let again = stranger.post("/setup", &[("name", "Eve"), ("email", "eve@example.org"), ("password", PASSWORD),
            ("confirm", PASSWORD), ("csrf", &csrf)]).await;
        assert_eq!(again.status, StatusCode::FORBIDDEN, "a second first run is refused");
    }

    async fn sign_in_checks_the_password_throttles_guessing_and_sign_out_ends_the_session(app: TestApp) {
        person(&app, "ann@example.org", Role::Requester, &[]);
        person(&app, "bob@example.org", Role::Requester, &[]);
        let mut v = Visitor::new(&app);
        let to_sign_in = v.get("/requests/mine").await;
        assert_eq!(to_sign_in.location.as_deref(), Some("/sign-in?next=%2Frequests%2Fmine"));
        let csrf = v.csrf("/sign-in").await;
        let no_token = v.post("/sign-in", &[("email", "ann@example.org"), ("password", PASSWORD)]).await;
        assert_eq!(no_token.status, StatusCode::FORBIDDEN);
        for _ in 0..5 {
            let wrong = v.post("/sign-in", &[("csrf", &csrf), ("email", "ann@example.org"), ("password", "guess guess guess")]).await;
            assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
            assert!(wrong.body.contains("do not match"), "{}", wrong.body);
        }
        let right = v.post("/sign-in", &[("csrf", &csrf), ("email", "ann@example.org"), ("password", PASSWORD)]).await;
        assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS, "five failures lock the account for a while");
        app.clock.advance(chrono::TimeDelta::minutes(16));
        let right = v.post("/sign-in", &[("csrf", &csrf), ("email", "ann@example.org"), ("password", PASSWORD),
            ("next", "https://evil.example/")]).await;
        assert_eq!((right.status, right.location.as_deref()), (StatusCode::SEE_OTHER, Some("/")),
            "signed in after the window, and never sent off-site");
        let cookie = v.cookies["changedesk_session"].clone();
        {
            let mut conn = app.pool.get().unwrap();
            let stored: Vec<String> = db::schema::sessions::table.select(db::schema::sessions::token_hash)
                .load(&mut conn).unwrap();
            assert_eq!(stored, [changedesk::auth::hash_token(&cookie)], "only the token's hash is stored");
        }
        let page = v.get("/requests/mine").await;
        assert_eq!(page.status, StatusCode::OK);
        let csrf = page.csrf();
        assert_eq!(v.post("/sign-out", &[("csrf", "forged")]).await.status, StatusCode::FORBIDDEN);
        assert_eq!(v.post("/sign-out", &[("csrf", &csrf)]).await.location.as_deref(), Some("/sign-in"));
        v.cookies.insert("changedesk_session".into(), cookie);
        assert_eq!(v.get("/requests/mine").await.status, StatusCode::SEE_OTHER, "the old cookie is dead");
        app.clock.advance(chrono::TimeDelta::hours(1));
        let mut bob = Visitor::new(&app);
        assert_eq!(bob.sign_in("bob@example.org").await.status, StatusCode::SEE_OTHER);
        app.clock.advance(chrono::TimeDelta::hours(13));
        assert_eq!(bob.get("/requests/mine").await.status, StatusCode::SEE_OTHER, "sessions expire");
    }

    async fn forms_without_the_session_csrf_token_are_refused_and_change_nothing(app: TestApp) {
        person(&app, "ann@example.org", Role::Requester, &[]);
        person(&app, "bob@example.org", Role::Requester, &[]);
        let (mut ann, mut bob) = (Visitor::new(&app), Visitor::new(&app));
        ann.sign_in("ann@example.org").await;
        bob.sign_in("bob@example.org").await;
        let bobs_token = bob.csrf("/requests/new").await;
        let fields = [("title", "Fix the footer"), ("description", "It is broken"), ("category", "bug")];
        for token in [None, Some("forged"), Some(bobs_token.as_str())] {
            let mut form = fields.to_vec();
            if let Some(t) = token {
                form.push(("csrf", t));
            }
            let refused = ann.post("/requests/new", &form).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "token {token:?}");
            assert!(refused.body.contains("did not come from changedesk"));
        }
        assert_eq!(requests(&app), 0);
        let csrf = ann.csrf("/requests/new").await;
        let mut form = fields.to_vec();
        form.push(("csrf", &csrf));
        let filed = ann.post("/requests/new", &form).await;
        assert_eq!((filed.status, filed.location.as_deref()), (StatusCode::SEE_OTHER, Some("/requests/CR-1?done=filed")));
        assert_eq!(requests(&app), 1);
    }

    async fn the_request_form_keeps_what_was_typed_and_shows_errors_by_their_fields(app: TestApp) {
        person(&app, "ann@example.org", Role::Requester, &[]);
        let mut ann = Visitor::new(&app);
        ann.sign_in("ann@example.org").await;
        let form = ann.get("/requests/new").await;
        assert!(form.body.contains("Fixes to broken pages") || form.body.contains("category-bug-help"),
            "each category has its help text");
        let csrf = form.csrf();
        let bad = ann.post("/requests/new", &[("csrf", &csrf), ("title", ""), ("description", "Typed <b>text</b>"),
            ("category", "bug"), ("page_url", "ftp://example.org")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("id=\"title-error\"") && bad.body.contains("id=\"page_url-error\""), "{}", bad.body);
        assert!(bad.body.contains("Typed &#60;b&#62;text&#60;/b&#62;"), "kept, escaped");
        assert_eq!(requests(&app), 0);
        // Without JavaScript, "Where will it go?" shows the preview in the page.
        let preview = ann.post("/requests/new", &[("csrf", &csrf), ("title", "Padlock warning"),
            ("description", "Browsers show a warning"), ("category", "security"), ("action", "preview")]).await;
        assert_eq!(preview.status, StatusCode::OK);
        assert!(preview.body.contains("IT web operations") && preview.body.contains("4 business hours"), "{}", preview.body);
        assert!(preview.body.contains("category &#39;security&#39; is owned by IT web operations"), "{}", preview.body);
        assert_eq!(requests(&app), 0, "a preview files nothing");
    }

    async fn script_payloads_come_back_escaped_on_every_page(app: TestApp) {
        person(&app, "ann@example.org", Role::Requester, &[]);
        person(&app, "ian@example.org", Role::Agent, &["it"]);
        let xss = "<script>alert('x')</script>";
        let mut ann = Visitor::new(&app);
        ann.sign_in("ann@example.org").await;
        let csrf = ann.csrf("/requests/new").await;
        let filed = ann.post("/requests/new", &[("csrf", &csrf), ("title", xss), ("description", xss),
            ("category", "bug"), ("page_url", "https://example.org/?q=<script>alert(1)</script>")]).await;
        assert_eq!(filed.status, StatusCode::SEE_OTHER);
        assert_eq!(ann.post("/requests/CR-1/comment", &[("csrf", &csrf), ("body", xss)]).await.status, StatusCode::SEE_OTHER);
        let mut ian = Visitor::new(&app);
        ian.sign_in("ian@example.org").await;
        let csrf = ian.csrf("/queues/it").await;
        ian.post("/requests/CR-1/comment", &[("csrf", &csrf), ("body", xss), ("internal", "1")]).await;
        let pages = [("ann", "/requests/mine"), ("ann", "/requests/CR-1"), ("ian", "/requests/CR-1"), ("ian", "/queues/it"),
            ("ian", "/queues/it?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")];
        for (who, path) in pages {
            let page = if who == "ann" { ann.get(path).await } else { ian.get(path).await };
            assert_eq!(page.status, StatusCode::OK, "{path}");
            assert!(!page.body.contains("<script>alert"), "{path} let a script through");
        }
        assert!(ian.get("/requests/CR-1").await.body.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;"));
        assert!(!ann.get("/requests/CR-1").await.body.contains("internal note"), "requesters do not see internal notes");
    }

    async fn the_queue_puts_the_soonest_due_first_and_its_actions_work_in_place_and_in_bulk(app: TestApp) {
        person(&app, "ann@example.org", Role::Requester, &[]);
        person(&app, "ian@example.org", Role::Agent, &["it"]);
        let mut ann = Visitor::new(&app);
        ann.sign_in("ann@example.org").await;
        let csrf = ann.csrf("/requests/new").await;
        for (title, priority) in [("Typo on pricing", "P4"), ("Checkout is down", "P1"), ("Slow images", "P3")] {
            let filed = ann.post("/requests/new", &[("csrf", &csrf), ("title", title), ("description", "See title"),
                ("category", "bug"), ("priority", priority)]).await;
            assert_eq!(filed.status, StatusCode::SEE_OTHER);
        }
        assert_eq!(ann.get("/queues/it").await.status, StatusCode::FORBIDDEN, "queues are for staff");
        let mut ian = Visitor::new(&app);
        assert_eq!(ian.sign_in("ian@example.org").await.location.as_deref(), Some("/"));
        assert_eq!(ian.get("/").await.location.as_deref(), Some("/queues/it"), "agents start at their queue");
        let queue = ian.get("/queues/it").await;
        let at = |key: &str| queue.body.find(&format!("id=\"row-{key}\"")).unwrap();
        assert!(at("CR-2") < at("CR-3") && at("CR-3") < at("CR-1"), "P1 first, then P3, then P4");
        let csrf = queue.csrf();
        let acked = ian.post("/requests/CR-2/status", &[("csrf", &csrf), ("status", "acknowledged"), ("back", "/queues/it")]).await;
        assert_eq!(acked.location.as_deref(), Some("/queues/it?did=acknowledge&done=1"));
        let bulk = ian.client.post(format!("{}/queues/it/bulk", ian.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf={csrf}&action=acknowledge&key=CR-1&key=CR-2&key=CR-3"));
        let done = ian.send(bulk).await;
        assert_eq!(done.location.as_deref(), Some("/queues/it?did=acknowledge&done=2&failed=CR-2"), "CR-2 was acknowledged already");
        let shown = ian.get(done.location.as_deref().unwrap()).await;
        assert!(shown.body.contains("2 requests acknowledged.") && shown.body.contains("Not possible for CR-2"), "{}", shown.body);
        let bulk = ian.client.post(format!("{}/queues/it/bulk", ian.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf={csrf}&action=assign_me&key=CR-1&key=CR-3"));
        assert_eq!(ian.send(bulk).await.location.as_deref(), Some("/queues/it?did=assign&done=2&failed="));
        let mine = ian.get("/queues/it?assignee=me").await;
        assert!(mine.body.contains("row-CR-1") && mine.body.contains("row-CR-3") && !mine.body.contains("row-CR-2"));
        let page = ann.get("/requests/CR-1").await;
        assert!(page.body.contains("Acknowledged") && page.body.contains("assigned it to ian@example.org"), "{}", page.body);
        // In place, from the row: move CR-3 on, and hand CR-1 to marketing with a reason.
        let moved = ian.post("/requests/CR-3/status", &[("csrf", &csrf), ("status", "in_progress"), ("back", "/queues/it")]).await;
        assert_eq!(moved.location.as_deref(), Some("/queues/it?did=status&done=1"));
        let queue = ian.get("/queues/it").await;
        assert!(queue.body.contains("id=\"move-CR-2\"") && queue.body.contains("id=\"reason-CR-2\""), "row forms");
        let handed = ian.post("/requests/CR-1/reassign", &[("csrf", &csrf), ("team", "marketing"),
            ("reason", "Copy, not code"), ("back", "/queues/it")]).await;
        assert_eq!(handed.location.as_deref(), Some("/queues/it?did=handed_over&done=1"));
        let queue = ian.get("/queues/it").await;
        assert!(!queue.body.contains("id=\"row-CR-1\"") && queue.body.contains("In progress"));
        let refused = ian.post("/requests/CR-2/reassign", &[("csrf", &csrf), ("team", "marketing"), ("reason", "")]).await;
        let back = refused.location.clone().unwrap_or_default();
        assert!(back.starts_with("/requests/CR-2?refused="), "a hand-over needs a reason: {back}");
        assert!(ian.get(&back).await.body.contains("Not done: invalid input: reason"), "said on the request page");
        // From the queue, a refusal comes back to the queue, saying why.
        let refused = ian.post("/requests/CR-2/reassign", &[("csrf", &csrf), ("team", "marketing"), ("reason", ""),
            ("back", "/queues/it?q=Checkout")]).await;
        let location = refused.location.clone().unwrap();
        assert!(location.starts_with("/queues/it?q=Checkout&did=handed_over&done=0&failed=CR-2&why="), "{location}");
        let shown = ian.get(&location).await;
        assert!(shown.body.contains("0 requests handed over. Not possible for CR-2: "), "{}", shown.body);
        assert!(shown.body.contains("row-CR-2"), "the filters kept");
    }
}

on_both_backends! {
    async fn requesters_close_or_reopen_resolved_requests_and_rules_suggest_priorities(app: TestApp) {
        person(&app, "ann@example.org", Role::Requester, &[]);
        let ian = person(&app, "ian@example.org", Role::Agent, &["it"]);
        let mut ann = Visitor::new(&app);
        ann.sign_in("ann@example.org").await;
        let form = ann.get("/requests/new").await;
        assert!(form.body.contains("<option value=\"\" selected>Not sure"), "no priority chosen by default");
        let csrf = form.csrf();
        for title in ["The site is down", "Checkout outage"] {
            let filed = ann.post("/requests/new", &[("csrf", &csrf), ("title", title), ("description", "Since 9"),
                ("category", "content"), ("priority", "")]).await;
            assert_eq!(filed.status, StatusCode::SEE_OTHER);
        }
        let page = ann.get("/requests/CR-1").await;
        assert!(page.body.contains("P1 · Site down"), "the outage rule's suggestion applies: {}", page.body);
        for key in ["CR-1", "CR-2"] {
            for status in ["acknowledged", "in_progress", "resolved"] {
                app.set_status(&ian, key, status, None).await.ok();
            }
        }
        let page = ann.get("/requests/CR-1").await;
        assert!(page.body.contains("Is it done?"));
        let closed = ann.post("/requests/CR-1/status", &[("csrf", &csrf), ("status", "closed"), ("back", "/\\evil.example")]).await;
        assert_eq!(closed.location.as_deref(), Some("/requests/CR-1?done=status"), "never sent off-site");
        let reopened = ann.post("/requests/CR-2/status", &[("csrf", &csrf), ("status", "in_progress"), ("note", "Still broken")]).await;
        assert_eq!(reopened.status, StatusCode::SEE_OTHER);
        assert!(ann.get("/requests/CR-1").await.body.contains("id=\"status\">Closed<"));
        let again = ann.get("/requests/CR-2").await;
        assert!(again.body.contains("id=\"status\">In progress<") && again.body.contains("Still broken"));
        assert!(!again.body.contains("Is it done?"));
        let refused = ann.post("/requests/CR-2/status", &[("csrf", &csrf), ("status", "resolved")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "only the team resolves");
    }
}

on_both_backends! {
    async fn people_change_their_password_and_admins_set_one_each_ending_other_sessions(app: TestApp) {
        person(&app, "ann@example.org", Role::Requester, &[]);
        person(&app, "ada@example.org", Role::Admin, &[]);
        let (mut laptop, mut phone) = (Visitor::new(&app), Visitor::new(&app));
        laptop.sign_in("ann@example.org").await;
        phone.sign_in("ann@example.org").await;
        let csrf = laptop.csrf("/account/password").await;
        let new = "a much longer password";
        let wrong = laptop.post("/account/password", &[("csrf", &csrf), ("current", "not it at all"),
            ("password", new), ("confirm", new)]).await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.body.contains("id=\"current-error\""));
        let mismatch = laptop.post("/account/password", &[("csrf", &csrf), ("current", PASSWORD),
            ("password", new), ("confirm", "something else entirely")]).await;
        assert!(mismatch.body.contains("id=\"confirm-error\""));
        let changed = laptop.post("/account/password", &[("csrf", &csrf), ("current", PASSWORD),
            ("password", new), ("confirm", new)]).await;
        assert_eq!(changed.location.as_deref(), Some("/account/password?saved=1"));
        assert_eq!(laptop.get("/requests/mine").await.status, StatusCode::OK, "this session stays");
        assert_eq!(phone.get("/requests/mine").await.status, StatusCode::SEE_OTHER, "the others end");
        assert_eq!(Visitor::new(&app).sign_in("ann@example.org").await.status, StatusCode::UNAUTHORIZED,
            "the old password no longer works");

        let mut ada = Visitor::new(&app);
        ada.sign_in("ada@example.org").await;
        let csrf = ada.csrf("/admin/people").await;
        let short = ada.post("/admin/people/users/password", &[("csrf", &csrf), ("email", "ann@example.org"),
            ("password", "short")]).await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
        let set = ada.post("/admin/people/users/password", &[("csrf", &csrf), ("email", "ann@example.org"),
            ("password", PASSWORD)]).await;
        assert_eq!(set.location.as_deref(), Some("/admin/people?saved=1"));
        assert_eq!(laptop.get("/requests/mine").await.status, StatusCode::SEE_OTHER, "every session ends");
        assert_eq!(Visitor::new(&app).sign_in("ann@example.org").await.status, StatusCode::SEE_OTHER);
        let nobody = ada.post("/admin/people/users/password", &[("csrf", &csrf), ("email", "who@example.org"),
            ("password", PASSWORD)]).await;
        assert_eq!(nobody.status, StatusCode::NOT_FOUND);

        // Each change is in the audit trail, with who made it.
        let audit = app.get("/api/v1/audit", &app.user("root@example.org", Role::Admin, &[])).await.ok();
        let kinds: Vec<&str> = audit.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert!(["user_added", "password_changed", "password_set"].iter().all(|k| kinds.contains(k)), "{kinds:?}");
    }
}

on_both_backends! {
    async fn bulk_actions_assign_to_anyone_move_and_hand_over_every_request_on_the_page(app: TestApp) {
        let ann = person(&app, "ann@example.org", Role::Requester, &[]);
        person(&app, "ian@example.org", Role::Agent, &["it"]);
        person(&app, "ivy@example.org", Role::Agent, &["it"]);
        for title in ["Form broken", "Slow images", "Cookie banner"] {
            app.file(&ann, title, "See title", "bug").await;
        }
        let mut ian = Visitor::new(&app);
        ian.sign_in("ian@example.org").await;
        let queue = ian.get("/queues/it").await;
        assert!(queue.body.contains("<option value=\"ivy@example.org\">"), "a colleague to assign to");
        assert!(queue.body.contains("id=\"select-all\""), "a box for the whole page");
        assert!(queue.body.contains("<a href=\"/queues/it\">IT web operations queue <span class=\"count\""), "the top bar names the team");
        let csrf = queue.csrf();
        let (client, base) = (ian.client.clone(), ian.base.clone());
        let bulk = |body: String| {
            client.post(format!("{base}/queues/it/bulk"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("csrf={csrf}&{body}"))
        };
        // To a colleague, two of them.
        let assigned = ian.send(bulk("action=assign&assignee=ivy%40example.org&key=CR-1&key=CR-2".into())).await;
        assert_eq!(assigned.location.as_deref(), Some("/queues/it?did=assign&done=2&failed="));
        let ivys = ian.get("/queues/it?assignee=ivy%40example.org").await;
        assert!(ivys.body.contains("row-CR-1") && ivys.body.contains("row-CR-2") && !ivys.body.contains("row-CR-3"));
        // Every request on the page, with no row ticked and no script: the page's keys are in the form.
        let page_keys = "page_key=CR-1&page_key=CR-2&page_key=CR-3";
        let moved = ian.send(bulk(format!("action=status&status=in_progress&all=1&{page_keys}&key=CR-1"))).await;
        assert_eq!(moved.location.as_deref(), Some("/queues/it?did=status&done=0&failed=CR-1%2CCR-2%2CCR-3"),
            "new requests are acknowledged before they are in progress");
        let acked = ian.send(bulk(format!("action=acknowledge&all=1&{page_keys}"))).await;
        assert_eq!(acked.location.as_deref(), Some("/queues/it?did=acknowledge&done=3&failed="));
        let moved = ian.send(bulk(format!("action=status&status=in_progress&all=1&{page_keys}"))).await;
        assert_eq!(moved.location.as_deref(), Some("/queues/it?did=status&done=3&failed="));
        // A hand-over needs a reason, and then goes through.
        let refused = ian.send(bulk("action=hand_over&team=marketing&reason=&key=CR-3".into())).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let handed = ian.send(bulk("action=hand_over&team=marketing&reason=Copy%2C+not+code&key=CR-3".into())).await;
        assert_eq!(handed.location.as_deref(), Some("/queues/it?did=hand_over&done=1&failed="));
        let shown = ian.get(handed.location.as_deref().unwrap()).await;
        assert!(shown.body.contains("1 request handed over.") && !shown.body.contains("id=\"row-CR-3\""), "{}", shown.body);
        let cr3 = app.get("/api/v1/requests/CR-3", &ann).await.ok();
        assert_eq!(cr3["team"], "marketing");
        let unknown = ian.send(bulk("action=delete&key=CR-1".into())).await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    }

    async fn each_person_reads_times_in_the_time_zone_they_chose(app: TestApp) {
        let ann = person(&app, "ann@example.org", Role::Requester, &[]);
        app.file(&ann, "Hero image", "The spring one", "content").await; // Monday 16 November, 09:00 UTC
        let mut v = Visitor::new(&app);
        v.sign_in("ann@example.org").await;
        let page = v.get("/requests/CR-1").await;
        assert!(page.body.contains(">Mon 16 Nov 2026, 09:00 GMT</time>"), "the organisation's zone by default: {}", page.body);
        let account = v.get("/account/password").await;
        assert!(account.body.contains("<option value=\"\" selected>The organisation's (Europe/London)</option>"));
        let csrf = account.csrf();
        let saved = v.post("/account/timezone", &[("csrf", &csrf), ("timezone", "America/New_York")]).await;
        assert_eq!(saved.location.as_deref(), Some("/account/password?saved=timezone"));
        assert!(v.get("/account/password?saved=timezone").await.body.contains("Times are now shown in America/New_York."));
        assert!(v.get("/requests/CR-1").await.body.contains(">Mon 16 Nov 2026, 04:00 EST</time>"));
        assert!(v.get("/requests/mine").await.body.contains("Mon 16 Nov 2026, 04:00 EST"));
        let wrong = v.post("/account/timezone", &[("csrf", &csrf), ("timezone", "Mars/Olympus_Mons")]).await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.body.contains("is not a time zone name"), "{}", wrong.body);
        // Back to the organisation's.
        v.post("/account/timezone", &[("csrf", &csrf), ("timezone", "")]).await;
        assert!(v.get("/requests/CR-1").await.body.contains(">Mon 16 Nov 2026, 09:00 GMT</time>"));
    }

    async fn the_queue_pages_through_open_requests_fifty_at_a_time(app: TestApp) {
        let ann = person(&app, "ann@example.org", Role::Requester, &[]);
        let ian = person(&app, "ian@example.org", Role::Agent, &["it"]);
        for i in 0..53 {
            app.file(&ann, &format!("Broken link {i}"), "See the title", "bug").await;
        }
        for key in ["CR-1", "CR-2"] {
            app.set_status(&ian, key, "rejected", Some("duplicate")).await.ok();
        }
        // The API takes several statuses too.
        let both = app.get("/api/v1/requests?status=new,rejected&limit=200", &ian).await.ok();
        assert_eq!(both["items"].as_array().unwrap().len(), 53);
        app.get("/api/v1/requests?status=new,done", &ian).await.assert_error(422, "validation_failed");

        let mut v = Visitor::new(&app);
        v.sign_in("ian@example.org").await;
        let first = v.get("/queues/it").await;
        assert_eq!(first.body.matches("<tr id=\"row-").count(), 50);
        assert!(!first.body.contains("id=\"row-CR-1\""), "rejected requests are not in the open queue");
        let at = first.body.find("rel=\"next\"").expect("a next page") ;
        let href = first.body[..at].rsplit("href=\"").next().unwrap().split('"').next().unwrap().replace("&#38;", "&");
        let second = v.get(&href).await;
        assert_eq!(second.body.matches("<tr id=\"row-").count(), 1, "51 open requests: 50, then 1");
        assert!(!second.body.contains("rel=\"next\""));
        let rejected = v.get("/queues/it?status=rejected").await;
        assert_eq!(rejected.body.matches("<tr id=\"row-").count(), 2);
    }
}

on_both_backends! {
    async fn the_queue_shows_badges_only_for_clocks_that_still_run(app: TestApp) {
        let ann = person(&app, "ann@example.org", Role::Requester, &[]);
        let ian = person(&app, "ian@example.org", Role::Agent, &["it"]);
        for title in ["Checkout is down", "Checkout is down again"] {
            let body = serde_json::json!({ "title": title, "description": "blank page", "category": "bug", "priority": "P1" });
            assert_eq!(app.post("/api/v1/requests", &ann, body).await.status, 201);
        }
        app.clock.advance(chrono::TimeDelta::hours(3));
        app.sweep_at(&app.clock.now().to_rfc3339());
        // CR-1 is answered late: its first-response clock has stopped, breached.
        app.set_status(&ian, "CR-1", "acknowledged", None).await.ok();
        let mut v = Visitor::new(&app);
        v.sign_in("ian@example.org").await;
        let queue = v.get("/queues/it").await;
        let row = |key: &str| {
            let at = queue.body.find(&format!("id=\"row-{key}\"")).unwrap();
            let end = queue.body[at..].find("</tr>").unwrap();
            queue.body[at..at + end].to_owned()
        };
        assert!(!row("CR-1").contains("First response:"), "answered, even late: no badge\n{}", row("CR-1"));
        assert!(row("CR-1").contains("Resolution:"), "its resolution clock still runs");
        assert!(row("CR-2").contains("First response: Breached"), "{}", row("CR-2"));
    }
}

on_both_backends! {
    async fn every_action_on_the_request_page_says_what_happened(app: TestApp) {
        person(&app, "ann@example.org", Role::Requester, &[]);
        person(&app, "ian@example.org", Role::Agent, &["it"]);
        let mut ann = Visitor::new(&app);
        ann.sign_in("ann@example.org").await;
        let csrf = ann.csrf("/requests/new").await;
        let filed = ann.post("/requests/new", &[("csrf", &csrf), ("title", "Checkout is down"), ("description", "blank"),
            ("category", "bug"), ("priority", "P1")]).await;
        let page = ann.get(filed.location.as_deref().unwrap()).await;
        assert!(page.body.contains("id=\"done\">Filed as CR-1. IT web operations will first respond by Mon 16 Nov 2026, "), "{}", page.body);
        assert!(!page.body.contains(" UTC."), "in the reader's time zone, not UTC");
        assert!(!ann.get("/requests/CR-1").await.body.contains("id=\"done\""), "said once, after the action only");
        let mut ian = Visitor::new(&app);
        ian.sign_in("ian@example.org").await;
        let csrf = ian.csrf("/requests/CR-1").await;
        let said = |page: crate::pages::Page| {
            let at = page.body.find("id=\"done\">").map(|i| i + 10).unwrap_or(0);
            page.body[at..].split('<').next().unwrap_or("").to_owned()
        };
        for (path, form, expected) in [
            ("status", vec![("status", "acknowledged")], "Now acknowledged."),
            ("assign", vec![("assignee", "me")], "Assigned to ian."),
            ("comment", vec![("body", "Looking at it")], "Your comment is added."),
            ("reassign", vec![("team", "marketing"), ("reason", "Copy, not code")], "Handed over to Marketing web team; they have been told by mail."),
        ] {
            let mut fields = vec![("csrf", csrf.as_str())];
            fields.extend(form);
            let done = ian.post(&format!("/requests/CR-1/{path}"), &fields).await;
            assert_eq!(done.status, StatusCode::SEE_OTHER, "{path}: {}", done.body);
            assert_eq!(said(ian.get(done.location.as_deref().unwrap()).await), expected, "{path}");
        }
    }
}

on_both_backends! {
    async fn pages_name_teams_not_their_keys(app: TestApp) {
        person(&app, "ann@example.org", Role::Requester, &[]);
        let mut ann = Visitor::new(&app);
        ann.sign_in("ann@example.org").await;
        let csrf = ann.csrf("/requests/new").await;
        ann.post("/requests/new", &[("csrf", &csrf), ("title", "Logo"), ("description", "Blurry"), ("category", "bug")]).await;
        let page = ann.get("/requests/CR-1").await;
        assert!(page.body.contains("<dt>Team</dt><dd>IT web operations <span"), "{}", page.body);
        assert!(without_labels(&ann.get("/requests/mine").await.body).contains("<td>IT web operations</td>"));
    }
}

on_both_backends! {
    async fn the_request_page_offers_no_comment_it_would_refuse(app: TestApp) {
        let ann = person(&app, "ann@example.org", Role::Requester, &[]);
        let ian = person(&app, "ian@example.org", Role::Agent, &["it"]);
        person(&app, "mia@example.org", Role::Agent, &["marketing"]);
        let filed = app.file(&ann, "Logo", "Blurry", "bug").await;
        let key = filed["key"].as_str().unwrap().to_owned();
        let mut mia = Visitor::new(&app);
        mia.sign_in("mia@example.org").await;
        let page = mia.get(&format!("/requests/{key}")).await;
        assert!(page.body.contains("id=\"no-comment\">Only IT web operations or an admin may comment"), "{}", page.body);
        assert!(!page.body.contains("action=\"/requests/CR-1/comment\""));
        for status in ["acknowledged", "in_progress", "resolved", "closed"] {
            app.set_status(&ian, &key, status, None).await.ok();
        }
        let mut v = Visitor::new(&app);
        v.sign_in("ann@example.org").await;
        let page = v.get(&format!("/requests/{key}")).await;
        assert!(page.body.contains("is closed, so it takes no more comments"), "{}", page.body);
        assert!(!page.body.contains("action=\"/requests/CR-1/comment\""), "no box the service would refuse");
    }
}

on_both_backends! {
    async fn my_requests_put_what_waits_on_me_first_and_find_by_text_and_state(app: TestApp) {
        let ann = person(&app, "ann@example.org", Role::Requester, &[]);
        let ian = person(&app, "ian@example.org", Role::Agent, &["it"]);
        for title in ["Old typo", "Hero image", "Footer link"] {
            app.file(&ann, title, "See title", "bug").await;
        }
        // CR-1 done, CR-2 waiting on Ann, CR-3 new.
        for status in ["acknowledged", "in_progress", "resolved"] {
            app.set_status(&ian, "CR-1", status, None).await.ok();
        }
        app.set_status(&ian, "CR-2", "acknowledged", None).await.ok();
        app.set_status(&ian, "CR-2", "in_progress", None).await.ok();
        app.set_status(&ian, "CR-2", "waiting_on_requester", Some("Which image?")).await.ok();
        let mut v = Visitor::new(&app);
        v.sign_in("ann@example.org").await;
        let rows = |body: &str| body.match_indices("<tr id=\"mine-").map(|(i, _)| body[i + 13..].split('"').next().unwrap().to_owned()).collect::<Vec<_>>();
        let page = v.get("/requests/mine").await;
        assert_eq!(rows(&page.body), ["CR-2", "CR-3", "CR-1"], "waiting on me, then open, then done");
        assert!(page.body.contains("<strong>Your answer</strong>"));
        assert_eq!(rows(&v.get("/requests/mine?show=open").await.body), ["CR-2", "CR-3"]);
        assert_eq!(rows(&v.get("/requests/mine?show=closed").await.body), ["CR-1"]);
        assert_eq!(rows(&v.get("/requests/mine?q=hero").await.body), ["CR-2"]);
        assert!(v.get("/requests/mine?q=nothing+like+it").await.body.contains("No request of yours matches."));
    }
}

on_both_backends! {
    async fn staff_ask_the_requester_and_wait_in_one_reply(app: TestApp) {
        let ann = person(&app, "ann@example.org", Role::Requester, &[]);
        let ian = person(&app, "ian@example.org", Role::Agent, &["it"]);
        app.file(&ann, "Hero image", "Swap it", "bug").await;
        app.set_status(&ian, "CR-1", "acknowledged", None).await.ok();
        app.set_status(&ian, "CR-1", "in_progress", None).await.ok();
        let mut v = Visitor::new(&app);
        v.sign_in("ian@example.org").await;
        let page = v.get("/requests/CR-1").await;
        assert!(page.body.contains("id=\"reply-wait\"") && page.body.contains("id=\"reply-resolve\""), "{}", page.body);
        let csrf = page.csrf();
        let internal = v.post("/requests/CR-1/comment", &[("csrf", &csrf), ("body", "Which image?"), ("internal", "1"),
            ("then", "waiting_on_requester")]).await;
        // Refused, and said so on the page it came from, nothing changed.
        let back = internal.location.clone().unwrap_or_default();
        assert!(back.starts_with("/requests/CR-1?refused="), "a reply to the requester is not internal: {back}");
        let shown = v.get(&back).await;
        assert!(shown.body.contains("id=\"refused\"") && shown.body.contains("Nothing was changed"), "{}", shown.body);
        assert!(!shown.body.contains("Which image?"), "the refused reply was not added");
        let asked = v.post("/requests/CR-1/comment", &[("csrf", &csrf), ("body", "Which image: the blue or the red one?"),
            ("then", "waiting_on_requester")]).await;
        assert_eq!(asked.location.as_deref(), Some("/requests/CR-1?done=status"));
        let request = app.get("/api/v1/requests/CR-1", &ann).await.ok();
        assert_eq!(request["status"], "waiting_on_requester");
        let mail = app.outbox().into_iter().filter(|m| m.recipients.contains("ann@example.org")).max_by(|a, b| a.id.cmp(&b.id)).unwrap();
        assert!(mail.text_body.contains("Which image: the blue or the red one?"), "the question reaches Ann: {}", mail.text_body);
        let page = v.get("/requests/CR-1?done=status").await;
        assert!(page.body.contains("Now waiting on requester."), "{}", page.body);
    }

    async fn the_top_bar_and_the_queue_views_count_what_they_list(app: TestApp) {
        let ann = person(&app, "ann@example.org", Role::Requester, &[]);
        let ian = person(&app, "ian@example.org", Role::Agent, &["it"]);
        for (title, priority) in [("Checkout is down", "P1"), ("Footer typo", "P3"), ("Old banner", "P3"), ("Form bug", "P3")] {
            let body = serde_json::json!({ "title": title, "description": "see the page", "category": "bug", "priority": priority });
            assert_eq!(app.post("/api/v1/requests", &ann, body).await.status, 201);
        }
        app.post("/api/v1/requests/CR-2/assign", &ian, serde_json::json!({ "assignee": "ian@example.org" })).await.ok();
        app.set_status(&ian, "CR-4", "acknowledged", None).await.ok();
        app.set_status(&ian, "CR-4", "in_progress", None).await.ok();
        app.set_status(&ian, "CR-4", "resolved", None).await.ok();
        // The P1's first response (30 minutes) breaches.
        app.clock.advance(chrono::TimeDelta::hours(1));
        app.sweep_at(&app.clock.now().to_rfc3339());
        let mut v = Visitor::new(&app);
        v.sign_in("ian@example.org").await;
        let queue = v.get("/queues/it").await;
        assert!(queue.body.contains("IT web operations queue <span class=\"count\" aria-label=\"3 open\">3</span>"), "{}", queue.body);
        let views = &queue.body[queue.body.find("class=\"views\"").unwrap()..];
        for (label, query, expected) in [("All open", "", 3), ("Mine", "?assignee=me", 1), ("Unassigned", "?assignee=none", 2),
            ("Breached", "?sla=breached", 1), ("At risk", "?sla=at_risk", 0)] {
            let shown = format!("<a href=\"/queues/it{query}\"");
            let at = views.find(&shown).unwrap_or_else(|| panic!("{label} view missing"));
            let count: i64 = views[at..].split("<span class=\"count\">").nth(1).unwrap().split('<').next().unwrap().parse().unwrap();
            assert_eq!(count, expected, "{label}");
            let listed = v.get(&format!("/queues/it{query}")).await.body.matches("id=\"row-CR-").count() as i64;
            assert_eq!(listed, count, "the {label} view lists what it counts");
        }
        let mine = v.get("/queues/it?assignee=me").await;
        assert!(mine.body.contains("<a href=\"/queues/it?assignee=me\" aria-current=\"page\">"), "the view shown is marked");
    }
}
