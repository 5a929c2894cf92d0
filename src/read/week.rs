//! ISO weeks (`2026-W47`): parsed strictly, for the digest and its API.

use chrono::{Datelike, NaiveDate, TimeDelta, Weekday};

/// The first year a week may be asked of.
pub const FIRST_YEAR: i32 = 1970;

/// Why a text is not a week: not written as one, or a week 53 of a year that has 52.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WeekError {
    Malformed(String),
    NoSuchWeek(String),
}

impl std::fmt::Display for WeekError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Malformed(e) | Self::NoSuchWeek(e) => f.write_str(e),
        }
    }
}

/// An ISO week such as 2026-W47.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IsoWeek {
    pub monday: NaiveDate,
}

impl IsoWeek {
    /// `YYYY-Www` (as the API document's pattern says), a week that exists, of a year from
    /// `FIRST_YEAR` to 9999: the weeks before and after it, which a digest reads, stay
    /// ordinary dates.
    pub fn parse(s: &str) -> Result<Self, WeekError> {
        let bad =
            || WeekError::Malformed(format!("is not an ISO week from {FIRST_YEAR}-W01 to 9999-W52 such as 2026-W47"));
        let (year, week) = s.split_once("-W").ok_or_else(bad)?;
        let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(week, 2) {
            return Err(bad());
        }
        let (year, week): (i32, u32) = (year.parse().map_err(|_| bad())?, week.parse().map_err(|_| bad())?);
        if year < FIRST_YEAR || !(1..=53).contains(&week) {
            return Err(bad());
        }
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
            .map(|monday| Self { monday })
            .ok_or_else(|| WeekError::NoSuchWeek(format!("{year} has no week {week}")))
    }

    pub fn containing(day: NaiveDate) -> Self {
        Self { monday: day - TimeDelta::days(day.weekday().num_days_from_monday() as i64) }
    }

    pub fn previous(self) -> Self {
        Self { monday: self.monday - TimeDelta::days(7) }
    }

    pub fn sunday(self) -> NaiveDate {
        self.monday + TimeDelta::days(6)
    }
}

impl std::fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let w = self.monday.iso_week();
        write!(f, "{}-W{:02}", w.year(), w.week())
    }
}

#[cfg(test)]
mod tests {
    use super::IsoWeek;
    use proptest::prelude::*;

    #[test]
    fn weeks_parse_from_1970_to_9999_and_nothing_else() {
        assert_eq!(IsoWeek::parse("2026-W47").unwrap().to_string(), "2026-W47");
        assert_eq!(IsoWeek::parse("2025-W53"), Err(super::WeekError::NoSuchWeek("2025 has no week 53".into())));
        assert_eq!(IsoWeek::parse("2026-W53").unwrap().to_string(), "2026-W53", "2026 has 53");
        assert_eq!(IsoWeek::parse("2020-W53").unwrap().to_string(), "2020-W53");
        for bad in ["262143-W01", "-2026-W01", "1969-W52", "2026-W1", "2026-W00", "+2026-W01", " 2026-W01", "2026W01"] {
            assert!(IsoWeek::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn any_text_parses_to_a_week_whose_neighbours_are_dates_or_to_an_error(s in "\\PC{0,12}|[0-9+-]{0,7}-W[0-9]{0,3}") {
            if let Ok(week) = IsoWeek::parse(&s) {
                let mut w = week;
                for _ in 0..5 {
                    w = w.previous();
                }
                prop_assert!(w.sunday() < week.sunday());
                prop_assert_eq!(IsoWeek::parse(&week.to_string()), Ok(week));
            }
        }
    }
}
