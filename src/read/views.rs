//! The API's representations of requests and events, built from rows with one query for the
//! people they name (never one query per row).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::{self, AnyConnection, ListedRequest, RequestRow, StoredEvent, from_db};
use crate::domain::Event;
use crate::domain::facts::ClockFacts;
use crate::domain::ledger::Stretch;
use crate::domain::search::Fragment;
use crate::domain::sla::{Segment, SlaConfig, derive_all, segments};
use crate::service::Error;
use crate::service::sla::{ClockView, SlaVersions, SlaView, sla_view, timeline};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Person {
    pub email: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoutingView {
    /// The rule that decided, or null when the ownership map did.
    pub rule: Option<String>,
    pub reason: String,
    /// Version of the ownership map and rules that routed the request.
    pub version: i32,
}

/// A change request as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RequestView {
    pub id: String,
    /// Short key, e.g. CR-12.
    pub key: String,
    pub title: String,
    pub description: String,
    pub category: String,
    /// P1..P4.
    pub priority: String,
    pub page_url: Option<String>,
    pub desired_date: Option<NaiveDate>,
    /// new, acknowledged, in_progress, waiting_on_requester, waiting (with `waiting_reason`), resolved, closed, rejected, withdrawn.
    pub status: String,
    /// While `waiting`: the key of the admins' reason (`vendor`, `agency`, ...).
    pub waiting_reason: Option<String>,
    /// The request type's fields (`GET /api/v1/request-types`), `{key: value}`: text, URLs and
    /// dates (YYYY-MM-DD) as strings, yes/no as booleans. Empty when its category has none.
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
    pub team: String,
    pub assignee: Option<Person>,
    pub requester: Person,
    pub routing: RoutingView,
    #[serde(serialize_with = "crate::rfc3339::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::rfc3339::serialize")]
    pub updated_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::rfc3339::serialize_option")]
    pub first_response_at: Option<DateTime<Utc>>,
    /// The first message the requester could see from the holding team (a public comment or
    /// status note); a bare status click is a first response but not an answer.
    #[serde(serialize_with = "crate::rfc3339::serialize_option")]
    pub first_answer_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::rfc3339::serialize_option")]
    pub resolved_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::rfc3339::serialize_option")]
    pub closed_at: Option<DateTime<Utc>>,
    /// The first-response and resolution clocks, as of the time of the answer.
    pub sla: SlaView,
    /// Version of the calendars and SLA policies the request is measured against.
    pub sla_version: i32,
    /// In a search's results (`q`): the words it found, marked in the title and around the
    /// first match of the description (null where none is; the match may be in fields or
    /// comments).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub highlight: Option<Highlight>,
}

/// A search result's text in fragments, each marked as a match or not.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Highlight {
    pub title: Option<Vec<Fragment>>,
    pub description: Option<Vec<Fragment>>,
}

/// One entry of a request's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    /// The event's number (an attachment's `event_id` names the comment it came with).
    pub id: i64,
    /// created, routed, acknowledged, status_changed, rejected, reopened, first_response,
    /// commented, assigned, reassigned, priority_changed, files_added, ... (docs/api.md).
    #[serde(rename = "type")]
    pub kind: String,
    /// Who did it; null for the system.
    pub actor: Option<Person>,
    #[serde(serialize_with = "crate::rfc3339::serialize")]
    pub at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// The event itself, for the pages (the API shows `type` and `data`).
    #[serde(skip)]
    pub event: Event,
}

/// A request with its history, oldest event first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RequestDetail {
    #[serde(flatten)]
    pub request: RequestView,
    pub events: Vec<EventView>,
    /// Who held the ball when: the owning team, the requester, or nobody (resolved).
    pub segments: Vec<Segment>,
    /// The same stretches as stored, with their length: business minutes on the owning team's
    /// calendar, and wall-clock minutes (the one still lasting measured up to now).
    pub ledger: Vec<Stretch>,
    /// Links to other requests, said from this one's side.
    pub links: Vec<LinkView>,
}

pub use crate::domain::request::request_key;

/// Link kinds as the side that stored the link names them, and as the other side reads them.
pub const KINDS: [(&str, &str); 3] =
    [("duplicate_of", "duplicated_by"), ("blocks", "blocked_by"), ("parent_of", "child_of")];

/// A link as one request shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LinkView {
    /// From this request's side: duplicate_of, duplicated_by, blocks, blocked_by, parent_of, child_of.
    pub kind: String,
    /// The other request's key.
    pub key: String,
}

/// How `link` reads from the request `this`.
pub fn said_from(link: &db::LinkRow, this: &str) -> String {
    let (forward, reverse) = KINDS.iter().find(|(f, _)| *f == link.kind).copied().unwrap_or(("", ""));
    if link.from == this { forward.to_owned() } else { reverse.to_owned() }
}

/// The request's links, from its side, oldest first.
pub fn link_views(conn: &mut AnyConnection, request_id: &str) -> Result<Vec<LinkView>, Error> {
    Ok(db::links_of(conn, request_id)?
        .into_iter()
        .map(|(link, from, to)| {
            let other = if link.from == request_id { to } else { from };
            LinkView { kind: said_from(&link, request_id), key: request_key(other) }
        })
        .collect())
}

fn person(users: &HashMap<String, Person>, id: &str) -> Person {
    users.get(id).cloned().unwrap_or_else(|| Person { email: String::new(), name: "(unknown user)".into() })
}

/// The people a request names.
struct People {
    requester: Person,
    assignee: Option<Person>,
}

impl People {
    fn of(row: &RequestRow, users: &HashMap<String, Person>) -> Self {
        Self {
            requester: person(users, &row.requester_id),
            assignee: row.assignee_id.as_deref().map(|id| person(users, id)),
        }
    }
}

fn view(row: ListedRequest, people: People, sla: SlaView) -> RequestView {
    RequestView {
        highlight: None,
        sla,
        sla_version: row.sla_version,
        key: request_key(row.number),
        assignee: people.assignee,
        requester: people.requester,
        routing: RoutingView { rule: row.routing_rule, reason: row.routing_reason, version: row.routing_version },
        created_at: from_db(row.created_at),
        updated_at: from_db(row.updated_at),
        first_response_at: row.first_response_at.map(from_db),
        first_answer_at: row.first_answer_at.map(from_db),
        resolved_at: row.resolved_at.map(from_db),
        closed_at: row.closed_at.map(from_db),
        id: row.id,
        title: row.title,
        description: row.description,
        category: row.category,
        priority: row.priority,
        page_url: row.page_url,
        desired_date: row.desired_date,
        status: row.status,
        waiting_reason: row.waiting_reason,
        fields: crate::domain::request_type::stored_fields(row.fields.as_deref()),
        team: row.team_key,
    }
}

/// Views of a page of requests, each listed with its clocks as stored and its people (never
/// its events).
pub fn request_views(
    conn: &mut AnyConnection,
    versions: &SlaVersions,
    rows: Vec<db::ListedRow>,
    now: DateTime<Utc>,
) -> Result<Vec<RequestView>, Error> {
    let mut views = Vec::with_capacity(rows.len());
    for (row, clocks, (email, name), assignee) in rows {
        let config = versions.get(conn, row.sla_version)?;
        let clock = |c: Option<ClockFacts>| c.map(|c| stored_clock_view(&c, &config, now));
        let sla = match clocks {
            Some(c) => SlaView { first_response: clock(c.first_response()), resolution: clock(c.resolution()) },
            None => SlaView { first_response: None, resolution: None },
        };
        let people = People {
            requester: Person { email, name },
            assignee: assignee.map(|(email, name)| Person { email, name }),
        };
        views.push(view(row, people, sla));
    }
    Ok(views)
}

/// A clock as stored, at `now`: what `clock_view` shows of the same clock derived.
fn stored_clock_view(c: &ClockFacts, config: &SlaConfig, now: DateTime<Utc>) -> ClockView {
    ClockView {
        target_minutes: c.target_minutes,
        calendar: c.calendar.clone(),
        due_at: c.due_at,
        state: c.state(now),
        elapsed_minutes: c.elapsed(now, &config.calendar_named(&c.calendar)).num_minutes(),
        breached_at: c.breached_at.filter(|t| *t <= now),
        stopped_at: c.stopped_at,
    }
}

/// A request with its events; `show_internal` decides whether internal notes are included.
pub fn request_detail(
    conn: &mut AnyConnection,
    row: RequestRow,
    show_internal: bool,
    now: DateTime<Utc>,
) -> Result<RequestDetail, Error> {
    let all_events = db::events_of(conn, &row.id)?;
    let config = db::sla_version(conn, row.sla_version)?.config;
    let timeline = timeline(&row, &all_events);
    let plans = derive_all(&timeline, &config);
    let ledger: Vec<Stretch> = db::ledger_of(conn, &row.id)?.iter().map(|s| s.stretch()).collect();
    let known = Known { config: &config, timeline: &timeline, plans: &plans, ledger: &ledger };
    let links = link_views(conn, &row.id)?;
    let mut detail = detail_of(conn, row, all_events, known, show_internal, &[], now)?;
    detail.links = links;
    Ok(detail)
}

/// What the caller already holds of a request: its SLA configuration, timeline, clocks and
/// ledger.
pub struct Known<'a> {
    pub config: &'a SlaConfig,
    pub timeline: &'a crate::domain::sla::Timeline,
    pub plans: &'a std::collections::BTreeMap<crate::domain::sla::ClockKind, crate::domain::sla::ClockPlan>,
    pub ledger: &'a [Stretch],
}

/// `request_detail` from what the caller holds (a filing answers from the rows it just wrote,
/// without reading them back); only the people named that `people` does not hold are read.
pub fn detail_of(
    conn: &mut AnyConnection,
    row: RequestRow,
    all_events: Vec<StoredEvent>,
    known: Known<'_>,
    show_internal: bool,
    people: &[(&str, Person)],
    now: DateTime<Utc>,
) -> Result<RequestDetail, Error> {
    let sla = sla_view(known.plans, now);
    let segments = segments(known.timeline);
    let ledger = known.ledger.iter().map(|s| s.as_of(known.config, now)).collect();
    let events: Vec<StoredEvent> = all_events.into_iter().filter(|e| show_internal || !e.event.is_internal()).collect();
    let ids: Vec<&str> = events
        .iter()
        .filter_map(|e| e.actor_id.as_deref())
        .chain([row.requester_id.as_str()])
        .chain(row.assignee_id.as_deref())
        .filter(|id| !people.iter().any(|(known, _)| known == id))
        .collect();
    let mut users: HashMap<String, Person> = if ids.is_empty() {
        HashMap::new()
    } else {
        db::users_by_ids(conn, &ids)?.into_values().map(|u| (u.id, Person { email: u.email, name: u.name })).collect()
    };
    users.extend(people.iter().map(|(id, p)| ((*id).to_owned(), p.clone())));
    let events = events
        .into_iter()
        .map(|e| EventView {
            id: e.id,
            actor: e.actor_id.as_deref().map(|id| person(&users, id)),
            at: from_db(e.at),
            data: e.event.payload(),
            kind: e.event.kind().to_owned(),
            event: e.event,
        })
        .collect();
    let people = People::of(&row, &users);
    // A request new enough to be answered from what was just written has no links yet.
    Ok(RequestDetail { request: view(row.into(), people, sla), events, segments, ledger, links: Vec::new() })
}

/// What `POST /requests/preview` answers: where the request would go, why, and when to
/// expect answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreviewView {
    pub team: String,
    pub routing: PreviewRouting,
    /// The priority it would get (chosen, else suggested by a rule, else P3).
    pub priority: crate::domain::Priority,
    /// Null when the team has no SLA policy for that priority.
    pub sla: Option<PreviewSla>,
    /// What actually happened to this kind of request with that team lately.
    pub eta: super::eta::Eta,
    /// The same, as first-response and resolution median and p90 in business minutes, the
    /// sample they come from, and the requests ahead in the team's queue.
    pub observed: super::eta::Observed,
    /// When nine in ten of them had been resolved, counted from now on the team's calendar;
    /// null with too few of them, or when more than one in ten is unresolved.
    #[serde(serialize_with = "crate::rfc3339::serialize_option")]
    pub usual_resolution_by: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreviewRouting {
    pub rule: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreviewSla {
    #[serde(serialize_with = "crate::rfc3339::serialize_option")]
    pub first_response_due: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::rfc3339::serialize_option")]
    pub resolution_due: Option<DateTime<Utc>>,
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
    /// `24x7` or the team's business calendar.
    pub calendar: String,
}
