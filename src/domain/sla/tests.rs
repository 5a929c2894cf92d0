//! The clocks, worked out by hand. IT's calendar (London) is open Mon-Fri 08:00-12:30 and
//! 13:30-18:00 (540 minutes a day), closed on 25 and 26 December; marketing's Mon-Fri
//! 09:00-17:30. P3: first response 240 business minutes, resolution 2700; P1: 30 and 240 on
//! 24x7. 16 November 2026 is a Monday.

use chrono::{DateTime, TimeDelta, Utc};

use super::*;
use crate::domain::calendar::WeekHours;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn hours(days: &[&str]) -> WeekHours {
    let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    WeekHours { mon: v(days), tue: v(days), wed: v(days), thu: v(days), fri: v(days), ..Default::default() }
}

fn config(it_timezone: &str) -> SlaConfig {
    let calendar = |name: &str, tz: &str, h: &[&str]| BusinessCalendar {
        name: name.into(),
        timezone: tz.parse().unwrap(),
        hours: hours(h),
        holidays: vec!["12-25".into(), "12-26".into()],
    };
    let policy = |team: &str, priority, calendar: &str, fr, res| Policy {
        team: team.into(),
        priority,
        calendar: calendar.into(),
        first_response_minutes: fr,
        resolution_minutes: res,
        at_risk_share: 0.75,
    };
    SlaConfig {
        calendars: vec![
            calendar("it-hours", it_timezone, &["08:00-12:30", "13:30-18:00"]),
            calendar("marketing-hours", "Europe/London", &["09:00-17:30"]),
        ],
        teams: vec![
            TeamSla { team: "it".into(), calendar: "it-hours".into(), executives: vec![] },
            TeamSla { team: "marketing".into(), calendar: "marketing-hours".into(), executives: vec![] },
        ],
        policies: vec![
            policy("it", Priority::P1, "24x7", 30, 240),
            policy("it", Priority::P3, "business", 240, 2700),
            policy("marketing", Priority::P3, "business", 240, 2550),
        ],
        waiting_reasons: super::default_waiting_reasons(),
    }
}

fn filed(at: &str, priority: Priority, team: &str) -> Timeline {
    Timeline { created_at: t(at), priority, team: team.into(), changes: vec![] }
}

#[test]
fn first_response_due_times_on_the_business_calendar() {
    let london = config("Europe/London");
    let new_york = config("America/New_York");
    let cases = [
        ("inside hours", &london, "2026-11-16T09:00:00Z", "2026-11-16T14:00:00Z"),
        ("before hours: starts at the opening", &london, "2026-11-16T07:00:00Z", "2026-11-16T12:00:00Z"),
        ("after hours: starts next morning", &london, "2026-11-16T19:00:00Z", "2026-11-17T12:00:00Z"),
        ("on a Saturday: starts Monday", &london, "2026-11-21T10:00:00Z", "2026-11-23T12:00:00Z"),
        ("before a holiday and a weekend", &london, "2026-12-24T17:00:00Z", "2026-12-28T11:00:00Z"),
        ("on a holiday", &london, "2026-12-25T09:00:00Z", "2026-12-28T12:00:00Z"),
        ("across the lunch break", &london, "2026-11-16T11:00:00Z", "2026-11-16T16:00:00Z"),
        ("Europe: clocks go forward (29 March)", &london, "2026-03-27T17:00:00Z", "2026-03-30T10:00:00Z"),
        ("Europe: clocks go back (25 October)", &london, "2026-10-23T16:00:00Z", "2026-10-26T11:00:00Z"),
        ("North America: clocks go forward (8 March)", &new_york, "2026-03-06T22:00:00Z", "2026-03-09T15:00:00Z"),
        ("North America: clocks go back (1 November)", &new_york, "2026-10-30T21:00:00Z", "2026-11-02T16:00:00Z"),
    ];
    for (case, config, created, due) in cases {
        let plan = derive(&filed(created, Priority::P3, "it"), config, ClockKind::FirstResponse).unwrap();
        assert_eq!(plan.due_at, Some(t(due)), "{case}");
        assert_eq!(plan.calendar, "it-hours", "{case}");
        assert_eq!(plan.target_minutes, 240, "{case}");
    }
}

#[test]
fn a_resolution_target_spans_several_days() {
    let plan =
        derive(&filed("2026-11-16T08:00:00Z", Priority::P3, "it"), &config("Europe/London"), ClockKind::Resolution)
            .unwrap();
    assert_eq!(plan.due_at, Some(t("2026-11-20T18:00:00Z")), "five days of 540 minutes");
}

#[test]
fn p1_runs_around_the_clock() {
    let c = config("Europe/London");
    let timeline = filed("2026-11-21T03:00:00Z", Priority::P1, "it");
    let fr = derive(&timeline, &c, ClockKind::FirstResponse).unwrap();
    let res = derive(&timeline, &c, ClockKind::Resolution).unwrap();
    assert_eq!((fr.due_at, fr.calendar.as_str()), (Some(t("2026-11-21T03:30:00Z")), "24x7"));
    assert_eq!(res.due_at, Some(t("2026-11-21T07:00:00Z")));
}

#[test]
fn levels_are_at_risk_breached_and_twice_the_target() {
    let plan =
        derive(&filed("2026-11-16T09:00:00Z", Priority::P3, "it"), &config("Europe/London"), ClockKind::FirstResponse)
            .unwrap();
    let expected = [Some(t("2026-11-16T12:00:00Z")), Some(t("2026-11-16T14:00:00Z")), Some(t("2026-11-16T18:00:00Z"))];
    assert_eq!(plan.levels, expected);
    for (now, state, elapsed) in [
        ("2026-11-16T11:59:00Z", ClockState::Running, 179),
        ("2026-11-16T12:00:00Z", ClockState::AtRisk, 180),
        ("2026-11-16T13:00:00Z", ClockState::AtRisk, 210),
        ("2026-11-16T14:00:00Z", ClockState::Breached, 240),
        ("2026-11-17T09:00:00Z", ClockState::Breached, 540),
    ] {
        assert_eq!(plan.state(t(now)), state, "{now}");
        assert_eq!(plan.elapsed(t(now)).num_minutes(), elapsed, "{now}");
    }
}

#[test]
fn the_first_response_stops_its_clock_met_or_breached() {
    let c = config("Europe/London");
    let mut timeline = filed("2026-11-16T09:00:00Z", Priority::P3, "it");
    timeline.changes = vec![
        (t("2026-11-16T10:00:00Z"), Change::Status(Status::Acknowledged)),
        (t("2026-11-16T10:00:00Z"), Change::FirstResponse),
    ];
    let met = derive(&timeline, &c, ClockKind::FirstResponse).unwrap();
    assert_eq!(met.stopped_at, Some(t("2026-11-16T10:00:00Z")));
    assert_eq!(met.state(t("2026-11-20T10:00:00Z")), ClockState::Met);
    assert_eq!(met.elapsed(t("2026-11-20T10:00:00Z")), TimeDelta::minutes(60));
    assert_eq!(met.levels, [None, None, None], "no level was reached before the stop");

    timeline.changes = vec![(t("2026-11-16T15:00:00Z"), Change::FirstResponse)];
    let late = derive(&timeline, &c, ClockKind::FirstResponse).unwrap();
    assert_eq!(late.state(t("2026-11-16T15:00:00Z")), ClockState::Breached);
    assert_eq!(late.breached_at(), Some(t("2026-11-16T14:00:00Z")));
    assert_eq!(late.levels[2], None, "stopped before twice the target");
}

#[test]
fn waiting_on_the_requester_pauses_across_a_night_and_resumes() {
    let c = config("Europe/London");
    let mut timeline = filed("2026-11-16T09:00:00Z", Priority::P3, "it");
    timeline.changes = vec![
        (t("2026-11-16T09:30:00Z"), Change::Status(Status::Acknowledged)),
        (t("2026-11-16T09:30:00Z"), Change::FirstResponse),
        (t("2026-11-16T09:45:00Z"), Change::Status(Status::InProgress)),
        (t("2026-11-16T10:00:00Z"), Change::Status(Status::WaitingOnRequester)),
    ];
    let paused = derive(&timeline, &c, ClockKind::Resolution).unwrap();
    assert_eq!(paused.state(t("2026-11-17T09:00:00Z")), ClockState::Paused);
    assert_eq!(paused.due_at, None, "no due time while paused");
    assert_eq!(paused.elapsed(t("2026-11-17T09:00:00Z")), TimeDelta::minutes(60));

    timeline.changes.push((t("2026-11-17T11:00:00Z"), Change::Status(Status::InProgress)));
    let resumed = derive(&timeline, &c, ClockKind::Resolution).unwrap();
    // 60 minutes before the pause; 2640 more from Tuesday 11:00: 360 on Tuesday, 540 each on
    // Wednesday, Thursday, Friday and Monday, and 120 on the next Tuesday.
    assert_eq!(resumed.due_at, Some(t("2026-11-24T10:00:00Z")));
    assert_eq!(resumed.state(t("2026-11-17T11:00:00Z")), ClockState::Running);
    assert_eq!(resumed.elapsed(t("2026-11-17T12:00:00Z")), TimeDelta::minutes(120));
}

#[test]
fn resolving_stops_the_resolution_clock_and_reopening_resumes_it() {
    let c = config("Europe/London");
    let mut timeline = filed("2026-11-16T09:00:00Z", Priority::P3, "it");
    timeline.changes = vec![(t("2026-11-16T10:00:00Z"), Change::Status(Status::Resolved))];
    let resolved = derive(&timeline, &c, ClockKind::Resolution).unwrap();
    assert_eq!(resolved.state(t("2026-11-30T10:00:00Z")), ClockState::Met);
    timeline.changes.push((t("2026-11-17T08:00:00Z"), Change::Status(Status::InProgress)));
    let reopened = derive(&timeline, &c, ClockKind::Resolution).unwrap();
    assert_eq!(reopened.stopped_at, None);
    assert_eq!(reopened.elapsed(t("2026-11-17T09:00:00Z")), TimeDelta::minutes(120));
}

#[test]
fn a_reassignment_keeps_the_time_waited_and_moves_to_the_new_teams_calendar() {
    let c = config("Europe/London");
    let mut timeline = filed("2026-11-16T09:00:00Z", Priority::P3, "marketing");
    timeline.changes = vec![(t("2026-11-16T11:00:00Z"), Change::Team("it".into()))];
    let plan = derive(&timeline, &c, ClockKind::FirstResponse).unwrap();
    // 120 minutes with marketing; the other 120 on IT's calendar from 11:00 (lunch 12:30-13:30).
    assert_eq!(plan.due_at, Some(t("2026-11-16T14:00:00Z")));
    assert_eq!(plan.calendar, "it-hours");
    let segments = segments(&timeline);
    assert_eq!(segments.len(), 2);
    assert_eq!((segments[0].team.as_str(), segments[0].to), ("marketing", Some(t("2026-11-16T11:00:00Z"))));
    assert_eq!((segments[1].team.as_str(), segments[1].holder), ("it", Holder::Team));
}

#[test]
fn a_clock_that_stopped_keeps_the_policy_it_ran_under() {
    let c = config("Europe/London");
    let mut timeline = filed("2026-11-16T09:00:00Z", Priority::P3, "marketing");
    timeline.changes = vec![
        (t("2026-11-16T10:00:00Z"), Change::FirstResponse),
        (t("2026-11-16T11:00:00Z"), Change::Team("it".into())),
    ];
    let fr = derive(&timeline, &c, ClockKind::FirstResponse).unwrap();
    assert_eq!((fr.calendar.as_str(), fr.state(t("2026-11-16T12:00:00Z"))), ("marketing-hours", ClockState::Met));
    let res = derive(&timeline, &c, ClockKind::Resolution).unwrap();
    assert_eq!((res.calendar.as_str(), res.target_minutes), ("it-hours", 2700), "still running: the new team's");
}

#[test]
fn segments_say_who_held_the_ball() {
    let mut timeline = filed("2026-11-16T09:00:00Z", Priority::P3, "it");
    timeline.changes = vec![
        (t("2026-11-16T09:30:00Z"), Change::Status(Status::Acknowledged)),
        (t("2026-11-16T09:30:00Z"), Change::FirstResponse),
        (t("2026-11-16T09:45:00Z"), Change::Status(Status::InProgress)),
        (t("2026-11-16T10:00:00Z"), Change::Status(Status::WaitingOnRequester)),
        (t("2026-11-16T15:00:00Z"), Change::Status(Status::InProgress)),
        (t("2026-11-16T16:00:00Z"), Change::Status(Status::Resolved)),
    ];
    let holders: Vec<(Holder, DateTime<Utc>)> = segments(&timeline).iter().map(|s| (s.holder, s.from)).collect();
    assert_eq!(
        holders,
        [
            (Holder::Team, t("2026-11-16T09:00:00Z")),
            (Holder::Requester, t("2026-11-16T10:00:00Z")),
            (Holder::Team, t("2026-11-16T15:00:00Z")),
            (Holder::Resolved, t("2026-11-16T16:00:00Z")),
        ]
    );
}

#[test]
fn no_policy_means_no_clock_and_validation_names_bad_fields() {
    let mut c = config("Europe/London");
    assert!(derive(&filed("2026-11-16T09:00:00Z", Priority::P2, "it"), &c, ClockKind::FirstResponse).is_none());
    c.policies[0].first_response_minutes = 0;
    c.policies[1].calendar = "nights".into();
    c.policies[2].at_risk_share = 1.5;
    c.teams[0].calendar = "missing".into();
    let e = c.validate(&["it".into(), "marketing".into()]).unwrap_err();
    let fields: Vec<&str> = e.0.keys().map(String::as_str).collect();
    assert_eq!(
        fields,
        [
            "policies[0].first_response_minutes",
            "policies[1].calendar",
            "policies[2].at_risk_share",
            "teams[0].calendar"
        ]
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

    /// For any creation time, a running clock's due time is inside IT's opening hours and the
    /// open minutes counted up to it are exactly the target.
    #[test]
    fn a_due_time_is_in_hours_and_exactly_the_target_away(
        created in t("2025-01-01T00:00:00Z").timestamp()..t("2028-12-31T00:00:00Z").timestamp(),
        kind in proptest::prop_oneof![proptest::strategy::Just(ClockKind::FirstResponse), proptest::strategy::Just(ClockKind::Resolution)],
    ) {
        let c = config("America/New_York");
        let created = DateTime::from_timestamp(created, 0).unwrap();
        let plan = derive(&Timeline { created_at: created, priority: Priority::P3, team: "it".into(), changes: vec![] }, &c, kind).unwrap();
        let due = plan.due_at.unwrap();
        let calendar = c.business_calendar("it");
        proptest::prop_assert!(calendar.is_open(due - TimeDelta::seconds(1)), "due {} is outside hours", due);
        proptest::prop_assert_eq!(plan.elapsed(due), TimeDelta::minutes(plan.target_minutes));
        proptest::prop_assert_eq!(plan.state(due), ClockState::Breached);
        proptest::prop_assert_eq!(plan.state(due - TimeDelta::seconds(1)), ClockState::AtRisk);
    }
}

#[test]
fn holder_and_clock_names_round_trip_and_match_their_serde_names() {
    for h in Holder::ALL {
        assert_eq!(Holder::parse(h.as_str()), Some(h));
        assert_eq!(serde_json::to_value(h).unwrap(), h.as_str());
    }
    for k in ClockKind::ALL {
        assert_eq!(ClockKind::parse(k.as_str()), Some(k));
        assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
    }
    assert_eq!(Holder::parse("nobody"), None);
}
