//! Settings as forms: rows to add, remove and reorder, each field with its problem beside it.
//!
//! A form posts every field of every row, named `{group}.{row}.{field}` (`rules.2.team`), and
//! one `op`: `save`, or an edit that comes back with the form changed and nothing saved
//! (`add:rules`, `remove:rules:2`, `up:rules:2`, `down:rules:2`). So rows are added, removed and
//! reordered without JavaScript, and the edits are kept until saved. Problems come from the
//! same checks the API runs, named by the document's paths (`rules[2].team`), and are shown
//! beside the field they name.

use std::collections::BTreeMap;

use crate::domain::FieldErrors;

/// One row's fields by name.
pub type Row = BTreeMap<String, String>;

/// A group of rows: its name in the form, where its rows sit in the document (the prefix of
/// problems' names: `rules` for `rules[2].team`, empty for a top-level list), its fields.
pub struct Group {
    pub name: &'static str,
    pub at: &'static str,
    pub fields: &'static [&'static str],
}

/// A row's number, however deeply a template passes it by reference.
pub trait RowNumber {
    fn n(&self) -> usize;
}

impl RowNumber for usize {
    fn n(&self) -> usize {
        *self
    }
}

impl<T: RowNumber + ?Sized> RowNumber for &T {
    fn n(&self) -> usize {
        (**self).n()
    }
}

/// What the admin asked for with the button they pressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Save,
    Add(String),
    Remove(String, usize),
    Up(String, usize),
    Down(String, usize),
}

impl Op {
    fn parse(op: &str) -> Self {
        let mut parts = op.split(':');
        let (verb, group) = (parts.next().unwrap_or(""), parts.next().unwrap_or("").to_owned());
        let row = parts.next().and_then(|r| r.parse().ok());
        match (verb, row) {
            ("add", _) => Self::Add(group),
            ("remove", Some(i)) => Self::Remove(group, i),
            ("up", Some(i)) => Self::Up(group, i),
            ("down", Some(i)) => Self::Down(group, i),
            _ => Self::Save,
        }
    }
}

/// A settings form as posted or as loaded: single fields, rows per group, problems.
#[derive(Default)]
pub struct Form {
    pub singles: Row,
    pub groups: BTreeMap<&'static str, Vec<Row>>,
    pub problems: FieldErrors,
    /// Edited here but not saved yet.
    pub unsaved: bool,
}

impl Form {
    /// Reads a posted form (`application/x-www-form-urlencoded`): the single fields named in
    /// `singles`, each group's rows in order of their number, and the button pressed.
    pub fn posted(body: &[u8], singles: &[&str], groups: &[Group]) -> (Self, Op) {
        let mut form = Self::default();
        let mut op = Op::Save;
        let mut rows: BTreeMap<(&'static str, usize), Row> = BTreeMap::new();
        for (name, value) in url::form_urlencoded::parse(body) {
            if name == "op" {
                op = Op::parse(&value);
            } else if singles.contains(&name.as_ref()) {
                form.singles.insert(name.into_owned(), value.into_owned());
            } else if let Some((group, rest)) = name.split_once('.')
                && let Some(g) = groups.iter().find(|g| g.name == group)
                && let Some((i, field)) = rest.split_once('.')
                && let Ok(i) = i.parse::<usize>()
                && g.fields.contains(&field)
            {
                rows.entry((g.name, i)).or_default().insert(field.to_owned(), value.into_owned());
            }
        }
        for g in groups {
            form.groups.insert(g.name, Vec::new());
        }
        for ((group, _), row) in rows {
            form.groups.entry(group).or_default().push(row);
        }
        (form, op)
    }

    /// Applies an edit (not a save) to the rows; the form is then unsaved.
    pub fn edit(&mut self, op: &Op) {
        self.unsaved = *op != Op::Save;
        let (Op::Add(g) | Op::Remove(g, _) | Op::Up(g, _) | Op::Down(g, _)) = op else { return };
        let Some(rows) = self.groups.iter_mut().find(|(name, _)| **name == g.as_str()).map(|(_, rows)| rows) else {
            return;
        };
        match *op {
            Op::Add(_) => rows.push(Row::new()),
            Op::Remove(_, i) if i < rows.len() => {
                rows.remove(i);
            }
            Op::Up(_, i) if i > 0 && i < rows.len() => rows.swap(i - 1, i),
            Op::Down(_, i) if i + 1 < rows.len() => rows.swap(i, i + 1),
            _ => {}
        }
    }

    /// Drops rows left wholly empty (an added row never filled in), before saving.
    pub fn drop_empty_rows(&mut self) {
        for rows in self.groups.values_mut() {
            rows.retain(|r| r.values().any(|v| !v.trim().is_empty()));
        }
    }

    pub fn rows(&self, group: &str) -> &[Row] {
        self.groups.get(group).map_or(&[], Vec::as_slice)
    }

    pub fn single(&self, name: &str) -> &str {
        self.singles.get(name).map_or("", String::as_str)
    }

    /// A row's field, trimmed of nothing: what the admin typed.
    pub fn value<'a>(&self, row: &'a Row, field: &str) -> &'a str {
        row.get(field).map_or("", String::as_str)
    }

    /// The id of a row's field on the page: `rules-2-team`, `calendars-0-hours-mon`.
    pub fn id(&self, group: &Group, row: impl RowNumber, field: &str) -> String {
        format!("{}-{}-{}", group.name, row.n(), field.replace('.', "-"))
    }

    /// The row's number as people count: from 1.
    pub fn ordinal(&self, row: impl RowNumber) -> usize {
        row.n() + 1
    }

    pub fn is_first(&self, row: impl RowNumber) -> bool {
        row.n() == 0
    }

    pub fn is_last(&self, group: &Group, row: impl RowNumber) -> bool {
        row.n() + 1 >= self.rows(group.name).len()
    }

    /// The problem with a row's field: named exactly, or inside it (`hours.mon[1]` for the
    /// field `hours.mon`).
    pub fn problem(&self, group: &Group, row: impl RowNumber, field: &str) -> Option<&str> {
        let name = format!("{}[{}].{field}", group.at, row.n());
        self.problems
            .0
            .iter()
            .find(|(k, _)| **k == name || k.strip_prefix(&name).is_some_and(|rest| rest.starts_with('[')))
            .map(|(_, v)| v.as_str())
    }

    /// A problem with a whole row (`rules[2]`: "needs words, a regex or a page_url pattern").
    pub fn row_problem(&self, group: &Group, row: impl RowNumber) -> Option<&str> {
        self.problems.get(&format!("{}[{}]", group.at, row.n()))
    }

    /// Problems no field shows: the document's own (`teams`: "at least one team is required").
    pub fn general(&self, groups: &[Group]) -> Vec<(&str, &str)> {
        let in_a_row = |k: &str| {
            groups.iter().any(|g| k.strip_prefix(g.at).is_some_and(|rest| rest.starts_with('[') && rest.contains(']')))
        };
        let shown = |k: &str| in_a_row(k) || self.singles.contains_key(k);
        self.problems.0.iter().filter(|(k, _)| !shown(k)).map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }
}

/// A comma-separated list as its trimmed, non-empty items.
pub fn list(text: &str) -> Vec<String> {
    text.split([',', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Text as an optional value: none when blank.
pub fn optional(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// A duration as people write it: "4 h", "1 h 30 m", "90 m", "1h30", or minutes alone ("90").
pub fn minutes(text: &str) -> Result<i64, String> {
    let bad = || format!("'{}' is not a duration: write it as 4 h, 1 h 30 m or 90 m", text.trim());
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err("is required".into());
    }
    let (hours, rest) = match compact.split_once('h') {
        Some((h, rest)) => (h.parse::<u32>().map_err(|_| bad())?, rest),
        None => (0, compact.as_str()),
    };
    let rest = rest.strip_suffix('m').unwrap_or(rest);
    let mins = if rest.is_empty() { 0 } else { rest.parse::<u32>().map_err(|_| bad())? };
    Ok(i64::from(hours) * 60 + i64::from(mins))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: Group = Group { name: "rules", at: "rules", fields: &["name", "team"] };

    #[test]
    fn a_posted_form_reads_rows_in_order_and_the_button_pressed() {
        let body = b"csrf=x&fallback_team=other&rules.1.name=b&rules.0.name=a&rules.0.team=it&rules.1.team=marketing\
                     &rules.0.evil=1&other.0.name=z&op=up%3Arules%3A1";
        let (mut form, op) = Form::posted(body, &["fallback_team"], &[RULES]);
        assert_eq!(op, Op::Up("rules".into(), 1));
        assert_eq!(form.single("fallback_team"), "other");
        let names = |f: &Form| f.rows("rules").iter().map(|r| r["name"].clone()).collect::<Vec<_>>();
        assert_eq!(names(&form), ["a", "b"]);
        assert!(!form.rows("rules")[0].contains_key("evil"), "only the group's fields");
        form.edit(&op);
        assert_eq!(names(&form), ["b", "a"]);
        assert!(form.unsaved);
        form.edit(&Op::Add("rules".into()));
        form.edit(&Op::Remove("rules".into(), 0));
        assert_eq!(form.rows("rules").len(), 2);
        form.drop_empty_rows();
        assert_eq!(names(&form), ["a"]);
        form.edit(&Op::Down("rules".into(), 0));
        form.edit(&Op::Up("rules".into(), 0));
        form.edit(&Op::Remove("rules".into(), 9));
        assert_eq!(names(&form), ["a"], "moves past either end and unknown rows change nothing");
    }

    #[test]
    fn problems_show_beside_their_field_or_above_the_form() {
        let mut form = Form::default();
        form.problems.add("rules[1].team", "unknown team 'x'");
        form.problems.add("calendars[0].hours.mon[1]", "overlaps");
        form.problems.add("rules[2]", "needs words");
        form.problems.add("fallback_team", "unknown team");
        const CALENDARS: Group = Group { name: "calendars", at: "calendars", fields: &["hours.mon"] };
        let calendars = CALENDARS;
        assert_eq!(form.problem(&RULES, 1, "team"), Some("unknown team 'x'"));
        assert_eq!(form.problem(&RULES, 0, "team"), None);
        assert_eq!(form.problem(&calendars, 0, "hours.mon"), Some("overlaps"));
        assert_eq!(form.row_problem(&RULES, 2), Some("needs words"));
        form.problems.add("rules", "at least one");
        assert_eq!(form.general(&[RULES, CALENDARS]), [("fallback_team", "unknown team"), ("rules", "at least one")]);
        form.singles.insert("fallback_team".into(), "x".into());
        assert_eq!(form.general(&[RULES, CALENDARS]), [("rules", "at least one")], "shown beside the single field");
    }

    #[test]
    fn durations_read_as_people_write_them() {
        for (text, m) in [("4 h", 240), ("1 h 30 m", 90), ("90 m", 90), ("1h30", 90), ("45", 45), ("8 h 00 m", 480)] {
            assert_eq!(minutes(text), Ok(m), "{text}");
        }
        for bad in ["", "soon", "4 d", "h", "-5", "1 h -5"] {
            assert!(minutes(bad).is_err(), "{bad}");
        }
        assert_eq!(list(" a, b ,,c\nd "), ["a", "b", "c", "d"]);
    }
}
