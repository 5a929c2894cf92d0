//! History import (`changedesk import FILE.csv`): past requests, so an organisation can measure
//! its gap before switching over. `validate` checks the whole file and reports every problem by
//! line; only a clean file reaches `import`, which writes it in one transaction with the events
//! and derived SLA columns the live workflow would have left. Everything is batched: no query
//! per row.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::io::Read;
use std::sync::Arc;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use uuid::{NoContext, Timestamp, Uuid};

use super::admin::looks_like_email;
use super::sla::columns;
use crate::db::per_backend;
use crate::db::schema::{counters, request_events, request_facts, request_stretches, requests, users};
use crate::db::{self, AnyConnection, EventRow, RequestRow, StretchRow, to_db, write_tx};
use crate::domain::event::{Event, Imported};
use crate::domain::request::parse_text;
use crate::domain::sla::{SlaConfig, Timeline, derive_all};
use crate::domain::{Priority, Role, Status};
use crate::domain::{facts, ledger};
use crate::service::Error;

/// The header's columns: all required, in any order, and no others.
pub const COLUMNS: [&str; 9] = [
    "title",
    "category",
    "team",
    "priority",
    "requester_email",
    "created_at",
    "first_response_at",
    "resolved_at",
    "status",
];
// Positions in COLUMNS.
const TITLE: usize = 0;
const CATEGORY: usize = 1;
const TEAM: usize = 2;
const PRIORITY: usize = 3;
const EMAIL: usize = 4;
const CREATED: usize = 5;
const FIRST_RESPONSE: usize = 6;
const RESOLVED: usize = 7;
const STATUS: usize = 8;

/// Problems listed in full; the rest are counted.
pub const MAX_SHOWN: usize = 100;
/// Rows per INSERT, well under SQLite's 32766 bound parameters (29 columns a request, 5 an
/// event, 6 a user).
const REQUESTS_PER_INSERT: usize = 1000;
const EVENTS_PER_INSERT: usize = 5000;
/// 9 columns: 32,400 parameters, within SQLite's 32,766.
const STRETCHES_PER_INSERT: usize = 3600;
/// 42 columns: 31,920 parameters.
const FACTS_PER_INSERT: usize = 760;
const USERS_PER_INSERT: usize = 1000;
const EMAILS_PER_QUERY: usize = 5000;
/// Threads deriving SLA columns during an import, at most (and at most one per core).
const MAX_DERIVERS: usize = 4;

/// What a row is checked against: the current categories and teams.
#[derive(Debug, Clone)]
pub struct ImportContext {
    categories: BTreeSet<Arc<str>>,
    teams: BTreeSet<Arc<str>>,
}

impl ImportContext {
    pub fn new(categories: impl IntoIterator<Item = String>, teams: impl IntoIterator<Item = String>) -> Self {
        Self {
            categories: categories.into_iter().map(Into::into).collect(),
            teams: teams.into_iter().map(Into::into).collect(),
        }
    }

    pub fn load(conn: &mut AnyConnection) -> Result<Self, Error> {
        let map = db::current_map(conn)?.ok_or_else(|| unseeded("the ownership map"))?.map;
        Ok(Self::new(map.categories.into_iter().map(|c| c.key), db::team_keys(conn)?))
    }
}

fn unseeded(what: &str) -> Error {
    Error::Internal(anyhow::anyhow!("{what} was never seeded"))
}

/// One checked row of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    /// Where the row starts in the file (the header is line 1).
    pub line: u64,
    pub title: String,
    pub category: Arc<str>,
    pub team: Arc<str>,
    pub priority: Priority,
    /// Trimmed and lower-cased.
    pub requester_email: Arc<str>,
    pub created_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub status: Status,
}

/// One problem: `line N: column: reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub column: String,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.column, self.reason)
    }
}

/// Why a file was refused: the first `MAX_SHOWN` problems and how many there were in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rejected {
    pub errors: Vec<RowError>,
    pub total: usize,
}

impl Rejected {
    fn add(&mut self, line: u64, column: &str, reason: impl Into<String>) {
        self.total += 1;
        if self.errors.len() < MAX_SHOWN {
            self.errors.push(RowError { line, column: column.to_owned(), reason: reason.into() });
        }
    }
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.errors {
            writeln!(f, "{e}")?;
        }
        if self.total > self.errors.len() {
            writeln!(f, "... and {} more", self.total - self.errors.len())?;
        }
        Ok(())
    }
}

/// Reads and checks the whole file; any problem refuses all of it.
pub fn validate(reader: impl Read, ctx: &ImportContext, now: DateTime<Utc>) -> Result<Vec<ImportRow>, Rejected> {
    let mut csv = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(reader);
    let mut rejected = Rejected::default();
    let index = match csv.headers() {
        Ok(header) => header_index(header, &mut rejected),
        Err(e) => {
            rejected.add(1, "header", csv_problem(&e));
            None
        }
    };
    let Some(index) = index else { return Err(rejected) };
    let mut emails = HashSet::new();
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, |p| p.line());
                let mut check = Check { line, rejected: &mut rejected, ok: true };
                let row = parse_row(&mut check, |c| record.get(index[c]).unwrap_or(""), ctx, &mut emails, now);
                rows.extend(row.filter(|_| check.ok));
            }
            Err(e) => {
                rejected.add(e.position().map_or(0, |p| p.line()), "row", csv_problem(&e));
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
            }
        }
    }
    if rejected.total > 0 { Err(rejected) } else { Ok(rows) }
}

fn csv_problem(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("has {len} fields; the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8".to_owned(),
        _ => e.to_string(),
    }
}

/// Where each of `COLUMNS` is in the file, or None (with the problems) when the header is wrong.
fn header_index(header: &csv::StringRecord, rejected: &mut Rejected) -> Option<[usize; 9]> {
    let mut index = [None; 9];
    for (at, name) in header.iter().enumerate() {
        match COLUMNS.iter().position(|c| c.eq_ignore_ascii_case(name)) {
            Some(c) if index[c].is_some() => rejected.add(1, name, "appears twice in the header"),
            Some(c) => index[c] = Some(at),
            None => rejected.add(1, name, format!("unknown column; the columns are {}", COLUMNS.join(", "))),
        }
    }
    for (c, at) in index.iter().enumerate() {
        if at.is_none() {
            rejected.add(1, COLUMNS[c], "missing from the header");
        }
    }
    if rejected.total > 0 { None } else { Some(index.map(|at| at.unwrap_or_default())) }
}

/// Records a row's problems under its line.
struct Check<'a> {
    line: u64,
    rejected: &'a mut Rejected,
    ok: bool,
}

impl Check<'_> {
    fn check<T>(&mut self, column: usize, r: Result<T, String>) -> Option<T> {
        r.map_err(|reason| self.fail(column, reason)).ok()
    }

    fn fail(&mut self, column: usize, reason: String) {
        self.ok = false;
        self.rejected.add(self.line, COLUMNS[column], reason);
    }
}

fn parse_row<'r>(
    c: &mut Check,
    field: impl Fn(usize) -> &'r str,
    ctx: &ImportContext,
    emails: &mut HashSet<Arc<str>>,
    now: DateTime<Utc>,
) -> Option<ImportRow> {
    let title = c.check(TITLE, parse_text(field(TITLE), 200, false));
    let category = c.check(CATEGORY, known(&ctx.categories, field(CATEGORY), "category"));
    let team = c.check(TEAM, known(&ctx.teams, field(TEAM), "team"));
    let priority = match field(PRIORITY) {
        "" => Some(Priority::P3),
        p => c.check(PRIORITY, Priority::parse(p)),
    };
    let email = c.check(EMAIL, parse_email(field(EMAIL), emails));
    let created_at = c.check(CREATED, parse_time(field(CREATED), now).and_then(|t| t.ok_or("is required".into())));
    let first_response_at = c.check(FIRST_RESPONSE, parse_time(field(FIRST_RESPONSE), now));
    let resolved_at = c.check(RESOLVED, parse_time(field(RESOLVED), now));
    let status = c.check(STATUS, Status::parse(&field(STATUS).to_ascii_lowercase()));
    let given = |column| !field(column).is_empty();
    if let Some(status) = status {
        for (column, reason) in status_problems(status, given(FIRST_RESPONSE), given(RESOLVED)) {
            c.fail(column, reason);
        }
    }
    if let (Some(created), Some(first), Some(resolved)) = (created_at, first_response_at, resolved_at) {
        for (column, reason) in order_problems(created, first, resolved) {
            c.fail(column, reason);
        }
    }
    Some(ImportRow {
        line: c.line,
        title: title?,
        category: category?,
        team: team?,
        priority: priority?,
        requester_email: email?,
        created_at: created_at?,
        first_response_at: first_response_at?,
        resolved_at: resolved_at?,
        status: status?,
    })
}

fn known(keys: &BTreeSet<Arc<str>>, key: &str, what: &str) -> Result<Arc<str>, String> {
    if key.is_empty() {
        return Err("is required".into());
    }
    keys.get(key).cloned().ok_or_else(|| {
        let all: Vec<&str> = keys.iter().map(|k| &**k).collect();
        format!("unknown {what} '{key}'; one of {}", all.join(", "))
    })
}

/// Lower-cased, and shared between the rows of one requester.
fn parse_email(s: &str, seen: &mut HashSet<Arc<str>>) -> Result<Arc<str>, String> {
    let email = s.to_lowercase();
    if email.is_empty() {
        return Err("is required".into());
    }
    if !looks_like_email(&email) {
        return Err(format!("'{s}' is not an email address"));
    }
    if let Some(shared) = seen.get(email.as_str()) {
        return Ok(shared.clone());
    }
    let shared: Arc<str> = email.into();
    seen.insert(shared.clone());
    Ok(shared)
}

/// An RFC 3339 time in UTC to the microsecond, not in the future; None when empty.
fn parse_time(s: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    let t = DateTime::parse_from_rfc3339(s)
        .map_err(|_| format!("must be an RFC 3339 time such as 2026-11-02T09:15:00Z (got '{s}')"))?
        .with_timezone(&Utc);
    let t = t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t);
    if t.timestamp() < 0 {
        return Err(format!("must not be before 1970 (got '{s}')"));
    }
    if t > now {
        return Err(format!("is in the future (got '{s}', now is {})", now.to_rfc3339()));
    }
    Ok(Some(t))
}

/// Which times a status needs and which it must not have.
fn status_problems(status: Status, first: bool, resolved: bool) -> Vec<(usize, String)> {
    let mut problems = Vec::new();
    if status == Status::Waiting {
        problems.push((STATUS, "waiting needs a reason the history does not give: import it as in_progress".into()));
    }
    match (status, first) {
        (Status::New, true) => problems.push((FIRST_RESPONSE, "must be empty for status new".into())),
        (Status::New, false) | (_, true) => {}
        (_, false) => problems.push((FIRST_RESPONSE, format!("is required for status {status}"))),
    }
    if matches!(status, Status::Resolved | Status::Closed) && !resolved {
        problems.push((RESOLVED, format!("is required for status {status}")));
    }
    if status.is_open() && resolved {
        problems.push((RESOLVED, format!("must be empty for an open status ({status})")));
    }
    problems
}

/// Nothing happens before the request exists, and nothing is resolved before it is answered.
fn order_problems(
    created: DateTime<Utc>,
    first: Option<DateTime<Utc>>,
    resolved: Option<DateTime<Utc>>,
) -> Vec<(usize, String)> {
    let mut problems = Vec::new();
    if first.is_some_and(|f| f < created) {
        problems.push((FIRST_RESPONSE, "must not be before created_at".into()));
    }
    if resolved.is_some_and(|r| r < created) {
        problems.push((RESOLVED, "must not be before created_at".into()));
    } else if resolved.zip(first).is_some_and(|(r, f)| r < f) {
        problems.push((RESOLVED, "must not be before first_response_at".into()));
    }
    problems
}

mod set_aside;
mod write;

use set_aside::{SET_ASIDE_FROM, SQLITE_BULK, SQLITE_USUAL, set_aside, set_aside_pays};

pub use write::{ImportSummary, import, import_setting_aside_from, reserve_numbers};
