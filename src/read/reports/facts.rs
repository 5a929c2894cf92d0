//! The report's view of the stored facts as the engine summed them (`db::report_groups`):
//! each group turned into what a team row or a category row counts, as of `now`.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::HandedOver;
use crate::db::{self, AnyConnection, ReportGroup, from_micros, parse_list};
use crate::domain::calendar::{ALWAYS, Calendar};
use crate::domain::metrics::Tally;
use crate::domain::sla::SlaConfig;
use crate::service::Error;

/// What one group of facts rows counts.
pub(super) struct Counted {
    pub(super) tally: Tally,
    /// Shares of the first-response target used by the decided clocks, in ten-thousandths.
    pub(super) shares: Vec<i64>,
    pub(super) handed_over: HandedOver,
    pub(super) clicks_without_answer: usize,
}

/// Share of a target of `target` minutes that `elapsed` used, in ten-thousandths, rounded
/// half up: the same integer arithmetic as the engine's for clocks that no longer run.
fn share(elapsed: TimeDelta, target: i64) -> i64 {
    (elapsed.num_seconds() * 20_000 + target * 60) / (target * 120)
}

fn list(column: &Option<String>) -> Result<Vec<i64>, Error> {
    parse_list(column.as_deref()).map_err(|e| Error::Internal(anyhow::anyhow!(e)))
}

fn minutes(column: &Option<String>) -> Result<Vec<i32>, Error> {
    Ok(list(column)?.into_iter().map(|m| i32::try_from(m).unwrap_or(i32::MAX)).collect())
}

fn count(n: i64) -> usize {
    usize::try_from(n).unwrap_or_default()
}

/// A group's counts, durations and target shares; the shares of breached clocks still
/// running are counted up to `now` on the group's calendar.
pub(super) fn counted(
    calendars: &Calendars,
    names: &[String],
    g: &ReportGroup,
    now: DateTime<Utc>,
) -> Result<Counted, Error> {
    let mut tally = Tally::default();
    tally.add_group(
        count(g.n),
        count(g.first_responses),
        count(g.breaches),
        [
            (count(g.fr_met), count(g.fr_decided)),
            (count(g.res_met), count(g.res_decided)),
            (count(g.fa_met), count(g.fa_decided)),
        ],
        [
            (minutes(&g.fr_business_list)?, minutes(&g.fr_wall_list)?),
            (minutes(&g.res_business_list)?, minutes(&g.res_wall_list)?),
            (minutes(&g.fa_business_list)?, minutes(&g.fa_wall_list)?),
        ],
    );
    let mut shares = list(&g.share_list)?;
    let running = db::parse_running(g.running_list.as_deref()).map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
    for [elapsed_ns, since, target, version, calendar] in running {
        let since = from_micros(since);
        let name = usize::try_from(calendar).ok().and_then(|i| names.get(i)).map_or("", String::as_str);
        let version = i32::try_from(version).unwrap_or_default();
        let elapsed = TimeDelta::nanoseconds(elapsed_ns) + calendars.open_between(version, name, since, now.max(since));
        shares.push(share(elapsed, target));
    }
    Ok(Counted {
        tally,
        shares,
        handed_over: HandedOver {
            out: count(g.passed_on),
            received: count(g.received),
            minutes_before_out: g.minutes_before_out,
        },
        clicks_without_answer: count(g.clicks_without_answer),
    })
}

/// Every SLA version's calendars, by version and name: loaded once per report (versions are
/// few), each calendar built once.
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

    /// Every calendar name of every version, each once, in order.
    pub(super) fn names(&self) -> Vec<String> {
        let names: std::collections::BTreeSet<&String> = self.0.values().flat_map(|c| c.keys()).collect();
        names.into_iter().cloned().collect()
    }

    fn open_between(&self, version: i32, name: &str, a: DateTime<Utc>, b: DateTime<Utc>) -> TimeDelta {
        match self.0.get(&version).and_then(|c| c.get(name)) {
            Some(calendar) => calendar.open_between(a, b),
            None => Calendar::Always.open_between(a, b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_round_half_up_in_ten_thousandths() {
        let s = TimeDelta::seconds;
        // 45 of 60 minutes: 0.75.
        assert_eq!(share(s(45 * 60), 60), 7_500);
        // 1 second of a 240-minute target: 0.0000694..., rounds to 1.
        assert_eq!(share(s(1), 240), 1);
        // 12 seconds of 4,000 minutes: exactly half a ten-thousandth, half up to 1.
        assert_eq!(share(s(12), 4_000), 1);
        assert_eq!(share(s(11), 4_000), 0);
        // Breached twice over: 2.0.
        assert_eq!(share(s(2 * 30 * 60), 30), 20_000);
        // Sub-second time is not counted, as `num_seconds` truncates.
        assert_eq!(share(TimeDelta::milliseconds(999), 1), 0);
    }
}
