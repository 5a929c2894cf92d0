//! The audit's tables, one function each (`super` puts them together): who owned what, the
//! figures by week, hand-overs and disputes, the slowest requests, the what-if of every
//! category, the definitions.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, Utc};

use super::Table;
use crate::db::{self, AnyConnection, from_db, to_db};
use crate::domain::event::Event;
use crate::domain::whatif::{Move, Outcome, Request, replay};
use crate::read::digest::{TrendPoint, TrendWeek};
use crate::read::reports::Period;
use crate::read::whatif::{Figures, figures_of};
use crate::service::Error;
use crate::service::in_force::InForce;

/// Resolved requests listed in `slowest.csv`, slowest first.
const SLOWEST: usize = 20;

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(String::new, |v| v.to_string())
}

fn share(v: Option<f64>) -> String {
    v.map_or_else(String::new, |v| format!("{v:.4}"))
}

/// The columns of a `Figures`, after the columns that say what it is.
const FIGURES: [&str; 13] = [
    "requests",
    "first_response_median_business_minutes",
    "first_response_p90_business_minutes",
    "first_response_met",
    "first_response_missed",
    "first_response_attainment",
    "resolution_median_business_minutes",
    "resolution_p90_business_minutes",
    "resolution_met",
    "resolution_missed",
    "resolution_attainment",
    "hand_overs",
    "undecided_first_responses",
];

fn figure_cells(f: &Figures) -> Vec<String> {
    vec![
        f.requests.to_string(),
        opt(f.first_response.median_business_minutes),
        opt(f.first_response.p90_business_minutes),
        f.first_response.met.to_string(),
        f.first_response.missed.to_string(),
        share(f.first_response.attainment),
        opt(f.resolution.median_business_minutes),
        opt(f.resolution.p90_business_minutes),
        f.resolution.met.to_string(),
        f.resolution.missed.to_string(),
        share(f.resolution.attainment),
        f.hand_overs.to_string(),
        f.first_response.undecided.to_string(),
    ]
}

fn header(first: &[&'static str]) -> Vec<&'static str> {
    first.iter().chain(FIGURES.iter()).copied().collect()
}

/// Each version of the ownership map in force during the period, category by category.
pub(super) fn ownership(conn: &mut AnyConnection, period: &Period) -> Result<Table, Error> {
    let mut table = Table::new(&["version", "in_force_from", "category", "name", "team"]);
    let versions = db::map_versions_until(conn, to_db(period.end()))?;
    // The one in force at the start, and every one stored during the period.
    let first = versions.iter().rposition(|(_, at, _)| *at <= to_db(period.start())).unwrap_or(0);
    for (version, at, map) in versions.iter().skip(first) {
        for c in &map.categories {
            let team = c.team.clone().unwrap_or_else(|| map.fallback_team.clone());
            let from = from_db(*at).max(period.start());
            table.rows.push(vec![version.to_string(), from.to_rfc3339(), c.key.clone(), c.name.clone(), team]);
        }
    }
    Ok(table)
}

/// Each team's figures per ISO week of filing (its requests as they ended up owned), and per
/// team, category and week; and the chart's trend.
pub(super) fn by_week(requests: &[Request], actual: &[Outcome], period: &Period) -> (Table, Table, Vec<TrendWeek>) {
    let week = |r: &Request| {
        let d = r.created_at.with_timezone(&period.timezone).date_naive().iso_week();
        format!("{}-W{:02}", d.year(), d.week())
    };
    let mut teams: BTreeMap<(String, &str), Vec<&Outcome>> = BTreeMap::new();
    let mut cells: BTreeMap<(String, &str, &str), Vec<&Outcome>> = BTreeMap::new();
    for (r, o) in requests.iter().zip(actual) {
        let w = week(r);
        teams.entry((w.clone(), o.team.as_str())).or_default().push(o);
        cells.entry((w, o.team.as_str(), o.category.as_str())).or_default().push(o);
    }
    let mut team_table = Table { header: header(&["week", "team"]), rows: Vec::new() };
    let mut trend: Vec<TrendWeek> = Vec::new();
    for ((w, team), outcomes) in &teams {
        let f = figures_of(outcomes.iter().copied());
        let point = TrendPoint {
            team: (*team).to_owned(),
            requests: f.requests,
            median_first_response_business_minutes: f.first_response.median_business_minutes,
            first_response_attainment: f.first_response.attainment,
        };
        match trend.last_mut() {
            Some(last) if last.week == *w => last.teams.push(point),
            _ => trend.push(TrendWeek { week: w.clone(), teams: vec![point] }),
        }
        let mut row = vec![w.clone(), (*team).to_owned()];
        row.extend(figure_cells(&f));
        team_table.rows.push(row);
    }
    let mut cell_table = Table { header: header(&["week", "team", "category"]), rows: Vec::new() };
    for ((w, team, category), outcomes) in &cells {
        let mut row = vec![w.clone(), (*team).to_owned(), (*category).to_owned()];
        row.extend(figure_cells(&figures_of(outcomes.iter().copied())));
        cell_table.rows.push(row);
    }
    (team_table, cell_table, trend)
}

/// Every hand-over in the period, oldest first; `back_to_earlier_holder` when it returned the
/// request to a team that had held it before: the teams disputed whose it was.
pub(super) fn handovers(conn: &mut AnyConnection, period: &Period, as_of: DateTime<Utc>) -> Result<Table, Error> {
    let mut table = Table::new(&[
        "at",
        "request",
        "category",
        "from_team",
        "to_team",
        "routing_correction",
        "back_to_earlier_holder",
        "reason",
    ]);
    let mut events = db::reassignments_between(conn, to_db(period.start()), to_db(as_of))?;
    events.sort_by_key(|(e, _)| (e.at, e.id));
    let ids: Vec<&str> =
        events.iter().map(|(e, _)| e.request_id.as_str()).collect::<HashSet<_>>().into_iter().collect();
    let keys: HashMap<String, String> = db::requests_by_ids(conn, &ids)?
        .into_iter()
        .map(|r| (r.id, crate::domain::request::request_key(r.number)))
        .collect();
    let mut held: HashMap<&str, HashSet<&str>> = HashMap::new();
    for (e, category) in &events {
        let Event::Reassigned { from, to, reason, routing_correction } = &e.event else { continue };
        let seen = held.entry(e.request_id.as_str()).or_default();
        seen.insert(from.as_str());
        let back = seen.contains(to.as_str());
        seen.insert(to.as_str());
        table.rows.push(vec![
            from_db(e.at).to_rfc3339(),
            keys.get(&e.request_id).cloned().unwrap_or_default(),
            category.clone(),
            from.clone(),
            to.clone(),
            routing_correction.to_string(),
            back.to_string(),
            reason.clone(),
        ]);
    }
    Ok(table)
}

/// The slowest resolved requests of the period, one row per stretch of their ledger.
pub(super) fn slowest(conn: &mut AnyConnection, requests: &[Request]) -> Result<Table, Error> {
    let mut table = Table::new(&[
        "request",
        "title",
        "category",
        "team",
        "priority",
        "filed_at",
        "resolution_business_minutes",
        "stretch",
        "holder",
        "stretch_team",
        "waiting_on",
        "stretch_from",
        "stretch_to",
        "stretch_business_minutes",
    ]);
    let mut resolved: Vec<&Request> = requests.iter().filter(|r| r.resolution.business.is_some()).collect();
    resolved.sort_by(|a, b| (b.resolution.business, &a.id).cmp(&(a.resolution.business, &b.id)));
    resolved.truncate(SLOWEST);
    let ids: Vec<&str> = resolved.iter().map(|r| r.id.as_str()).collect();
    let rows: HashMap<String, db::RequestRow> =
        db::requests_by_ids(conn, &ids)?.into_iter().map(|r| (r.id.clone(), r)).collect();
    let mut stretches: HashMap<String, Vec<db::StretchRow>> = HashMap::new();
    for s in db::ledgers_of_many(conn, &ids)? {
        stretches.entry(s.request_id.clone()).or_default().push(s);
    }
    for r in resolved {
        let Some(row) = rows.get(&r.id) else { continue };
        let mut ledger = stretches.remove(&r.id).unwrap_or_default();
        ledger.sort_by_key(|s| s.seq);
        for s in ledger {
            table.rows.push(vec![
                crate::domain::request::request_key(row.number),
                row.title.clone(),
                r.category.clone(),
                r.team.clone(),
                row.priority.clone(),
                r.created_at.to_rfc3339(),
                opt(r.resolution.business),
                s.seq.to_string(),
                s.holder.clone(),
                s.team_key.clone(),
                s.waiting_on.clone().unwrap_or_default(),
                from_db(s.started_at).to_rfc3339(),
                s.ended_at.map(|t| from_db(t).to_rfc3339()).unwrap_or_default(),
                opt(s.business_minutes),
            ]);
        }
    }
    Ok(table)
}

/// Each category of the period replayed with each other team that has targets: the category's
/// figures as they were and as they would have been, the moves that would have answered it
/// faster first.
pub(super) fn whatif(requests: &[Request], actual: &[Outcome], current: &InForce) -> Table {
    let mut table = Table::new(&[
        "category",
        "from_teams",
        "to_team",
        "basis",
        "requests",
        "first_response_median_was",
        "first_response_median_would_be",
        "first_response_attainment_was",
        "first_response_attainment_would_be",
        "resolution_median_was",
        "resolution_median_would_be",
        "hand_overs_was",
        "hand_overs_would_be",
    ]);
    let mut categories: Vec<&str> = requests.iter().map(|r| r.category.as_str()).collect();
    categories.sort_unstable();
    categories.dedup();
    let mut teams: Vec<&str> = current.sla.policies.iter().map(|p| p.team.as_str()).collect();
    teams.sort_unstable();
    teams.dedup();
    let mut rows: Vec<(i64, Vec<String>)> = Vec::new();
    for category in categories {
        let was = figures_of(actual.iter().filter(|o| o.category == category));
        let owners: Vec<&str> = {
            let mut o: Vec<&str> = actual.iter().filter(|o| o.category == category).map(|o| o.team.as_str()).collect();
            o.sort_unstable();
            o.dedup();
            o
        };
        for &team in &teams {
            if owners == [team] {
                continue;
            }
            let moves = [Move { category: category.to_owned(), team: team.to_owned() }];
            let result = replay(requests, &moves, &[], &current.sla);
            let would = figures_of(result.replayed.iter().filter(|o| o.category == category));
            let basis = result.moves.first().map_or("none", |m| match m.first_response.basis {
                crate::domain::whatif::Basis::Category => "category",
                crate::domain::whatif::Basis::Overall => "overall",
                crate::domain::whatif::Basis::None => "none",
            });
            let gain = match (was.first_response.median_business_minutes, would.first_response.median_business_minutes)
            {
                (Some(a), Some(b)) => a - b,
                _ => i64::MIN,
            };
            rows.push((
                gain,
                vec![
                    category.to_owned(),
                    owners.join(" "),
                    team.to_owned(),
                    basis.to_owned(),
                    was.requests.to_string(),
                    opt(was.first_response.median_business_minutes),
                    opt(would.first_response.median_business_minutes),
                    share(was.first_response.attainment),
                    share(would.first_response.attainment),
                    opt(was.resolution.median_business_minutes),
                    opt(would.resolution.median_business_minutes),
                    was.hand_overs.to_string(),
                    would.hand_overs.to_string(),
                ],
            ));
        }
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    table.rows = rows.into_iter().map(|(_, row)| row).collect();
    table
}

pub(super) fn definitions() -> Table {
    let mut table = Table::new(&["term", "definition"]);
    for (term, definition) in [
        (
            "period",
            "Requests filed from the first day to the last (inclusive), whole days in the organisation's time zone; figures as of the end of the period.",
        ),
        (
            "business minutes",
            "Minutes inside the owning team's business hours (its calendar: time zone, hours, holidays), from filing.",
        ),
        ("first response", "The first status change or public answer by the owning team."),
        ("resolution", "The request moved to resolved."),
        (
            "median, p90",
            "Nearest rank: the value at rank ceil(q x n) of the sorted durations; requests not answered (or not resolved) yet rank after every other.",
        ),
        (
            "met, missed, attainment",
            "Met: the clock stopped before its target; missed: its breach moment has come; attainment = met / (met + missed).",
        ),
        (
            "hand-over",
            "A reassignment of the request from one team to another; back_to_earlier_holder marks one that returned it to a team that had held it (a dispute).",
        ),
        (
            "stretch",
            "A part of a request's life with one holder (team, requester, waiting, resolved), from the ledger.",
        ),
        (
            "what-if",
            "Each moved request takes the receiving team's observed duration at the same quantile (its figures over every category when it decided fewer than 20 of that category); no capacity model. docs/metrics.md#what-if-replay.",
        ),
        ("agreement", "The SLA version (calendars and targets) in force, and which team leads accepted it."),
    ] {
        table.rows.push(vec![term.to_owned(), definition.to_owned()]);
    }
    table
}
