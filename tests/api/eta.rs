//! An honest ETA at filing: what the team actually did with this kind of request in the last
//! 90 days (unanswered requests the slowest), how many are ahead, and a word when the wanted-by
//! date is earlier than nine in ten such requests took.

use chrono::TimeDelta;
use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends! {
    async fn the_preview_says_what_happened_to_this_kind_of_request_lately(app: TestApp) {
        let cast = app.cast();
        // Six bug requests filed Monday 09:00 (IT: 08:00-12:30, 13:30-18:00, London); four
        // answered after 30, 60, 90 and 120 minutes, two never.
        for n in 1..=6 {
            app.file(&cast.ann, &format!("Bug {n}"), "Broken", "bug").await;
        }
        for n in 1..=4 {
            app.clock.advance(TimeDelta::minutes(30));
            app.set_status(&cast.ian, &format!("CR-{n}"), "acknowledged", None).await.ok();
        }
        let preview = app.post("/api/v1/requests/preview", &cast.ann, json!({ "title": "t", "description": "d", "category": "bug" })).await.ok();
        assert_eq!(preview["eta"], json!({
            "team": "it", "category": "bug", "requests": 6, "unanswered": 2,
            "first_response_median_minutes": 90, "first_response_p90_minutes": null,
            "resolution_p90_minutes": null, "ahead": 6,
        }));

        // The form's live preview says it in words.
        let mut ann = crate::pages::Visitor::new(&app);
        crate::pages::person(&app, "amy@example.org", changedesk::domain::Role::Requester, &[]);
        ann.sign_in("amy@example.org").await;
        let csrf = ann.csrf("/requests/new").await;
        let live = ann.post("/requests/preview", &[("csrf", csrf.as_str()), ("category", "bug"), ("title", "t"), ("description", "d")]).await;
        let live: serde_json::Value = serde_json::from_str(&live.body).unwrap();
        assert_eq!(live["eta"], "IT web operations answered half of the Bug requests of the last 90 days within 1 h 30 m of business time; more than one in ten is not answered yet. 6 requests are ahead of yours in its queue.");
        assert_eq!(live["too_soon"], serde_json::Value::Null);

        // Marketing resolved five content requests, each a day after it came in.
        for n in 7..=11 {
            app.file(&cast.bob, &format!("Copy {n}"), "New words", "content").await;
        }
        app.clock.advance(TimeDelta::days(1));
        for n in 7..=11 {
            for status in ["acknowledged", "in_progress", "resolved"] {
                app.set_status(&cast.mia, &format!("CR-{n}"), status, None).await.ok();
            }
        }
        app.clock.advance(TimeDelta::minutes(11));
        let soon = app.clock.now().date_naive().to_string();
        let body = |date: &str| json!({ "title": "t", "description": "d", "category": "content", "desired_date": date });
        let preview = app.post("/api/v1/requests/preview", &cast.ann, body(&soon)).await.ok();
        assert!(preview["eta"]["resolution_p90_minutes"].as_i64().unwrap() > 0, "{preview}");
        assert!(preview["usual_resolution_by"].is_string());
        // A day later the session has lapsed: sign in again.
        ann.sign_in("amy@example.org").await;
        let csrf = ann.csrf("/requests/new").await;
        let live = ann.post("/requests/preview", &[("csrf", csrf.as_str()), ("category", "content"), ("title", "t"), ("description", "d"), ("desired_date", &soon)]).await;
        let live: serde_json::Value = serde_json::from_str(&live.body).unwrap();
        assert!(live["too_soon"].as_str().unwrap().starts_with(&format!("You want it by {soon}, but nine in ten of these took until")), "{live}");
        let later = ann.post("/requests/preview", &[("csrf", csrf.as_str()), ("category", "content"), ("title", "t"), ("description", "d"), ("desired_date", "2027-06-01")]).await;
        let later: serde_json::Value = serde_json::from_str(&later.body).unwrap_or_else(|e| panic!("{e}: {:?} {:?} {}", later.status, later.location, later.body));
        assert_eq!(later["too_soon"], serde_json::Value::Null);
    }
}
