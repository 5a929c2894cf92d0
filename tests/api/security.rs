//! The holes a probe found (issue 14), each shown closed: redirects that stay on this site,
//! headers on every answer, forms posted from elsewhere refused, odd input answered 4xx, and a
//! sign-in throttle that holds under concurrency and across instances.

use changedesk::domain::Role;
use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;
use crate::pages::{PASSWORD, Visitor, person};

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
            assert_eq!((moved.status, moved.location), (StatusCode::SEE_OTHER, Some(format!("/requests/{key}"))), "{back:?}");
        }
    }
}
