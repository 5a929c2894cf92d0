//! The escalation ladder as pure rules: which levels of a request's clocks are due, who hears
//! of each level, and when its mail may be delivered. The SLA sweeper applies them; the
//! database only records what was done.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::Priority;
use super::calendar::Calendar;
use super::sla::{ClockKind, ClockPlan};

/// The people a team's ladder can reach.
#[derive(Debug, Clone, Default)]
pub struct Ladder<'a> {
    /// The assignee's address, if the request is assigned.
    pub assignee: Option<&'a str>,
    /// The owning team's shared address, if the team is known.
    pub team_address: Option<&'a str>,
    pub leads: &'a [String],
    /// From the team's SLA configuration.
    pub executives: &'a [String],
}

impl Ladder<'_> {
    /// Level 0 (at risk) goes to the assignee, else the team; level 1 (breached) to the team's
    /// leads, else the team; level 2 (twice the target) to its executives, else the leads. Each
    /// rung falls back to the one below rather than to nobody.
    pub fn recipients(&self, level: usize) -> Vec<String> {
        let team: Vec<String> = self.team_address.map(str::to_owned).into_iter().collect();
        let leads = if self.leads.is_empty() { team.clone() } else { self.leads.to_vec() };
        match level {
            0 => self.assignee.map_or(team, |a| vec![a.to_owned()]),
            1 => leads,
            _ if self.executives.is_empty() => leads,
            _ => self.executives.to_vec(),
        }
    }
}

/// When a level reached at `reached` may be mailed, judged at `now`: only P1 may wake people
/// up; the others wait for the team's next opening.
pub fn deliver_after(priority: Priority, reached: DateTime<Utc>, now: DateTime<Utc>, team: &Calendar) -> DateTime<Utc> {
    if priority == Priority::P1 { reached } else { team.next_open(reached.max(now)).unwrap_or(now) }
}

/// A level of one clock and the moment it was (or will be) reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    pub clock: ClockKind,
    /// 0 at risk, 1 breached, 2 breached twice.
    pub level: usize,
    pub reached: DateTime<Utc>,
}

/// Levels not yet recorded, reached by `until` (None: whenever), and not before
/// `escalate_from` (imported history: levels reached before the import are not news).
pub fn pending(
    plans: &BTreeMap<ClockKind, ClockPlan>,
    recorded: &[(ClockKind, usize)],
    escalate_from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Vec<Level> {
    plans
        .iter()
        .flat_map(|(clock, plan)| {
            plan.levels.iter().enumerate().filter_map(move |(level, reached)| {
                let reached = (*reached)?;
                let news = escalate_from.is_none_or(|from| reached >= from);
                let due = until.is_none_or(|until| reached <= until);
                let done = recorded.contains(&(*clock, level));
                (news && due && !done).then_some(Level { clock: *clock, level, reached })
            })
        })
        .collect()
}

/// When the sweeper must look at the request next: its earliest pending level.
pub fn next_check(
    plans: &BTreeMap<ClockKind, ClockPlan>,
    recorded: &[(ClockKind, usize)],
    escalate_from: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    pending(plans, recorded, escalate_from, None).into_iter().map(|l| l.reached).min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::{BusinessCalendar, WeekHours};
    use crate::domain::sla::{Policy, SlaConfig, TeamSla, Timeline, derive_all};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// Berlin, Mon-Fri 09:00-17:00.
    fn berlin() -> BusinessCalendar {
        let day = || vec!["09:00-17:00".to_owned()];
        BusinessCalendar {
            name: "it-hours".into(),
            timezone: "Europe/Berlin".parse().unwrap(),
            hours: WeekHours { mon: day(), tue: day(), wed: day(), thu: day(), fri: day(), ..Default::default() },
            holidays: vec![],
        }
    }

    fn config() -> SlaConfig {
        SlaConfig {
            calendars: vec![berlin()],
            teams: vec![TeamSla { team: "it".into(), calendar: "it-hours".into(), executives: vec![] }],
            policies: vec![Policy {
                team: "it".into(),
                priority: Priority::P3,
                calendar: "business".into(),
                first_response_minutes: 240,
                resolution_minutes: 2700,
                at_risk_share: 0.75,
            }],
            waiting_reasons: vec![],
        }
    }

    #[test]
    fn each_rung_reaches_its_people_and_falls_back_to_the_one_below() {
        let leads = vec!["lead@example.org".to_owned()];
        let execs = vec!["cio@example.org".to_owned()];
        let full = Ladder {
            assignee: Some("ann@example.org"),
            team_address: Some("it@example.org"),
            leads: &leads,
            executives: &execs,
        };
        assert_eq!(full.recipients(0), ["ann@example.org"]);
        assert_eq!(full.recipients(1), ["lead@example.org"]);
        assert_eq!(full.recipients(2), ["cio@example.org"]);
        let bare = Ladder { team_address: Some("it@example.org"), ..Ladder::default() };
        assert_eq!(bare.recipients(0), ["it@example.org"]);
        assert_eq!(bare.recipients(1), ["it@example.org"]);
        assert_eq!(bare.recipients(2), ["it@example.org"]);
        let leads_only = Ladder { team_address: Some("it@example.org"), leads: &leads, ..Ladder::default() };
        assert_eq!(leads_only.recipients(2), ["lead@example.org"]);
        assert!(Ladder::default().recipients(0).is_empty());
    }

    #[test]
    fn only_p1_is_delivered_out_of_hours() {
        let cal = Calendar::Business(berlin());
        // Saturday noon in Berlin.
        let reached = at("2026-03-07T11:00:00Z");
        assert_eq!(deliver_after(Priority::P1, reached, reached, &cal), reached);
        assert_eq!(deliver_after(Priority::P2, reached, reached, &cal), at("2026-03-09T08:00:00Z"));
        // Recorded late (after downtime): never delivered before now.
        let now = at("2026-03-09T10:00:00Z");
        assert_eq!(deliver_after(Priority::P3, reached, now, &cal), now);
    }

    #[test]
    fn pending_levels_skip_recorded_ones_future_ones_and_imported_history() {
        let config = config();
        let created = at("2026-03-02T08:00:00Z");
        let t = Timeline { created_at: created, priority: Priority::P3, team: "it".into(), changes: vec![] };
        let plans = derive_all(&t, &config);
        let all = pending(&plans, &[], None, None);
        assert_eq!(all.len(), 6, "three levels of two clocks");
        let first = all.iter().map(|l| l.reached).min().unwrap();
        assert_eq!(next_check(&plans, &[], None), Some(first));
        let fr_at_risk = all.iter().find(|l| l.clock == ClockKind::FirstResponse && l.level == 0).unwrap();
        assert_eq!(pending(&plans, &[], None, Some(fr_at_risk.reached)).len(), 1);
        let recorded = [(ClockKind::FirstResponse, 0)];
        assert!(!pending(&plans, &recorded, None, None).contains(fr_at_risk));
        let after_everything = all.iter().map(|l| l.reached).max().unwrap() + chrono::TimeDelta::minutes(1);
        assert!(pending(&plans, &[], Some(after_everything), None).is_empty());
        assert_eq!(next_check(&plans, &[], Some(after_everything)), None);
    }
}
