//! The report's view of the stored facts (`db::request_facts`): each row turned into what a
//! team row (a hold) or a category row (a request) counts, as of `now`.

use chrono::{DateTime, TimeDelta, Utc};

use std::collections::HashMap;

use crate::db::{self, AnyConnection, ReportFactsRow, from_micros, micros};
use crate::domain::calendar::{ALWAYS, Calendar};
use crate::domain::metrics::{Facts, Outcome};
use crate::domain::sla::SlaConfig;
use crate::service::Error;

/// One team's hold, as its team row counts it.
pub(super) struct HoldRow {
    pub(super) facts: Facts,
    pub(super) passed_on: bool,
    pub(super) by_hand_over: bool,
    pub(super) held_business_minutes: i64,
    pub(super) click_without_answer: bool,
    /// Share of the team's first-response target used, for decided clocks.
    pub(super) target_share: Option<f64>,
}

/// How a stored clock stands at `now`: breached once its breach moment has passed, met once
/// stopped, else undecided; none without a policy.
fn outcome(target: Option<i32>, breached: Option<i64>, stopped: Option<i64>, now: i64) -> Outcome {
    match target {
        None => Outcome::None,
        Some(_) if breached.is_some_and(|b| b <= now) => Outcome::Breached,
        Some(_) if stopped.is_some() => Outcome::Met,
        Some(_) => Outcome::Undecided,
    }
}

/// What a category row (a request) or the durations of a team row (a hold) count.
pub(super) fn facts(r: &ReportFactsRow, now: DateTime<Utc>) -> Facts {
    let now = micros(now);
    Facts {
        created_at: from_micros(r.started_at),
        team: r.team_key.clone(),
        category: r.category.clone(),
        first_response: r.fr_business_minutes.zip(r.fr_wall_minutes),
        resolution: r.res_business_minutes.zip(r.res_wall_minutes),
        first_answer: r.fa_business_minutes.zip(r.fa_wall_minutes),
        first_response_outcome: outcome(r.fr_target, r.fr_breached_at, r.fr_stopped_at, now),
        resolution_outcome: outcome(r.res_target, r.res_breached_at, r.res_stopped_at, now),
        first_answer_outcome: outcome(r.fa_target, r.fa_breached_at, r.fa_stopped_at, now),
    }
}

/// Every SLA version's calendars, by version and name: loaded once per report (versions are
/// few), so rows can be counted while they are read, each calendar built once.
pub(super) struct Calendars(HashMap<i32, HashMap<String, Calendar>>);

impl Calendars {
    pub(super) fn load(conn: &mut AnyConnection) -> Result<Self, Error> {
        let named = |config: &SlaConfig| {
            let mut calendars: HashMap<String, Calendar> =
                config.calendars.iter().map(|c| (c.name.clone(), Calendar::Business(c.clone()))).collect();
            calendars.insert(ALWAYS.to_owned(), Calendar::Always);
            calendars
        };
        Ok(Self(db::all_sla_versions(conn)?.into_iter().map(|v| (v.version, named(&v.config))).collect()))
    }

    fn get(&self, version: i32, name: &str) -> Calendar {
        self.0.get(&version).and_then(|c| c.get(name)).cloned().unwrap_or(Calendar::Always)
    }

    fn open_between(&self, version: i32, name: &str, a: DateTime<Utc>, b: DateTime<Utc>) -> TimeDelta {
        match self.0.get(&version).and_then(|c| c.get(name)) {
            Some(calendar) => calendar.open_between(a, b),
            None => self.get(version, name).open_between(a, b),
        }
    }
}

/// A hold's row, with the share of its first-response target used when that clock is decided.
pub(super) fn hold(calendars: &Calendars, r: &ReportFactsRow, now: DateTime<Utc>) -> Result<HoldRow, Error> {
    let facts = facts(r, now);
    let decided = matches!(facts.first_response_outcome, Outcome::Met | Outcome::Breached);
    let target_share = match (decided, r.fr_target) {
        (true, Some(target)) => {
            let mut elapsed = TimeDelta::nanoseconds(r.fr_elapsed_ns.unwrap_or_default());
            if let (None, Some(since)) = (r.fr_stopped_at, r.fr_running_since) {
                // Breached and still running: counted up to now.
                let name = r.fr_calendar.as_deref().unwrap_or_default();
                elapsed += calendars.open_between(r.sla_version, name, from_micros(since), now.max(from_micros(since)));
            }
            Some(elapsed.num_seconds() as f64 / (i64::from(target) * 60) as f64)
        }
        _ => None,
    };
    Ok(HoldRow {
        passed_on: r.passed_on_at.is_some(),
        by_hand_over: r.seq > 1,
        held_business_minutes: r.held_business_minutes.unwrap_or_default(),
        click_without_answer: r.click_without_answer,
        target_share,
        facts,
    })
}
