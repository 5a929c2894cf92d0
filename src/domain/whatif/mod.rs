//! What-if replay of the ownership map: a period's requests as they were, and as they would
//! have been had some categories been owned by other teams. Pure: the caller reads the
//! requests (`Replayed` record per request) and the teams' calendars and targets.
//!
//! The model (docs/metrics.md, "What-if replay"):
//! - A request whose category no move touches keeps what happened to it.
//! - A request of a moved category that ended with the receiving team anyway keeps that team's
//!   own durations (from when it received it): the hand-overs the old map caused disappear.
//! - Any other request of a moved category takes the receiving team's observed duration at the
//!   same quantile: its rank among the durations of the team that actually held it at the end
//!   (that team's holds of that category in the period), read off the receiving team's
//!   durations for the category, or its durations of every category when it decided fewer
//!   than `MIN_CLOCKS` clocks of that category. Requests never answered (or never resolved)
//!   rank slower than every answered one, on both sides. The business minutes are counted on
//!   the receiving team's calendar from the filing, and judged against its target for the
//!   request's priority. A moved request goes straight to its new team: no hand-overs.
//! - It does not model a team's capacity filling up with the work it receives.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, TimeDelta, Utc};

use super::Priority;
use super::calendar::ALWAYS;
use super::sla::SlaConfig;

mod quantile;
pub use quantile::{at_share, rank};

/// A receiving team's durations of a category are used when it decided at least this many
/// clocks of it in the period; otherwise its durations of every category.
pub const MIN_CLOCKS: usize = 20;

/// One clock of a request, as the requester saw it (from filing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Clock {
    /// Business minutes on the owning team's calendar until the clock's event; None: not yet.
    pub business: Option<i64>,
    /// Wall-clock minutes likewise.
    pub wall: Option<i64>,
    /// Met (Some(true)), breached (Some(false)), or not decided / no target (None).
    pub met: Option<bool>,
}

/// A team's hold of a request: its own durations from receiving it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub team: String,
    pub first_response: Option<i64>,
    pub resolution: Option<i64>,
    /// Whether the team passed the request on to another.
    pub passed_on: bool,
}

/// A request of the period: its category, priority, filing, the team that owns it now, its
/// clocks as the requester saw them, and each team's hold of it in order (one when a single
/// team held it all along).
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The request's id (the audit lists the slowest by it).
    pub id: String,
    /// Its title and description, when the proposal adds rules to match them against.
    pub text: Option<String>,
    pub category: String,
    pub priority: Priority,
    pub created_at: DateTime<Utc>,
    pub team: String,
    pub first_response: Clock,
    pub resolution: Clock,
    pub holds: Vec<Hold>,
}

impl Request {
    fn hand_overs(&self) -> usize {
        self.holds.iter().filter(|h| h.passed_on).count()
    }

    /// The hold of the team that owns it now.
    fn last_hold(&self) -> Option<&Hold> {
        self.holds.last()
    }
}

/// A move of the proposal: `category` owned by `team`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Move {
    pub category: String,
    pub team: String,
}

/// Which durations of the receiving team a moved category's requests take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// Its own durations of that category.
    Category,
    /// Its durations of every category: too few of that category.
    Overall,
    /// It has no durations at all: the requests keep what happened to them.
    None,
}

/// The receiving team's observed durations behind one clock of a move.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    pub basis: Basis,
    /// Clocks of that category the receiving team decided in the period.
    pub decided_of_category: usize,
    /// Of the durations used: how many, and their median and 90th percentile (None when it
    /// falls among the never-decided).
    pub sample: usize,
    pub median: Option<i64>,
    pub p90: Option<i64>,
}

/// A move's outcome: how many requests it moved, from which teams, on which durations.
#[derive(Debug, Clone, PartialEq)]
pub struct MoveResult {
    pub category: String,
    pub team: String,
    pub requests: usize,
    /// Requests that ended with the receiving team anyway (they lose only their hand-overs).
    pub already_there: usize,
    pub from_teams: Vec<String>,
    pub first_response: Observed,
    pub resolution: Observed,
}

/// The period's requests as they were and as they would have been: each request's clocks and
/// hand-overs, and its owning team, on both sides.
pub struct Replay {
    pub moves: Vec<MoveResult>,
    pub rules: Vec<RuleResult>,
    pub actual: Vec<Outcome>,
    pub replayed: Vec<Outcome>,
}

/// One request on one side of the replay.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub team: String,
    pub category: String,
    pub first_response: Clock,
    pub resolution: Clock,
    pub hand_overs: usize,
}

/// Sorted durations of one team: fastest first, the never-decided last.
#[derive(Debug, Default, Clone)]
struct Durations {
    first_response: Vec<Option<i64>>,
    resolution: Vec<Option<i64>>,
}

impl Durations {
    fn sort(&mut self) {
        for v in [&mut self.first_response, &mut self.resolution] {
            v.sort_by_key(|d| d.unwrap_or(i64::MAX));
        }
    }
}

/// The receiving team's durations for one clock of a move (of the category, or of every
/// category when it decided too few of it), with what they are.
fn basis<'d>(cell: &'d [Option<i64>], overall: &'d [Option<i64>]) -> (Observed, &'d [Option<i64>]) {
    let decided = cell.iter().filter(|d| d.is_some()).count();
    let (basis, sorted) = if decided >= MIN_CLOCKS {
        (Basis::Category, cell)
    } else if overall.iter().any(Option::is_some) {
        (Basis::Overall, overall)
    } else {
        (Basis::None, overall)
    };
    let observed = Observed {
        basis,
        decided_of_category: decided,
        sample: sorted.len(),
        median: at_share(sorted, 0.5),
        p90: at_share(sorted, 0.9),
    };
    (observed, sorted)
}

/// A rule the proposal adds: requests whose title or description matches `pattern` go to
/// `team`, before the map's categories are looked at (as routing rules do).
#[derive(Debug, Clone)]
pub struct AddedRule {
    pub pattern: regex::Regex,
    pub team: String,
}

/// An added rule's outcome: how many requests it would have sent, from which teams, of which
/// categories.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleResult {
    pub pattern: String,
    pub team: String,
    pub requests: usize,
    pub already_there: usize,
    pub from_teams: Vec<String>,
    pub categories: Vec<String>,
}

/// Where the proposal sends a request, and why.
#[derive(Clone, Copy)]
enum Sent<'a> {
    ByRule(usize, &'a str),
    ByMove(&'a str),
}

/// The receiving team's durations for one category, per clock: what they are, and sorted.
type Bases<'d> = (Observed, &'d [Option<i64>], Observed, &'d [Option<i64>]);

/// The receiving team's durations for `category`: of that category, or of every category.
fn bases_of<'d, 'k>(
    by_cell: &'d HashMap<(&'k str, &'k str), Durations>,
    by_team: &'d HashMap<&'k str, Durations>,
    empty: &'d Durations,
    team: &'k str,
    category: &'k str,
) -> Bases<'d> {
    let cell = by_cell.get(&(team, category)).unwrap_or(empty);
    let overall = by_team.get(team).unwrap_or(empty);
    let (fr, fr_sorted) = basis(&cell.first_response, &overall.first_response);
    let (res, res_sorted) = basis(&cell.resolution, &overall.resolution);
    (fr, fr_sorted, res, res_sorted)
}

/// Replays `requests` under `moves` (a later move of the same category wins) and `rules`
/// (the first that matches a request's text wins, before any move).
pub fn replay(requests: &[Request], moves: &[Move], rules: &[AddedRule], config: &SlaConfig) -> Replay {
    let moved: BTreeMap<&str, &str> = moves.iter().map(|m| (m.category.as_str(), m.team.as_str())).collect();
    // Each team's durations over the holds it kept to the end (a hold passed on has no
    // resolution of the team's own) and, for first responses, those it answered before
    // passing on, per category and overall.
    let mut by_cell: HashMap<(&str, &str), Durations> = HashMap::new();
    let mut by_team: HashMap<&str, Durations> = HashMap::new();
    for r in requests {
        for h in &r.holds {
            let answered_here = !h.passed_on || h.first_response.is_some();
            for d in [
                by_cell.entry((h.team.as_str(), r.category.as_str())).or_default(),
                by_team.entry(h.team.as_str()).or_default(),
            ] {
                if answered_here {
                    d.first_response.push(h.first_response);
                }
                if !h.passed_on {
                    d.resolution.push(h.resolution);
                }
            }
        }
    }
    by_cell.values_mut().chain(by_team.values_mut()).for_each(Durations::sort);
    let empty = Durations::default();
    let receiving = moved.values().copied().chain(rules.iter().map(|r| r.team.as_str()));
    let calendars: HashMap<&str, _> = receiving.map(|team| (team, config.business_calendar(team))).collect();
    let mut results: BTreeMap<&str, MoveResult> = BTreeMap::new();
    for (&category, &team) in &moved {
        let (fr, _, res, _) = bases_of(&by_cell, &by_team, &empty, team, category);
        let result = MoveResult {
            category: category.to_owned(),
            team: team.to_owned(),
            requests: 0,
            already_there: 0,
            from_teams: Vec::new(),
            first_response: fr,
            resolution: res,
        };
        results.insert(category, result);
    }
    let mut rule_results: Vec<RuleResult> = rules
        .iter()
        .map(|r| RuleResult {
            pattern: r.pattern.as_str().to_owned(),
            team: r.team.clone(),
            requests: 0,
            already_there: 0,
            from_teams: Vec::new(),
            categories: Vec::new(),
        })
        .collect();
    let mut bases: HashMap<(&str, &str), Bases<'_>> = HashMap::new();

    let mut actual = Vec::with_capacity(requests.len());
    let mut replayed = Vec::with_capacity(requests.len());
    for r in requests {
        let was = Outcome {
            team: r.team.clone(),
            category: r.category.clone(),
            first_response: r.first_response,
            resolution: r.resolution,
            hand_overs: r.hand_overs(),
        };
        let by_rule = r.text.as_deref().and_then(|text| {
            rules
                .iter()
                .enumerate()
                .find(|(_, rule)| rule.pattern.is_match(text))
                .map(|(i, rule)| Sent::ByRule(i, rule.team.as_str()))
        });
        let Some(sent) = by_rule.or_else(|| moved.get(r.category.as_str()).map(|to| Sent::ByMove(to))) else {
            replayed.push(was.clone());
            actual.push(was);
            continue;
        };
        let to = match sent {
            Sent::ByRule(_, to) | Sent::ByMove(to) => to,
        };
        // Count the request where it was sent from.
        let (requests_sent, already, from_teams) = match sent {
            Sent::ByRule(i, _) => {
                let result = &mut rule_results[i];
                if !result.categories.contains(&r.category) {
                    result.categories.push(r.category.clone());
                }
                (&mut result.requests, &mut result.already_there, &mut result.from_teams)
            }
            Sent::ByMove(_) => match results.get_mut(r.category.as_str()) {
                Some(result) => (&mut result.requests, &mut result.already_there, &mut result.from_teams),
                None => continue,
            },
        };
        *requests_sent += 1;
        if !from_teams.contains(&r.team) {
            from_teams.push(r.team.clone());
        }
        if r.team == to {
            *already += 1;
        }
        let (fr_basis, fr_sorted, _, res_sorted) = bases
            .entry((to, r.category.as_str()))
            .or_insert_with(|| bases_of(&by_cell, &by_team, &empty, to, &r.category));
        let nothing_to_replay_with = fr_basis.basis == Basis::None;
        let own = r.last_hold();
        let (fr, res) = if r.team == to {
            // It ended where the proposal sends it: the receiving team's own durations, from
            // its receipt, now from the filing.
            (own.and_then(|h| h.first_response), own.and_then(|h| h.resolution))
        } else if nothing_to_replay_with {
            (r.first_response.business, r.resolution.business)
        } else {
            // The same quantile of the receiving team's durations as this request's among
            // those of the team that held it at the end.
            let cell = by_cell.get(&(r.team.as_str(), r.category.as_str())).unwrap_or(&empty);
            let fr_q = rank(&cell.first_response, own.and_then(|h| h.first_response));
            let res_q = rank(&cell.resolution, own.and_then(|h| h.resolution));
            (at_share(fr_sorted, fr_q), at_share(res_sorted, res_q))
        };
        // Nothing changes for a request that went straight to the receiving team, nor for one
        // the receiving team has no durations to replay with.
        let kept = if r.team == to { r.hand_overs() == 0 } else { nothing_to_replay_with };
        let now = if kept {
            was.clone()
        } else {
            let calendar = &calendars[to];
            let policy = config
                .policy(to, r.priority)
                .map(|p| (p.first_response_minutes, p.resolution_minutes, p.calendar != ALWAYS));
            let clock = |business: Option<i64>, target: Option<(i64, bool)>| {
                let wall = business.and_then(|b| {
                    let end = calendar.add(r.created_at, TimeDelta::minutes(b))?;
                    Some((end - r.created_at).num_minutes())
                });
                let met = match (target, business, wall) {
                    (Some((minutes, true)), Some(b), _) => Some(b <= minutes),
                    (Some((minutes, false)), _, Some(w)) => Some(w <= minutes),
                    _ => None,
                };
                Clock { business, wall, met }
            };
            Outcome {
                team: to.to_owned(),
                category: r.category.clone(),
                first_response: clock(fr, policy.map(|(f, _, business)| (f, business))),
                resolution: clock(res, policy.map(|(_, s, business)| (s, business))),
                hand_overs: 0,
            }
        };
        actual.push(was);
        replayed.push(now);
    }
    for result in results.values_mut() {
        result.from_teams.sort();
    }
    for result in &mut rule_results {
        result.from_teams.sort();
        result.categories.sort();
    }
    Replay { moves: results.into_values().collect(), rules: rule_results, actual, replayed }
}
