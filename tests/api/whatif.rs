//! What-if replay of the ownership map (issue 12), on a history small enough to work out by
//! hand: what if Marketing had owned the bug requests?

use std::process::Command;

use changedesk::domain::Role;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::on_both_backends;

/// Monday 16 November 2026 (London is on UTC): eleven requests filed at 09:00, all P3.
/// - CR-1..4, bugs, IT (08:00-12:30, 13:30-18:00): acknowledged at 10:00, 11:00, 12:00 and
///   18:00, 60, 120, 180 and 480 business minutes; IT's target is 240: three met, one missed.
/// - CR-5..9, content, Marketing (09:00-17:30): acknowledged at 09:30, 10:00, 10:30, 11:00 and
///   11:30, 30 to 150 minutes; its target is 240: all met.
/// - CR-10, a bug IT hands to Marketing at 10:00 without answering; Marketing acknowledges it
///   at 11:00: 60 minutes of Marketing's hold, 120 from the filing.
pub(crate) async fn history(app: &TestApp) -> Cast {
    let cast = app.cast();
    for n in 1..=4 {
        app.file(&cast.ann, &format!("Broken form {n}"), "It fails", "bug").await;
    }
    for n in 5..=9 {
        app.file(&cast.ann, &format!("New copy {n}"), "Words", "content").await;
    }
    app.file(&cast.ann, "Broken banner", "Wrong image", "bug").await;
    let at = |hm: &str| time(&format!("2026-11-16T{hm}:00Z"));
    let steps: [(&str, &str, &str); 11] = [
        ("09:30", "mia", "CR-5"),
        ("10:00", "ian", "CR-1"),
        ("10:00", "mia", "CR-6"),
        ("10:00", "ian", "reassign CR-10"),
        ("10:30", "mia", "CR-7"),
        ("11:00", "ian", "CR-2"),
        ("11:00", "mia", "CR-8"),
        ("11:00", "mia", "CR-10"),
        ("11:30", "mia", "CR-9"),
        ("12:00", "ian", "CR-3"),
        ("18:00", "ian", "CR-4"),
    ];
    for (hm, who, what) in steps {
        app.clock.set(at(hm));
        let token = if who == "ian" { &cast.ian } else { &cast.mia };
        if let Some(key) = what.strip_prefix("reassign ") {
            let body = json!({ "team": "marketing", "reason": "the banner is content" });
            app.post(&format!("/api/v1/requests/{key}/reassign"), token, body).await.ok();
        } else {
            app.set_status(token, what, "acknowledged", None).await.ok();
        }
    }
    app.clock.set(at("18:30"));
    cast
}

fn row<'a>(rows: &'a Value, field: &str, key: &str) -> &'a Value {
    rows.as_array().unwrap().iter().find(|r| r[field] == key).unwrap_or_else(|| panic!("no {field} {key} in {rows:#}"))
}

fn first_response(figures: &Value) -> Value {
    let fr = &figures["first_response"];
    json!([
        figures["requests"],
        fr["median_business_minutes"],
        fr["p90_business_minutes"],
        fr["met"],
        fr["missed"],
        figures["hand_overs"]
    ])
}

on_both_backends! {
    async fn replaying_the_bugs_with_marketing_gives_the_figures_worked_out_by_hand(app: TestApp) {
        let cast = history(&app).await;
        let lee = app.user("lee@example.org", Role::Lead, &["it"]);
        let path = "/api/v1/reports/whatif?from=2026-11-16&to=2026-11-16&move=bug:marketing";
        app.get(path, &cast.ian).await.assert_error(403, "forbidden");
        let w = app.get(path, &lee).await.ok();

        // Marketing decided one bug clock in the period (CR-10's hold), fewer than 20: its
        // first responses over every category are used: 30, 60, 90, 120, 150 (content) and 60
        // (CR-10's hold), sorted 30, 60, 60, 90, 120, 150: median the 3rd (60), p90 the 6th.
        let bug = row(&w["moves"], "category", "bug");
        assert_eq!(bug["team"], "marketing");
        assert_eq!(bug["requests"], 5);
        assert_eq!(bug["already_there"], 1, "CR-10 ended with Marketing");
        assert_eq!(bug["from_teams"], json!(["it", "marketing"]));
        assert_eq!(bug["first_response"], json!({ "basis": "overall", "decided_of_category": 1, "sample": 6,
            "median_business_minutes": 60, "p90_business_minutes": 150 }));
        assert!(bug["note"].as_str().unwrap().contains("fewer than 20: its figures over every category are used"), "{bug}");

        // As it was. IT: 60, 120, 180, 480: median the 2nd of 4 (120), p90 the 4th (480); 3 of
        // 4 met. Marketing: CR-5..9 and CR-10 (120 from its filing on Marketing's calendar):
        // 30, 60, 90, 120, 120, 150: median the 3rd (90), p90 the 6th (150), all met, and the
        // one hand-over.
        let it = row(&w["teams"], "team", "it");
        let marketing = row(&w["teams"], "team", "marketing");
        assert_eq!(first_response(&it["actual"]), json!([4, 120, 480, 3, 1, 0]));
        assert_eq!(first_response(&marketing["actual"]), json!([6, 90, 150, 6, 0, 1]));
        assert_eq!(it["actual"]["first_response"]["attainment"], 0.75);

        // As it would have been. Each of IT's bugs takes Marketing's first response at its own
        // rank among IT's four: 1/4 → the ⌈0.25·6⌉ = 2nd (60), 2/4 → 3rd (60), 3/4 → 5th
        // (120), 4/4 → 6th (150). CR-10 goes straight to Marketing: its 60 minutes from
        // Marketing's receipt, and no hand-over. Marketing then has 30, 60, 60, 60, 60, 90,
        // 120, 120, 150, 150: median the 5th (60), p90 the 9th (150), all within its 240.
        assert_eq!(first_response(&it["replayed"]), json!([0, null, null, 0, 0, 0]));
        assert_eq!(first_response(&marketing["replayed"]), json!([10, 60, 150, 10, 0, 0]));
        let bugs = row(&w["categories"], "category", "bug");
        // Bugs as they were: 60, 120, 120 (CR-10), 180, 480; would be 60, 60, 60, 120, 150.
        assert_eq!(first_response(&bugs["actual"]), json!([5, 120, 480, 4, 1, 1]));
        assert_eq!(first_response(&bugs["replayed"]), json!([5, 60, 150, 5, 0, 0]));
        // On Marketing's calendar from 09:00, 60 business minutes are 60 wall-clock minutes.
        assert_eq!(bugs["replayed"]["first_response"]["median_wall_minutes"], 60);
        let cell = w["cells"].as_array().unwrap().iter().find(|c| c["team"] == "marketing" && c["category"] == "bug").unwrap();
        assert_eq!(first_response(&cell["actual"]), json!([1, 120, 120, 1, 0, 1]));
        assert_eq!(first_response(&cell["replayed"]), json!([5, 60, 150, 5, 0, 0]));
        // Content is not moved: the same on both sides.
        let content = row(&w["categories"], "category", "content");
        assert_eq!(content["actual"], content["replayed"]);
        assert_eq!(w["total"]["actual"]["requests"], 10);
        // Nothing is resolved: no resolution figures on either side.
        assert_eq!(bugs["replayed"]["resolution"]["median_business_minutes"], Value::Null);
        assert_eq!(bug["resolution"]["basis"], "none");

        // `category=team` works too; bad moves are named.
        let same = app.get("/api/v1/reports/whatif?from=2026-11-16&to=2026-11-16&move=bug%3Dmarketing", &lee).await.ok();
        assert_eq!(same["teams"], w["teams"]);
        for (query, field) in [
            ("from=2026-11-16&to=2026-11-16", "move"),
            ("from=2026-11-16&to=2026-11-16&move=bug", "move[0]"),
            ("from=2026-11-16&to=2026-11-16&move=bug:sales", "move[0]"),
            ("from=2026-11-16&to=2026-11-16&move=seo:it&move=nothing:it", "move[1]"),
            ("to=2026-11-16&move=bug:it", "from"),
            ("from=2026-11-17&to=2026-11-16&move=bug:it", "to"),
        ] {
            let reply = app.get(&format!("/api/v1/reports/whatif?{query}"), &lee).await;
            reply.assert_error(422, "validation_failed");
            assert!(reply.body["error"]["fields"][field].is_string(), "{query}: {:#}", reply.body);
        }
    }

    async fn a_rule_added_sends_the_requests_it_matches_and_their_hand_overs_go(app: TestApp) {
        let cast = history(&app).await;
        let lee = app.user("lee@example.org", Role::Lead, &["it"]);
        // Two rules, no move: "Broken form 1" and "Broken form 2" (CR-1, CR-2) to Marketing; the
        // banner (CR-10, already Marketing's after a hand-over) to Marketing too.
        let query = "from=2026-11-16&to=2026-11-16&rule=marketing:form%5Cs%2B%5B12%5D&rule=marketing%3DBANNER";
        let w = app.get(&format!("/api/v1/reports/whatif?{query}"), &lee).await.ok();
        assert_eq!(w["moves"], json!([]));
        assert_eq!(w["rules"], json!([
            { "rule": "form\\s+[12]", "team": "marketing", "requests": 2, "already_there": 0, "from_teams": ["it"], "categories": ["bug"] },
            { "rule": "BANNER", "team": "marketing", "requests": 1, "already_there": 1, "from_teams": ["marketing"], "categories": ["bug"] },
        ]));
        // CR-1 (rank 1/4 of IT's bugs) and CR-2 (2/4) take Marketing's 2nd and 3rd of six
        // (its bug cell has one decided clock, fewer than 20: its durations over every
        // category, 30, 60, 60, 90, 120, 150): 60 and 60. CR-10 keeps its 60 from Marketing's
        // receipt without the hand-over. IT keeps CR-3 (180, met) and CR-4 (480, missed):
        // median the 1st of 2, p90 the 2nd. Marketing: 30, 60, 60, 60, 60, 90, 120, 150: median
        // the 4th (60), p90 the 8th (150), all met.
        let it = row(&w["teams"], "team", "it");
        let marketing = row(&w["teams"], "team", "marketing");
        assert_eq!(first_response(&it["replayed"]), json!([2, 180, 480, 1, 1, 0]));
        assert_eq!(first_response(&marketing["replayed"]), json!([8, 60, 150, 8, 0, 0]));
        // A rule comes before a move of the same requests' category.
        let both = "from=2026-11-16&to=2026-11-16&rule=marketing:banner&move=bug:it";
        let w = app.get(&format!("/api/v1/reports/whatif?{both}"), &lee).await.ok();
        assert_eq!(w["rules"][0]["requests"], 1);
        assert_eq!(w["moves"][0]["requests"], 4, "CR-1..4; CR-10 went by the rule");
        for (query, field) in [
            ("from=2026-11-16&to=2026-11-16&rule=sales:x", "rule[0]"),
            ("from=2026-11-16&to=2026-11-16&rule=marketing:(unclosed", "rule[0]"),
            ("from=2026-11-16&to=2026-11-16&rule=marketing", "rule[0]"),
            ("from=2026-11-16&to=2026-11-16&rule=marketing:", "rule[0]"),
        ] {
            let reply = app.get(&format!("/api/v1/reports/whatif?{query}"), &lee).await;
            reply.assert_error(422, "validation_failed");
            assert!(reply.body["error"]["fields"][field].is_string(), "{query}: {:#}", reply.body);
        }
        let _ = cast;
    }

    async fn the_cli_replays_the_same_history(app: TestApp) {
        history(&app).await;
        let run = |format: &str| {
            let out = Command::new(env!("CARGO_BIN_EXE_changedesk"))
                .args(["whatif", "--from", "2026-11-16", "--to", "2026-11-16", "--move", "bug=marketing", "--format", format])
                .env("DATABASE_URL", &app.database_url)
                .env_remove("RUST_LOG")
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).unwrap()
        };
        let w: Value = serde_json::from_str(&run("json")).unwrap();
        let marketing = row(&w["teams"], "team", "marketing");
        assert_eq!(first_response(&marketing["replayed"]), json!([10, 60, 150, 10, 0, 0]));
        let text = run("text");
        assert!(text.starts_with("What if bug to marketing, 2026-11-16 to 2026-11-16"), "{text}");
        // Marketing's lines: as it was (6 requests, 1h30 median) and as it would be (10, 1h00).
        let lines: Vec<&str> = text.lines().collect();
        let at = lines.iter().position(|l| l.starts_with("marketing ")).expect(&text);
        let words = |l: &str| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(words(lines[at])[..5], ["marketing", "was", "6", "1h30", "2h30"]);
        assert_eq!(words(lines[at + 1])[..5], ["would", "be", "10", "1h00", "2h30"]);
        let ruled = Command::new(env!("CARGO_BIN_EXE_changedesk"))
            .args(["whatif", "--from", "2026-11-16", "--to", "2026-11-16", "--rule", "marketing=banner"])
            .env("DATABASE_URL", &app.database_url)
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        let ruled = String::from_utf8(ruled.stdout).unwrap();
        assert!(ruled.contains("- rule /banner/ to marketing: 1 requests (from marketing; bug)."), "{ruled}");
        let bad = Command::new(env!("CARGO_BIN_EXE_changedesk"))
            .args(["whatif", "--from", "2026-11-16", "--to", "2026-11-16", "--move", "bug=sales"])
            .env("DATABASE_URL", &app.database_url)
            .output()
            .unwrap();
        assert!(!bad.status.success());
        assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown team 'sales'"));
    }
}

/// The what-if page in headless Chromium: a lead opens it from the dashboard, moves the bugs
/// to Marketing and reads the same figures, side by side; checked by axe-core.
#[tokio::test]
async fn a_lead_replays_the_bugs_with_marketing_on_the_page() {
    use crate::browser::Browser;
    use crate::journey::{check_page, path, sign_in, url};
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    history(&app).await;
    crate::pages::person(&app, "lea@example.org", Role::Lead, &["it"]);
    let lea = Browser::start().await;
    sign_in(&lea, &app, "lea@example.org").await;
    lea.goto(&url(&app, "/dashboard?from=2026-11-16&to=2026-11-16")).await;
    lea.click("a[href^='/dashboard/whatif']").await;
    lea.wait_for("#move-1").await;
    assert_eq!(path(&lea).await, "/dashboard/whatif?from=2026-11-16&to=2026-11-16");
    lea.select("#move-1", "bug:marketing").await;
    lea.submit("form[action='/dashboard/whatif']").await;
    lea.wait_for("#whatif-teams").await;
    let marketing = lea.text("#whatif-teams tbody tr:nth-child(2)").await;
    assert!(marketing.starts_with("Marketing web team"), "{marketing}");
    // 6 → 10 requests; median first response 1 h 30 m → 1 h 00 m; p90 2 h 30 m on both sides.
    for said in ["6 → 10", "1 h 30 m → 1 h 00 m", "2 h 30 m → 2 h 30 m", "100% → 100%", "1 → 0"] {
        assert!(marketing.contains(said), "{said} in {marketing}");
    }
    let it = lea.text("#whatif-teams tbody tr:nth-child(1)").await;
    assert!(it.contains("4 → 0") && it.contains("75% → –"), "{it}");
    assert!(lea.text(".moves").await.contains("fewer than 20: its figures over every category are used"));
    // The chosen move stays chosen, and a new empty row waits for another.
    assert_eq!(crate::journey::run(&lea, "return document.querySelector('#move-1').value").await, "bug:marketing");
    lea.wait_for("#move-2").await;
    check_page(&lea, "whatif").await;
    // A move of a category to a team that does not exist is named on the page, not a 500.
    lea.goto(&url(&app, "/dashboard/whatif?from=2026-11-16&to=2026-11-16&move=bug:sales")).await;
    assert!(lea.text("#errors").await.contains("move[0]: unknown team 'sales'"));
}
