//! An honest ETA: what actually happened to this kind of request with this team lately, said
//! next to the target when filing (the form's preview, the receipt mail). From the report facts
//! of the last 90 days (the team's own clocks over its holds, `request_facts_by_cell`): the
//! median and the 90th percentile of its first responses in business minutes, requests never
//! answered counting as slower than every answered one; the 90th percentile of its resolutions
//! likewise; and how many requests are open in its queue. Cached per team and category for ten
//! minutes, so a keystroke never computes it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::{self, AnyConnection};
use crate::service::Error;

/// How far back the figures look.
pub const DAYS: i64 = 90;
/// Fewer decided clocks than this say nothing.
const MIN_SAMPLES: usize = 5;
const KEEP: TimeDelta = TimeDelta::minutes(10);

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Eta {
    pub team: String,
    pub category: String,
    /// Requests of this kind the team held in the last 90 days.
    pub requests: usize,
    /// Of those, never answered yet (counted as the slowest).
    pub unanswered: usize,
    /// Half were answered within this many business minutes; null with too few requests, or
    /// when half were never answered.
    pub first_response_median_minutes: Option<i64>,
    /// Nine in ten within this many; null likewise.
    pub first_response_p90_minutes: Option<i64>,
    /// Half were resolved within this many business minutes; null likewise.
    pub resolution_median_minutes: Option<i64>,
    /// Nine in ten were resolved within this many business minutes; null likewise.
    pub resolution_p90_minutes: Option<i64>,
    /// Requests open in the team's queue now.
    pub ahead: i64,
}

impl Eta {
    /// The figures in words: "IT answered half of the Bug requests of the last 90 days within
    /// 4 business hours, nine in ten within 12 business hours. 3 requests are ahead of yours."
    pub fn in_words(&self, team: &str, category: &str) -> String {
        let within = |m: i64| crate::words::duration(&m, "business");
        let what = if self.requests < MIN_SAMPLES {
            format!("{team} has had too few {category} requests in the last {DAYS} days to say how long they take.")
        } else {
            match (self.first_response_median_minutes, self.first_response_p90_minutes) {
                (None, _) => {
                    format!("{team} has not answered half of the {category} requests of the last {DAYS} days.")
                }
                (Some(half), Some(most)) => format!(
                    "{team} answered half of the {category} requests of the last {DAYS} days within {}, nine in ten within {}.",
                    within(half),
                    within(most)
                ),
                (Some(half), None) => format!(
                    "{team} answered half of the {category} requests of the last {DAYS} days within {}; more than one in ten is not answered yet.",
                    within(half)
                ),
            }
        };
        let ahead = match self.ahead {
            0 => "None are ahead of yours in its queue.".to_owned(),
            1 => "1 request is ahead of yours in its queue.".to_owned(),
            n => format!("{n} requests are ahead of yours in its queue."),
        };
        format!("{what} {ahead}")
    }
}

/// The preview's `observed`: the same figures under the names the API contract gives them.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Observed {
    pub first_response: ObservedClock,
    pub resolution: ObservedClock,
    /// Requests of this kind the team held in the last 90 days.
    pub sample: usize,
    /// Requests open in the team's queue now.
    pub ahead_in_queue: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ObservedClock {
    pub median_business_minutes: Option<i64>,
    pub p90_business_minutes: Option<i64>,
}

impl From<&Eta> for Observed {
    fn from(e: &Eta) -> Self {
        Self {
            first_response: ObservedClock {
                median_business_minutes: e.first_response_median_minutes,
                p90_business_minutes: e.first_response_p90_minutes,
            },
            resolution: ObservedClock {
                median_business_minutes: e.resolution_median_minutes,
                p90_business_minutes: e.resolution_p90_minutes,
            },
            sample: e.requests,
            ahead_in_queue: e.ahead,
        }
    }
}

/// The value at share `q` of `values` sorted, None (never decided) last; None when it falls
/// among the undecided or there are too few values.
fn quantile(values: &mut [Option<i64>], q: f64) -> Option<i64> {
    if values.len() < MIN_SAMPLES {
        return None;
    }
    values.sort_by_key(|v| v.unwrap_or(i64::MAX));
    let at = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1;
    values[at]
}

/// The figures for `team` and `category` as of `now`, computed once per ten minutes.
#[derive(Debug, Default)]
pub struct EtaCache(Mutex<HashMap<TeamAndCategory, Held>>);

type TeamAndCategory = (String, String);
/// When the figures were computed, and the figures.
type Held = (DateTime<Utc>, Arc<Eta>);

impl EtaCache {
    pub fn get(
        &self,
        conn: &mut AnyConnection,
        team: &str,
        category: &str,
        now: DateTime<Utc>,
    ) -> Result<Arc<Eta>, Error> {
        let key = (team.to_owned(), category.to_owned());
        let held = self.0.lock().unwrap_or_else(|e| e.into_inner()).get(&key).cloned();
        if let Some((_, eta)) = held.filter(|(at, _)| now >= *at && now - *at < KEEP) {
            return Ok(eta);
        }
        let eta = Arc::new(compute(conn, team, category, now)?);
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(key, (now, eta.clone()));
        Ok(eta)
    }
}

fn compute(conn: &mut AnyConnection, team: &str, category: &str, now: DateTime<Utc>) -> Result<Eta, Error> {
    let since = now - TimeDelta::days(DAYS);
    let rows = db::clock_minutes_since(conn, team, category, since.timestamp_micros())?;
    let mut first: Vec<Option<i64>> = rows.iter().map(|(fr, _)| *fr).collect();
    let mut resolved: Vec<Option<i64>> = rows.iter().map(|(_, res)| *res).collect();
    Ok(Eta {
        team: team.to_owned(),
        category: category.to_owned(),
        requests: rows.len(),
        unanswered: first.iter().filter(|v| v.is_none()).count(),
        first_response_median_minutes: quantile(&mut first, 0.5),
        first_response_p90_minutes: quantile(&mut first, 0.9),
        resolution_median_minutes: quantile(&mut resolved, 0.5),
        resolution_p90_minutes: quantile(&mut resolved, 0.9),
        ahead: db::open_count(conn, team)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_never_answered_are_the_slowest() {
        let mut v = vec![Some(30), None, Some(10), Some(20), Some(40), None];
        assert_eq!(quantile(&mut v, 0.5), Some(30), "3rd of 6");
        assert_eq!(quantile(&mut v, 0.9), None, "6th of 6: never answered");
        let mut few = vec![Some(1), Some(2)];
        assert_eq!(quantile(&mut few, 0.5), None, "too few to say");
    }
}
