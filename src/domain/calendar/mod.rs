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

use chrono::{DateTime, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use parse::{parse_holiday, parse_interval};
use rules::Rules;

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

    /// The `n`-th business day after the day of `t` (`n` ≥ 1): when it opens and when it closes
    /// (its first opening's start, its last opening's end), in the calendar's own days. Days
    /// without open hours (weekends, holidays) are not counted. Round the clock, days are 24
    /// hours from `t`. `None` if the calendar never opens.
    pub fn business_day_after(&self, t: DateTime<Utc>, n: u32) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let Self::Business(cal) = self else {
            let day = TimeDelta::days(i64::from(n));
            return Some((t + day - TimeDelta::days(1), t + day));
        };
        let rules = Rules::of(cal);
        let local = |at: DateTime<Utc>| at.with_timezone(&rules.tz).date_naive();
        let today = local(t);
        let mut days = 0;
        let mut current: Option<(chrono::NaiveDate, DateTime<Utc>, DateTime<Utc>)> = None;
        // Openings come in order; a year of them is more than any sane count of days needs.
        for (open, close) in rules.openings(t).take(366 * 8) {
            let day = local(open);
            if day <= today {
                continue;
            }
            match &mut current {
                Some((d, _, end)) if *d == day => *end = close,
                _ => {
                    if days == n {
                        break;
                    }
                    days += 1;
                    current = Some((day, open, close));
                }
            }
        }
        current.filter(|_| days == n).map(|(_, open, close)| (open, close))
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

mod index;
mod parse;
mod rules;

#[cfg(test)]
mod tests;
