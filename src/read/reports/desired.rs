//! Desired-date attainment: were requests delivered by the date their requester asked for?

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

/// Desired-date attainment (docs/metrics.md): of the requests whose requester asked for them by
/// a date in the period, how many were resolved by the end of that day (in the organisation's
/// time zone), how many were not (resolved later, or still open after it), and how many are
/// open with the day still to come. Rejected and withdrawn requests are left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct DesiredDates {
    pub met: usize,
    pub missed: usize,
    pub pending: usize,
    /// met ÷ (met + missed); null when none was decided.
    pub attainment: Option<f64>,
}

impl DesiredDates {
    pub(super) fn add(&mut self, outcome: Wanted) {
        match outcome {
            Wanted::Met => self.met += 1,
            Wanted::Missed => self.missed += 1,
            Wanted::Pending => self.pending += 1,
        }
        let decided = self.met + self.missed;
        self.attainment = (decided > 0).then(|| self.met as f64 / decided as f64);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Wanted {
    Met,
    Missed,
    Pending,
}

/// How a request wanted by `date` stands at `today` (both in the organisation's zone).
pub(super) fn wanted(date: NaiveDate, resolved_on: Option<NaiveDate>, today: NaiveDate) -> Wanted {
    match resolved_on {
        Some(day) if day <= date => Wanted::Met,
        Some(_) => Wanted::Missed,
        None if today > date => Wanted::Missed,
        None => Wanted::Pending,
    }
}
