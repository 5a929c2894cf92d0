//! A proposal as the API, the CLI and the page write it: moves (`category:team`) and added
//! rules (`team:pattern`), checked against the configuration in force, each refusal naming
//! its field.

use crate::domain::FieldErrors;
use crate::domain::whatif::{AddedRule, Move};
use crate::service::Error;
use crate::service::in_force::InForce;

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
