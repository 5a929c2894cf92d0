//! The holes a probe found (issue 14), each shown closed: redirects that stay on this site,
//! headers on every answer, forms posted from elsewhere refused, odd input answered 4xx, and a
//! sign-in throttle that holds under concurrency and across instances.

use changedesk::domain::Role;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;
use crate::pages::{PASSWORD, Page, Visitor, person, requests};

on_both_backends! {
    async fn redirects_after_sign_in_and_actions_stay_on_this_site_and_never_fail(app: TestApp) {
        let ann_token = person(&app, "ann@example.org", Role::Requester, &[]);
        person(&app, "ian@example.org", Role::Agent, &["it"]);
        let mut ann = Visitor::new(&app);
        // Each of these once reached the Location header as given (an open redirect) or made
        // building it fail after the session had been created (a 500).
        for next in ["/\t/evil.example/", "/.//evil.example/", "/x\ny", "/x\r", "/\u{1}", "/\u{7f}"] {
            let csrf = ann.csrf("/sign-in").await;
            let signed = ann.post("/sign-in", &[("csrf", &csrf), ("email", "ann@example.org"), ("password", PASSWORD),
                ("next", next)]).await;
            assert_eq!((signed.status, signed.location.as_deref()), (StatusCode::SEE_OTHER, Some("/")), "{next:?}");
            // Out of the sign-in throttle's window: five password checks an account per window.
            app.clock.advance(chrono::TimeDelta::minutes(16));
        }
        let filed = app.file(&ann_token, "Logo", "Blurry", "bug").await;
        let mut ian = Visitor::new(&app);
        ian.sign_in("ian@example.org").await;
        let csrf = ian.csrf("/queues/it").await;
        let key = filed["key"].as_str().unwrap();
        for (back, status) in [("/\t/evil.example/", "acknowledged"), ("/x\ny", "in_progress")] {
            let moved = ian.post(&format!("/requests/{key}/status"), &[("csrf", &csrf), ("status", status), ("back", back)]).await;
            assert_eq!((moved.status, moved.location), (StatusCode::SEE_OTHER, Some(format!("/requests/{key}?done=status"))), "{back:?}");
        }
    }
}

/// The header set of `page`, or what is wrong with it.
fn check_headers(path: &str, page: &Page, cacheable: bool) {
    let header = |name: &str| page.headers.get(name).map(|v| v.to_str().unwrap().to_owned());
    let csp = header("content-security-policy").unwrap_or_else(|| panic!("{path}: no Content-Security-Policy"));
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self';"), "{path}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
    assert_eq!(header("x-frame-options").as_deref(), Some("DENY"), "{path}");
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"), "{path}");
    assert_eq!(header("referrer-policy").as_deref(), Some("same-origin"), "{path}");
    assert_eq!(header("strict-transport-security"), None, "{path}: HSTS only when base_url is https");
    let cache = header("cache-control");
    if cacheable {
        assert!(cache.as_deref().is_some_and(|c| c.starts_with("public")), "{path}: {cache:?}");
    } else {
        assert_eq!(cache.as_deref(), Some("no-store"), "{path}");
    }
}

on_both_backends! {
    async fn every_answer_carries_the_security_headers(app: TestApp) {
        let ann_token = person(&app, "ann@example.org", Role::Requester, &[]);
        person(&app, "ada@example.org", Role::Admin, &["it"]);
        app.file(&ann_token, "Logo", "Blurry", "bug").await;
        let mut stranger = Visitor::new(&app);
        for (path, cacheable) in [("/sign-in", false), ("/setup", false), ("/assets/app.css", true),
            ("/assets/app.js", true), ("/healthz", false), ("/readyz", false), ("/api/v1/openapi.json", false),
            ("/api/v1/requests", false), ("/no/such/page", false), ("/requests/mine", false),
            ("/password-resets", false), ("/invitations/0000", false), ("/password-resets/0000", false)]
        {
            check_headers(path, &stranger.get(path).await, cacheable);
        }
        let mut ada = Visitor::new(&app);
        ada.sign_in("ada@example.org").await;
        for path in ["/", "/requests/new", "/requests/mine", "/requests/CR-1", "/queues/it", "/dashboard", "/admin",
            "/admin/mail", "/admin/people", "/admin/routing", "/admin/sla", "/account/password", "/requests/CR-99"]
        {
            let page = ada.get(path).await;
            assert!(page.status.is_success() || page.status.is_redirection() || path == "/requests/CR-99", "{path}: {}", page.status);
            check_headers(path, &page, false);
        }
        let csrf = ada.csrf("/requests/new").await;
        check_headers("POST /sign-out", &ada.post("/sign-out", &[("csrf", &csrf)]).await, false);
        let api = app.get("/api/v1/requests/CR-1", &ann_token).await;
        assert_eq!(api.status, 200);
        let https = spawn_app_with(Backend::Sqlite, |s| s.server.base_url = "https://desk.example.org".into()).await.unwrap();
        let answer = reqwest::get(format!("{}/sign-in", https.address)).await.unwrap();
        assert_eq!(answer.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains");
    }

    async fn forms_sent_from_another_site_are_refused_whatever_their_token(app: TestApp) {
        person(&app, "ann@example.org", Role::Requester, &[]);
        let mut ann = Visitor::new(&app);
        ann.sign_in("ann@example.org").await;
        let csrf = ann.csrf("/requests/new").await;
        let form = [("csrf", csrf.as_str()), ("title", "Logo"), ("description", "Blurry"), ("category", "bug"),
            ("priority", "P3")];
        let url = format!("{}/requests/new", ann.base);
        for (name, value) in [("origin", "http://evil.example"), ("sec-fetch-site", "cross-site"), ("origin", "null")] {
            let forged = ann.client.post(&url).form(&form).header(name, value);
            let refused = ann.send(forged).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{name}: {value}");
            assert!(refused.body.contains("sent from another site"), "{}", refused.body);
            assert_eq!(requests(&app), 0, "nothing filed");
        }
        let own = ann.client.post(&url).form(&form).header("origin", ann.base.clone()).header("sec-fetch-site", "same-origin");
        assert_eq!(ann.send(own).await.status, StatusCode::SEE_OTHER);
        assert_eq!(requests(&app), 1);
        let csrf = ann.csrf("/sign-in").await;
        let sign_in = ann.client.post(format!("{}/sign-in", ann.base)).header("origin", "http://evil.example")
            .form(&[("csrf", csrf.as_str()), ("email", "ann@example.org"), ("password", PASSWORD)]);
        assert_eq!(ann.send(sign_in).await.status, StatusCode::FORBIDDEN, "no signing in from another site (login CSRF)");
    }
}

/// Every byte but letters, digits and `-` percent-encoded, for a path segment or a query value.
fn encoded(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'-' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// `cases` values drawn from `strategy` (proptest's generators, without shrinking: each case is
/// an HTTP call on a running service, which proptest's synchronous runner cannot await).
fn draw(strategy: impl Strategy<Value = String>, cases: usize) -> Vec<String> {
    let mut runner = TestRunner::deterministic();
    (0..cases).map(|_| strategy.new_tree(&mut runner).unwrap().current()).collect()
}

on_both_backends! {
    async fn any_week_and_any_search_text_is_answered_without_a_server_error(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Logo", "Blurry 100% _sure_ \\o/", "bug").await;
        let mut weeks: Vec<String> = ["262143-W01", "-262143-W01", "0000-W01", "1969-W52", "1970-W01", "9999-W52",
            "9999-W53", "2026-W53", "2026-W00", "2026-W5", "02026-W01", "2026-w01", "2026-W01 ", "+2026-W01", ""]
            .map(String::from).into();
        weeks.extend(draw("[0-9+-]{0,7}-W[0-9]{0,3}|\\PC{0,12}", 150));
        for week in &weeks {
            let reply = app.get(&format!("/api/v1/digests/{}", encoded(week)), &cast.ada).await;
            assert!(matches!(reply.status.as_u16(), 200 | 400 | 404 | 422), "week {week:?}: {} {}", reply.status, reply.body);
            if reply.status == 422 {
                reply.assert_error(422, "validation_failed");
            }
        }
        assert_eq!(app.get("/api/v1/digests/9999-W52", &cast.ada).await.status, 200);
        assert_eq!(app.get("/api/v1/digests/1970-W01", &cast.ada).await.status, 200);
        let long = "x".repeat(50_001);
        let mut texts = vec!["%".into(), "_".into(), "\\".into(), "100%".into(), "a".repeat(1000), "a".repeat(1001),
            long, "%".repeat(1000), "\u{0}".into()];
        texts.extend(draw("\\PC{0,40}|[%_\\\\]{1,1200}", 150));
        for q in &texts {
            let reply = app.get(&format!("/api/v1/requests?q={}", encoded(q)), &cast.ian).await;
            if q.contains('\0') {
                reply.assert_error(400, "bad_request");
            } else if q.chars().count() > 1000 {
                reply.assert_error(422, "validation_failed");
                assert!(!reply.body["error"]["fields"]["q"].is_null(), "{}", reply.body);
            } else {
                assert_eq!(reply.status, 200, "q of {} characters: {}", q.chars().count(), reply.body);
            }
        }
        let cursor = "64" .to_owned() + "7c31" + "7c" + "00";
        app.get(&format!("/api/v1/requests?sort=due&cursor={cursor}"), &cast.ian).await.assert_error(422, "validation_failed");
        app.get("/api/v1/requests?team=it%00", &cast.ian).await.assert_error(400, "bad_request");
        app.get("/api/v1/requests/CR-1%00", &cast.ian).await.assert_error(400, "bad_request");
        let found = app.get(&format!("/api/v1/requests?q={}", encoded("100% _sure_")), &cast.ian).await.ok();
        assert_eq!(found["items"].as_array().unwrap().len(), 1, "% and _ are text, not wildcards");
        let out = crate::cli::changedesk(&app.database_url).args(["digest", "--week", "262143-W01"]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "an error, not a panic: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("--week '262143-W01' is not an ISO week"));
    }
}

/// Visitors holding the sign-in page's CSRF cookie and token, each on one of `bases` in turn.
async fn sign_in_forms(app: &TestApp, bases: &[String], n: usize) -> Vec<(Visitor, String)> {
    let mut visitors = Vec::new();
    for i in 0..n {
        let mut v = Visitor::new(app);
        v.base = bases[i % bases.len()].clone();
        let csrf = v.csrf("/sign-in").await;
        visitors.push((v, csrf));
    }
    visitors
}

/// Posts every sign-in at once; returns the answers' statuses, in order.
async fn sign_in_together(tries: Vec<(Visitor, String, &'static str, &'static str)>) -> Vec<StatusCode> {
    let posts = tries.into_iter().map(|(mut v, csrf, email, password)| async move {
        let form = [("csrf", csrf.as_str()), ("email", email), ("password", password)];
        v.post("/sign-in", &form).await.status
    });
    futures_util::future::join_all(posts).await
}

fn count(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

on_both_backends! {
    async fn the_sign_in_throttle_holds_under_concurrency_and_across_instances(app: TestApp) {
        person(&app, "ann@example.org", Role::Requester, &[]);
        let bases = [app.address.clone(), app.second_instance()];
        // 100 attempts at once over two instances, 99 wrong and then the right one: five
        // password checks at most, whatever arrives first.
        let tries = sign_in_forms(&app, &bases, 100).await.into_iter().enumerate()
            .map(|(i, (v, csrf))| (v, csrf, "ann@example.org", if i == 99 { PASSWORD } else { "wrong wrong wrong" }))
            .collect();
        let statuses = sign_in_together(tries).await;
        let checked = count(&statuses, StatusCode::UNAUTHORIZED) + count(&statuses, StatusCode::SEE_OTHER);
        assert_eq!(checked, 5, "{statuses:?}");
        assert_eq!(count(&statuses, StatusCode::TOO_MANY_REQUESTS), 95, "{statuses:?}");
        app.clock.advance(chrono::TimeDelta::minutes(16));
        // A new window: 30 wrong at once still make five checks.
        let tries = sign_in_forms(&app, &bases, 30).await.into_iter()
            .map(|(v, csrf)| (v, csrf, "ANN@example.org ", "wrong wrong wrong")).collect();
        let statuses = sign_in_together(tries).await;
        assert_eq!((count(&statuses, StatusCode::UNAUTHORIZED), count(&statuses, StatusCode::TOO_MANY_REQUESTS)), (5, 25),
            "the account's key is its email, any case: {statuses:?}");
        app.clock.advance(chrono::TimeDelta::minutes(16));
        let mut ann = Visitor::new(&app);
        ann.base = bases[1].clone();
        assert_eq!(ann.sign_in("ann@example.org").await.status, StatusCode::SEE_OTHER, "the window ends");
    }

    async fn the_client_address_comes_from_trusted_proxies_only(app: TestApp) {
        // `app` believes no proxy: X-Forwarded-For is the client's to write, so it is ignored.
        let behind = spawn_app_with(Backend::Sqlite, |s| s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()])
            .await.unwrap();
        for (served, believed) in [(&app, false), (&behind, true)] {
            let mut statuses = Vec::new();
            for i in 0..21 {
                let mut v = Visitor::new(served);
                let csrf = v.csrf("/sign-in").await;
                let email = format!("nobody{i}@example.org");
                let post = v.client.post(format!("{}/sign-in", v.base)).header("x-forwarded-for", format!("198.51.100.{i}"))
                    .form(&[("csrf", csrf.as_str()), ("email", email.as_str()), ("password", "wrong wrong wrong")]);
                statuses.push(v.send(post).await.status);
            }
            let throttled = count(&statuses, StatusCode::TOO_MANY_REQUESTS);
            assert_eq!(throttled, if believed { 0 } else { 1 }, "twenty checks an address: {statuses:?}");
        }
        let mut v = Visitor::new(&behind);
        let csrf = v.csrf("/sign-in").await;
        for i in 0..21 {
            let email = format!("guess{i}@example.org");
            let post = v.client.post(format!("{}/sign-in", v.base)).header("x-forwarded-for", "1.2.3.4, 203.0.113.9")
                .form(&[("csrf", csrf.as_str()), ("email", email.as_str()), ("password", "wrong wrong wrong")]);
            let status = v.send(post).await.status;
            assert_eq!(status, if i < 20 { StatusCode::UNAUTHORIZED } else { StatusCode::TOO_MANY_REQUESTS }, "{i}");
        }
        let proxied = |base: &str| reqwest::Client::new().get(format!("{base}/sign-in")).header("x-forwarded-proto", "https");
        let secure = |r: &reqwest::Response| r.headers()["set-cookie"].to_str().unwrap().contains("Secure");
        assert!(secure(&proxied(&behind.address).send().await.unwrap()), "https at a trusted proxy: Secure cookies");
        assert!(!secure(&proxied(&app.address).send().await.unwrap()), "anyone else's X-Forwarded-Proto is ignored");
    }
}

on_both_backends! {
    async fn the_request_form_sent_twice_files_once(app: TestApp) {
        person(&app, "ann@example.org", Role::Requester, &[]);
        let mut ann = Visitor::new(&app);
        ann.sign_in("ann@example.org").await;
        let page = ann.get("/requests/new").await;
        let at = page.body.find("name=\"idempotency_key\" value=\"").expect("a key in the form") + 30;
        let key = page.body[at..].split('"').next().unwrap().to_owned();
        assert_eq!(key.len(), 36, "a UUID: {key:?}");
        let form = [("csrf", page.csrf()), ("idempotency_key", key), ("title", "Logo".into()),
            ("description", "Blurry".into()), ("category", "bug".into()), ("priority", "P3".into())];
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let first = ann.post("/requests/new", &form).await;
        let again = ann.post("/requests/new", &form).await;
        assert_eq!((first.status, first.location.as_deref()), (StatusCode::SEE_OTHER, Some("/requests/CR-1?done=filed")));
        assert_eq!(again.location, first.location, "a double click or a reload shows the same request");
        assert_eq!(requests(&app), 1);
        let fresh = ann.get("/requests/new").await;
        assert!(!fresh.body.contains(&format!("value=\"{}\"", form[1].1)), "each form shown has a key of its own");
    }
}

on_both_backends! {
    async fn who_may_change_the_configuration_is_checked_before_what_they_sent(app: TestApp) {
        let cast = app.cast();
        for path in ["/api/v1/teams", "/api/v1/categories", "/api/v1/routing-rules", "/api/v1/calendars", "/api/v1/sla-policies"] {
            let url = format!("{}{path}", app.address);
            let malformed = app.client.put(&url).bearer_auth(&cast.ann).header("content-type", "application/json").body("{");
            let answer = malformed.send().await.unwrap();
            assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{path}: a requester's malformed body");
            let not_json = app.client.put(&url).bearer_auth(&cast.ann).body("x=1");
            assert_eq!(not_json.send().await.unwrap().status(), StatusCode::FORBIDDEN, "{path}: not even JSON");
            assert_eq!(app.client.put(&url).body("{").send().await.unwrap().status(), StatusCode::UNAUTHORIZED, "{path}");
            let admins = app.client.put(&url).bearer_auth(&cast.ada).header("content-type", "application/json").body("}");
            assert_eq!(admins.send().await.unwrap().status(), StatusCode::BAD_REQUEST, "{path}: an admin hears about the body");
        }
        let trace = app.client.request(reqwest::Method::from_bytes(b"TRACE").unwrap(), format!("{}/api/v1/teams", app.address));
        let answer = trace.bearer_auth(&cast.ada).send().await.unwrap();
        assert_eq!((answer.status(), answer.headers()["allow"].to_str().unwrap()), (StatusCode::METHOD_NOT_ALLOWED, "GET, PUT"));
        let answer = app.client.delete(format!("{}/api/v1/requests/preview", app.address)).send().await.unwrap();
        assert_eq!(answer.headers()["allow"], "POST", "a path written out wins over the template that also fits it");
        let answer = app.client.get(format!("{}/api/v1/digests/2025-W53", app.address)).bearer_auth(&cast.ada).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::NOT_FOUND, "a week that does not exist");
    }
}
