//! Change requests, their key counter and their append-only events.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{counters, request_events, requests};
use crate::domain::event::Event;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = requests)]
pub struct RequestRow {
    pub id: String,
    pub number: i64,
    pub title: String,
    pub description: String,
    pub category: String,
    pub priority: String,
    pub page_url: Option<String>,
    pub desired_date: Option<chrono::NaiveDate>,
    pub status: String,
    pub requester_id: String,
    pub team_key: String,
    pub assignee_id: Option<String>,
    pub routing_version: i32,
    pub routing_rule: Option<String>,
    pub routing_reason: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub first_response_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub sla_version: i32,
    /// Set on imported requests: levels reached before it are not escalated.
    pub escalate_from: Option<NaiveDateTime>,
    /// The first message the requester could see from the holding team.
    pub first_answer_at: Option<NaiveDateTime>,
    /// The holding team's first response and first answer in its hold (reset by a hand-over).
    pub team_first_response_at: Option<NaiveDateTime>,
    pub team_first_answer_at: Option<NaiveDateTime>,
    /// The admins' reason while the status is `waiting`.
    pub waiting_reason: Option<String>,
    /// The request type's fields as filed and edited: a JSON object (`domain::request_type`).
    pub fields: Option<String>,
    /// The version of the request types it was filed under, when its category had fields.
    pub type_version: Option<i32>,
    #[diesel(embed)]
    pub clocks: ClockColumns,
}

/// The derived SLA columns (see `service::sla::refresh`).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = requests, treat_none_as_null = true)]
pub struct ClockColumns {
    pub fr_due_at: Option<NaiveDateTime>,
    pub fr_at_risk_at: Option<NaiveDateTime>,
    pub fr_breached_at: Option<NaiveDateTime>,
    pub res_due_at: Option<NaiveDateTime>,
    pub res_at_risk_at: Option<NaiveDateTime>,
    pub res_breached_at: Option<NaiveDateTime>,
    pub queue_due_at: NaiveDateTime,
    pub sla_check_at: NaiveDateTime,
}

impl Default for ClockColumns {
    /// No clock known yet: nothing due, nothing to sweep.
    fn default() -> Self {
        Self {
            fr_due_at: None,
            fr_at_risk_at: None,
            fr_breached_at: None,
            res_due_at: None,
            res_at_risk_at: None,
            res_breached_at: None,
            queue_due_at: never(),
            sla_check_at: never(),
        }
    }
}

/// Stands for "never" in the NOT NULL time columns, so it sorts last on both engines.
pub fn never() -> NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(9999, 12, 31).and_then(|d| d.and_hms_opt(0, 0, 0)).unwrap_or(NaiveDateTime::MAX)
}

/// An event as stored: its kind and payload in their own columns (see `domain::event`).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = request_events)]
pub struct EventRow {
    pub id: i64,
    pub request_id: String,
    pub kind: String,
    pub actor_id: Option<String>,
    pub at: NaiveDateTime,
    pub data: String,
}

impl EventRow {
    /// The row for a new event (its id is given by the database).
    pub fn new(request_id: &str, actor_id: Option<&str>, at: NaiveDateTime, event: &Event) -> Self {
        Self {
            id: 0,
            request_id: request_id.to_owned(),
            kind: event.kind().to_owned(),
            actor_id: actor_id.map(str::to_owned),
            at,
            data: event.payload().to_string(),
        }
    }

    pub(super) fn read(self) -> QueryResult<StoredEvent> {
        let event = Event::from_stored(&self.kind, &self.data)
            .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
        Ok(StoredEvent { id: self.id, request_id: self.request_id, actor_id: self.actor_id, at: self.at, event })
    }
}

/// An event read back as its type.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub id: i64,
    pub request_id: String,
    pub actor_id: Option<String>,
    pub at: NaiveDateTime,
    pub event: Event,
}

/// Hands out the next request number. The counter row is locked until the transaction ends,
/// so numbers are unique; a number is never reused because the counter only grows.
pub fn next_request_number(conn: &mut AnyConnection) -> QueryResult<i64> {
    // Two statements diesel prepares once per connection; it prepares an `UPDATE … RETURNING`,
    // and any `sql_query`, anew on every call (3 % of a filing's CPU, by a profile).
    let counter = counters::table.find("request");
    per_backend!(conn, c => {
        diesel::update(counter).set(counters::value.eq(counters::value + 1)).execute(c)?;
        counter.select(counters::value).first(c)
    })
}

/// Stores a new request, in the caller's transaction (its search index row is the caller's:
/// `index_new`).
pub fn insert_request(conn: &mut AnyConnection, row: &RequestRow) -> QueryResult<()> {
    per_backend!(conn, c => diesel::insert_into(requests::table).values(row).execute(c)).map(drop)
}

pub fn insert_event(
    conn: &mut AnyConnection,
    request_id: &str,
    actor_id: Option<&str>,
    at: NaiveDateTime,
    event: &Event,
) -> QueryResult<()> {
    insert_event_id(conn, request_id, actor_id, at, event).map(drop)
}

/// `insert_event`, answering the new event's id.
pub fn insert_event_id(
    conn: &mut AnyConnection,
    request_id: &str,
    actor_id: Option<&str>,
    at: NaiveDateTime,
    event: &Event,
) -> QueryResult<i64> {
    let row = EventRow::new(request_id, actor_id, at, event);
    let values = (
        request_events::request_id.eq(row.request_id),
        request_events::kind.eq(row.kind),
        request_events::actor_id.eq(row.actor_id),
        request_events::at.eq(row.at),
        request_events::data.eq(row.data),
    );
    let id = per_backend!(conn, c => diesel::insert_into(request_events::table).values(&values).returning(request_events::id).get_result(c))?;
    // A comment is searchable from its commit: its request's index row is written again.
    if let Event::Commented { .. } = event {
        super::search::index_comment(conn, request_id)?;
    }
    Ok(id)
}

/// A request by UUID or by key (`CR-12`, any case).
pub fn find_request(conn: &mut AnyConnection, id_or_key: &str) -> QueryResult<Option<RequestRow>> {
    // No id holds a NUL, and PostgreSQL refuses one in a text parameter: not found, not a failure.
    if id_or_key.contains('\0') {
        return Ok(None);
    }
    let number = crate::domain::request::parse_request_key(id_or_key);
    let query = requests::table.select(RequestRow::as_select());
    match number {
        Some(n) => query.filter(requests::number.eq(n)).first(conn).optional(),
        None => query.filter(requests::id.eq(id_or_key)).first(conn).optional(),
    }
}

/// Resolved requests (not yet closed) resolved in `[from, to]`, after `after` (resolved_at, id),
/// oldest first: those that may be due to close on their own (`requests_resolved_by_time`).
pub fn resolved_between(
    conn: &mut AnyConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<RequestRow>> {
    let mut q = requests::table
        .filter(requests::status.eq("resolved"))
        .filter(requests::resolved_at.ge(from))
        .filter(requests::resolved_at.le(to))
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(requests::resolved_at.gt(at).or(requests::resolved_at.eq(at).and(requests::id.gt(id))));
    }
    q.order((requests::resolved_at, requests::id)).limit(limit).select(RequestRow::as_select()).load(conn)
}

pub fn events_of(conn: &mut AnyConnection, request_id: &str) -> QueryResult<Vec<StoredEvent>> {
    request_events::table
        .filter(request_events::request_id.eq(request_id))
        // By time: an escalation recorded late (after downtime) sorts where it happened.
        .order((request_events::at, request_events::id))
        .select(EventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(EventRow::read)
        .collect()
}

pub fn save_clocks(conn: &mut AnyConnection, id: &str, clocks: &ClockColumns) -> QueryResult<()> {
    diesel::update(requests::table.find(id)).set(clocks).execute(conn).map(drop)
}

pub fn count_requests(conn: &mut AnyConnection) -> QueryResult<i64> {
    requests::table.count().get_result(conn)
}

/// Up to `limit` requests numbered after `after`, in number order (a walk over all of them).
pub fn requests_after(conn: &mut AnyConnection, after: i64, limit: i64) -> QueryResult<Vec<RequestRow>> {
    requests::table
        .filter(requests::number.gt(after))
        .order(requests::number)
        .limit(limit)
        .select(RequestRow::as_select())
        .load(conn)
}

/// Events of several requests in one query, in order.
pub fn events_of_many(conn: &mut AnyConnection, ids: &[&str]) -> QueryResult<Vec<StoredEvent>> {
    request_events::table
        .filter(request_events::request_id.eq_any(ids))
        .order((request_events::at, request_events::id))
        .select(EventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(EventRow::read)
        .collect()
}

/// Marks a request changed now (a change of its own rows, such as files added).
pub fn touch_request(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(requests::table.find(id)).set(requests::updated_at.eq(at)).execute(conn).map(drop)
}

/// Writes back the fields a workflow step may change.
/// Saves what an edit changes besides `save_request`'s columns: the words and the category.
pub fn save_request_text(conn: &mut AnyConnection, row: &RequestRow) -> QueryResult<()> {
    diesel::update(requests::table.find(&row.id))
        .set((
            requests::title.eq(&row.title),
            requests::description.eq(&row.description),
            requests::category.eq(&row.category),
            requests::desired_date.eq(row.desired_date),
            requests::fields.eq(&row.fields),
            requests::type_version.eq(row.type_version),
        ))
        .execute(conn)?;
    super::search::reindex_text(conn, row)
}

pub fn save_request(conn: &mut AnyConnection, row: &RequestRow) -> QueryResult<()> {
    diesel::update(requests::table.find(&row.id))
        .set((
            requests::status.eq(&row.status),
            requests::waiting_reason.eq(&row.waiting_reason),
            requests::priority.eq(&row.priority),
            requests::team_key.eq(&row.team_key),
            requests::assignee_id.eq(&row.assignee_id),
            requests::updated_at.eq(row.updated_at),
            requests::first_response_at.eq(row.first_response_at),
            requests::resolved_at.eq(row.resolved_at),
            requests::closed_at.eq(row.closed_at),
            requests::first_answer_at.eq(row.first_answer_at),
            requests::team_first_response_at.eq(row.team_first_response_at),
            requests::team_first_answer_at.eq(row.team_first_answer_at),
        ))
        .execute(conn)
        .map(drop)
}
