//! The what-if report as plain text: the CLI's default format.

use super::{Figures, WhatIf};

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
