use chrono::NaiveDateTime;
use chrono_tz::America::New_York;
use chrono_tz::Europe::{Berlin, London};
use proptest::prelude::*;

use super::*;

/// A UTC instant from "YYYY-MM-DD HH:MM" or "YYYY-MM-DD HH:MM:SS".
fn at(text: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
        .unwrap_or_else(|e| panic!("bad test time '{text}': {e}"))
        .and_utc()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn business(tz: Tz, hours: WeekHours, holidays: &[&str]) -> BusinessCalendar {
    BusinessCalendar { name: "office".into(), timezone: tz, hours, holidays: strings(holidays) }
}

/// The same intervals Monday to Friday.
fn weekdays(tz: Tz, intervals: &[&str], holidays: &[&str]) -> Calendar {
    let day = strings(intervals);
    let hours = WeekHours {
        mon: day.clone(),
        tue: day.clone(),
        wed: day.clone(),
        thu: day.clone(),
        fri: day,
        ..WeekHours::default()
    };
    Calendar::Business(business(tz, hours, holidays))
}

/// Open on Sundays only, the day clocks change in Europe and North America.
fn sundays(tz: Tz, intervals: &[&str]) -> Calendar {
    let hours = WeekHours { sun: strings(intervals), ..WeekHours::default() };
    Calendar::Business(business(tz, hours, &[]))
}

/// London, Mon-Fri 09:00-17:30, early May bank holiday 2026 and Christmas Day every year.
fn office() -> Calendar {
    weekdays(London, &["09:00-17:30"], &["2026-05-04", "12-25"])
}

fn lunch_break() -> Calendar {
    weekdays(London, &["09:00-12:30", "13:30-17:30"], &[])
}

fn h(hours: i64) -> TimeDelta {
    TimeDelta::hours(hours)
}

fn m(minutes: i64) -> TimeDelta {
    TimeDelta::minutes(minutes)
}

fn s(seconds: i64) -> TimeDelta {
    TimeDelta::seconds(seconds)
}

// January 2026 is GMT, so UTC reads as London local time: Mon 5th .. Fri 9th, Mon 12th.
#[test]
fn add_counts_only_open_time() {
    let (office, lunch) = (office(), lunch_break());
    let cases = [
        ("inside hours", &office, "2026-01-05 10:00", h(2), "2026-01-05 12:00"),
        ("before hours", &office, "2026-01-05 07:00", h(2), "2026-01-05 11:00"),
        ("after hours", &office, "2026-01-05 18:00", h(2), "2026-01-06 11:00"),
        ("on a weekend", &office, "2026-01-10 12:00", h(1), "2026-01-12 10:00"),
        ("friday evening", &office, "2026-01-09 17:00", h(1), "2026-01-12 09:30"),
        ("three full days", &office, "2026-01-05 09:00", m(3 * 510), "2026-01-07 17:30"),
        ("several days", &office, "2026-01-05 09:00", m(3 * 510 + 30), "2026-01-08 09:30"),
        ("ends at closing", &office, "2026-01-05 15:30", h(2), "2026-01-05 17:30"),
        ("to the second", &office, "2026-01-05 17:29:30", s(45), "2026-01-06 09:00:15"),
        ("zero inside", &office, "2026-01-05 10:00", h(0), "2026-01-05 10:00"),
        ("zero after hours", &office, "2026-01-05 17:30", h(0), "2026-01-06 09:00"),
        // 2026-05-01 is a Friday in BST (UTC+1); Monday 4th is a bank holiday.
        ("single-date holiday", &office, "2026-05-01 16:00", h(1), "2026-05-05 08:30"),
        // Christmas Day: a Friday in 2026, a Thursday in 2025.
        ("yearly holiday 2026", &office, "2026-12-24 17:00", h(1), "2026-12-28 09:30"),
        ("yearly holiday 2025", &office, "2025-12-24 17:00", h(1), "2025-12-26 09:30"),
        ("across lunch", &lunch, "2026-01-05 12:00", h(1), "2026-01-05 14:00"),
        ("during lunch", &lunch, "2026-01-05 12:45", m(30), "2026-01-05 14:00"),
        ("ends at lunch", &lunch, "2026-01-05 12:00", m(30), "2026-01-05 12:30"),
        ("lunch, overnight", &lunch, "2026-01-05 17:00", h(1), "2026-01-06 09:30"),
        ("lunch, full day", &lunch, "2026-01-05 09:00", m(450), "2026-01-05 17:30"),
    ];
    for (case, cal, start, amount, due) in cases {
        assert_eq!(cal.add(at(start), amount), Some(at(due)), "{case}");
    }
}

#[test]
fn is_open_and_next_open() {
    let (office, lunch) = (office(), lunch_break());
    let cases = [
        ("opening included", &office, "2026-01-05 09:00", true, "2026-01-05 09:00"),
        ("closing excluded", &office, "2026-01-05 17:30", false, "2026-01-06 09:00"),
        ("last second", &office, "2026-01-05 17:29:59", true, "2026-01-05 17:29:59"),
        ("before opening", &office, "2026-01-05 08:59:59", false, "2026-01-05 09:00"),
        ("weekend", &office, "2026-01-10 12:00", false, "2026-01-12 09:00"),
        ("holiday", &office, "2026-05-04 10:00", false, "2026-05-05 08:00"),
        ("lunch", &lunch, "2026-01-05 12:30", false, "2026-01-05 13:30"),
        ("after lunch", &lunch, "2026-01-05 13:30", true, "2026-01-05 13:30"),
    ];
    for (case, cal, t, open, next) in cases {
        assert_eq!(cal.is_open(at(t)), open, "{case}: is_open");
        assert_eq!(cal.next_open(at(t)), Some(at(next)), "{case}: next_open");
    }
}

#[test]
fn open_between_counts_open_time_only() {
    let (office, lunch) = (office(), lunch_break());
    let cases = [
        ("across a night", &office, "2026-01-05 16:00", "2026-01-06 10:00", m(150)),
        ("across a weekend", &office, "2026-01-09 16:00", "2026-01-12 10:00", m(150)),
        ("a whole week", &office, "2026-01-05 00:00", "2026-01-12 00:00", m(5 * 510)),
        ("reversed", &office, "2026-01-06 10:00", "2026-01-05 16:00", h(0)),
        ("empty", &office, "2026-01-05 10:00", "2026-01-05 10:00", h(0)),
        ("closed span", &office, "2026-01-05 18:00", "2026-01-06 08:00", h(0)),
        ("across lunch", &lunch, "2026-01-05 12:00", "2026-01-05 14:00", h(1)),
        ("seconds", &lunch, "2026-01-05 12:29:50", "2026-01-05 13:30:05", s(15)),
    ];
    for (case, cal, a, b, expected) in cases {
        assert_eq!(cal.open_between(at(a), at(b)), expected, "{case}");
    }
}

/// 09:00 local must land on the right UTC instant on both sides of each clock change, and a
/// target must carry over the weekend of the change by exactly the open time left.
#[test]
fn opening_follows_daylight_saving() {
    let [london, berlin, new_york] = [London, Berlin, New_York].map(|tz| weekdays(tz, &["09:00-17:30"], &[]));
    let cases = [
        // Europe/London: 29 Mar 2026 GMT -> BST, 25 Oct 2026 BST -> GMT.
        ("London, Fri before spring", &london, "2026-03-27 00:00", "2026-03-27 09:00"),
        ("London, Mon after spring", &london, "2026-03-27 18:00", "2026-03-30 08:00"),
        ("London, Fri before autumn", &london, "2026-10-23 00:00", "2026-10-23 08:00"),
        ("London, Mon after autumn", &london, "2026-10-23 18:00", "2026-10-26 09:00"),
        // Europe/Berlin: same dates, CET (+1) <-> CEST (+2).
        ("Berlin, Fri before spring", &berlin, "2026-03-27 00:00", "2026-03-27 08:00"),
        ("Berlin, Mon after spring", &berlin, "2026-03-27 18:00", "2026-03-30 07:00"),
        ("Berlin, Fri before autumn", &berlin, "2026-10-23 00:00", "2026-10-23 07:00"),
        ("Berlin, Mon after autumn", &berlin, "2026-10-23 18:00", "2026-10-26 08:00"),
        // America/New_York: 8 Mar 2026 EST (-5) -> EDT (-4), 1 Nov 2026 back.
        ("New York, Fri before spring", &new_york, "2026-03-06 00:00", "2026-03-06 14:00"),
        ("New York, Mon after spring", &new_york, "2026-03-06 23:00", "2026-03-09 13:00"),
        ("New York, Fri before autumn", &new_york, "2026-10-30 00:00", "2026-10-30 13:00"),
        ("New York, Mon after autumn", &new_york, "2026-10-30 23:00", "2026-11-02 14:00"),
    ];
    for (case, cal, t, opening) in cases {
        assert_eq!(cal.next_open(at(t)), Some(at(opening)), "{case}");
    }

    // One hour left at Friday 17:00 local: due Monday 09:30 local.
    let cases = [
        ("London spring", &london, "2026-03-27 17:00", "2026-03-30 08:30"),
        ("London autumn", &london, "2026-10-23 16:00", "2026-10-26 09:30"),
        ("Berlin spring", &berlin, "2026-03-27 16:00", "2026-03-30 07:30"),
        ("Berlin autumn", &berlin, "2026-10-23 15:00", "2026-10-26 08:30"),
        ("New York spring", &new_york, "2026-03-06 22:00", "2026-03-09 13:30"),
        ("New York autumn", &new_york, "2026-10-30 21:00", "2026-11-02 14:30"),
    ];
    for (case, cal, start, due) in cases {
        assert_eq!(cal.add(at(start), h(1)), Some(at(due)), "{case}: add");
        assert_eq!(cal.open_between(at(start), at(due)), h(1), "{case}: open_between");
    }
}

/// Hours that cross the change itself: the spring gap shortens the day, the repeated autumn
/// hour lengthens it, and times inside the gap open when the clocks resume.
#[test]
fn hours_across_the_clock_change() {
    let cases: [(&str, Tz, &[&str], &str, TimeDelta); 16] = [
        // The whole Sunday open: 23 hours in spring, 25 in autumn.
        ("London spring, whole day", London, &["00:00-24:00"], "2026-03-28", h(23)),
        ("London autumn, whole day", London, &["00:00-24:00"], "2026-10-24", h(25)),
        ("Berlin spring, whole day", Berlin, &["00:00-24:00"], "2026-03-28", h(23)),
        ("Berlin autumn, whole day", Berlin, &["00:00-24:00"], "2026-10-24", h(25)),
        ("New York spring, whole day", New_York, &["00:00-24:00"], "2026-03-07", h(23)),
        ("New York autumn, whole day", New_York, &["00:00-24:00"], "2026-10-31", h(25)),
        // Two wall-clock hours around the change.
        ("London spring, starts in gap", London, &["01:00-03:00"], "2026-03-28", h(1)),
        ("London autumn, starts ambiguous", London, &["01:00-03:00"], "2026-10-24", h(3)),
        ("Berlin spring, starts in gap", Berlin, &["02:00-04:00"], "2026-03-28", h(1)),
        ("Berlin autumn, starts ambiguous", Berlin, &["02:00-04:00"], "2026-10-24", h(3)),
        ("New York spring, 01-03", New_York, &["01:00-03:00"], "2026-03-07", h(1)),
        ("New York autumn, 01-03", New_York, &["01:00-03:00"], "2026-10-31", h(3)),
        ("New York spring, ends in gap", New_York, &["01:00-02:30"], "2026-03-07", h(1)),
        ("New York spring, inside gap", New_York, &["02:15-02:45"], "2026-03-07", h(0)),
        // 00:00 EDT to the second 01:30 (EST), then on to 03:00 EST: no instant counted twice.
        ("New York autumn, split", New_York, &["00:00-01:30", "01:30-03:00"], "2026-10-31", h(4)),
        ("New York spring, split", New_York, &["00:00-01:30", "01:30-03:00"], "2026-03-07", h(2)),
    ];
    for (case, tz, intervals, saturday, expected) in cases {
        let cal = sundays(tz, intervals);
        let from = at(&format!("{saturday} 00:00"));
        assert_eq!(cal.open_between(from, from + h(72)), expected, "{case}");
        let due = cal.add(from, expected).unwrap();
        assert_eq!(cal.open_between(from, due), expected, "{case}: add");
    }

    // Exact instants at the edges.
    let gap = sundays(New_York, &["02:30-04:00"]);
    let ambiguous = sundays(New_York, &["01:00-03:00"]);
    let london_gap = sundays(London, &["01:00-03:00"]);
    let london_day = sundays(London, &["00:00-24:00"]);
    let cases = [
        ("gap: 02:30 opens at 03:00 EDT", gap.next_open(at("2026-03-08 05:00")), "2026-03-08 07:00"),
        ("opens at the first 01:00, EDT", ambiguous.next_open(at("2026-11-01 00:00")), "2026-11-01 05:00"),
        ("closes at 03:00 EST", ambiguous.add(at("2026-11-01 05:00"), h(3)), "2026-11-01 08:00"),
        ("gap: 01:00 opens at 02:00 BST", london_gap.next_open(at("2026-03-28 23:00")), "2026-03-29 01:00"),
        ("24:00 is Mon 00:00 BST", london_day.add(at("2026-03-29 00:00"), h(23)), "2026-03-29 23:00"),
    ];
    for (case, got, expected) in cases {
        assert_eq!(got, Some(at(expected)), "{case}");
    }
    assert!(ambiguous.is_open(at("2026-11-01 06:30")), "open at the second 01:30 (EST)");
    assert!(!london_day.is_open(at("2026-03-29 23:00")), "closed from Monday 00:00 BST");
}

#[test]
fn always_is_open_around_the_clock() {
    let cal = Calendar::Always;
    let (a, b) = (at("2026-01-10 03:00"), at("2026-01-12 04:30"));
    assert_eq!(cal.name(), ALWAYS, "name");
    assert!(cal.is_open(a), "is_open");
    assert_eq!(cal.next_open(a), Some(a), "next_open");
    assert_eq!(cal.add(a, h(49) + m(30)), Some(b), "add");
    assert_eq!(cal.open_between(a, b), h(49) + m(30), "open_between");
    assert_eq!(cal.open_between(b, a), h(0), "open_between reversed");
    assert_eq!(office().name(), "office", "business name");
}

#[test]
fn never_open_calendar_gives_up() {
    let closed = Calendar::Business(business(London, WeekHours::default(), &[]));
    let t = at("2026-01-05 10:00");
    assert!(!closed.is_open(t), "is_open");
    assert_eq!(closed.next_open(t), None, "next_open");
    assert_eq!(closed.add(t, h(1)), None, "add");
    assert_eq!(closed.open_between(t, t + h(1000)), h(0), "open_between");
}

#[test]
fn validate_reports_each_bad_field() {
    let valid = || {
        let hours = WeekHours { mon: strings(&["09:00-17:30"]), ..WeekHours::default() };
        business(London, hours, &["12-25"])
    };
    let with_mon = |intervals: &[&str]| BusinessCalendar {
        hours: WeekHours { mon: strings(intervals), ..WeekHours::default() },
        ..valid()
    };
    let with_holidays = |holidays: &[&str]| BusinessCalendar { holidays: strings(holidays), ..valid() };
    let cases: Vec<(&str, BusinessCalendar, &[&str])> = vec![
        ("valid", valid(), &[]),
        ("touching, 24:00", with_mon(&["00:00-12:00", "12:00-12:30", "13:30-24:00"]), &[]),
        ("not HH:MM", with_mon(&["9-17"]), &["hours.mon[0]"]),
        ("hour 25", with_mon(&["09:00-25:00"]), &["hours.mon[0]"]),
        ("start 24:00", with_mon(&["24:00-24:00"]), &["hours.mon[0]"]),
        ("end before start", with_mon(&["09:00-17:30", "18:00-17:00"]), &["hours.mon[1]"]),
        ("empty interval", with_mon(&["09:00-09:00"]), &["hours.mon[0]"]),
        ("overlap", with_mon(&["09:00-13:00", "12:00-17:00"]), &["hours.mon[1]"]),
        ("unsorted", with_mon(&["13:00-17:00", "09:00-12:00"]), &["hours.mon[1]"]),
        ("all closed", with_mon(&[]), &["hours"]),
        ("leap day every year", with_holidays(&["02-29", "2028-02-29"]), &[]),
        ("no such date", with_holidays(&["2026-02-29"]), &["holidays[0]"]),
        ("no such day", with_holidays(&["12-25", "02-30"]), &["holidays[1]"]),
        ("month 13", with_holidays(&["13-01"]), &["holidays[0]"]),
        ("not a date", with_holidays(&["xmas", "2026-1-05"]), &["holidays[0]", "holidays[1]"]),
        ("empty name", BusinessCalendar { name: " ".into(), ..valid() }, &["name"]),
    ];
    for (case, cal, expected) in cases {
        let fields: Vec<String> = cal.validate().into_iter().map(|(field, _)| field).collect();
        assert_eq!(fields, expected, "{case}");
    }
}

#[test]
fn deserializes_with_missing_days_and_holidays() {
    let json = r#"{"name": "support", "timezone": "America/New_York",
                   "hours": {"sat": ["10:00-14:00"]}}"#;
    let cal: BusinessCalendar = serde_json::from_str(json).unwrap();
    assert_eq!(cal.timezone, New_York);
    assert_eq!(cal.hours.day(Weekday::Sat), ["10:00-14:00"]);
    assert!(cal.hours.mon.is_empty() && cal.holidays.is_empty());
    let value = serde_json::to_value(&cal).unwrap();
    assert_eq!(serde_json::from_value::<BusinessCalendar>(value).unwrap(), cal);
}

/// Lunch-break calendar in New York with a yearly and a one-off holiday.
fn new_york_lunch() -> Calendar {
    weekdays(New_York, &["09:00-12:30", "13:30-17:30"], &["12-25", "2026-07-03"])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn add_lands_in_hours_and_adds_exactly_the_amount(
        start in at("2025-01-01 00:00").timestamp()..at("2029-01-01 00:00").timestamp(),
        amount in 60i64..=5000 * 60,
    ) {
        let cal = new_york_lunch();
        let (start, amount) = (DateTime::from_timestamp(start, 0).unwrap(), s(amount));
        let due = cal.add(start, amount).unwrap();
        prop_assert!(cal.is_open(due) || cal.is_open(due - s(1)), "due {} is outside hours", due);
        prop_assert_eq!(cal.open_between(start, due), amount);
        prop_assert!(due > start);
    }

    #[test]
    fn add_each_is_add_for_every_amount(
        start in at("2025-01-01 00:00").timestamp()..at("2029-01-01 00:00").timestamp(),
        mut amounts in proptest::array::uniform4(-600i64..=10_000 * 60),
    ) {
        amounts.sort_unstable();
        let start = DateTime::from_timestamp(start, 0).unwrap();
        for cal in [new_york_lunch(), office(), Calendar::Always] {
            let each = cal.add_each(start, amounts.map(s));
            prop_assert_eq!(each, amounts.map(|a| cal.add(start, s(a))));
        }
    }

    #[test]
    fn the_cumulative_index_counts_exactly_what_the_walk_counts(
        start in at("2019-06-01 00:00").timestamp()..at("2030-01-01 00:00").timestamp(),
        span in 0i64..=6 * 366 * 86_400,
        nanos in 0u32..1_000_000_000,
    ) {
        let a = DateTime::from_timestamp(start, nanos).unwrap();
        let b = a + TimeDelta::seconds(span);
        for cal in [new_york_lunch(), office()] {
            prop_assert_eq!(cal.open_between(a, b), super::walked_open_between(&cal, a, b), "{} to {}", a, b);
        }
    }
}

#[test]
fn business_days_after_skip_weekends_and_holidays() {
    let office = weekdays(London, &["09:00-12:30", "13:30-17:30"], &["2026-11-25"]);
    // Resolved on a Friday afternoon: the next business day is Monday, all of it.
    assert_eq!(
        office.business_day_after(at("2026-11-20 15:00"), 1),
        Some((at("2026-11-23 09:00"), at("2026-11-23 17:30")))
    );
    // Five business days on: Wednesday the 25th is a holiday, so Monday the 30th.
    assert_eq!(
        office.business_day_after(at("2026-11-20 15:00"), 5),
        Some((at("2026-11-30 09:00"), at("2026-11-30 17:30")))
    );
    // Before opening on a business day, that day is not counted either.
    assert_eq!(
        office.business_day_after(at("2026-11-23 07:00"), 1),
        Some((at("2026-11-24 09:00"), at("2026-11-24 17:30")))
    );
    // Summer time: the day's hours are local (Berlin, UTC+2 in July).
    let berlin = weekdays(Berlin, &["09:00-17:00"], &[]);
    assert_eq!(
        berlin.business_day_after(at("2026-07-03 10:00"), 1),
        Some((at("2026-07-06 07:00"), at("2026-07-06 15:00")))
    );
    // Round the clock: whole days; a calendar that never opens has none.
    assert_eq!(
        Calendar::Always.business_day_after(at("2026-11-20 15:00"), 2),
        Some((at("2026-11-21 15:00"), at("2026-11-22 15:00")))
    );
    assert_eq!(sundays(London, &[]).business_day_after(at("2026-11-20 15:00"), 1), None);
}
