//! Business-hours calendars: when a team is at work, and how much working time lies between
//! two instants. SLA clocks run on these, so a P2 raised on Friday evening is not late on Monday
//! morning.
//!
//! Everything here is pure: no database, no clock; every time is an argument, to the second.
//!
//! Opening hours are local wall-clock times in the team's IANA timezone: "09:00-17:30" means
//! 09:00 on the office clocks, whatever the UTC offset is that day. Each local day is turned into
//! UTC intervals through the timezone database (chrono-tz), so daylight-saving changes move the
//! UTC instants exactly as they move the people in the office. No fixed offset is ever added.

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use parse::{Holiday, parse_holiday, parse_interval};

/// The name of the built-in always-open calendar.
pub const ALWAYS: &str = "24x7";

/// Consecutive days without any opening after which a calendar is taken to never open
/// (holidays can, in principle, close every date of the year).
const MAX_CLOSED_DAYS: u32 = 3000;

const MINUTES_PER_DAY: u32 = 24 * 60;

/// A named business calendar, as stored in configuration and shown by the API.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BusinessCalendar {
    pub name: String,
    /// IANA timezone name, e.g. "Europe/London".
    #[schema(value_type = String)]
    pub timezone: Tz,
    /// Opening hours per weekday, local time, e.g. mon = ["09:00-12:30", "13:30-17:30"].
    /// Missing day = closed.
    pub hours: WeekHours,
    /// "YYYY-MM-DD" for one date, "MM-DD" for every year. A holiday closes the whole local date.
    #[serde(default)]
    pub holidays: Vec<String>,
}

/// Opening hours per weekday: optional keys mon..sun, each a list of "HH:MM-HH:MM" local times.
/// The end may be "24:00"; several intervals a day are allowed (lunch break).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeekHours {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mon: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tue: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wed: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thu: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fri: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sat: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sun: Vec<String>,
}

impl WeekHours {
    /// The opening intervals of one weekday.
    pub fn day(&self, day: Weekday) -> &[String] {
        self.days()[day.num_days_from_monday() as usize].1
    }

    /// (key, intervals) for Monday to Sunday.
    fn days(&self) -> [(&'static str, &[String]); 7] {
        [
            ("mon", &self.mon),
            ("tue", &self.tue),
            ("wed", &self.wed),
            ("thu", &self.thu),
            ("fri", &self.fri),
            ("sat", &self.sat),
            ("sun", &self.sun),
        ]
    }
}

/// A calendar clocks run on: always open, or business hours.
// Callers build `Calendar::Business(cal)` per computation and pass it by reference, so the
// size difference costs nothing worth a Box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Calendar {
    Always,
    Business(BusinessCalendar),
}

impl BusinessCalendar {
    /// Checks the calendar; returns (field, problem) pairs, the field relative to the calendar,
    /// e.g. ("hours.mon[1]", ...), ("holidays[0]", ...). Empty when the calendar is valid.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if self.name.trim().is_empty() {
            problems.push(("name".to_string(), "must not be empty".to_string()));
        }
        let problems_before_hours = problems.len();
        let mut open_intervals = 0;
        for (key, intervals) in self.hours.days() {
            let mut previous_end: Option<u32> = None;
            for (i, text) in intervals.iter().enumerate() {
                let field = format!("hours.{key}[{i}]");
                match parse_interval(text) {
                    Ok((start, end)) => {
                        if let Some(prev) = previous_end
                            && start < prev
                        {
                            let prev = format!("{:02}:{:02}", prev / 60, prev % 60);
                            let problem = format!(
                                "overlaps or precedes the previous interval (ending {prev}); \
                                 list a day's intervals in order, without overlaps"
                            );
                            problems.push((field, problem));
                        } else {
                            open_intervals += 1;
                        }
                        previous_end = Some(previous_end.map_or(end, |prev| prev.max(end)));
                    }
                    Err(problem) => problems.push((field, problem)),
                }
            }
        }
        // A week whose only intervals are wrong is reported through those intervals alone.
        if open_intervals == 0 && problems.len() == problems_before_hours {
            let problem = "the calendar is never open: give at least one interval, \
                           e.g. mon = [\"09:00-17:30\"]";
            problems.push(("hours".to_string(), problem.to_string()));
        }
        for (i, text) in self.holidays.iter().enumerate() {
            if let Err(problem) = parse_holiday(text) {
                problems.push((format!("holidays[{i}]"), problem));
            }
        }
        problems
    }
}

impl Calendar {
    pub fn name(&self) -> &str {
        match self {
            Self::Always => ALWAYS,
            Self::Business(cal) => &cal.name,
        }
    }

    /// Whether the calendar is open at `t` (an interval includes its start, excludes its end).
    pub fn is_open(&self, t: DateTime<Utc>) -> bool {
        match self {
            Self::Always => true,
            Self::Business(cal) => {
                Rules::of(cal).openings(t).take_while(|&(open, _)| open <= t).any(|(_, close)| t < close)
            }
        }
    }

    /// `t` itself when open, else the start of the next opening.
    /// `None` if the calendar never opens.
    pub fn next_open(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Always => Some(t),
            Self::Business(cal) => {
                Rules::of(cal).openings(t).find(|&(_, close)| t < close).map(|(open, _)| open.max(t))
            }
        }
    }

    /// The instant when `amount` of open time has elapsed after `start`; counting begins at the
    /// next opening when `start` is outside hours. A zero (or negative) amount gives
    /// `next_open(start)`. An amount that runs out exactly at a closing returns that closing
    /// (e.g. 17:30), not the next opening. `None` if the calendar never opens.
    pub fn add(&self, start: DateTime<Utc>, amount: TimeDelta) -> Option<DateTime<Utc>> {
        let Self::Business(cal) = self else {
            return start.checked_add_signed(amount.max(TimeDelta::zero()));
        };
        if amount <= TimeDelta::zero() {
            return self.next_open(start);
        }
        let mut left = amount;
        for (open, close) in Rules::of(cal).openings(start) {
            if close <= start {
                continue;
            }
            let open = open.max(start);
            if left <= close - open {
                return Some(open + left);
            }
            left -= close - open;
        }
        None
    }

    /// `add(start, amount)` for each of `amounts` (ascending), in one walk over the openings.
    pub fn add_each<const N: usize>(
        &self,
        start: DateTime<Utc>,
        amounts: [TimeDelta; N],
    ) -> [Option<DateTime<Utc>>; N] {
        let Self::Business(cal) = self else {
            return amounts.map(|a| start.checked_add_signed(a.max(TimeDelta::zero())));
        };
        let mut out = [None; N];
        let mut pending = amounts.iter().enumerate().peekable();
        while let Some((i, _)) = pending.next_if(|(_, a)| **a <= TimeDelta::zero()) {
            out[i] = self.next_open(start);
        }
        let mut counted = TimeDelta::zero();
        for (open, close) in Rules::of(cal).openings(start) {
            if pending.peek().is_none() {
                break;
            }
            if close <= start {
                continue;
            }
            let open = open.max(start);
            while let Some((i, amount)) = pending.next_if(|(_, a)| **a - counted <= close - open) {
                out[i] = Some(open + (*amount - counted));
            }
            counted += close - open;
        }
        out
    }

    /// Open time between `a` and `b` (zero if `b <= a`).
    pub fn open_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> TimeDelta {
        if b <= a {
            return TimeDelta::zero();
        }
        match self {
            Self::Always => b - a,
            Self::Business(cal) => {
                if b - a >= index::WALK_UNDER
                    && let Some(open) = index::open_between(cal, a, b)
                {
                    return open;
                }
                walk_open_between(&Rules::of(cal), a, b)
            }
        }
    }
}

/// Open time between `a` and `b` by walking the openings in between.
fn walk_open_between(rules: &Rules, a: DateTime<Utc>, b: DateTime<Utc>) -> TimeDelta {
    rules
        .openings(a)
        .take_while(|&(open, _)| open < b)
        .map(|(open, close)| close.min(b) - open.max(a))
        .filter(|overlap| *overlap > TimeDelta::zero())
        .sum()
}

/// Open time between `a` and `b` walked day by day, never by the index (for tests).
#[cfg(test)]
pub(crate) fn walked_open_between(cal: &Calendar, a: DateTime<Utc>, b: DateTime<Utc>) -> TimeDelta {
    match cal {
        Calendar::Always => (b - a).max(TimeDelta::zero()),
        Calendar::Business(c) if a < b => walk_open_between(&Rules::of(c), a, b),
        Calendar::Business(_) => TimeDelta::zero(),
    }
}

/// A business calendar parsed for computation. Invalid entries (which `validate` reports) are
/// skipped, so a bad line closes an interval instead of breaking every clock.
struct Rules {
    tz: Tz,
    /// Monday to Sunday, (start, end) minutes after local midnight, sorted.
    week: [Vec<(u32, u32)>; 7],
    holidays: Vec<Holiday>,
}

impl Rules {
    /// The rules of `cal`, parsed once per thread: a clock asks for them at every step, and
    /// parsing the hours and holidays each time was a tenth of an import's work. A thread keeps
    /// the last few calendars it saw (an organisation has a handful).
    fn of(cal: &BusinessCalendar) -> std::rc::Rc<Self> {
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

    fn new(cal: &BusinessCalendar) -> Self {
        let week = cal.hours.days().map(|(_, texts)| {
            let mut day: Vec<_> = texts.iter().filter_map(|t| parse_interval(t).ok()).collect();
            day.sort_unstable();
            day
        });
        let holidays = cal.holidays.iter().filter_map(|h| parse_holiday(h).ok()).collect();
        Self { tz: cal.timezone, week, holidays }
    }

    fn is_holiday(&self, date: NaiveDate) -> bool {
        self.holidays.iter().any(|h| match *h {
            Holiday::Once(d) => d == date,
            Holiday::Yearly { month, day } => date.month() == month && date.day() == day,
        })
    }

    /// Opening intervals in UTC, sorted and disjoint, from the local day before `from` onwards
    /// (so an interval that began before `from` is included). Callers skip what ends before `from`.
    fn openings(&self, from: DateTime<Utc>) -> Openings<'_> {
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
struct Openings<'a> {
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
enum Edge {
    Start,
    End,
}

/// The UTC instant of local time `minute` (0..=1440) on `date`, in `tz`.
fn local_to_utc(tz: Tz, date: NaiveDate, minute: u32, edge: Edge) -> Option<DateTime<Utc>> {
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

mod index;
mod parse;

#[cfg(test)]
mod tests;
