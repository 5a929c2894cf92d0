//! Editing a request after filing (`PATCH /api/v1/requests/{id}`, the request page's Edit).
//!
//! Who: the owning team's staff while it is open; its requester while it is new (once the team
//! has acknowledged it, the requester asks in a comment). What: title, details, kind of change
//! (category), priority and wanted-by date. Each edit is one `edited` event holding every
//! field's value before and after; the same values again record nothing.
//!
//! Two changes mean more than their field: a priority is measured again from creation against
//! the new targets (the rule of `priority.rs`, docs/sla.md), and a category owned by another
//! team moves the request there, a hand-over with a reason counted as a routing correction
//! (the same event as "not ours", `hand_over.rs`), announced to the receiving team.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{REASON_MAX, load_visible, require_open, require_worker};
use crate::auth::Actor;
use crate::db::{self, AnyConnection, RequestRow, to_db, write_tx};
use crate::domain::event::FieldChange;
use crate::domain::request::{DESCRIPTION_MAX, TITLE_MAX, parse_category, parse_text};
use crate::domain::request_type::{check_values, stored_fields, type_of};
use crate::domain::{Event, FieldErrors, Priority, Status};
use crate::read::views::{RequestDetail, request_detail, request_key};
use crate::service::in_force::ConfigCache;
use crate::service::notify::Notifier;
use crate::service::{Error, sla};
use serde_json::{Map, Value};

/// The fields to change; those left out stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestPatch {
    /// At most 200 characters, one line.
    pub title: Option<String>,
    /// At most 20,000 characters.
    pub description: Option<String>,
    /// A category key of the ownership map in force; one owned by another team moves the
    /// request there and needs `reason`.
    pub category: Option<String>,
    /// P1..P4: the clocks are measured again from creation against its targets.
    pub priority: Option<String>,
    /// YYYY-MM-DD; an empty string clears it.
    pub desired_date: Option<String>,
    /// The request type's fields to change, `{key: value}`; null or "" clears one (unless it
    /// is required). Checked against the type the request was filed under, or, with a new
    /// category, that category's type now (values it has no field for are dropped).
    #[schema(value_type = Option<Object>)]
    pub fields: Option<serde_json::Map<String, serde_json::Value>>,
    /// Why: required when the request moves to another team; kept with a priority change.
    pub reason: Option<String>,
}

/// The patch, checked: every problem at once, each named by its field.
struct Checked {
    title: Option<String>,
    description: Option<String>,
    category: Option<String>,
    priority: Option<Priority>,
    desired_date: Option<Option<NaiveDate>>,
    reason: Option<String>,
}

fn check(patch: &RequestPatch, map: &crate::domain::OwnershipMap) -> Result<Checked, Error> {
    let mut errors = FieldErrors::default();
    let mut field = |name: &str, parsed: Result<String, String>| errors.check(name, parsed);
    let title = patch.title.as_deref().map(|t| field("title", parse_text(t, TITLE_MAX, false)));
    let description = patch.description.as_deref().map(|d| field("description", parse_text(d, DESCRIPTION_MAX, true)));
    let category = patch.category.as_deref().map(|c| field("category", parse_category(c, map)));
    let reason = match patch.reason.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(r) => Some(field("reason", parse_text(r, REASON_MAX, true))),
    };
    let priority = patch.priority.as_deref().map(|p| errors.check("priority", Priority::parse(p.trim())));
    let desired_date = patch.desired_date.as_deref().map(|d| match d.trim() {
        "" => Some(None),
        d => errors.check(
            "desired_date",
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| format!("must be a date as YYYY-MM-DD (got '{d}')")),
        ),
    });
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    // Every Some(None) above was a refusal, and there were none.
    Ok(Checked {
        title: title.flatten(),
        description: description.flatten(),
        category: category.flatten(),
        priority: priority.flatten(),
        desired_date: desired_date.flatten(),
        reason: reason.flatten(),
    })
}

/// The request's type fields after an edit (as stored JSON, None when empty) and the types'
/// version they follow. Values given replace, null or "" clears; the same category keeps the
/// type it was filed under, a new one takes that category's type now and drops the rest.
fn edited_fields(
    conn: &mut AnyConnection,
    current: &crate::service::in_force::InForce,
    row: &RequestRow,
    before_category: &str,
    given: Option<&Map<String, Value>>,
) -> Result<(Option<String>, Option<i32>), Error> {
    let same_category = row.category == before_category;
    let (types, version) = match (same_category, row.type_version) {
        (true, Some(v)) => (db::types_version(conn, v)?.types, Some(v)),
        _ => (current.types.clone(), current.types_version),
    };
    let def = type_of(&types, &row.category);
    let mut values = stored_fields(row.fields.as_deref());
    if !same_category {
        values.retain(|k, _| def.is_some_and(|d| d.fields.iter().any(|f| &f.key == k)));
    }
    for (k, v) in given.into_iter().flatten() {
        values.insert(k.clone(), v.clone());
    }
    // Cleared values are checked as absent: refused when required.
    let checked = check_values(def, &values, false).map_err(Error::Validation)?;
    let cleared_required: Vec<&str> = def
        .map(|d| d.fields.iter().filter(|f| f.required && values.contains_key(&f.key) && !checked.contains_key(&f.key)))
        .into_iter()
        .flatten()
        .map(|f| f.key.as_str())
        .collect();
    if let Some(key) = cleared_required.first() {
        return Err(Error::Validation(FieldErrors::single(format!("fields.{key}"), "is required")));
    }
    let json = (!checked.is_empty()).then(|| Value::Object(checked).to_string());
    Ok((json, def.and(version)))
}

/// May `actor` edit `row`: its team's staff while open, its requester while new.
fn may_edit(actor: &Actor, row: &RequestRow) -> Result<(), Error> {
    if actor.works_for(&row.team_key) {
        return require_open(row);
    }
    if row.requester_id != actor.id {
        return require_worker(actor, row);
    }
    if row.status == Status::New.as_str() {
        Ok(())
    } else {
        Err(Error::Conflict {
            message: format!(
                "{} was acknowledged by its team: ask them in a comment to change it",
                request_key(row.number)
            ),
            fields: FieldErrors::default(),
        })
    }
}

pub fn edit(
    conn: &mut AnyConnection,
    actor: &Actor,
    notifier: &Notifier,
    config: &ConfigCache,
    id_or_key: &str,
    patch: &RequestPatch,
    now: DateTime<Utc>,
) -> Result<RequestDetail, Error> {
    write_tx(conn, |conn| {
        let current = config.current(conn)?;
        let to = check(patch, &current.map)?;
        let mut row = load_visible(conn, actor, id_or_key)?;
        may_edit(actor, &row)?;
        let at = to_db(now);
        let mut changes = Vec::new();
        let mut change = |field: &str, before: Option<String>, after: Option<String>| {
            if before != after {
                changes.push(FieldChange { field: field.to_owned(), before, after });
            }
        };
        if let Some(title) = to.title {
            change("title", Some(std::mem::replace(&mut row.title, title.clone())), Some(title));
        }
        if let Some(description) = to.description {
            change(
                "description",
                Some(std::mem::replace(&mut row.description, description.clone())),
                Some(description),
            );
        }
        if let Some(date) = to.desired_date {
            let before = std::mem::replace(&mut row.desired_date, date);
            change("desired_date", before.map(|d| d.to_string()), date.map(|d| d.to_string()));
        }
        // A new owner: the hand-over's checks come before anything is written.
        let mut moved_from = None;
        let before_category = row.category.clone();
        if let Some(category) = to.category {
            let (owner, _) = current.map.owner(&category);
            change("category", Some(std::mem::replace(&mut row.category, category.clone())), Some(category.clone()));
            if owner != row.team_key {
                let Some(reason) = to.reason.clone() else {
                    let why = format!("'{category}' belongs to team {owner}: say why the request moves there");
                    return Err(Error::validation("reason", why));
                };
                moved_from = Some((std::mem::replace(&mut row.team_key, owner.clone()), reason));
            }
        }
        if patch.fields.is_some() || moved_from.is_some() || row.category != before_category {
            let (fields, version) = edited_fields(conn, &current, &row, &before_category, patch.fields.as_ref())?;
            let shown = |json: &Option<String>| json.clone().filter(|j| j != "{}");
            change("fields", shown(&row.fields), shown(&fields));
            row.fields = fields;
            row.type_version = version;
        }
        let priority = to.priority.filter(|p| p.as_str() != row.priority);
        if changes.is_empty() && priority.is_none() {
            return request_detail(conn, row, actor.role.is_staff(), now);
        }
        row.updated_at = at;
        if !changes.is_empty() {
            db::save_request_text(conn, &row)?;
            db::insert_event(conn, &row.id, Some(&actor.id), at, &Event::Edited { changes })?;
        }
        if let Some(new) = priority {
            let from = Priority::parse(&row.priority).unwrap_or_default();
            row.priority = new.as_str().to_owned();
            let event = Event::PriorityChanged { from, to: new, reason: to.reason.clone() };
            db::insert_event(conn, &row.id, Some(&actor.id), at, &event)?;
        }
        if let Some((from, reason)) = &moved_from {
            row.assignee_id = None;
            // The receiving team's own clocks start now, as with "not ours".
            row.team_first_response_at = None;
            row.team_first_answer_at = None;
            let event = Event::Reassigned {
                from: from.clone(),
                to: row.team_key.clone(),
                reason: reason.clone(),
                routing_correction: true,
            };
            db::insert_event(conn, &row.id, Some(&actor.id), at, &event)?;
        }
        db::save_request(conn, &row)?;
        sla::refresh(conn, &mut row)?;
        if let Some((from, reason)) = &moved_from {
            notifier.new_for_team(conn, &row, current.team(&row.team_key), Some((from, reason)), now)?;
        }
        request_detail(conn, row, actor.role.is_staff(), now)
    })
}
