//! History import (`changedesk import FILE.csv`): the service API, the requests it leaves
//! behind as the API shows them, and the command itself.
//! IT's calendar: London, Mon-Fri 08:00-12:30 and 13:30-18:00 (540 minutes a day); marketing's:
//! Mon-Fri 09:00-17:30. The injected clock stands at Monday 16 November 2026, 09:00 UTC.

use std::collections::HashMap;
use std::process::Command;

use changedesk::db;
use changedesk::domain::sla::derive_all;
use changedesk::service::import::{self, ImportContext, ImportSummary, Rejected, RowError};
use changedesk::service::sla::{columns, timeline};
use diesel::prelude::*;
use serde_json::Value;

use crate::helpers::*;
use crate::on_both_backends;

const HEADER: &str = "title,category,team,priority,requester_email,created_at,first_response_at,resolved_at,status";

/// Five requests; the comment after each is what its clocks should say at the clock's start.
const GOOD: &str = "\
title,category,team,priority,requester_email,created_at,first_response_at,resolved_at,status
Footer link broken,bug,it,,Zed@Example.org,2026-11-09T09:00:00Z,2026-11-09T09:30:00Z,2026-11-10T10:00:00Z,closed
Slow pages,hosting,it,P3,ann@example.org,2026-11-10T09:00:00Z,2026-11-10T15:00:00Z,,in_progress
New banner,content,marketing,p2,new.person@example.org,2026-11-13T16:00:00Z,,,new
Old idea,seo,marketing,P4,ann@example.org,2026-11-02T10:00:00Z,2026-11-02T11:00:00Z,2026-11-03T10:00:00Z,rejected
Need copy,content,marketing,P3,bob@example.org,2026-11-12T10:00:00Z,2026-11-12T10:30:00Z,,waiting_on_requester
";
// Footer link broken: answered after 30 minutes, resolved after 600 of 2700: both met.
// Slow pages: 240 minutes reached at 14:00, answered at 15:00: breached. Resolution at risk
//   since Friday 16:45 (2025 minutes), due Tuesday 17th 09:00 (480 + 3 * 540 + 60 + 540).
// New banner: marketing P2, 120 minutes: 90 on Friday, at risk at 17:30, due Monday 09:30.
// Old idea: rejected on the 3rd at 10:00 (510 of 5100 minutes): both met.
// Need copy: answered after 30 minutes; the resolution clock is paused, waiting on Bob.

fn context(app: &TestApp) -> ImportContext {
    ImportContext::load(&mut app.pool.get().unwrap()).unwrap()
}

fn check(app: &TestApp, csv: &str) -> Result<Vec<import::ImportRow>, Rejected> {
    import::validate(csv.as_bytes(), &context(app), app.clock.now())
}

fn import_csv(app: &TestApp, csv: &str) -> ImportSummary {
    let rows = check(app, csv).unwrap_or_else(|r| panic!("{r}"));
    import::import(&mut app.pool.get().unwrap(), rows, "history.csv", app.clock.now(), &|_| {}).unwrap()
}

fn count(app: &TestApp) -> (i64, i64, i64) {
    use db::schema::{request_events, requests, users};
    let mut conn = app.pool.get().unwrap();
    (
        requests::table.count().get_result(&mut conn).unwrap(),
        request_events::table.count().get_result(&mut conn).unwrap(),
        users::table.count().get_result(&mut conn).unwrap(),
    )
}

/// The stored clocks are what the stored events derive, except that levels reached before the
/// import are not waited for.
fn assert_clocks_match_stored_events(app: &TestApp, now: &str) {
    let mut conn = app.pool.get().unwrap();
    let filter = db::RequestFilter { limit: 1000, now: time(now).naive_utc(), ..Default::default() };
    for ((listed, ..), _) in db::list_requests(&mut conn, &filter).unwrap() {
        let row = db::find_request(&mut conn, &listed.id).unwrap().unwrap();
        let events = db::events_of(&mut conn, &row.id).unwrap();
        let config = db::sla_version(&mut conn, row.sla_version).unwrap().config;
        let plans = derive_all(&timeline(&row, &events), &config);
        assert_eq!(row.escalate_from, Some(time(now).naive_utc()));
        assert_eq!(row.clocks, columns(&plans, &[], row.escalate_from));
    }
}

/// The definitions of the indexes on `requests` and `request_events`, and (on PostgreSQL) of
/// their foreign keys, sorted.
fn schema_objects(app: &TestApp) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Definition {
        #[diesel(sql_type = diesel::sql_types::Text)]
        sql: String,
    }
    let query = if app.database_url.starts_with("sqlite") {
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
         AND tbl_name IN ('requests', 'request_events')"
    } else {
        "SELECT indexdef AS sql FROM pg_indexes WHERE tablename IN ('requests', 'request_events') \
         UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE contype = 'f' AND conrelid::regclass::text IN ('requests', 'request_events')"
    };
    let mut conn = app.pool.get().unwrap();
    let mut all: Vec<String> =
        diesel::sql_query(query).load::<Definition>(&mut conn).unwrap().into_iter().map(|d| d.sql).collect();
    all.sort();
    all
}

fn error(line: u64, column: &str, reason: &str) -> RowError {
    RowError { line, column: column.into(), reason: reason.into() }
}

/// Imported requests by title, as the list shows them.
async fn listed(app: &TestApp, token: &str) -> HashMap<String, Value> {
    let page = app.get("/api/v1/requests?limit=200", token).await.ok();
    page["items"].as_array().unwrap().iter().map(|r| (r["title"].as_str().unwrap().to_owned(), r.clone())).collect()
}

fn states(r: &Value) -> (&str, &str) {
    (r["sla"]["first_response"]["state"].as_str().unwrap(), r["sla"]["resolution"]["state"].as_str().unwrap())
}

on_both_backends! {
    async fn a_good_file_imports_with_its_history_and_clocks(app: TestApp) {
        let cast = app.cast();
        let before = count(&app);
        let summary = import_csv(&app, GOOD);
        assert_eq!(summary, ImportSummary { rows: 5, requesters_created: 2, numbers: Some((1, 5)) });
        let after = count(&app);
        assert_eq!((after.0 - before.0, after.1 - before.1, after.2 - before.2), (5, 5, 2));

        let all = listed(&app, &cast.ada).await;
        let footer = &all["Footer link broken"];
        assert_eq!((footer["key"].as_str(), footer["team"].as_str()), (Some("CR-2"), Some("it")), "numbered by created_at");
        assert_eq!((footer["status"].as_str(), footer["priority"].as_str()), (Some("closed"), Some("P3")));
        assert_eq!(footer["requester"]["email"], "zed@example.org");
        assert_eq!(footer["requester"]["name"], "zed");
        assert_eq!(footer["first_response_at"], "2026-11-09T09:30:00Z");
        assert_eq!((footer["resolved_at"].as_str(), footer["closed_at"].as_str()),
            (Some("2026-11-10T10:00:00Z"), Some("2026-11-10T10:00:00Z")));
        assert_eq!(footer["description"], "(imported from history.csv)");
        // Found by search, as filed ones are.
        let found = app.get("/api/v1/requests?q=footer%20lin", &cast.ian).await.ok();
        assert_eq!(found["items"][0]["key"], "CR-2");
        assert_eq!(found["items"].as_array().unwrap().len(), 1);
        assert_eq!(footer["routing"]["reason"], "imported from history.csv");
        assert_eq!(states(footer), ("met", "met"));

        let slow = &all["Slow pages"];
        assert_eq!((slow["status"].as_str(), slow["first_response_at"].as_str()),
            (Some("in_progress"), Some("2026-11-10T15:00:00Z")));
        assert_eq!(states(slow), ("breached", "at_risk"));
        assert_eq!(slow["sla"]["first_response"]["breached_at"], "2026-11-10T14:00:00Z");
        assert_eq!(slow["sla"]["resolution"]["due_at"], "2026-11-17T09:00:00Z");

        let banner = &all["New banner"];
        assert_eq!((banner["team"].as_str(), banner["priority"].as_str(), banner["status"].as_str()),
            (Some("marketing"), Some("P2"), Some("new")));
        assert_eq!(banner["first_response_at"], Value::Null);
        assert_eq!(states(banner), ("at_risk", "running"));
        assert_eq!(banner["sla"]["first_response"]["due_at"], "2026-11-16T09:30:00Z");

        let idea = &all["Old idea"];
        assert_eq!((idea["status"].as_str(), idea["resolved_at"].as_str(), idea["closed_at"].as_str()),
            (Some("rejected"), None, Some("2026-11-03T10:00:00Z")));
        assert_eq!(states(idea), ("met", "met"));
        assert_eq!(states(&all["Need copy"]), ("met", "paused"));
        assert_clocks_match_stored_events(&app, "2026-11-16T09:00:00Z");

        // One `imported` event holds the facts the live workflow would have spread over seven
        // events; the timeline is read from them.
        let detail = app.get("/api/v1/requests/CR-2", &cast.ada).await.ok();
        assert_eq!(event_types(&detail), ["imported"]);
        assert_eq!(detail["events"][0]["data"], serde_json::json!({
            "source": "history.csv", "team": "it", "status": "closed",
            "first_response_at": "2026-11-09T09:30:00Z", "resolved_at": "2026-11-10T10:00:00Z",
            "closed_at": "2026-11-10T10:00:00Z",
        }));
        let idea = app.get("/api/v1/requests/CR-1", &cast.ada).await.ok();
        assert_eq!(idea["events"][0]["data"]["closed_at"], "2026-11-03T10:00:00Z");
        // Live work carries on from the imported history: resolving Slow pages now meets its
        // resolution target (due tomorrow) and leaves the breached first response as it was.
        let slow_key = slow["key"].as_str().unwrap();
        app.set_status(&cast.ian, slow_key, "resolved", None).await.ok();
        let slow = app.get(&format!("/api/v1/requests/{slow_key}"), &cast.ian).await.ok();
        assert_eq!(states(&slow), ("breached", "met"));
        assert_eq!(event_types(&slow), ["imported", "status_changed"]);
        // Requesters see their own imported requests.
        let mine = listed(&app, &cast.ann).await;
        assert_eq!(mine.len(), 2);

        // A second import carries on numbering.
        let again = import_csv(&app, &format!("{HEADER}\nAgain,bug,it,P1,ann@example.org,2026-11-16T08:00:00Z,,,new\n"));
        assert_eq!(again, ImportSummary { rows: 1, requesters_created: 0, numbers: Some((6, 6)) });
    }

    async fn a_big_import_sets_indexes_and_foreign_keys_aside_and_puts_them_back(app: TestApp) {
        let cast = app.cast();
        let before = schema_objects(&app);
        assert!(before.len() >= 12, "{before:?}");
        let rows = check(&app, GOOD).unwrap();
        let mut conn = app.pool.get().unwrap();
        let summary =
            import::import_setting_aside_from(&mut conn, rows, "history.csv", app.clock.now(), &|_| {}, 0).unwrap();
        drop(conn);
        assert_eq!(summary.rows, 5);
        assert_eq!(schema_objects(&app), before, "every index and foreign key is back");
        assert_clocks_match_stored_events(&app, "2026-11-16T09:00:00Z");
        let all = listed(&app, &cast.ada).await;
        assert_eq!(states(&all["Slow pages"]), ("breached", "at_risk"));
        // The keys still hold: a request for an unknown user is refused.
        use db::schema::requests;
        let mut conn = app.pool.get().unwrap();
        let stray = diesel::update(requests::table.filter(requests::number.eq(1)))
            .set(requests::requester_id.eq("no-such-user"))
            .execute(&mut conn);
        assert!(stray.is_err(), "the foreign key from requests to users is back");
    }

    async fn imported_history_raises_no_escalations(app: TestApp) {
        import_csv(&app, GOOD);
        assert_eq!(app.sweep_at("2026-11-16T09:00:00Z"), 0, "levels passed before the import are history");
        assert_eq!(app.sweep_at("2026-11-16T09:29:00Z"), 0);
        let mut conn = app.pool.get().unwrap();
        let due = db::due_for_sweep(&mut conn, time("2026-11-16T09:30:00Z").naive_utc(), 10).unwrap();
        assert_eq!(due.len(), 1, "New banner's breach at 09:30 is still to come");
        drop(conn);
        assert_eq!(app.sweep_at("2026-11-16T09:30:00Z"), 1, "only the level reached after the import");
        // Days later every level that comes due is recorded, but none reached before the import.
        app.sweep_at("2026-11-20T09:30:00Z");
        use diesel::prelude::*;
        let reached: Vec<chrono::NaiveDateTime> = db::schema::sla_escalations::table
            .select(db::schema::sla_escalations::reached_at)
            .load(&mut app.pool.get().unwrap())
            .unwrap();
        assert!(!reached.is_empty());
        assert!(reached.iter().all(|t| *t >= time("2026-11-16T09:00:00Z").naive_utc()), "{reached:?}");
    }

    async fn a_file_with_bad_rows_reports_each_and_imports_nothing(app: TestApp) {
        app.cast();
        let before = count(&app);
        let csv = format!("{HEADER}
,bug,it,P5,zed@example,2026-11-09T09:00:00Z,2026-11-09T08:00:00Z,,closed
\"Two
lines\",nope,sales,P1,ann@example.org,2026-11-09,,,new
Fine,bug,it,P1,ann@example.org,2026-11-09T09:00:00Z,,,new
Early,bug,it,,ann@example.org,2026-11-09T09:00:00Z,2026-11-09T10:00:00Z,2026-11-09T09:30:00Z,resolved
Open,bug,it,,ann@example.org,2026-11-09T09:00:00Z,,2026-11-10T09:00:00Z,in_progress
Later,bug,it,,ann@example.org,2026-12-01T09:00:00Z,,,new
Short,bug,it
Answered,bug,it,,ann@example.org,2026-11-09T09:00:00Z,2026-11-09T10:00:00Z,,done
");
        let rejected = check(&app, &csv).unwrap_err();
        assert_eq!(rejected.errors, vec![
            error(2, "title", "is required"),
            error(2, "priority", "must be one of P1, P2, P3, P4 (got 'P5')"),
            error(2, "requester_email", "'zed@example' is not an email address"),
            error(2, "resolved_at", "is required for status closed"),
            error(2, "first_response_at", "must not be before created_at"),
            error(3, "title", "must not contain control characters"),
            error(3, "category", "unknown category 'nope'; one of analytics, branding, bug, content, hosting, integration, other, security, seo, ux"),
            error(3, "team", "unknown team 'sales'; one of it, marketing"),
            error(3, "created_at", "must be an RFC 3339 time such as 2026-11-02T09:15:00Z (got '2026-11-09')"),
            error(6, "resolved_at", "must not be before first_response_at"),
            error(7, "first_response_at", "is required for status in_progress"),
            error(7, "resolved_at", "must be empty for an open status (in_progress)"),
            error(8, "created_at", "is in the future (got '2026-12-01T09:00:00Z', now is 2026-11-16T09:00:00+00:00)"),
            error(9, "row", "has 3 fields; the header has 9"),
            error(10, "status", "unknown status 'done'; one of new, acknowledged, in_progress, waiting_on_requester, waiting, resolved, closed, rejected, withdrawn"),
        ]);
        assert_eq!(rejected.total, 15);
        assert!(rejected.to_string().starts_with("line 2: title: is required\n"), "{rejected}");

        // The header: unknown, repeated and missing columns.
        let header = check(&app, "Title,category,team,priority,requester_email,created_at,resolved_at,status,title,notes\n");
        assert_eq!(header.unwrap_err().errors, vec![
            error(1, "title", "appears twice in the header"),
            error(1, "notes", "unknown column; the columns are title, category, team, priority, requester_email, created_at, first_response_at, resolved_at, status"),
            error(1, "first_response_at", "missing from the header"),
        ]);

        // Past a hundred, problems are counted.
        let many: String = (0..150).map(|i| format!("Row {i},bug,it,P9,ann@example.org,2026-11-09T09:00:00Z,,,new\n")).collect();
        let rejected = check(&app, &format!("{HEADER}\n{many}")).unwrap_err();
        assert_eq!((rejected.errors.len(), rejected.total), (100, 150));
        assert!(rejected.to_string().ends_with("... and 50 more\n"));

        // Rows that pass the check but whose team is gone by the time they are written: the
        // transaction rolls back, requesters included.
        let ghost = ImportContext::new(["bug".to_owned()], ["ghost".to_owned()]);
        let rows = import::validate(format!("{HEADER}\nX,bug,ghost,,someone@example.org,2026-11-09T09:00:00Z,,,new\n")
            .as_bytes(), &ghost, app.clock.now()).unwrap();
        let failed = import::import(&mut app.pool.get().unwrap(), rows, "ghost.csv", app.clock.now(), &|_| {});
        assert!(failed.unwrap_err().to_string().contains("team 'ghost'"));
        assert_eq!(count(&app), before, "nothing was written");
    }

    async fn the_command_refuses_a_bad_file_and_imports_a_good_one(app: TestApp) {
        let cast = app.cast();
        let dir = tempfile::tempdir().unwrap();
        let (bad, good) = (dir.path().join("bad.csv"), dir.path().join("good.csv"));
        // The command reads the system clock: these times are long past.
        std::fs::write(&bad, format!("{HEADER}
Ok,bug,it,P2,ann@example.org,2024-03-04T09:00:00Z,,,new
Bad,bug,it,P2,ann@example.org,2024-03-04T09:00:00Z,,,closed
Worse,bug,nowhere,P2,ann@example.org,yesterday,,,new
")).unwrap();
        std::fs::write(&good, format!("{HEADER}
One,bug,it,P2,ann@example.org,2024-03-04T09:00:00Z,,,new
Two,seo,marketing,,first.timer@example.org,2024-03-04T10:00:00+01:00,2024-03-05T10:00:00Z,2024-03-06T10:00:00Z,closed
")).unwrap();
        let before = count(&app);
        let out = changedesk(&app.database_url).arg("import").arg(&bad).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{err}");
        for line in ["line 3: first_response_at: is required for status closed", "line 3: resolved_at: is required",
            "line 4: team: unknown team 'nowhere'", "line 4: created_at: must be an RFC 3339 time"] {
            assert!(err.contains(line), "{line}: {err}");
        }
        assert!(err.contains("4 problem(s) found; nothing was imported"), "{err}");
        assert_eq!(count(&app), before);

        let out = changedesk(&app.database_url).arg("import").arg(&good).output().unwrap();
        let (stdout, err) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{err}");
        assert!(stdout.starts_with("imported 2 request(s) (CR-1..CR-2) from good.csv, created 1 requester(s), in "),
            "{stdout}");
        let all = listed(&app, &cast.ada).await;
        assert_eq!(all["Two"]["created_at"], "2024-03-04T09:00:00Z", "normalised to UTC");
        assert_eq!(all["Two"]["requester"]["email"], "first.timer@example.org");
        assert_eq!(states(&all["One"]), ("breached", "breached"), "never answered");
    }
}

fn changedesk(database_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_changedesk"));
    cmd.env("DATABASE_URL", database_url).env_remove("RUST_LOG");
    cmd
}

on_both_backends! {
    async fn imported_resolved_requests_are_not_closed_on_their_own(app: TestApp) {
        // The history file says how it ended: the sweep that closes unanswered resolved
        // requests (and mails their requesters) leaves it as imported.
        let csv = format!(
            "{HEADER}\nOld banner,bug,it,P3,ann@example.org,2026-11-09T09:00:00Z,2026-11-09T10:00:00Z,2026-11-10T09:00:00Z,resolved\n"
        );
        import_csv(&app, &csv);
        let swept = changedesk::service::requests::auto_close(
            &mut app.pool.get().unwrap(),
            &app.notifier,
            5,
            time("2026-11-20T18:00:00Z"),
        )
        .unwrap();
        assert_eq!(swept, changedesk::service::requests::AutoClosed::default());
        assert!(app.outbox().is_empty(), "nobody is mailed about history");
    }
}
