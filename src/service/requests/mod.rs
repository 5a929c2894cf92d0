//! Request workflows: each public function is one unit of work in one write transaction,
//! with its authorization check, its domain rule and its events.

use chrono::{DateTime, Utc};
use uuid::Uuid;

mod answers;
mod auto_close;
mod comment;
mod edit;
mod hand_over;
mod inputs;
mod links;
mod priority;
mod reply;
mod status;

use super::notify::{Notifier, Update};
use super::sla;
use crate::auth::Actor;
use crate::db::{self, AnyConnection, RequestRow, to_db, write_tx};
use crate::domain::event::FIRST_RESPONSE_BY_COMMENT;
use crate::domain::request::parse_text;
use crate::domain::{Event, FieldErrors, NewRequest, Priority, RequestInput, RoutingDecision, Status};
use crate::read::views::{Known, Person, RequestDetail, detail_of, request_detail, request_key};
use crate::service::Error;
use crate::service::in_force::ConfigCache;
pub use answers::Via;
use answers::{note_first_answer, note_first_response};
pub use auto_close::{AutoClosed, auto_close};
pub(crate) use comment::comment_in;
pub use comment::{comment, comment_with_files};
pub use edit::{RequestPatch, edit};
pub use hand_over::{ReassignInput, reassign};
pub use inputs::{AssignInput, CommentInput, StatusInput};
pub use links::{LinkInput, add as add_link, remove as remove_link};
pub use priority::{PriorityInput, change_priority};
pub use reply::reply_and_move;
pub(crate) use status::apply_move;
pub use status::{change_status, change_status_via};

pub const COMMENT_MAX: usize = 20_000;
pub const REASON_MAX: usize = 2_000;

pub(crate) fn route(map: &crate::domain::OwnershipMap, new: &NewRequest) -> RoutingDecision {
    map.route(&new.category, &new.title, &new.description, new.page_url.as_deref(), &new.fields)
}

/// Files a request in a write transaction of its own: validates it, routes it, stores it with
/// its `created` and `routed` events. The service files through `service::intake`, which
/// commits several filings together; this is the same unit of work one at a time.
pub fn create(
    conn: &mut AnyConnection,
    actor: &Actor,
    notifier: &Notifier,
    config: &ConfigCache,
    input: &RequestInput,
    now: DateTime<Utc>,
) -> Result<RequestDetail, Error> {
    check_filing(input)?;
    write_tx(conn, |conn| {
        let (detail, words) = file(conn, actor, notifier, config, input, now)?;
        db::index_new(conn, vec![words])?;
        Ok(detail)
    })
}

/// What can be refused before a filing takes its turn to write.
pub fn check_filing(input: &RequestInput) -> Result<(), Error> {
    if input.at.is_some() {
        return Err(Error::validation("at", "only a preview takes 'at'; a request is filed now"));
    }
    Ok(())
}

/// Files a request inside the caller's write transaction. Everything is derived before
/// anything is written, so each row is written once, complete: the request with its clocks,
/// its two events, its first stretch, its facts and the team's notice; the answer is built
/// from them, not read back. Answers with the request's search index row, for the caller to
/// write with `db::index_new` after its other writes, before it commits.
pub(crate) fn file(
    conn: &mut AnyConnection,
    actor: &Actor,
    notifier: &Notifier,
    config: &ConfigCache,
    input: &RequestInput,
    now: DateTime<Utc>,
) -> Result<(RequestDetail, db::NewWords), Error> {
    file_mailed(conn, actor, notifier, config, input, None, now)
}

/// A team's intake address a request was mailed to.
#[derive(Debug, Clone)]
pub struct MailedTo {
    pub address: String,
    pub team: String,
}

/// `file`, for a request mailed to a team's intake address: when no rule matches, the team
/// of the address takes it (not the category's owner).
pub(crate) fn file_mailed(
    conn: &mut AnyConnection,
    actor: &Actor,
    notifier: &Notifier,
    config: &ConfigCache,
    input: &RequestInput,
    mailed: Option<&MailedTo>,
    now: DateTime<Utc>,
) -> Result<(RequestDetail, db::NewWords), Error> {
    let current = config.current(conn)?;
    // Mail cannot fill in a request type's fields: only the form and the API must.
    let new =
        NewRequest::parse_typed(input, &current.map, &current.types, mailed.is_none()).map_err(Error::Validation)?;
    let mut decision = route(&current.map, &new);
    if let Some(mailed) = mailed.filter(|m| decision.rule.is_none() && current.team(&m.team).is_some()) {
        decision.team = mailed.team.clone();
        decision.reason = format!("mailed to {}, the intake address of {}", mailed.address, mailed.team);
    }
    // The requester's choice wins; a matching rule may suggest one when they made none.
    let priority = new.priority.or(decision.suggested_priority).unwrap_or_default();
    let type_version = current.request_type(&new.category).and(current.types_version);
    let row = RequestRow {
        id: Uuid::now_v7().to_string(),
        number: db::next_request_number(conn)?,
        title: new.title,
        description: new.description,
        category: new.category,
        priority: priority.as_str().to_owned(),
        page_url: new.page_url,
        desired_date: new.desired_date,
        status: Status::New.as_str().to_owned(),
        requester_id: actor.id.clone(),
        team_key: decision.team.clone(),
        assignee_id: None,
        routing_version: current.map_version,
        routing_rule: decision.rule.clone(),
        routing_reason: decision.reason.clone(),
        created_at: to_db(now),
        updated_at: to_db(now),
        first_response_at: None,
        resolved_at: None,
        closed_at: None,
        sla_version: current.sla_version,
        escalate_from: None,
        first_answer_at: None,
        team_first_response_at: None,
        team_first_answer_at: None,
        waiting_reason: None,
        type_version,
        fields: (!new.fields.is_empty()).then(|| serde_json::Value::Object(new.fields.clone()).to_string()),
        clocks: db::ClockColumns::default(),
    };
    let at = row.created_at;
    let created = Event::Created {
        key: request_key(row.number),
        title: row.title.clone(),
        category: row.category.clone(),
        priority: row.priority.clone(),
        page_url: row.page_url.clone(),
        desired_date: row.desired_date,
    };
    let routed = Event::Routed {
        team: decision.team,
        rule: decision.rule,
        reason: decision.reason,
        version: current.map_version,
        suggested_priority: decision.suggested_priority,
    };
    let stored = |event: Event, actor_id: Option<String>| db::StoredEvent {
        id: 0,
        request_id: row.id.clone(),
        actor_id,
        at,
        event,
    };
    let mut events = vec![stored(created, Some(actor.id.clone())), stored(routed, None)];
    // Watchers named on the form (no clock minds them).
    let watched = |email: &String| Event::WatcherAdded { email: email.clone() };
    events.extend(new.watchers.iter().map(|email| stored(watched(email), Some(actor.id.clone()))));
    let timeline = sla::timeline(&row, &events);
    let derived = sla::derive_from(&row, &timeline, &current.sla, &[]);
    let mut row = row;
    row.clocks = derived.clocks;
    // The receipt's figures, from before this request (it is not ahead of itself).
    let lately =
        if notifier.confirm_filing { Some(notifier.eta.get(conn, &row.team_key, &row.category, now)?) } else { None };
    db::insert_request(conn, &row)?;
    for e in &events {
        db::insert_event(conn, &row.id, e.actor_id.as_deref(), e.at, &e.event)?;
    }
    db::insert_ledger(conn, &row.id, &derived.ledger)?;
    db::insert_facts(conn, &derived.facts)?;
    let team = current.team(&row.team_key);
    notifier.new_for_team(conn, &row, team, None, now)?;
    for email in &new.watchers {
        db::add_watcher(conn, &row.id, email, &actor.id, at)?;
    }
    let first_response = derived.plans.get(&crate::domain::sla::ClockKind::FirstResponse);
    let category = current.map.category(&row.category).map_or(row.category.as_str(), |c| c.name.as_str());
    let lately = lately.as_deref();
    notifier.filed_for_requester(conn, &row, actor, &new.watchers, team, category, lately, first_response, now)?;
    let words = db::NewWords::of(&row);
    let known = Known { config: &current.sla, timeline: &timeline, plans: &derived.plans, ledger: &derived.ledger };
    // The filer is the only person the new request names.
    let filer = (actor.id.as_str(), Person { email: actor.email.clone(), name: actor.name.clone() });
    Ok((detail_of(conn, row, events, known, true, &[filer], now)?, words))
}

/// Loads a request the actor may read: staff read all, requesters their own and those they
/// watch.
pub(crate) fn load_visible(conn: &mut AnyConnection, actor: &Actor, id_or_key: &str) -> Result<RequestRow, Error> {
    let row = db::find_request(conn, id_or_key)?.ok_or_else(|| Error::not_found(format!("request '{id_or_key}'")))?;
    if actor.role.is_staff() || row.requester_id == actor.id || db::is_watching(conn, &row.id, &actor.email)? {
        Ok(row)
    } else {
        Err(Error::Forbidden(format!("{} is not your request", request_key(row.number))))
    }
}

pub fn show(
    conn: &mut AnyConnection,
    actor: &Actor,
    id_or_key: &str,
    now: DateTime<Utc>,
) -> Result<RequestDetail, Error> {
    let row = load_visible(conn, actor, id_or_key)?;
    request_detail(conn, row, actor.role.is_staff(), now)
}

fn status_of(row: &RequestRow) -> Result<Status, Error> {
    Status::parse(&row.status).map_err(|e| Error::Internal(anyhow::anyhow!(e)))
}

pub(crate) fn require_worker(actor: &Actor, row: &RequestRow) -> Result<(), Error> {
    if actor.works_for(&row.team_key) {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "{} belongs to team '{}'; only its members or an admin may do that",
            request_key(row.number),
            row.team_key
        )))
    }
}

pub fn assign(
    conn: &mut AnyConnection,
    actor: &Actor,
    notifier: &Notifier,
    id_or_key: &str,
    input: &AssignInput,
    now: DateTime<Utc>,
) -> Result<RequestDetail, Error> {
    write_tx(conn, |conn| {
        let mut row = load_visible(conn, actor, id_or_key)?;
        require_worker(actor, &row)?;
        require_open(&row)?;
        let assignee = match input.assignee.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(email) => {
                let user = db::user_by_email(conn, email)?
                    .filter(|u| u.active)
                    .ok_or_else(|| Error::validation("assignee", format!("no active user '{email}'")))?;
                if !db::is_member(conn, &user.id, &row.team_key)? {
                    return Err(Error::validation(
                        "assignee",
                        format!("{} is not a member of team '{}'", user.email, row.team_key),
                    ));
                }
                Some(user)
            }
        };
        let new_id = assignee.as_ref().map(|u| u.id.clone());
        if new_id != row.assignee_id {
            let previous = match &row.assignee_id {
                Some(id) => db::users_by_ids(conn, &[id])?.remove(id).map(|u| u.email),
                None => None,
            };
            row.assignee_id = new_id;
            row.updated_at = to_db(now);
            let email = assignee.as_ref().map(|u| u.email.clone());
            let event = Event::Assigned { assignee: email, previous };
            db::insert_event(conn, &row.id, Some(&actor.id), row.updated_at, &event)?;
            db::save_request(conn, &row)?;
            if let Some(user) = assignee.filter(|u| u.id != actor.id) {
                notifier.assigned(conn, &row, &user.email, now)?;
            }
        }
        request_detail(conn, row, true, now)
    })
}

pub(crate) fn require_open(row: &RequestRow) -> Result<(), Error> {
    if status_of(row)?.is_open() {
        Ok(())
    } else {
        Err(Error::Conflict {
            message: format!("{} is {} and no longer open", request_key(row.number), row.status),
            fields: FieldErrors::default(),
        })
    }
}

/// Parses a priority filter value, for the list endpoint.
pub fn parse_priority(s: &str) -> Result<Priority, Error> {
    Priority::parse(s).map_err(|e| Error::validation("priority", e))
}
