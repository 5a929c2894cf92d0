//! The what-if report: a period's requests as they were and as they would have been under a
//! proposed ownership map (`domain::whatif` has the model; docs/metrics.md says it in words),
//! per team, per category and per cell, side by side.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::reports::Period;
use crate::db::{self, AnyConnection};
use crate::domain::whatif::{AddedRule, Basis, Clock, Move, Observed, Outcome, at_share, replay};
use crate::service::Error;
use crate::service::in_force::InForce;

mod proposal;
mod text;
pub use proposal::{check_proposal, parse_moves, parse_rules};
pub use text::to_text;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WhatIf {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub timezone: String,
    pub generated_at: DateTime<Utc>,
    pub moves: Vec<MoveView>,
    /// The rules the proposal adds, checked before the categories: what each would have sent.
    pub rules: Vec<RuleView>,
    /// Per owning team: the requests it owned as they were, and would own under the proposal.
    pub teams: Vec<Compared<TeamKey>>,
    pub categories: Vec<Compared<CategoryKey>>,
    /// Per owning team and category.
    pub cells: Vec<Compared<CellKey>>,
    /// Every request of the period.
    pub total: Compared<AllKey>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamKey {
    pub team: String,
}
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryKey {
    pub category: String,
}
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CellKey {
    pub team: String,
    pub category: String,
}
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AllKey {}

/// One row: what it is, its figures as they were and as they would have been.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Compared<K> {
    #[serde(flatten)]
    pub key: K,
    pub actual: Figures,
    pub replayed: Figures,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Figures {
    pub requests: usize,
    pub first_response: ClockFigures,
    pub resolution: ClockFigures,
    /// Hand-overs the requests went through before reaching their owner: routing misses.
    pub hand_overs: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct ClockFigures {
    /// Business minutes on the owning team's calendar from filing; requests not answered (not
    /// resolved) yet count as slower than every other, and a median among them is null.
    pub median_business_minutes: Option<i64>,
    pub p90_business_minutes: Option<i64>,
    pub median_wall_minutes: Option<i64>,
    /// Clocks that met their target, that breached it, and that are not decided yet.
    pub met: usize,
    pub missed: usize,
    pub undecided: usize,
    /// met ÷ (met + missed); null when none was decided.
    pub attainment: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MoveView {
    pub category: String,
    /// The team the proposal gives the category to.
    pub team: String,
    /// Requests of the category in the period.
    pub requests: usize,
    /// Of those, ended with that team anyway (only their hand-overs go).
    pub already_there: usize,
    /// The teams that owned them at the end.
    pub from_teams: Vec<String>,
    /// The receiving team's durations the moved requests take.
    pub first_response: ObservedView,
    pub resolution: ObservedView,
    /// What the figures rest on, in words.
    pub note: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleView {
    /// The pattern, matched case-insensitively against each request's title and description.
    pub rule: String,
    pub team: String,
    /// Requests of the period it matches (before any move of their category).
    pub requests: usize,
    pub already_there: usize,
    pub from_teams: Vec<String>,
    pub categories: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ObservedView {
    /// `category` (its own durations of that category), `overall` (of every category: it
    /// decided fewer than 20 clocks of that one) or `none` (no history: nothing replayed).
    pub basis: String,
    pub decided_of_category: usize,
    pub sample: usize,
    pub median_business_minutes: Option<i64>,
    pub p90_business_minutes: Option<i64>,
}

impl From<&Observed> for ObservedView {
    fn from(o: &Observed) -> Self {
        let basis = match o.basis {
            Basis::Category => "category",
            Basis::Overall => "overall",
            Basis::None => "none",
        };
        Self {
            basis: basis.into(),
            decided_of_category: o.decided_of_category,
            sample: o.sample,
            median_business_minutes: o.median,
            p90_business_minutes: o.p90,
        }
    }
}

/// Replays the period's requests under `moves`.
pub fn whatif(
    conn: &mut AnyConnection,
    current: &InForce,
    period: Period,
    moves: &[Move],
    rules: &[AddedRule],
    now: DateTime<Utc>,
) -> Result<WhatIf, Error> {
    let requests = db::whatif_requests(conn, period.start(), period.end().min(now), now, !rules.is_empty())?;
    let result = replay(&requests, moves, rules, &current.sla);
    let name = |key: &str| current.teams.iter().find(|t| t.key == key).map_or(key, |t| t.name.as_str()).to_owned();
    let moves = result
        .moves
        .iter()
        .map(|m| MoveView {
            category: m.category.clone(),
            team: m.team.clone(),
            requests: m.requests,
            already_there: m.already_there,
            from_teams: m.from_teams.clone(),
            first_response: (&m.first_response).into(),
            resolution: (&m.resolution).into(),
            note: note(&name(&m.team), &m.category, &m.first_response),
        })
        .collect();
    // Grouped by borrowed keys in a hash map, then sorted: a request's groups are found
    // without allocating or walking a tree of strings.
    let group = |key: fn(&Outcome) -> (&str, &str)| {
        let mut groups: HashMap<(&str, &str), (Tally, Tally)> = HashMap::new();
        for (was, now) in result.actual.iter().zip(&result.replayed) {
            groups.entry(key(was)).or_default().0.add(was);
            groups.entry(key(now)).or_default().1.add(now);
        }
        let mut groups: Vec<_> = groups.into_iter().collect();
        groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        groups
            .into_iter()
            .map(|((a, b), (was, now))| ((a.to_owned(), b.to_owned()), was.figures(), now.figures()))
            .collect::<Vec<_>>()
    };
    let teams = group(|o| (o.team.as_str(), ""))
        .into_iter()
        .map(|((team, _), actual, replayed)| Compared { key: TeamKey { team }, actual, replayed })
        .collect();
    let categories = group(|o| (o.category.as_str(), ""))
        .into_iter()
        .map(|((category, _), actual, replayed)| Compared { key: CategoryKey { category }, actual, replayed })
        .collect();
    let cells = group(|o| (o.team.as_str(), o.category.as_str()))
        .into_iter()
        .map(|((team, category), actual, replayed)| Compared { key: CellKey { team, category }, actual, replayed })
        .collect();
    let total = group(|_| ("", "")).into_iter().next().map_or_else(
        || Compared { key: AllKey {}, actual: Figures::default(), replayed: Figures::default() },
        |(_, actual, replayed)| Compared { key: AllKey {}, actual, replayed },
    );
    Ok(WhatIf {
        from: period.from,
        to: period.to,
        timezone: period.timezone.name().to_owned(),
        generated_at: now,
        moves,
        rules: result
            .rules
            .iter()
            .map(|r| RuleView {
                rule: r.pattern.clone(),
                team: r.team.clone(),
                requests: r.requests,
                already_there: r.already_there,
                from_teams: r.from_teams.clone(),
                categories: r.categories.clone(),
            })
            .collect(),
        teams,
        categories,
        cells,
        total,
    })
}

/// The figures of a group of outcomes (the audit's weeks and cells).
pub(crate) fn figures_of<'a>(outcomes: impl Iterator<Item = &'a Outcome>) -> Figures {
    let mut tally = Tally::default();
    outcomes.for_each(|o| tally.add(o));
    tally.figures()
}

/// What a move's figures rest on, said plainly.
fn note(team: &str, category: &str, o: &Observed) -> String {
    match o.basis {
        Basis::Category => format!(
            "{team} decided {} of {category} requests in the period: its own {category} figures are used.",
            first_responses(o.decided_of_category)
        ),
        Basis::Overall => format!(
            "{team} decided {} of {category} requests in the period, fewer than {}: its figures over every category are used.",
            first_responses(o.decided_of_category),
            crate::domain::whatif::MIN_CLOCKS
        ),
        Basis::None => format!("{team} has no history in the period: these requests are shown as they were."),
    }
}

fn first_responses(n: usize) -> String {
    if n == 1 { "1 first response".into() } else { format!("{n} first responses") }
}

/// The durations and outcomes of a group's requests.
#[derive(Default)]
struct Tally {
    requests: usize,
    hand_overs: usize,
    first_response: ClockTally,
    resolution: ClockTally,
}

#[derive(Default)]
struct ClockTally {
    business: Vec<Option<i64>>,
    wall: Vec<Option<i64>>,
    met: usize,
    missed: usize,
    undecided: usize,
}

impl ClockTally {
    fn add(&mut self, c: &Clock) {
        self.business.push(c.business);
        self.wall.push(c.wall);
        match c.met {
            Some(true) => self.met += 1,
            Some(false) => self.missed += 1,
            None => self.undecided += 1,
        }
    }

    fn figures(mut self) -> ClockFigures {
        for v in [&mut self.business, &mut self.wall] {
            v.sort_unstable_by_key(|d| d.unwrap_or(i64::MAX));
        }
        let decided = self.met + self.missed;
        ClockFigures {
            median_business_minutes: at_share(&self.business, 0.5),
            p90_business_minutes: at_share(&self.business, 0.9),
            median_wall_minutes: at_share(&self.wall, 0.5),
            met: self.met,
            missed: self.missed,
            undecided: self.undecided,
            attainment: (decided > 0).then(|| self.met as f64 / decided as f64),
        }
    }
}

impl Tally {
    fn add(&mut self, o: &Outcome) {
        self.requests += 1;
        self.hand_overs += o.hand_overs;
        self.first_response.add(&o.first_response);
        self.resolution.add(&o.resolution);
    }

    fn figures(self) -> Figures {
        Figures {
            requests: self.requests,
            first_response: self.first_response.figures(),
            resolution: self.resolution.figures(),
            hand_overs: self.hand_overs,
        }
    }
}
