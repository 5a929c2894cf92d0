//! Each kind round-trips through its stored form; old payloads read; the timeline.
use super::*;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn samples() -> Vec<Event> {
    let escalation = Escalation {
        clock: ClockKind::FirstResponse,
        level: 1,
        target_minutes: 240,
        calendar: "it-hours".into(),
        recipients: vec!["it@example.org".into()],
        deliver_after: at("2026-03-02T09:00:00Z"),
        team: "it".into(),
    };
    vec![
        Event::Created {
            key: "CR-1".into(),
            title: "t".into(),
            category: "bug".into(),
            priority: "P3".into(),
            page_url: None,
            desired_date: None,
        },
        Event::Routed { team: "it".into(), rule: None, reason: "map".into(), version: 1, suggested_priority: None },
        Event::status_move(Status::New, Status::Acknowledged, None),
        Event::status_move(Status::Acknowledged, Status::InProgress, Some("on it")),
        Event::status_move(Status::New, Status::Rejected, Some("no")),
        Event::status_move(Status::Resolved, Status::InProgress, None),
        Event::FirstResponse { via: "comment".into(), team: "it".into(), bulk: false },
        Event::FirstResponse { via: "status_changed".into(), team: "it".into(), bulk: true },
        Event::FirstAnswer { via: "status_note".into(), team: "it".into() },
        Event::Commented { body: "hello".into(), internal: true },
        Event::Assigned { assignee: Some("a@example.org".into()), previous: None },
        Event::Reassigned {
            from: "it".into(),
            to: "marketing".into(),
            reason: "copy".into(),
            routing_correction: true,
        },
        Event::Edited {
            changes: vec![FieldChange { field: "title".into(), before: Some("a".into()), after: Some("b".into()) }],
        },
        Event::Linked { link: "blocks".into(), key: "CR-2".into() },
        Event::Unlinked { link: "duplicated_by".into(), key: "CR-3".into() },
        Event::Imported(Imported {
            source: "old.csv".into(),
            team: "it".into(),
            status: Status::Closed,
            first_response_at: Some(at("2026-03-02T10:00:00Z")),
            resolved_at: Some(at("2026-03-03T10:00:00Z")),
            closed_at: Some(at("2026-03-04T10:00:00Z")),
        }),
        Event::escalation(0, escalation.clone()),
        Event::escalation(1, escalation.clone()),
        Event::escalation(2, escalation),
    ]
}

#[test]
fn every_kind_round_trips_through_its_stored_form_and_names_its_serde_tag() {
    for event in samples() {
        let tag = serde_json::to_value(&event).unwrap()["kind"].as_str().unwrap().to_owned();
        assert_eq!(event.kind(), tag);
        let payload = event.payload();
        assert!(payload.get("kind").is_none(), "{tag}: the tag is stored in its own column");
        let back = Event::from_stored(event.kind(), &payload.to_string()).unwrap();
        assert_eq!(back, event, "{tag}");
    }
}

#[test]
fn events_written_before_the_type_existed_still_read() {
    // Shapes as the hand-built JSON had them (service/requests.rs before typed events).
    let stored = [
        (
            "created",
            r#"{"key":"CR-3","title":"x","category":"bug","priority":"P2","page_url":null,"desired_date":"2026-04-01"}"#,
        ),
        ("routed", r#"{"team":"it","rule":"r1","reason":"because","version":2,"suggested_priority":"P1"}"#),
        ("status_changed", r#"{"from":"acknowledged","to":"in_progress","note":null}"#),
        ("first_response", r#"{"via":"comment","team":"it"}"#),
        ("commented", r#"{"body":"b","internal":false}"#),
        ("assigned", r#"{"assignee":null,"previous":"a@example.org"}"#),
        ("reassigned", r#"{"from":"it","to":"marketing","reason":"r","routing_correction":true}"#),
        ("imported", r#"{"source":"f.csv","team":"it","status":"resolved","resolved_at":"2026-01-01T10:00:00Z"}"#),
        (
            "sla_breached",
            r#"{"clock":"first_response","level":2,"target_minutes":240,"calendar":"24x7","recipients":["x@example.org"],"deliver_after":"2026-01-01T10:00:00Z","team":"it"}"#,
        ),
    ];
    for (kind, payload) in stored {
        let event = Event::from_stored(kind, payload).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(event.kind(), kind);
    }
    assert!(Event::from_stored("created", r#"{"title": 3}"#).is_err());
    assert!(Event::from_stored("no_such_kind", "{}").is_err());
}

#[test]
fn internal_notes_and_escalations_are_staff_only_and_nothing_else_is() {
    for event in samples() {
        let expected = matches!(event, Event::Commented { internal: true, .. }) || event.kind().starts_with("sla_");
        assert_eq!(event.is_internal(), expected, "{}", event.kind());
    }
    assert!(!Event::Commented { body: "b".into(), internal: false }.is_internal());
}

#[test]
fn the_timeline_starts_with_the_routed_team_and_follows_moves_hand_overs_and_first_responses() {
    let t0 = at("2026-03-02T09:00:00Z");
    let events = [
        (t0, Event::Routed { team: "it".into(), rule: None, reason: "m".into(), version: 1, suggested_priority: None }),
        (t0, Event::Commented { body: "x".into(), internal: false }),
        (at("2026-03-02T10:00:00Z"), Event::status_move(Status::New, Status::Acknowledged, None)),
        (
            at("2026-03-02T10:00:00Z"),
            Event::FirstResponse { via: "status_changed".into(), team: "it".into(), bulk: false },
        ),
        (at("2026-03-02T11:00:00Z"), Event::FirstAnswer { via: "status_note".into(), team: "it".into() }),
        (
            at("2026-03-03T10:00:00Z"),
            Event::Reassigned {
                from: "it".into(),
                to: "marketing".into(),
                reason: "r".into(),
                routing_correction: true,
            },
        ),
    ];
    let t = timeline(t0, Priority::P2, "marketing", events.iter().map(|(at, e)| (*at, e)));
    assert_eq!(t.team, "it", "the first team, not today's owner");
    assert_eq!(
        t.changes,
        vec![
            (at("2026-03-02T10:00:00Z"), Change::Status(Status::Acknowledged)),
            (at("2026-03-02T10:00:00Z"), Change::FirstResponse),
            (at("2026-03-02T11:00:00Z"), Change::FirstAnswer),
            (at("2026-03-03T10:00:00Z"), Change::Team("marketing".into())),
        ]
    );
    let by_comment = Event::FirstResponse { via: FIRST_RESPONSE_BY_COMMENT.into(), team: "it".into(), bulk: false };
    let t = timeline(t0, Priority::P2, "it", [(t0, &by_comment)]);
    assert_eq!(t.changes, vec![(t0, Change::FirstResponse), (t0, Change::FirstAnswer)], "a comment answers too");
    let none: [(DateTime<Utc>, &Event); 0] = [];
    assert_eq!(timeline(t0, Priority::P2, "marketing", none).team, "marketing");
}
