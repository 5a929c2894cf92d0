//! The stored report facts (see `domain::facts`): one row per request and per hold, kept equal
//! to the derivation by every write (read and written by `facts_store.rs`).

use diesel::prelude::*;

use super::schema::request_facts;
use crate::domain::facts::{ClockFacts, Facts, Scope};
use chrono::{DateTime, Utc};

/// An instant as the facts table stores it: microseconds since 1970, UTC.
pub fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

/// One clock's columns, whichever clock: the conversions written once.
struct ClockColumns {
    target: Option<i32>,
    calendar: Option<String>,
    due_at: Option<i64>,
    at_risk_at: Option<i64>,
    breached_at: Option<i64>,
    stopped_at: Option<i64>,
    elapsed_ns: Option<i64>,
    running_since: Option<i64>,
    business_minutes: Option<i64>,
    wall_minutes: Option<i64>,
}

impl From<Option<&ClockFacts>> for ClockColumns {
    fn from(c: Option<&ClockFacts>) -> Self {
        Self {
            target: c.map(|c| c.target_minutes as i32),
            calendar: c.map(|c| c.calendar.clone()),
            due_at: c.and_then(|c| c.due_at).map(micros),
            at_risk_at: c.and_then(|c| c.at_risk_at).map(micros),
            breached_at: c.and_then(|c| c.breached_at).map(micros),
            stopped_at: c.and_then(|c| c.stopped_at).map(micros),
            elapsed_ns: c.and_then(|c| c.elapsed.num_nanoseconds()),
            running_since: c.and_then(|c| c.running_since).map(micros),
            business_minutes: c.and_then(|c| c.span).map(|s| s.0),
            wall_minutes: c.and_then(|c| c.span).map(|s| s.1),
        }
    }
}

impl ClockColumns {
    fn clock(self) -> Option<ClockFacts> {
        Some(ClockFacts {
            target_minutes: i64::from(self.target?),
            calendar: self.calendar.unwrap_or_default(),
            due_at: self.due_at.map(from_micros),
            at_risk_at: self.at_risk_at.map(from_micros),
            breached_at: self.breached_at.map(from_micros),
            stopped_at: self.stopped_at.map(from_micros),
            elapsed: chrono::TimeDelta::nanoseconds(self.elapsed_ns.unwrap_or_default()),
            running_since: self.running_since.map(from_micros),
            span: self.business_minutes.zip(self.wall_minutes),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Default, Queryable, Selectable, Insertable)]
#[diesel(table_name = request_facts, treat_none_as_default_value = false)]
pub struct FirstResponseColumns {
    #[diesel(column_name = fr_target)]
    pub target: Option<i32>,
    #[diesel(column_name = fr_calendar)]
    pub calendar: Option<String>,
    #[diesel(column_name = fr_due_at)]
    pub due_at: Option<i64>,
    #[diesel(column_name = fr_at_risk_at)]
    pub at_risk_at: Option<i64>,
    #[diesel(column_name = fr_breached_at)]
    pub breached_at: Option<i64>,
    #[diesel(column_name = fr_stopped_at)]
    pub stopped_at: Option<i64>,
    #[diesel(column_name = fr_elapsed_ns)]
    pub elapsed_ns: Option<i64>,
    #[diesel(column_name = fr_running_since)]
    pub running_since: Option<i64>,
    #[diesel(column_name = fr_business_minutes)]
    pub business_minutes: Option<i64>,
    #[diesel(column_name = fr_wall_minutes)]
    pub wall_minutes: Option<i64>,
}

impl From<Option<&ClockFacts>> for FirstResponseColumns {
    fn from(c: Option<&ClockFacts>) -> Self {
        let ClockColumns {
            target,
            calendar,
            due_at,
            at_risk_at,
            breached_at,
            stopped_at,
            elapsed_ns,
            running_since,
            business_minutes,
            wall_minutes,
        } = ClockColumns::from(c);
        Self {
            target,
            calendar,
            due_at,
            at_risk_at,
            breached_at,
            stopped_at,
            elapsed_ns,
            running_since,
            business_minutes,
            wall_minutes,
        }
    }
}

impl FirstResponseColumns {
    fn clock(&self) -> Option<ClockFacts> {
        ClockColumns {
            target: self.target,
            calendar: self.calendar.clone(),
            due_at: self.due_at,
            at_risk_at: self.at_risk_at,
            breached_at: self.breached_at,
            stopped_at: self.stopped_at,
            elapsed_ns: self.elapsed_ns,
            running_since: self.running_since,
            business_minutes: self.business_minutes,
            wall_minutes: self.wall_minutes,
        }
        .clock()
    }
}

#[derive(Debug, Clone, PartialEq, Default, Queryable, Selectable, Insertable)]
#[diesel(table_name = request_facts, treat_none_as_default_value = false)]
pub struct ResolutionColumns {
    #[diesel(column_name = res_target)]
    pub target: Option<i32>,
    #[diesel(column_name = res_calendar)]
    pub calendar: Option<String>,
    #[diesel(column_name = res_due_at)]
    pub due_at: Option<i64>,
    #[diesel(column_name = res_at_risk_at)]
    pub at_risk_at: Option<i64>,
    #[diesel(column_name = res_breached_at)]
    pub breached_at: Option<i64>,
    #[diesel(column_name = res_stopped_at)]
    pub stopped_at: Option<i64>,
    #[diesel(column_name = res_elapsed_ns)]
    pub elapsed_ns: Option<i64>,
    #[diesel(column_name = res_running_since)]
    pub running_since: Option<i64>,
    #[diesel(column_name = res_business_minutes)]
    pub business_minutes: Option<i64>,
    #[diesel(column_name = res_wall_minutes)]
    pub wall_minutes: Option<i64>,
}

impl From<Option<&ClockFacts>> for ResolutionColumns {
    fn from(c: Option<&ClockFacts>) -> Self {
        let ClockColumns {
            target,
            calendar,
            due_at,
            at_risk_at,
            breached_at,
            stopped_at,
            elapsed_ns,
            running_since,
            business_minutes,
            wall_minutes,
        } = ClockColumns::from(c);
        Self {
            target,
            calendar,
            due_at,
            at_risk_at,
            breached_at,
            stopped_at,
            elapsed_ns,
            running_since,
            business_minutes,
            wall_minutes,
        }
    }
}

impl ResolutionColumns {
    fn clock(&self) -> Option<ClockFacts> {
        ClockColumns {
            target: self.target,
            calendar: self.calendar.clone(),
            due_at: self.due_at,
            at_risk_at: self.at_risk_at,
            breached_at: self.breached_at,
            stopped_at: self.stopped_at,
            elapsed_ns: self.elapsed_ns,
            running_since: self.running_since,
            business_minutes: self.business_minutes,
            wall_minutes: self.wall_minutes,
        }
        .clock()
    }
}

#[derive(Debug, Clone, PartialEq, Default, Queryable, Selectable, Insertable)]
#[diesel(table_name = request_facts, treat_none_as_default_value = false)]
pub struct FirstAnswerColumns {
    #[diesel(column_name = fa_target)]
    pub target: Option<i32>,
    #[diesel(column_name = fa_calendar)]
    pub calendar: Option<String>,
    #[diesel(column_name = fa_due_at)]
    pub due_at: Option<i64>,
    #[diesel(column_name = fa_at_risk_at)]
    pub at_risk_at: Option<i64>,
    #[diesel(column_name = fa_breached_at)]
    pub breached_at: Option<i64>,
    #[diesel(column_name = fa_stopped_at)]
    pub stopped_at: Option<i64>,
    #[diesel(column_name = fa_elapsed_ns)]
    pub elapsed_ns: Option<i64>,
    #[diesel(column_name = fa_running_since)]
    pub running_since: Option<i64>,
    #[diesel(column_name = fa_business_minutes)]
    pub business_minutes: Option<i64>,
    #[diesel(column_name = fa_wall_minutes)]
    pub wall_minutes: Option<i64>,
}

impl From<Option<&ClockFacts>> for FirstAnswerColumns {
    fn from(c: Option<&ClockFacts>) -> Self {
        let ClockColumns {
            target,
            calendar,
            due_at,
            at_risk_at,
            breached_at,
            stopped_at,
            elapsed_ns,
            running_since,
            business_minutes,
            wall_minutes,
        } = ClockColumns::from(c);
        Self {
            target,
            calendar,
            due_at,
            at_risk_at,
            breached_at,
            stopped_at,
            elapsed_ns,
            running_since,
            business_minutes,
            wall_minutes,
        }
    }
}

impl FirstAnswerColumns {
    fn clock(&self) -> Option<ClockFacts> {
        ClockColumns {
            target: self.target,
            calendar: self.calendar.clone(),
            due_at: self.due_at,
            at_risk_at: self.at_risk_at,
            breached_at: self.breached_at,
            stopped_at: self.stopped_at,
            elapsed_ns: self.elapsed_ns,
            running_since: self.running_since,
            business_minutes: self.business_minutes,
            wall_minutes: self.wall_minutes,
        }
        .clock()
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = request_facts, treat_none_as_default_value = false)]
pub struct FactsRow {
    pub request_id: String,
    pub seq: i32,
    pub scope: String,
    pub team_key: String,
    pub category: String,
    pub sla_version: i32,
    pub started_at: i64,
    pub passed_on_at: Option<i64>,
    pub held_business_minutes: Option<i64>,
    pub click_without_answer: bool,
    pub fr_breach_team: Option<String>,
    pub res_breach_team: Option<String>,
    #[diesel(embed)]
    pub fr: FirstResponseColumns,
    #[diesel(embed)]
    pub res: ResolutionColumns,
    #[diesel(embed)]
    pub fa: FirstAnswerColumns,
}

impl FactsRow {
    pub fn new(request_id: &str, sla_version: i32, f: &Facts) -> Self {
        Self {
            request_id: request_id.to_owned(),
            seq: f.seq,
            scope: f.scope.as_str().to_owned(),
            team_key: f.team.clone(),
            category: f.category.clone(),
            sla_version,
            started_at: micros(f.started_at),
            passed_on_at: f.passed_on_at.map(micros),
            held_business_minutes: f.held_business_minutes,
            click_without_answer: f.click_without_answer,
            fr_breach_team: f.first_response_breach_team.clone(),
            res_breach_team: f.resolution_breach_team.clone(),
            fr: f.first_response.as_ref().into(),
            res: f.resolution.as_ref().into(),
            fa: f.first_answer.as_ref().into(),
        }
    }

    pub fn facts(&self) -> Facts {
        Facts {
            scope: Scope::parse(&self.scope),
            seq: self.seq,
            team: self.team_key.clone(),
            category: self.category.clone(),
            started_at: from_micros(self.started_at),
            passed_on_at: self.passed_on_at.map(from_micros),
            held_business_minutes: self.held_business_minutes,
            click_without_answer: self.click_without_answer,
            first_response: self.fr.clock(),
            resolution: self.res.clock(),
            first_answer: self.fa.clock(),
            first_response_breach_team: self.fr_breach_team.clone(),
            resolution_breach_team: self.res_breach_team.clone(),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = request_facts)]
pub struct RequestClocksRow {
    pub request_id: String,
    #[diesel(embed)]
    fr: FirstResponseColumns,
    #[diesel(embed)]
    res: ResolutionColumns,
}

impl RequestClocksRow {
    pub fn first_response(&self) -> Option<ClockFacts> {
        self.fr.clock()
    }

    pub fn resolution(&self) -> Option<ClockFacts> {
        self.res.clock()
    }
}

/// The team's first-response and resolution business minutes (None: not decided yet) over its
/// holds of `category` that started since `since` (microseconds): the request's own row where
/// one team held it all along, the team's hold otherwise. Reads `request_facts_by_cell` alone.
pub fn clock_minutes_since(
    conn: &mut super::AnyConnection,
    team: &str,
    category: &str,
    since: i64,
) -> QueryResult<Vec<(Option<i64>, Option<i64>)>> {
    use super::schema::request_facts as f;
    f::table
        .filter(f::scope.eq_any(["only", "hold"]))
        .filter(f::category.eq(category))
        .filter(f::team_key.eq(team))
        .filter(f::started_at.ge(since))
        .select((f::fr_business_minutes, f::res_business_minutes))
        .load(conn)
}
