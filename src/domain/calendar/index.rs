//! A cumulative index of a business calendar's open time, so that the open time between two
//! instants years apart is two lookups instead of a walk over every day between them (a clock
//! of a four-year-old request, a report over all time).
//!
//! For each local year from `FIRST_YEAR`, the calendar's openings (the same intervals the walk
//! produces) with the open time counted before each, and the year's total. Years are built
//! once per calendar and process, when first needed, and shared: the index is a memo of a pure
//! function, so it changes no result (a property test holds it equal to the walk).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};

use super::BusinessCalendar;
use super::rules::{Edge, Rules, local_to_utc};

/// The index covers local years FIRST_YEAR..LAST_YEAR; instants outside are walked.
const FIRST_YEAR: i32 = 2000;
const LAST_YEAR: i32 = 2100;

/// Spans shorter than this are walked: a few days' openings cost less than a lookup's lock.
pub(super) const WALK_UNDER: TimeDelta = TimeDelta::days(20);

/// One local year: its openings in UTC nanoseconds, the open time before each, and the total.
struct Year {
    /// UTC instant (nanoseconds since 1970) of the local year's first midnight.
    start: i64,
    openings: Vec<(i64, i64)>,
    before: Vec<i64>,
    total: i64,
}

/// A calendar's years, built in order from FIRST_YEAR; `prefix[i]` is the open time of all
/// years before `years[i]`. The calendar is parsed once, here, not per lookup.
struct Index {
    rules: Rules,
    years: Vec<Year>,
    prefix: Vec<i64>,
}

type Cache = Mutex<HashMap<BusinessCalendar, Arc<Mutex<Index>>>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

fn year_start(rules: &Rules, year: i32) -> Option<i64> {
    let jan1 = NaiveDate::from_ymd_opt(year, 1, 1)?;
    local_to_utc(rules.tz, jan1, 0, Edge::Start).and_then(|t| t.timestamp_nanos_opt())
}

fn build_year(rules: &Rules, year: i32) -> Option<Year> {
    let (start, end) = (year_start(rules, year)?, year_start(rules, year + 1)?);
    let from = DateTime::from_timestamp_nanos(start);
    let mut openings = Vec::new();
    let mut before = Vec::new();
    let mut total = 0;
    for (open, close) in rules.openings(from) {
        let (Some(open), Some(close)) = (open.timestamp_nanos_opt(), close.timestamp_nanos_opt()) else { break };
        if open >= end {
            break;
        }
        if open < start {
            continue; // the previous year's
        }
        openings.push((open, close));
        before.push(total);
        total += close - open;
    }
    Some(Year { start, openings, before, total })
}

impl Index {
    /// Builds years up to and including `year`; false when it cannot (outside the range).
    fn reach(&mut self, year: i32) -> bool {
        if !(FIRST_YEAR..LAST_YEAR).contains(&year) {
            return false;
        }
        while self.years.len() <= (year - FIRST_YEAR) as usize {
            let y = FIRST_YEAR + self.years.len() as i32;
            let Some(built) = build_year(&self.rules, y) else { return false };
            let before = self.prefix.last().copied().unwrap_or(0) + self.years.last().map_or(0, |y| y.total);
            self.prefix.push(before);
            self.years.push(built);
        }
        true
    }

    /// Open nanoseconds from the start of FIRST_YEAR to `t`.
    fn open_until(&mut self, t: DateTime<Utc>) -> Option<i64> {
        let local_year = t.with_timezone(&self.rules.tz).year();
        // The local year by the index's own boundaries (a midnight moved by DST may differ).
        let mut year = local_year;
        if !self.reach(year + 1) {
            return None;
        }
        let secs = t.timestamp_nanos_opt()?;
        while year > FIRST_YEAR && secs < self.years[(year - FIRST_YEAR) as usize].start {
            year -= 1;
        }
        while secs >= self.years[(year + 1 - FIRST_YEAR) as usize].start {
            year += 1;
            if !self.reach(year + 1) {
                return None;
            }
        }
        let i = (year - FIRST_YEAR) as usize;
        let y = &self.years[i];
        // Openings that started before t: all of them counted, the last one up to t.
        let n = y.openings.partition_point(|(open, _)| *open < secs);
        let within = match n.checked_sub(1) {
            Some(last) => y.before[last] + (y.openings[last].1.min(secs) - y.openings[last].0),
            None => 0,
        };
        Some(self.prefix[i] + within)
    }
}

/// Open time between `a` and `b` (a < b) by the index, or None when either lies outside it.
pub(super) fn open_between(cal: &BusinessCalendar, a: DateTime<Utc>, b: DateTime<Utc>) -> Option<TimeDelta> {
    let index = {
        let mut cache = cache().lock().ok()?;
        match cache.get(cal) {
            Some(index) => index.clone(),
            None => {
                let index =
                    Arc::new(Mutex::new(Index { rules: Rules::new(cal), years: Vec::new(), prefix: Vec::new() }));
                cache.insert(cal.clone(), index.clone());
                index
            }
        }
    };
    let mut index = index.lock().ok()?;
    let (from, to) = (index.open_until(a)?, index.open_until(b)?);
    Some(TimeDelta::nanoseconds(to - from))
}
