//! A business calendar parsed for computation (`Rules`), the walk over its openings in UTC
//! (`Openings`), and the one place a local wall-clock time becomes a UTC instant
//! (`local_to_utc`), daylight-saving changes included.

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use super::parse::{Holiday, parse_holiday, parse_interval};
use super::{BusinessCalendar, MAX_CLOSED_DAYS, MINUTES_PER_DAY};

/// A business calendar parsed for computation. Invalid entries (which `validate` reports) are
/// skipped, so a bad line closes an interval instead of breaking every clock.
pub(super) struct Rules {
    pub(super) tz: Tz,
    /// Monday to Sunday, (start, end) minutes after local midnight, sorted.
    week: [Vec<(u32, u32)>; 7],
    holidays: Vec<Holiday>,
}

impl Rules {
    /// The rules of `cal`, parsed once per thread: a clock asks for them at every step, and
    /// parsing the hours and holidays each time was a tenth of an import's work. A thread keeps
    /// the last few calendars it saw (an organisation has a handful).
    pub(super) fn of(cal: &BusinessCalendar) -> std::rc::Rc<Self> {
        const KEEP: usize = 16;
        thread_local! {
            static SEEN: std::cell::RefCell<Vec<(BusinessCalendar, std::rc::Rc<Rules>)>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        SEEN.with_borrow_mut(|seen| {
            if let Some((_, rules)) = seen.iter().find(|(c, _)| c == cal) {
                return rules.clone();
            }
            let rules = std::rc::Rc::new(Self::new(cal));
            if seen.len() == KEEP {
                seen.remove(0);
            }
            seen.push((cal.clone(), rules.clone()));
            rules
        })
    }

    pub(super) fn new(cal: &BusinessCalendar) -> Self {
        let week = cal.hours.days().map(|(_, texts)| {
            let mut day: Vec<_> = texts.iter().filter_map(|t| parse_interval(t).ok()).collect();
            day.sort_unstable();
            day
        });
        let holidays = cal.holidays.iter().filter_map(|h| parse_holiday(h).ok()).collect();
        Self { tz: cal.timezone, week, holidays }
    }

    pub(super) fn is_holiday(&self, date: NaiveDate) -> bool {
        self.holidays.iter().any(|h| match *h {
            Holiday::Once(d) => d == date,
            Holiday::Yearly { month, day } => date.month() == month && date.day() == day,
        })
    }

    /// Opening intervals in UTC, sorted and disjoint, from the local day before `from` onwards
    /// (so an interval that began before `from` is included). Callers skip what ends before `from`.
    pub(super) fn openings(&self, from: DateTime<Utc>) -> Openings<'_> {
        let day = from.with_timezone(&self.tz).date_naive();
        let never_opens = self.week.iter().all(Vec::is_empty);
        Openings {
            rules: self,
            day: day.pred_opt(),
            today: Vec::new(),
            next: 0,
            last_end: None,
            closed_days: if never_opens { MAX_CLOSED_DAYS } else { 0 },
        }
    }
}

/// Walks local days forward, turning each day's hours into UTC intervals.
pub(super) struct Openings<'a> {
    rules: &'a Rules,
    /// The next local day to expand; `None` past the end of chrono's date range.
    day: Option<NaiveDate>,
    today: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    next: usize,
    last_end: Option<DateTime<Utc>>,
    closed_days: u32,
}

impl Iterator for Openings<'_> {
    type Item = (DateTime<Utc>, DateTime<Utc>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(&interval) = self.today.get(self.next) {
                self.next += 1;
                return Some(interval);
            }
            if self.closed_days >= MAX_CLOSED_DAYS {
                return None;
            }
            let day = self.day?;
            self.expand(day);
            self.day = day.succ_opt();
            self.closed_days = if self.today.is_empty() { self.closed_days + 1 } else { 0 };
        }
    }
}

impl Openings<'_> {
    fn expand(&mut self, day: NaiveDate) {
        self.today.clear();
        self.next = 0;
        let rules = self.rules;
        if rules.is_holiday(day) {
            return;
        }
        for &(start, end) in &rules.week[day.weekday().num_days_from_monday() as usize] {
            let open = local_to_utc(rules.tz, day, start, Edge::Start);
            let close = local_to_utc(rules.tz, day, end, Edge::End);
            let (Some(mut open), Some(close)) = (open, close) else {
                continue;
            };
            // Around a fall-back, adjacent local intervals can overlap in UTC (the end of the
            // first is taken at the late 01:30, the start of the next at the early one). Clip,
            // so no instant is counted twice.
            if let Some(last_end) = self.last_end {
                open = open.max(last_end);
            }
            if open < close {
                self.today.push((open, close));
                self.last_end = Some(close);
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Edge {
    Start,
    End,
}

/// The UTC instant of local time `minute` (0..=1440) on `date`, in `tz`.
pub(super) fn local_to_utc(tz: Tz, date: NaiveDate, minute: u32, edge: Edge) -> Option<DateTime<Utc>> {
    // 24:00 is the midnight that starts the next local day, which is not always 24 hours after
    // this day's midnight, so it is resolved on the next date rather than by adding a day.
    let (date, minute) = match minute.checked_sub(MINUTES_PER_DAY) {
        Some(past_midnight) => (date.succ_opt()?, past_midnight),
        None => (date, minute),
    };
    let naive = date.and_hms_opt(minute / 60, minute % 60, 0)?;
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t.to_utc()),
        // Fall back: the wall clock shows this time twice. Opening at the first occurrence and
        // closing at the second means the repeated hour is worked, and counted, in full; that is
        // what a team whose hours cover the change actually lives through.
        LocalResult::Ambiguous(early, late) => Some(match edge {
            Edge::Start => early.to_utc(),
            Edge::End => late.to_utc(),
        }),
        // Spring forward: this wall-clock time never happens. Office clocks jump straight past
        // it, so the opening (or closing) happens when they resume: the first valid instant
        // after the gap. Gaps are an hour or so, and this runs only on transition days.
        LocalResult::None => (1..=2 * i64::from(MINUTES_PER_DAY)).find_map(|k| {
            match tz.from_local_datetime(&(naive + TimeDelta::minutes(k))) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.to_utc()),
                LocalResult::None => None,
            }
        }),
    }
}
