//! The request list's query: its filters and sort, and the rows a page shows.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{requests, users};
use super::{AnyConnection, RequestRow};

/// What a page of requests shows of each: the row without the columns only the SLA engine
/// reads (a third of the columns, and most of the timestamps a page would parse).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = requests)]
pub struct ListedRequest {
    pub id: String,
    pub number: i64,
    pub title: String,
    pub description: String,
    pub category: String,
    pub priority: String,
    pub page_url: Option<String>,
    pub desired_date: Option<chrono::NaiveDate>,
    pub status: String,
    pub waiting_reason: Option<String>,
    pub fields: Option<String>,
    pub team_key: String,
    pub routing_version: i32,
    pub routing_rule: Option<String>,
    pub routing_reason: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub first_response_at: Option<NaiveDateTime>,
    pub first_answer_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub sla_version: i32,
    /// The due-time sort key (the cursor of a page sorted by it).
    pub queue_due_at: NaiveDateTime,
}

impl From<RequestRow> for ListedRequest {
    fn from(r: RequestRow) -> Self {
        Self {
            id: r.id,
            number: r.number,
            title: r.title,
            description: r.description,
            category: r.category,
            priority: r.priority,
            page_url: r.page_url,
            desired_date: r.desired_date,
            status: r.status,
            waiting_reason: r.waiting_reason,
            fields: r.fields,
            team_key: r.team_key,
            routing_version: r.routing_version,
            routing_rule: r.routing_rule,
            routing_reason: r.routing_reason,
            created_at: r.created_at,
            updated_at: r.updated_at,
            first_response_at: r.first_response_at,
            first_answer_at: r.first_answer_at,
            resolved_at: r.resolved_at,
            closed_at: r.closed_at,
            sla_version: r.sla_version,
            queue_due_at: r.clocks.queue_due_at,
        }
    }
}

/// Who an assignee filter means.
#[derive(Debug, Clone)]
pub enum AssigneeFilter {
    Nobody,
    Email(String),
}

#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub team: Option<String>,
    /// Any of these statuses; all when empty.
    pub statuses: Vec<String>,
    pub assignee: Option<AssigneeFilter>,
    pub requester_email: Option<String>,
    /// Always set for requesters: they only ever see their own.
    pub requester_id: Option<String>,
    pub category: Option<String>,
    pub priority: Option<String>,
    /// Full-text search, when the matches are few: only these requests (by number).
    pub numbers: Option<Vec<i64>>,
    /// Full-text search, when the matches are many: the match as a condition, the requests
    /// walked in the list's own order.
    pub matching: Option<super::search::MatchSql>,
    /// A request shown apart (the one a search named by its key), left out of the rest.
    pub except_number: Option<i64>,
    pub sla: Option<SlaFilter>,
    pub sort: Sort,
    /// Keyset: strictly after this (sort key, id) in the sort order (for `Urgency`, within
    /// `after_tier`, the later tiers following in full).
    pub after: Option<(NaiveDateTime, String)>,
    pub after_tier: UrgencyTier,
    pub limit: i64,
    /// The moment SLA states are judged at.
    pub now: NaiveDateTime,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Newest first.
    #[default]
    Created,
    /// Soonest SLA due first; requests with no running clock last.
    Due,
    /// Most urgent first, in tiers (see [`UrgencyTier`]), each soonest due first.
    Urgency,
    /// A search's best matches first: ranked by `read::list`, read here newest first.
    Relevance,
}

/// The tiers of `sort=urgency`, in order: every P1 whatever its due time; then requests with a
/// running clock already breached (the longest overdue first); then those at risk; then the rest,
/// requests with no running clock last. Within a tier, soonest due first. A tier is judged at
/// the moment of the page: between two pages a request may move up a tier and be seen twice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum UrgencyTier {
    #[default]
    P1 = 0,
    Breached = 1,
    AtRisk = 2,
    Rest = 3,
}

impl UrgencyTier {
    pub const ALL: [UrgencyTier; 4] = [Self::P1, Self::Breached, Self::AtRisk, Self::Rest];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaFilter {
    /// Some clock at risk, none breached.
    AtRisk,
    /// Some clock breached.
    Breached,
}

/// A request of a page, with what the page shows beside it: its clocks as stored, and the
/// requester's and assignee's email and name.
pub type ListedRow = (ListedRequest, Option<super::RequestClocksRow>, (String, String), Option<(String, String)>);

/// A query with its `LIMIT` written into the statement instead of bound to it.
///
/// PostgreSQL plans a prepared statement once for all calls (a generic plan) only when that
/// plan is estimated to cost no more than planning each call; with `LIMIT $n` it must assume
/// a tenth of the table comes back, prices the generic plan a thousand times higher and plans
/// every call again: 0.9 ms of planning for 0.1 ms of reading a page of requests. With the
/// limit in the text, the generic plan is the same index walk, planned once per connection.
/// Each limit is a statement of its own in the cache; `read::list` keeps it within 1..=200.
#[derive(Debug, Clone)]
struct LiteralLimit<Q> {
    query: Q,
    limit: i64,
}

impl<Q> LiteralLimit<Q> {
    fn new(query: Q, limit: i64) -> Self {
        Self { query, limit }
    }
}

impl<Q, DB> diesel::query_builder::QueryFragment<DB> for LiteralLimit<Q>
where
    Q: diesel::query_builder::QueryFragment<DB>,
    DB: diesel::backend::Backend,
{
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        out.push_sql(&format!(" LIMIT {}", self.limit));
        Ok(())
    }
}

impl<Q> diesel::query_builder::QueryId for LiteralLimit<Q> {
    type QueryId = ();
    /// Cached by its text, which carries the limit.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: diesel::query_builder::Query> diesel::query_builder::Query for LiteralLimit<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, Conn> RunQueryDsl<Conn> for LiteralLimit<Q> {}

/// One page of requests, newest first, soonest due first, or most urgent first, each with its
/// urgency tier (for the other sorts, always the first). Newest and soonest due are one query;
/// most urgent is one query a tier, from the cursor's tier on, until the page is full: each an
/// index range scan in due order (the P1 tier filters the due-order scan for P1s).
pub fn list_requests(conn: &mut AnyConnection, f: &RequestFilter) -> QueryResult<Vec<(ListedRow, UrgencyTier)>> {
    if f.sort != Sort::Urgency {
        return Ok(list_page(conn, f, None)?.into_iter().map(|row| (row, UrgencyTier::P1)).collect());
    }
    let mut page = Vec::new();
    for tier in UrgencyTier::ALL.into_iter().filter(|t| *t >= f.after_tier) {
        let wanted = f.limit - page.len() as i64;
        if wanted <= 0 {
            break;
        }
        // The cursor's position holds in its own tier; the tiers after it start at their top.
        let after = if tier == f.after_tier { f.after.clone() } else { None };
        let rows = list_page(conn, &RequestFilter { limit: wanted, after, ..f.clone() }, Some(tier))?;
        page.extend(rows.into_iter().map(|row| (row, tier)));
    }
    Ok(page)
}

/// One query of `list_requests`: `f`'s filters, sort and keyset, and for `Urgency` one tier.
fn list_page(conn: &mut AnyConnection, f: &RequestFilter, tier: Option<UrgencyTier>) -> QueryResult<Vec<ListedRow>> {
    use super::schema::request_facts;
    // Built and run on the backend's own connection (`per_backend!`): the multi-backend
    // connection converted each of a page's rows through its own layer.
    per_backend!(conn, c => {
        let (requesters, assignees) = diesel::alias!(users as requesters, users as assignees);
        let mut q = requests::table
            .left_join(request_facts::table.on(request_facts::request_id.eq(requests::id).and(request_facts::seq.eq(0))))
            .inner_join(requesters.on(requesters.field(users::id).eq(requests::requester_id)))
            .left_join(assignees.on(requests::assignee_id.eq(assignees.field(users::id).nullable())))
            .select((
                ListedRequest::as_select(),
                Option::<super::RequestClocksRow>::as_select(),
                (requesters.field(users::email), requesters.field(users::name)),
                (assignees.field(users::email), assignees.field(users::name)).nullable(),
            ))
            .into_boxed();
        if let Some(team) = &f.team {
            q = q.filter(requests::team_key.eq(team.clone()));
        }
        if !f.statuses.is_empty() {
            q = q.filter(requests::status.eq_any(f.statuses.clone()));
        }
        match &f.assignee {
            Some(AssigneeFilter::Nobody) => q = q.filter(requests::assignee_id.is_null()),
            Some(AssigneeFilter::Email(email)) => {
                let ids = users::table.filter(users::email.eq(email.clone())).select(users::id);
                q = q.filter(requests::assignee_id.eq_any(ids.nullable()));
            }
            None => {}
        }
        if let Some(email) = &f.requester_email {
            let ids = users::table.filter(users::email.eq(email.clone())).select(users::id);
            q = q.filter(requests::requester_id.eq_any(ids));
        }
        if let Some(id) = &f.requester_id {
            q = q.filter(requests::requester_id.eq(id.clone()));
        }
        if let Some(category) = &f.category {
            q = q.filter(requests::category.eq(category.clone()));
        }
        if let Some(priority) = &f.priority {
            q = q.filter(requests::priority.eq(priority.clone()));
        }
        if let Some(numbers) = &f.numbers {
            q = q.filter(requests::number.eq_any(numbers.clone()));
        }
        if let Some(m) = &f.matching {
            q = q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(&m.before).bind::<diesel::sql_types::Text, _>(m.param.clone()).sql(m.after));
        }
        if let Some(n) = f.except_number {
            q = q.filter(requests::number.ne(n));
        }
        let now = f.now;
        let breached = requests::fr_breached_at.le(now).or(requests::res_breached_at.le(now));
        match f.sla {
            Some(SlaFilter::Breached) => q = q.filter(breached.assume_not_null()),
            Some(SlaFilter::AtRisk) => {
                let at_risk = requests::fr_at_risk_at.le(now).or(requests::res_at_risk_at.le(now));
                let not_breached = requests::fr_breached_at
                    .is_null()
                    .or(requests::fr_breached_at.gt(now))
                    .and(requests::res_breached_at.is_null().or(requests::res_breached_at.gt(now)));
                // Implied (an at-risk request's running clocks are all still before their due
                // time), and it makes the query a range scan of the due-time index from now on.
                q = q.filter(requests::queue_due_at.gt(now));
                q = q.filter(at_risk.assume_not_null()).filter(not_breached.assume_not_null());
            }
            None => {}
        }
        let p1 = requests::priority.eq("P1");
        let at_risk = requests::fr_at_risk_at.le(now).or(requests::res_at_risk_at.le(now));
        match tier {
            None => {}
            Some(UrgencyTier::P1) => q = q.filter(p1),
            Some(UrgencyTier::Breached) => q = q.filter(requests::priority.ne("P1")).filter(requests::queue_due_at.le(now)),
            Some(UrgencyTier::AtRisk) => {
                q = q.filter(requests::priority.ne("P1")).filter(requests::queue_due_at.gt(now)).filter(at_risk.assume_not_null())
            }
            Some(UrgencyTier::Rest) => {
                q = q.filter(requests::priority.ne("P1")).filter(requests::queue_due_at.gt(now)).filter(
                    requests::fr_at_risk_at
                        .is_null()
                        .or(requests::fr_at_risk_at.gt(now))
                        .and(requests::res_at_risk_at.is_null().or(requests::res_at_risk_at.gt(now)))
                        .assume_not_null(),
                )
            }
        }
        match f.sort {
            Sort::Created | Sort::Relevance => {
                if let Some((at, id)) = &f.after {
                    q = q.filter(
                        requests::created_at.lt(*at).or(requests::created_at.eq(*at).and(requests::id.lt(id.clone()))),
                    );
                }
                LiteralLimit::new(q.order((requests::created_at.desc(), requests::id.desc())), f.limit).load(c)
            }
            Sort::Due | Sort::Urgency => {
                if let Some((at, id)) = &f.after {
                    q = q.filter(
                        requests::queue_due_at.gt(*at).or(requests::queue_due_at.eq(*at).and(requests::id.gt(id.clone()))),
                    );
                }
                LiteralLimit::new(q.order((requests::queue_due_at.asc(), requests::id.asc())), f.limit).load(c)
            }
        }
    })
}
