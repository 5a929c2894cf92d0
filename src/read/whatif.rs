//! The what-if report: a period's requests as they were and as they would have been under a
//! proposed ownership map (`domain::whatif` has the model; docs/metrics.md says it in words),
//! per team, per category and per cell, side by side.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::reports::Period;
use crate::db::{self, AnyConnection};
use crate::domain::FieldErrors;
use crate::domain::whatif::{AddedRule, Basis, Clock, Move, Observed, Outcome, at_share, replay};
use crate::service::Error;
use crate::service::in_force::InForce;

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

/// More moves than categories any map has.
const MAX_MOVES: usize = 100;

/// Parses `category:team` or `category=team`, checked against the map and the teams in force.
pub fn parse_moves(raw: &[String], current: &InForce) -> Result<Vec<Move>, Error> {
    let mut errors = FieldErrors::default();
    let mut moves = Vec::new();
    for (i, m) in raw.iter().enumerate() {
        let field = format!("move[{i}]");
        let Some((category, team)) = m.split_once([':', '=']).map(|(c, t)| (c.trim(), t.trim())) else {
            errors.add(field, format!("must be category:team (got '{m}')"));
            continue;
        };
        if current.map.category(category).is_none() {
            errors.add(field, format!("unknown category '{category}'"));
        } else if !current.teams.iter().any(|t| t.key == team) {
            errors.add(field, format!("unknown team '{team}'"));
        } else {
            moves.push(Move { category: category.to_owned(), team: team.to_owned() });
        }
    }
    if raw.len() > MAX_MOVES {
        errors.add("move", format!("at most {MAX_MOVES} moves"));
    }
    errors.finish(|| moves).map_err(Error::Validation)
}

/// The longest pattern an added rule may have.
const MAX_PATTERN: usize = 200;

/// Parses `team:pattern` (or `team=pattern`): the team first, so the pattern may hold any
/// character. Checked against the teams in force; the pattern compiled case-insensitively,
/// bounded in size.
pub fn parse_rules(raw: &[String], current: &InForce) -> Result<Vec<AddedRule>, Error> {
    let mut errors = FieldErrors::default();
    let mut rules = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        let field = format!("rule[{i}]");
        let Some((team, pattern)) = r.split_once([':', '=']).map(|(t, p)| (t.trim(), p.trim())) else {
            errors.add(field, format!("must be team:pattern (got '{r}')"));
            continue;
        };
        if !current.teams.iter().any(|t| t.key == team) {
            errors.add(field, format!("unknown team '{team}'"));
        } else if pattern.is_empty() || pattern.chars().count() > MAX_PATTERN {
            errors.add(field, format!("the pattern must have 1 to {MAX_PATTERN} characters"));
        } else {
            match regex::RegexBuilder::new(pattern).case_insensitive(true).size_limit(1 << 20).build() {
                Ok(pattern) => rules.push(AddedRule { pattern, team: team.to_owned() }),
                Err(e) => errors.add(field, format!("not a valid pattern: {e}")),
            }
        }
    }
    if raw.len() > MAX_MOVES {
        errors.add("rule", format!("at most {MAX_MOVES} rules"));
    }
    errors.finish(|| rules).map_err(Error::Validation)
}

/// A proposal names at least one move or rule.
pub fn check_proposal(moves: &[Move], rules: &[AddedRule]) -> Result<(), Error> {
    if moves.is_empty() && rules.is_empty() {
        return Err(Error::validation("move", "name at least one move (category:team) or rule (team:pattern)"));
    }
    Ok(())
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

/// The report as a plain-text table (the CLI's default): each move and what it rests on, then
/// per team and per category the figures as they were and as they would have been.
pub fn to_text(w: &WhatIf) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let moves: Vec<String> = w
        .moves
        .iter()
        .map(|m| format!("{} to {}", m.category, m.team))
        .chain(w.rules.iter().map(|r| format!("/{}/ to {}", r.rule, r.team)))
        .collect();
    let _ = writeln!(out, "What if {}, {} to {} ({})", moves.join(", "), w.from, w.to, w.timezone);
    for m in &w.moves {
        let _ =
            writeln!(out, "- {}: {} requests (from {}). {}", m.category, m.requests, m.from_teams.join(", "), m.note);
    }
    for r in &w.rules {
        let (from, kinds) = (r.from_teams.join(", "), r.categories.join(", "));
        let _ = writeln!(out, "- rule /{}/ to {}: {} requests (from {from}; {kinds}).", r.rule, r.team, r.requests);
    }
    let minutes = |m: Option<i64>| m.map_or_else(|| "-".to_owned(), |m| format!("{}h{:02}", m / 60, m % 60));
    let share = |a: Option<f64>| a.map_or_else(|| "-".to_owned(), |a| format!("{:.0}%", a * 100.0));
    let header = format!(
        "{:<24} {:<9} {:>8} {:>10} {:>10} {:>6} {:>10} {:>10} {:>6} {:>10}",
        "", "", "requests", "FR median", "FR p90", "FR met", "res median", "res p90", "res met", "hand-overs"
    );
    let line = |out: &mut String, name: &str, side: &str, f: &Figures| {
        let _ = writeln!(
            out,
            "{:<24} {:<9} {:>8} {:>10} {:>10} {:>6} {:>10} {:>10} {:>6} {:>10}",
            name,
            side,
            f.requests,
            minutes(f.first_response.median_business_minutes),
            minutes(f.first_response.p90_business_minutes),
            share(f.first_response.attainment),
            minutes(f.resolution.median_business_minutes),
            minutes(f.resolution.p90_business_minutes),
            share(f.resolution.attainment),
            f.hand_overs
        );
    };
    let mut table = |title: &str, rows: Vec<(&str, &Figures, &Figures)>| {
        let _ = writeln!(out, "\n{title} (business time, h:mm)\n{header}");
        for (name, actual, replayed) in rows {
            line(&mut out, name, "was", actual);
            line(&mut out, "", "would be", replayed);
        }
    };
    table("Per team", w.teams.iter().map(|t| (t.key.team.as_str(), &t.actual, &t.replayed)).collect());
    table("Per category", w.categories.iter().map(|c| (c.key.category.as_str(), &c.actual, &c.replayed)).collect());
    table("All requests", vec![("all", &w.total.actual, &w.total.replayed)]);
    out
}
