//! Full-text search (`q` on GET /api/v1/requests): words ANDed, the last a prefix, over the
//! title, description, type fields, page address and the comments the caller may see; a key
//! first; ranked on asking; marked; indexed in the transaction of the change.

use changedesk::domain::Role;
use proptest::strategy::{Strategy, ValueTree};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::on_both_backends;

async fn search(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let q: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
    let page = app.get(&format!("/api/v1/requests?q={q}"), token).await.ok();
    keys(&page)
}

fn keys(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|r| r["key"].as_str().unwrap().to_owned()).collect()
}

/// The words marked in a list of fragments.
fn marked(fragments: &Value) -> Vec<String> {
    fragments
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["match"] == true)
        .map(|f| f["text"].as_str().unwrap().to_owned())
        .collect()
}

on_both_backends! {
    async fn words_are_found_wherever_the_caller_may_read_them(app: TestApp) {
        let cast = app.cast();
        let body = |title: &str, description: &str, page: Option<&str>| json!({ "title": title, "description": description,
            "category": "bug", "page_url": page });
        app.post("/api/v1/requests", &cast.ann, body("Hero image blurry", "On the spring landing page", None)).await.ok();
        app.post("/api/v1/requests", &cast.ann, body("Footer links", "Broken on mobile", Some("https://example.org/pricing"))).await.ok();
        app.post("/api/v1/requests", &cast.bob, body("Hero video", "Autoplay is loud", None)).await.ok();
        app.comment(&cast.ian, "CR-2", "The CDN serves stale assets", false).await.ok();
        app.comment(&cast.ian, "CR-3", "Vendor ticket 4711 opened", true).await.ok();

        // Words ANDed, any case, the last one a prefix; punctuation separates words.
        assert_eq!(search(&app, &cast.ian, "hero").await, ["CR-3", "CR-1"]);
        assert_eq!(search(&app, &cast.ian, "HERO blur").await, ["CR-1"]);
        assert_eq!(search(&app, &cast.ian, "hero, spring").await, ["CR-1"]);
        assert_eq!(search(&app, &cast.ian, "land").await, ["CR-1"], "the last word is a prefix");
        assert_eq!(search(&app, &cast.ian, "lan hero").await, Vec::<String>::new(), "only the last one");
        assert_eq!(search(&app, &cast.ian, "pricing").await, ["CR-2"], "the page address");
        assert_eq!(search(&app, &cast.ian, "stale cdn").await, ["CR-2"], "a comment");
        // Internal notes are staff's; requesters search their own requests only.
        assert_eq!(search(&app, &cast.ian, "4711").await, ["CR-3"]);
        assert_eq!(search(&app, &cast.bob, "4711").await, Vec::<String>::new(), "an internal note");
        assert_eq!(search(&app, &cast.bob, "hero").await, ["CR-3"]);
        assert_eq!(search(&app, &cast.ann, "hero").await, ["CR-1"]);
        assert_eq!(search(&app, &cast.ann, "stale").await, ["CR-2"], "a public comment on her own request");
        // Searches combine with the other filters.
        let open_it = app.get("/api/v1/requests?q=hero&team=it&status=new", &cast.ian).await.ok();
        assert_eq!(keys(&open_it), ["CR-3", "CR-1"]);
        app.set_status(&cast.ian, "CR-1", "acknowledged", None).await.ok();
        let still_new = app.get("/api/v1/requests?q=hero&status=new", &cast.ian).await.ok();
        assert_eq!(keys(&still_new), ["CR-3"]);

        // The matches are marked, in the title and around the first one in the description.
        let page = app.get("/api/v1/requests?q=spring%20blur", &cast.ian).await.ok();
        let hit = &page["items"][0]["highlight"];
        assert_eq!(marked(&hit["title"]), ["blurry"]);
        assert_eq!(marked(&hit["description"]), ["spring"]);
        let plain = app.get("/api/v1/requests", &cast.ian).await.ok();
        assert!(plain["items"][0].get("highlight").is_none(), "only search results carry it");
    }

    async fn a_key_comes_first_and_relevance_ranks_the_matches(app: TestApp) {
        let cast = app.cast();
        for (title, description) in [
            ("Checkout error", "Customers see an error"),
            ("Cart page", "The checkout button overlaps"),
            ("Checkout copy", "New checkout wording for checkout page"),
            ("Typo", "See CR-2 for the checkout"),
        ] {
            app.post("/api/v1/requests", &cast.ann, json!({ "title": title, "description": description, "category": "bug" })).await.ok();
        }
        assert_eq!(search(&app, &cast.ian, "CR-2").await, ["CR-2", "CR-4"], "the key, then what mentions it");
        assert_eq!(search(&app, &cast.ian, "cr-9").await, Vec::<String>::new());
        assert_eq!(search(&app, &cast.bob, "CR-2").await, Vec::<String>::new(), "not Bob's to see");

        // Newest first by default; best first on asking: the title counts most.
        assert_eq!(search(&app, &cast.ian, "checkout").await, ["CR-4", "CR-3", "CR-2", "CR-1"]);
        let ranked = app.get("/api/v1/requests?q=checkout&sort=relevance&limit=2", &cast.ian).await.ok();
        let first = keys(&ranked);
        assert_eq!(first.len(), 2);
        assert!(first.iter().all(|k| k == "CR-1" || k == "CR-3"), "titles first: {first:?}");
        let cursor = ranked["next_cursor"].as_str().unwrap();
        let rest = app.get(&format!("/api/v1/requests?q=checkout&sort=relevance&limit=2&cursor={cursor}"), &cast.ian).await.ok();
        let mut all: Vec<String> = first.into_iter().chain(keys(&rest)).collect();
        assert_eq!(rest["next_cursor"], Value::Null);
        all.sort();
        assert_eq!(all, ["CR-1", "CR-2", "CR-3", "CR-4"], "each once");

        // Refused: relevance without words, a cursor of another sort, too long a search.
        app.get("/api/v1/requests?sort=relevance", &cast.ian).await.assert_error(422, "validation_failed");
        app.get("/api/v1/requests?q=checkout&sort=relevance&cursor=00", &cast.ian).await.assert_error(422, "validation_failed");
        let long = "a".repeat(1001);
        app.get(&format!("/api/v1/requests?q={long}"), &cast.ian).await.assert_error(422, "validation_failed");
        assert_eq!(search(&app, &cast.ian, &"checkout ".repeat(100)).await.len(), 4, "long, but within 1,000 characters");
    }

    async fn a_change_is_found_by_the_next_search_after_its_commit(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Banner", "Replace it", "bug").await;
        assert_eq!(search(&app, &cast.ian, "zeppelin").await, Vec::<String>::new());
        app.comment(&cast.ann, "CR-1", "The new one shows a zeppelin", false).await.ok();
        // The comment's transaction wrote its request's index row: nothing is left for later.
        assert!(!changedesk::db::any_pending(&mut app.pool.get().unwrap()).unwrap());
        assert_eq!(search(&app, &cast.ian, "zeppelin").await, ["CR-1"]);
        let patch = json!({ "title": "Airship banner" });
        app.call(reqwest::Method::PATCH, "/api/v1/requests/CR-1", Some(&cast.ann), Some(patch)).await.ok();
        assert_eq!(search(&app, &cast.ian, "airship").await, ["CR-1"]);
        assert_eq!(search(&app, &cast.ian, "banner").await, ["CR-1"]);
        assert_eq!(search(&app, &cast.ian, "replace banner").await, ["CR-1"]);
        // A merged duplicate's comments come with it.
        app.file(&cast.ann, "Same banner", "Dup", "bug").await;
        app.comment(&cast.ann, "CR-2", "Mind the quokka", false).await.ok();
        app.post("/api/v1/requests/CR-2/links", &cast.ian, json!({ "kind": "duplicate_of", "target": "CR-1" })).await.ok();
        assert_eq!(search(&app, &cast.ian, "quokka").await, ["CR-2", "CR-1"]);
    }

    async fn no_search_text_is_a_server_error(app: TestApp) {
        let cast = app.cast();
        let lee = app.user("lee@example.org", Role::Lead, &["it"]);
        app.file(&cast.ann, "Hero \"image\" (blurry) AND NOT *", "Quotes: 'single' \"double\" ^ ~ - :", "bug").await;
        // Random strings over the characters query languages treat as syntax, and any other.
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let strategy = proptest::string::string_regex(r#"[a-zA-Z0-9 "'*:^~\-+(){}\[\]\\/%_.,;!?&|<>=@#$`éß中\u{0}\u{7f}]{0,40}"#).unwrap();
        for i in 0..150 {
            let q = strategy.new_tree(&mut runner).unwrap().current();
            let encoded: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
            let sort = if i % 3 == 0 { "&sort=relevance" } else { "" };
            for token in [&cast.ian, &cast.ann, &lee] {
                let r = app.get(&format!("/api/v1/requests?q={encoded}{sort}"), token).await;
                assert!(r.status.as_u16() < 500, "q={q:?}: {} {}", r.status, r.body);
            }
        }
        assert_eq!(search(&app, &cast.ian, "\"image\" (blurry)").await, ["CR-1"]);
        assert_eq!(search(&app, &cast.ian, "AND NOT").await, ["CR-1"], "operators are words");
    }
}

/// The list as the service reads it, with `few` matches telling few from many.
fn listed_with(app: &TestApp, email: &str, q: &str, few: i64, limit: i64) -> Vec<String> {
    use changedesk::read::list::{ListQuery, list};
    let mut conn = app.pool.get().unwrap();
    let user = changedesk::db::user_by_email(&mut conn, email).unwrap().unwrap();
    let actor = changedesk::service::users::actor(&mut conn, user).unwrap();
    let query = ListQuery { q: Some(q.to_owned()), limit: Some(limit), ..ListQuery::default() };
    let mut filter = query.to_filter(&actor, app.clock.now()).unwrap();
    filter.search.as_mut().unwrap().few_matches = few;
    let versions = changedesk::service::sla::SlaVersions::default();
    let page = list(&mut conn, &versions, &filter, app.clock.now()).unwrap();
    page.items.into_iter().map(|r| r.key).collect()
}

on_both_backends! {
    async fn many_matches_give_the_same_pages_as_few(app: TestApp) {
        let cast = app.cast();
        for i in 1..=6 {
            app.clock.advance(chrono::TimeDelta::minutes(1));
            app.file(&cast.ann, &format!("Banner {i}"), "Replace it", "bug").await;
        }
        // Few (every match read) and many (the newest matches by number, checked) agree.
        let few = listed_with(&app, "ian@example.org", "banner", 1000, 3);
        assert_eq!(few, ["CR-6", "CR-5", "CR-4"]);
        assert_eq!(listed_with(&app, "ian@example.org", "banner", 2, 3), few, "newest by number hold the page");
        assert_eq!(listed_with(&app, "ian@example.org", "banner", 4, 3), few);
        // An import of older requests numbers them after the filed ones: out of creation
        // order, so the list walks its own order instead, with the same answer.
        let csv = "title,category,team,priority,requester_email,created_at,first_response_at,resolved_at,status\n\
                   Old banner,bug,it,P3,ann@example.org,2026-11-10T09:00:00Z,,,new\n";
        let context = changedesk::service::import::ImportContext::load(&mut app.pool.get().unwrap()).unwrap();
        let rows = changedesk::service::import::validate(csv.as_bytes(), &context, app.clock.now()).unwrap();
        changedesk::service::import::import(&mut app.pool.get().unwrap(), rows, "old.csv", app.clock.now(), &|_| {}).unwrap();
        let all = listed_with(&app, "ian@example.org", "banner", 1000, 10);
        assert_eq!(all, ["CR-6", "CR-5", "CR-4", "CR-3", "CR-2", "CR-1", "CR-7"], "by creation, the import last");
        assert_eq!(listed_with(&app, "ian@example.org", "banner", 2, 10), all);
        assert_eq!(listed_with(&app, "ian@example.org", "banner", 2, 3), ["CR-6", "CR-5", "CR-4"]);
        assert_eq!(listed_with(&app, "ann@example.org", "banner", 2, 10), all, "a requester's own, the same way");
        // Many more matches than four pages: the newest few by number are read first.
        for i in 8..=17 {
            app.clock.advance(chrono::TimeDelta::minutes(1));
            app.file(&cast.ann, &format!("Banner {i}"), "Replace it", "bug").await;
        }
        for limit in [1, 2, 3] {
            let truth = listed_with(&app, "ian@example.org", "banner", 1000, limit);
            assert_eq!(truth[0], "CR-17");
            assert_eq!(listed_with(&app, "ian@example.org", "banner", 10, limit), truth, "limit {limit}");
            assert_eq!(listed_with(&app, "ann@example.org", "banner", 10, limit), truth, "limit {limit}");
        }
    }
}

on_both_backends! {
    async fn requests_an_earlier_build_left_marked_are_indexed_when_the_service_starts(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Hero banner", "Blurry", "bug").await;
        app.file(&cast.ann, "Footer", "Broken link", "bug").await;
        // As a build that indexed in batches left them: CR-1 filed and marked, not indexed
        // yet; CR-2 indexed with an old title and marked after an edit.
        let mut conn = app.pool.get().unwrap();
        for sql in [
            "DELETE FROM request_search WHERE {n} = 1",
            "UPDATE requests SET title = 'Footer airship' WHERE number = 2",
            "INSERT INTO search_pending (number) VALUES (1), (2)",
        ] {
            let n = if app.database_url.starts_with("sqlite") { "rowid" } else { "number" };
            diesel::RunQueryDsl::execute(diesel::sql_query(sql.replace("{n}", n)), &mut conn).unwrap();
        }
        drop(conn);
        assert_eq!(search(&app, &cast.ian, "hero").await, Vec::<String>::new());
        assert_eq!(search(&app, &cast.ian, "airship").await, Vec::<String>::new());
        changedesk::startup::prepare_database(&app.settings, &app.clock).unwrap();
        assert!(!changedesk::db::any_pending(&mut app.pool.get().unwrap()).unwrap());
        assert_eq!(search(&app, &cast.ian, "hero").await, ["CR-1"]);
        assert_eq!(search(&app, &cast.ian, "airship").await, ["CR-2"]);
        assert_eq!(search(&app, &cast.ian, "broken").await, ["CR-2"]);
    }
}
