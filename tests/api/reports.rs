//! The SLA report on imported history whose numbers were worked out by hand (docs/metrics.md).
//! Week of Monday 2 November 2026 (London = UTC). IT: Mon-Fri 08:00-12:30, 13:30-18:00;
//! marketing: 09:00-17:30; P3 first response 240 business minutes; resolution 2700 (IT) and
//! 2550 (marketing).

use std::process::Command;

use changedesk::domain::Role;
use serde_json::Value;

use crate::helpers::*;
use crate::on_both_backends;

const HISTORY: &str = "\
title,category,team,priority,requester_email,created_at,first_response_at,resolved_at,status
Quick fix,bug,it,P3,ann@example.org,2026-11-02T09:00:00Z,2026-11-02T09:15:00Z,2026-11-02T12:00:00Z,resolved
Overnight fix,bug,it,P3,ann@example.org,2026-11-02T09:00:00Z,2026-11-02T09:20:00Z,2026-11-03T09:00:00Z,resolved
Afternoon fix,bug,it,P3,ann@example.org,2026-11-02T10:00:00Z,2026-11-02T10:35:00Z,2026-11-02T17:00:00Z,closed
Still in progress,bug,it,P3,bob@example.org,2026-11-02T10:00:00Z,2026-11-02T10:40:00Z,,in_progress
Answered on the dot,bug,it,P3,bob@example.org,2026-11-02T11:00:00Z,2026-11-02T16:00:00Z,,acknowledged
Answered late,bug,it,P3,bob@example.org,2026-11-02T11:00:00Z,2026-11-03T10:00:00Z,,acknowledged
Never answered,bug,it,P3,bob@example.org,2026-11-02T14:00:00Z,,,new
Banner copy,content,marketing,P3,ann@example.org,2026-11-02T09:00:00Z,2026-11-02T09:10:00Z,2026-11-02T11:00:00Z,resolved
Blog post,content,marketing,P3,ann@example.org,2026-11-02T09:00:00Z,2026-11-02T09:30:00Z,2026-11-02T17:30:00Z,closed
Which photo?,content,marketing,P3,ann@example.org,2026-11-02T12:00:00Z,2026-11-02T12:50:00Z,,waiting_on_requester
Next week,bug,it,P3,ann@example.org,2026-11-09T09:00:00Z,,,new
";

fn import(app: &TestApp, csv: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.csv");
    std::fs::write(&file, csv).unwrap();
    Command::new(env!("CARGO_BIN_EXE_changedesk"))
        .arg("import")
        .arg(&file)
        .env("DATABASE_URL", &app.database_url)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn team<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["teams"].as_array().unwrap().iter().find(|t| t["team"] == key).unwrap()
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-9)
}

on_both_backends! {
    async fn the_report_on_imported_history_matches_the_numbers_worked_out_by_hand(app: TestApp) {
        let out = import(&app, HISTORY);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let lee = app.user("lee@example.org", Role::Lead, &["it"]);
        let ian = app.user("ian@example.org", Role::Agent, &["it"]);
        app.clock.set(time("2026-11-20T12:00:00Z"));
        let path = "/api/v1/reports/sla?from=2026-11-02&to=2026-11-08";
        app.get(path, &ian).await.assert_error(403, "forbidden");
        let r = app.get(path, &lee).await.ok();

        let it = team(&r, "it");
        assert_eq!(it["requests"], 7, "the request of 9 November is outside the period");
        assert_eq!(it["first_responses"], 6);
        // Business minutes to first response: 15 20 35 40 240 480 → median 3rd, p90 6th.
        assert_eq!(it["first_response"]["median_business_minutes"], 35);
        assert_eq!(it["first_response"]["p90_business_minutes"], 480);
        // Wall-clock: 15 20 35 40 300 1380.
        assert_eq!(it["first_response"]["median_wall_minutes"], 35);
        assert_eq!(it["first_response"]["p90_wall_minutes"], 1380);
        // Resolution: 180 360 540 business; 180 420 1440 wall → median 2nd, p90 3rd.
        assert_eq!(it["resolution"]["median_business_minutes"], 360);
        assert_eq!(it["resolution"]["p90_business_minutes"], 540);
        assert_eq!(it["resolution"]["median_wall_minutes"], 420);
        assert_eq!(it["resolution"]["p90_wall_minutes"], 1440);
        // 240 on the dot is met; 480 and the unanswered one are breached: 5 of 7.
        assert!(close(&it["first_response_attainment"], 5.0 / 7.0), "{}", it["first_response_attainment"]);
        // Three resolved in time; the four still open passed 2700 minutes long ago.
        assert!(close(&it["resolution_attainment"], 3.0 / 7.0), "{}", it["resolution_attainment"]);
        assert_eq!(it["breaches"], 4);
        assert_eq!(it["open_backlog"], 4);
        // The oldest open one was filed Monday 10:00; the cut is Monday 9 November 00:00.
        assert_eq!(it["oldest_open_minutes"], 6 * 1440 + 14 * 60);

        let marketing = team(&r, "marketing");
        assert_eq!(marketing["requests"], 3);
        // 10 30 50; resolution 120 510 (the third waits on the requester: paused, undecided).
        assert_eq!(marketing["first_response"]["median_business_minutes"], 30);
        assert_eq!(marketing["first_response"]["p90_business_minutes"], 50);
        assert_eq!(marketing["resolution"]["median_business_minutes"], 120);
        assert_eq!(marketing["resolution"]["p90_business_minutes"], 510);
        assert!(close(&marketing["first_response_attainment"], 1.0));
        assert!(close(&marketing["resolution_attainment"], 1.0));
        assert_eq!((marketing["breaches"].as_u64(), marketing["open_backlog"].as_u64()), (Some(0), Some(1)));

        assert!(close(&r["gap"]["median_first_response_ratio"], 35.0 / 30.0));
        assert!(close(&r["gap"]["first_response_attainment_difference"], 5.0 / 7.0 - 1.0));
        assert!(close(&r["gap"]["resolution_attainment_difference"], 3.0 / 7.0 - 1.0));
        let bug = r["categories"].as_array().unwrap().iter().find(|c| c["category"] == "bug").unwrap();
        assert_eq!((bug["requests"].as_u64(), bug["first_response"]["median_business_minutes"].as_i64()), (Some(7), Some(35)));

        let only_it = app.get(&format!("{path}&team=it"), &lee).await.ok();
        assert_eq!(only_it["teams"].as_array().unwrap().len(), 1);
        let csv = app.client.get(format!("{}/api/v1/reports/sla.csv?from=2026-11-02&to=2026-11-08", app.address))
            .bearer_auth(&lee).send().await.unwrap();
        assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
        let csv = csv.text().await.unwrap();
        let it_row = csv.lines().find(|l| l.starts_with("team,it,")).unwrap();
        assert!(it_row.starts_with("team,it,7,6,35,480,35,1380,360,540,420,1440,0.7143,0.4286,4,4,"), "{it_row}");
        for (query, field) in [("from=2026-11-08&to=2026-11-02", "to"), ("from=yesterday&to=2026-11-02", "from"), ("to=2026-11-02", "from")] {
            let reply = app.get(&format!("/api/v1/reports/sla?{query}"), &lee).await;
            reply.assert_error(422, "validation_failed");
            assert!(reply.body["error"]["fields"][field].is_string(), "{query}: {:#}", reply.body);
        }
        app.get(&format!("{path}&team=sales"), &lee).await.assert_error(422, "validation_failed");
    }

    async fn the_cli_report_prints_the_same_numbers_as_csv(app: TestApp) {
        let out = import(&app, HISTORY);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let out = Command::new(env!("CARGO_BIN_EXE_changedesk"))
            .args(["report", "--from", "2026-11-02", "--to", "2026-11-08", "--format", "csv"])
            .env("DATABASE_URL", &app.database_url)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let csv = String::from_utf8(out.stdout).unwrap();
        let marketing = csv.lines().find(|l| l.starts_with("team,marketing,")).unwrap();
        let digest = Command::new(env!("CARGO_BIN_EXE_changedesk"))
            .args(["digest", "--week", "2026-W45"])
            .env("DATABASE_URL", &app.database_url)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&digest.stdout);
        assert!(text.starts_with("Subject: SLA digest 2026-W45 (Example Org): IT web operations took 1.2× as long as Marketing web team"), "{text}");
        assert!(text.contains("Never answered"), "the worst breaches name it:\n{text}");
        assert!(marketing.starts_with("team,marketing,3,3,30,50,30,50,120,510,120,510,1.0000,1.0000,0,"), "{marketing}");
    }
}
