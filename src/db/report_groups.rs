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
    /// group's calendar): open time counted so far, running since, target; aligned lists.
    #[diesel(sql_type = Nullable<Text>)]
    pub running_elapsed_ns_list: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub running_since_list: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub running_target_list: Option<String>,
    /// Their SLA version, and their calendar as an index into the query's `calendars`.
    #[diesel(sql_type = Nullable<Text>)]
    pub running_version_list: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub running_calendar_list: Option<String>,
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
    let mut query = diesel::sql_query(report_sql(q, postgres)).into_boxed();
    for value in [q.team, q.category, q.held_by.map(|(t, _)| t)].into_iter().flatten() {
        query = query.bind::<Text, _>(value.to_owned());
    }
    query.get_result(conn)
}

/// A string as an SQL literal.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The SQL of `report_group`. Its values are integers this module formats, the scope and
/// the calendar names as quoted literals (from code and from stored configuration), and the
/// team and category as bound parameters.
fn report_sql(q: &ReportQuery, postgres: bool) -> String {
    let list = |x: &str| {
        if postgres { format!("string_agg(CAST({x} AS TEXT), ',')") } else { format!("group_concat({x})") }
    };
    let sum = |condition: &str| format!("CAST(coalesce(sum(CASE WHEN {condition} THEN 1 ELSE 0 END), 0) AS BIGINT)");
    let now = q.now;
    let breached = |c: &str| format!("({c}_target IS NOT NULL AND {c}_breached_at <= {now})");
    let decided = |c: &str| format!("({c}_target IS NOT NULL AND ({c}_breached_at <= {now} OR {c}_stopped_at IS NOT NULL))");
    let met = |c: &str| {
        format!("({c}_target IS NOT NULL AND {c}_stopped_at IS NOT NULL AND ({c}_breached_at IS NULL OR {c}_breached_at > {now}))")
    };
    let running = "(fr_stopped_at IS NULL AND fr_running_since IS NOT NULL)";
    let share = format!(
        "CASE WHEN {} AND fr_target > 0 AND NOT {running} \
         THEN (coalesce(fr_elapsed_ns, 0) / 1000000000 * 20000 + fr_target * 60) / (fr_target * 120) END",
        decided("fr")
    );
    let running_breached = format!("{} AND fr_target > 0 AND {running}", breached("fr"));
    let calendar_index: String =
        q.calendars.iter().enumerate().map(|(i, c)| format!(" WHEN {} THEN {i}", literal(c))).collect();
    let calendar_index = format!("CASE fr_calendar{calendar_index} ELSE -1 END");
    let placeholder = |i: usize| if postgres { format!("${i}") } else { "?".to_owned() };
    let mut filters = vec![format!("scope = {}", literal(q.scope))];
    let mut binds = 0;
    for (column, value) in [("team_key", q.team), ("category", q.category)] {
        if value.is_some() {
            binds += 1;
            filters.push(format!("{column} = {}", placeholder(binds)));
        }
    }
    filters.push(format!("started_at >= {}", q.from));
    filters.push(format!("started_at < {}", q.to));
    if let Some((_, from)) = q.held_by {
        binds += 1;
        filters.push(format!(
            "request_id IN (SELECT h.request_id FROM request_facts h WHERE h.scope IN ('only', 'hold') \
             AND h.team_key = {} AND h.started_at >= {from})",
            placeholder(binds)
        ));
    }
    let when_running = |x: &str| list(&format!("CASE WHEN {running_breached} THEN {x} END"));
    format!(
        "SELECT count(*) AS n, count(fr_business_minutes) AS first_responses, \
         {breaches} AS breaches, \
         {fr_met} AS fr_met, {fr_decided} AS fr_decided, {res_met} AS res_met, {res_decided} AS res_decided, \
         {fa_met} AS fa_met, {fa_decided} AS fa_decided, \
         {passed_on} AS passed_on, \
         CAST(coalesce(sum(CASE WHEN passed_on_at IS NOT NULL THEN coalesce(held_business_minutes, 0) ELSE 0 END), 0) \
         AS BIGINT) AS minutes_before_out, \
         {received} AS received, {clicks} AS clicks_without_answer, \
         {frb} AS fr_business_list, {frw} AS fr_wall_list, {resb} AS res_business_list, {resw} AS res_wall_list, \
         {fab} AS fa_business_list, {faw} AS fa_wall_list, {shares} AS share_list, \
         {r_elapsed} AS running_elapsed_ns_list, {r_since} AS running_since_list, {r_target} AS running_target_list, \
         {r_version} AS running_version_list, {r_calendar} AS running_calendar_list \
         FROM request_facts WHERE {filters}",
        breaches = sum(&format!("{} OR {}", breached("fr"), breached("res"))),
        fr_met = sum(&met("fr")),
        fr_decided = sum(&decided("fr")),
        res_met = sum(&met("res")),
        res_decided = sum(&decided("res")),
        fa_met = sum(&met("fa")),
        fa_decided = sum(&decided("fa")),
        passed_on = sum("passed_on_at IS NOT NULL"),
        received = sum("seq > 1"),
        clicks = sum("click_without_answer"),
        frb = list("fr_business_minutes"),
        frw = list("fr_wall_minutes"),
        resb = list("res_business_minutes"),
        resw = list("res_wall_minutes"),
        fab = list("fa_business_minutes"),
        faw = list("fa_wall_minutes"),
        shares = list(&share),
        r_elapsed = when_running("coalesce(fr_elapsed_ns, 0)"),
        r_since = when_running("fr_running_since"),
        r_target = when_running("fr_target"),
        r_version = when_running("sla_version"),
        r_calendar = when_running(&calendar_index),
        filters = filters.join(" AND "),
    )
}

/// The integers of a `*_list` column.
pub fn parse_list(list: Option<&str>) -> Result<Vec<i64>, String> {
    match list {
        None | Some("") => Ok(Vec::new()),
        Some(s) => s.split(',').map(|v| v.parse().map_err(|_| format!("'{v}' in a report list is not an integer"))).collect(),
    }
}
