//! The reports' query: the stored facts of one scope and one team (or one category) started in
//! a span, summed by the engine in one range scan of an index in start order, with the
//! durations the percentiles need listed as text. No GROUP BY: sorting a million rows into
//! groups cost SQLite more than a second, while a report asks for a few groups it knows (its
//! teams, its categories) and each is one range of an index. A report over a million requests
//! reads a few dozen rows, not a million (docs/metrics.md defines each figure;
//! `read::reports` turns the sums into them).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::AnyConnection;

/// What the facts rows of one query sum to, as of `now`. Each `*_list` is the rows' values
/// separated by commas (none when no row has one), in no order.
#[derive(Debug, QueryableByName)]
pub struct ReportGroup {
    #[diesel(sql_type = BigInt)]
    pub n: i64,
    #[diesel(sql_type = BigInt)]
    pub first_responses: i64,
    /// Rows with a clock breached by `now`.
    #[diesel(sql_type = BigInt)]
    pub breaches: i64,
    #[diesel(sql_type = BigInt)]
    pub fr_met: i64,
    #[diesel(sql_type = BigInt)]
    pub fr_decided: i64,
    #[diesel(sql_type = BigInt)]
    pub res_met: i64,
    #[diesel(sql_type = BigInt)]
    pub res_decided: i64,
    #[diesel(sql_type = BigInt)]
    pub fa_met: i64,
    #[diesel(sql_type = BigInt)]
    pub fa_decided: i64,
    #[diesel(sql_type = BigInt)]
    pub passed_on: i64,
    #[diesel(sql_type = BigInt)]
    pub minutes_before_out: i64,
    #[diesel(sql_type = BigInt)]
    pub received: i64,
    #[diesel(sql_type = BigInt)]
    pub clicks_without_answer: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub fr_business_list: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub fr_wall_list: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub res_business_list: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub res_wall_list: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub fa_business_list: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub fa_wall_list: Option<String>,
    /// Decided first-response clocks that no longer run: the share of the target they used,
    /// in ten-thousandths, rounded half up.
    #[diesel(sql_type = Nullable<Text>)]
    pub share_list: Option<String>,
    /// Breached first-response clocks still running (their share grows with `now` on the
    /// group's calendar): `elapsed_ns:running_since:target:sla_version:calendar` each, the
    /// calendar as an index into the query's `calendars`.
    #[diesel(sql_type = Nullable<Text>)]
    pub running_list: Option<String>,
}

/// Which facts rows a report sums: one scope, of one team or one category (or both).
#[derive(Debug, Clone)]
pub struct ReportQuery<'a> {
    pub scope: &'a str,
    pub team: Option<&'a str>,
    pub category: Option<&'a str>,
    /// Only rows of requests that this team held in a hold started at or after the instant.
    pub held_by: Option<(&'a str, i64)>,
    /// Rows started in [from, to), microseconds since 1970.
    pub from: i64,
    pub to: i64,
    pub now: i64,
    /// The calendar names a running clock may be counted on; others list as -1.
    pub calendars: &'a [String],
}

/// The sums of the rows `q` selects, in one pass over an index range.
pub fn report_group(conn: &mut AnyConnection, q: &ReportQuery) -> QueryResult<ReportGroup> {
    let postgres = matches!(conn, AnyConnection::Postgresql(_));
    let mut values = vec![('n', Value::Int(q.now)), ('f', Value::Int(q.from)), ('t', Value::Int(q.to))];
    values.extend(q.team.map(|t| ('a', Value::Text(t.to_owned()))));
    values.extend(q.category.map(|c| ('c', Value::Text(c.to_owned()))));
    if let Some((team, since)) = q.held_by {
        values.extend([('h', Value::Text(team.to_owned())), ('s', Value::Int(since))]);
    }
    let query = BoundSql { sql: report_sql(q, postgres), values };
    per_backend!(conn, c => query.get_result(c))
}

/// Where a value is bound in `BoundSql`'s text: this character, then the value's code.
const MARK: char = '\u{1}';

/// A value bound into a `BoundSql`.
enum Value {
    Int(i64),
    Text(String),
}

/// SQL text whose every value is bound (a `MARK` and a code letter at each place, a value per
/// code), so that the same report shape is the same statement: diesel prepares it once per
/// connection and PostgreSQL plans it once, where `sql_query` is prepared (and planned) on every
/// call — 40 plans a quarter's report.
struct BoundSql {
    sql: String,
    values: Vec<(char, Value)>,
}

impl<DB> diesel::query_builder::QueryFragment<DB> for BoundSql
where
    DB: diesel::backend::Backend + diesel::sql_types::HasSqlType<BigInt> + diesel::sql_types::HasSqlType<Text>,
    i64: diesel::serialize::ToSql<BigInt, DB>,
    String: diesel::serialize::ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let mut parts = self.sql.split(MARK);
        out.push_sql(parts.next().unwrap_or_default());
        for part in parts {
            let mut chars = part.chars();
            let code = chars.next();
            match self.values.iter().find(|(c, _)| Some(*c) == code).map(|(_, v)| v) {
                Some(Value::Int(v)) => out.push_bind_param::<BigInt, _>(v)?,
                Some(Value::Text(v)) => out.push_bind_param::<Text, _>(v)?,
                None => return Err(diesel::result::Error::QueryBuilderError(format!("no value for {code:?}").into())),
            }
            out.push_sql(chars.as_str());
        }
        Ok(())
    }
}

impl diesel::query_builder::QueryId for BoundSql {
    type QueryId = ();
    /// Cached by its text.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl diesel::query_builder::Query for BoundSql {
    type SqlType = diesel::sql_types::Untyped;
}

impl<Conn> RunQueryDsl<Conn> for BoundSql {}

/// A string as an SQL literal.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The SQL of `report_group`: the scope and the calendar names as quoted literals (from code
/// and from stored configuration: they shape the statement), every other value marked for
/// `BoundSql` to bind.
fn report_sql(q: &ReportQuery, postgres: bool) -> String {
    let list = |x: &str| {
        if postgres { format!("string_agg(CAST({x} AS TEXT), ',')") } else { format!("group_concat({x})") }
    };
    // Each figure as the cheapest aggregate that gives it (a CASE per row and figure cost SQLite
    // more than reading the row). A clock's columns are all null without a policy, and a stopped
    // clock breached, if at all, before it stopped, so: decided = stopped + breached while
    // running, met = stopped - breached before stopping.
    let count_where = |condition: &str| format!("count(*) FILTER (WHERE {condition})");
    let now = format!("{MARK}n");
    let stopped_breached = |c: &str| count_where(&format!("{c}_stopped_at IS NOT NULL AND {c}_breached_at <= {now}"));
    let running_breached = |c: &str| count_where(&format!("{c}_stopped_at IS NULL AND {c}_breached_at <= {now}"));
    let met = |c: &str| format!("count({c}_stopped_at) - {}", stopped_breached(c));
    let decided = |c: &str| format!("count({c}_stopped_at) + {}", running_breached(c));
    // Decided clocks that no longer run: stopped, or breached while paused.
    let share = format!(
        "CASE WHEN fr_target > 0 AND (fr_stopped_at IS NOT NULL OR (fr_running_since IS NULL AND fr_breached_at <= {now})) \
         THEN (coalesce(fr_elapsed_ns, 0) / 1000000000 * 20000 + fr_target * 60) / (fr_target * 120) END"
    );
    let calendar_index: String =
        q.calendars.iter().enumerate().map(|(i, c)| format!(" WHEN {} THEN {i}", literal(c))).collect();
    let running = format!(
        "CASE WHEN fr_stopped_at IS NULL AND fr_running_since IS NOT NULL AND fr_breached_at <= {now} AND fr_target > 0 \
         THEN coalesce(fr_elapsed_ns, 0) || ':' || fr_running_since || ':' || fr_target || ':' || sla_version || ':' || \
         (CASE fr_calendar{calendar_index} ELSE -1 END) END"
    );
    let mut filters = vec![format!("scope = {}", literal(q.scope))];
    for (column, value, code) in [("team_key", q.team, 'a'), ("category", q.category, 'c')] {
        if value.is_some() {
            filters.push(format!("{column} = {MARK}{code}"));
        }
    }
    filters.push(format!("started_at >= {MARK}f"));
    filters.push(format!("started_at < {MARK}t"));
    if q.held_by.is_some() {
        filters.push(format!(
            "request_id IN (SELECT h.request_id FROM request_facts h WHERE h.scope IN ('only', 'hold') \
             AND h.team_key = {MARK}h AND h.started_at >= {MARK}s)"
        ));
    }
    format!(
        "SELECT count(*) AS n, count(fr_business_minutes) AS first_responses, \
         {breaches} AS breaches, \
         {fr_met} AS fr_met, {fr_decided} AS fr_decided, {res_met} AS res_met, {res_decided} AS res_decided, \
         {fa_met} AS fa_met, {fa_decided} AS fa_decided, \
         count(passed_on_at) AS passed_on, \
         CAST(coalesce(sum(held_business_minutes) FILTER (WHERE passed_on_at IS NOT NULL), 0) AS BIGINT) \
         AS minutes_before_out, \
         {received} AS received, {clicks} AS clicks_without_answer, \
         {frb} AS fr_business_list, {frw} AS fr_wall_list, {resb} AS res_business_list, {resw} AS res_wall_list, \
         {fab} AS fa_business_list, {faw} AS fa_wall_list, {shares} AS share_list, {running} AS running_list \
         FROM request_facts WHERE {filters}",
        breaches = count_where(&format!("fr_breached_at <= {now} OR res_breached_at <= {now}")),
        fr_met = met("fr"),
        fr_decided = decided("fr"),
        res_met = met("res"),
        res_decided = decided("res"),
        fa_met = met("fa"),
        fa_decided = decided("fa"),
        received = count_where("seq > 1"),
        clicks = count_where("click_without_answer"),
        frb = list("fr_business_minutes"),
        frw = list("fr_wall_minutes"),
        resb = list("res_business_minutes"),
        resw = list("res_wall_minutes"),
        fab = list("fa_business_minutes"),
        faw = list("fa_wall_minutes"),
        shares = list(&share),
        running = list(&running),
        filters = filters.join(" AND "),
    )
}

/// The clocks of a `running_list`: (open time counted in nanoseconds, running since in
/// microseconds, target minutes, SLA version, calendar index).
pub fn parse_running(list: Option<&str>) -> Result<Vec<[i64; 5]>, String> {
    let Some(list) = list.filter(|l| !l.is_empty()) else { return Ok(Vec::new()) };
    list.split(',')
        .map(|clock| {
            let mut parts = clock.split(':').map(str::parse::<i64>);
            let mut next =
                || parts.next().and_then(Result::ok).ok_or_else(|| format!("'{clock}' is not a running clock"));
            Ok([next()?, next()?, next()?, next()?, next()?])
        })
        .collect()
}

/// The integers of a `*_list` column, read a byte at a time: a report over all time reads
/// millions of them, and `split` and `str::parse` were a fifth of its CPU.
pub fn parse_list(list: Option<&str>) -> Result<Vec<i64>, String> {
    let Some(list) = list.filter(|l| !l.is_empty()) else { return Ok(Vec::new()) };
    let not_a_list = || format!("'{}' is not a report list of integers", list.chars().take(40).collect::<String>());
    let mut values = Vec::with_capacity(list.len() / 4 + 1);
    for item in list.as_bytes().split(|b| *b == b',') {
        let (negative, digits) = match item {
            [b'-', rest @ ..] => (true, rest),
            _ => (false, item),
        };
        if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
            return Err(not_a_list());
        }
        let value = digits.iter().fold(0i64, |v, d| v * 10 + i64::from(d - b'0'));
        values.push(if negative { -value } else { value });
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::parse_list;

    #[test]
    fn a_list_reads_as_its_integers_and_anything_else_is_refused() {
        assert_eq!(parse_list(None), Ok(vec![]));
        assert_eq!(parse_list(Some("")), Ok(vec![]));
        assert_eq!(parse_list(Some("0,15,-3,2880,123456789012")), Ok(vec![0, 15, -3, 2880, 123_456_789_012]));
        for bad in ["1,,2", "a", "1.5", "-", "3,", "9999999999999999999"] {
            assert!(parse_list(Some(bad)).is_err(), "{bad}");
        }
    }
}
