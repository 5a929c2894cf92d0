//! Resolved requests close on their own at the end of the owning team's fifth business day
//! after the resolution, unless the requester answered; a mail warns on the morning of that day.

use changedesk::service::requests::{AutoClosed, auto_close};

use crate::helpers::*;
use crate::on_both_backends;

fn sweep(app: &TestApp, days: u32, at: &str) -> AutoClosed {
    auto_close(&mut app.pool.get().unwrap(), &app.notifier, days, time(at)).unwrap()
}

fn closed(warned: usize, closed: usize) -> AutoClosed {
    AutoClosed { warned, closed }
}

async fn resolve(app: &TestApp, token: &str, key: &str) {
    for status in ["acknowledged", "in_progress", "resolved"] {
        app.set_status(token, key, status, None).await.ok();
    }
}

on_both_backends! {
    async fn a_resolved_request_nobody_answers_closes_after_five_business_days(app: TestApp) {
        let cast = app.cast();
        // Filed and resolved on Monday 16 November at 09:00 (IT: weekdays 08:00-18:00, London).
        app.file(&cast.ann, "Footer link broken", "404 on /about", "bug").await;
        app.file(&cast.bob, "Logo blurry", "On the home page", "bug").await;
        resolve(&app, &cast.ian, "CR-1").await;
        resolve(&app, &cast.ian, "CR-2").await;
        // Bob answers after the resolution: his stays open to the team's eyes.
        app.comment(&cast.bob, "CR-2", "Still blurry on my phone", false).await.ok();

        // Tuesday to Friday are four business days, the weekend none: Monday the 23rd is the fifth.
        assert_eq!(sweep(&app, 5, "2026-11-20T17:00:00Z"), closed(0, 0));
        assert_eq!(sweep(&app, 5, "2026-11-22T12:00:00Z"), closed(0, 0), "Sunday");
        assert_eq!(sweep(&app, 5, "2026-11-23T07:30:00Z"), closed(0, 0), "before Monday's opening");
        assert_eq!(sweep(&app, 5, "2026-11-23T08:00:00Z"), closed(1, 0), "Monday morning: the warning");
        assert_eq!(sweep(&app, 5, "2026-11-23T12:00:00Z"), closed(0, 0), "once");
        let warning = app.outbox().into_iter().find(|m| m.kind == "closing_soon").expect("warned");
        assert_eq!(warning.recipients, r#"["ann@example.org"]"#);
        assert_eq!(warning.subject, "[CR-1] Closing on Mon 23 Nov 2026, 18:00 GMT: Footer link broken");

        assert_eq!(sweep(&app, 5, "2026-11-23T18:00:00Z"), closed(0, 1), "at the day's close");
        let r = app.get("/api/v1/requests/CR-1", &cast.ann).await.ok();
        assert_eq!(r["status"], "closed");
        let last = r["events"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((last["type"].as_str(), &last["actor"]), (Some("status_changed"), &serde_json::Value::Null));
        assert_eq!(last["data"]["note"], "closed on its own: no answer in 5 business days after it was resolved");
        assert_eq!(app.get("/api/v1/requests/CR-2", &cast.ian).await.ok()["status"], "resolved", "Bob answered");
        assert_eq!(sweep(&app, 5, "2026-12-01T12:00:00Z"), closed(0, 0));
        // 0 turns it off.
        app.file(&cast.ann, "Typo", "On /pricing", "bug").await;
        resolve(&app, &cast.ian, "CR-3").await;
        assert_eq!(sweep(&app, 0, "2027-01-01T12:00:00Z"), closed(0, 0));
    }
}
