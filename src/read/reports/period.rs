//! The period a report covers: whole local days.

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use crate::domain::FieldErrors;
use crate::service::Error;

/// Whole days `from..=to`, local to `timezone`: any span, all time included (reports read
/// stored facts over an index, so their cost follows the requests in the span, not its length).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub timezone: Tz,
}

impl Period {
    pub fn new(from: NaiveDate, to: NaiveDate, timezone: Tz) -> Result<Self, Error> {
        let mut errors = FieldErrors::default();
        if to < from {
            errors.add("to", "must not be before from");
        }
        errors.finish(|| Self { from, to, timezone }).map_err(Error::Validation)
    }

    fn midnight(&self, day: NaiveDate) -> DateTime<Utc> {
        let local = day.and_hms_opt(0, 0, 0).unwrap_or_default();
        // Midnight may not exist on a DST day in some zones: take the first valid instant.
        (0..180)
            .find_map(|m| self.timezone.from_local_datetime(&(local + TimeDelta::minutes(m))).earliest())
            .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.midnight(self.from)
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.midnight(self.to.succ_opt().unwrap_or(self.to))
    }
}
