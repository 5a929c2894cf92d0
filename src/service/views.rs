//! Saved views: a person keeps the filters of a team queue (`/queues/{team}`) or of their own
//! requests (`/requests/mine`) under a name; they are listed in the person's navigation. Only
//! the pages' own filter fields are kept, re-encoded, so a saved view is never more than a link
//! to a page with its filters.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::Error;
use crate::auth::Actor;
use crate::db::{self, AnyConnection, SavedViewRow, from_db, to_db, write_tx};
use crate::domain::FieldErrors;
use crate::domain::request::parse_text;

/// Filter fields each page takes.
const QUEUE_FIELDS: [&str; 6] = ["q", "status", "priority", "category", "assignee", "sla"];
const MINE_FIELDS: [&str; 2] = ["q", "show"];
/// Views a person may keep.
const MAX_VIEWS: usize = 50;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SavedView {
    pub id: String,
    pub name: String,
    /// The page: `/queues/{team}` or `/requests/mine`.
    pub path: String,
    /// Its filters as a query string (`status=new&priority=P1`), possibly empty.
    pub query: String,
    /// `path` with `query`: the link the navigation shows.
    pub url: String,
    #[serde(serialize_with = "crate::rfc3339::serialize")]
    pub created_at: DateTime<Utc>,
}

impl From<SavedViewRow> for SavedView {
    fn from(r: SavedViewRow) -> Self {
        let url = if r.query.is_empty() { r.path.clone() } else { format!("{}?{}", r.path, r.query) };
        Self { id: r.id, name: r.name, path: r.path, query: r.query, url, created_at: from_db(r.created_at) }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewInput {
    /// At most 60 characters, one line; unique among the person's views.
    pub name: String,
    /// `/queues/{team}` (staff of that team) or `/requests/mine`.
    pub path: String,
    /// The page's filters as a query string; fields the page does not take are refused, empty
    /// ones dropped.
    #[serde(default)]
    pub query: String,
}

pub fn list(conn: &mut AnyConnection, actor: &Actor) -> Result<Vec<SavedView>, Error> {
    Ok(db::views_of(conn, &actor.id)?.into_iter().map(SavedView::from).collect())
}

/// The page's filter fields, or why the path is not a page a view may keep.
fn fields_of(conn: &mut AnyConnection, actor: &Actor, path: &str) -> Result<&'static [&'static str], Error> {
    if path == "/requests/mine" {
        return Ok(&MINE_FIELDS);
    }
    let Some(team) = path.strip_prefix("/queues/") else {
        return Err(Error::validation("path", "must be /queues/{team} or /requests/mine"));
    };
    if !db::team_exists(conn, team)? {
        return Err(Error::validation("path", format!("unknown team '{team}'")));
    }
    if !actor.works_for(team) {
        return Err(Error::Forbidden(format!("team {team}'s queue is for its staff")));
    }
    Ok(&QUEUE_FIELDS)
}

pub fn add(conn: &mut AnyConnection, actor: &Actor, input: &ViewInput, now: DateTime<Utc>) -> Result<SavedView, Error> {
    let mut errors = FieldErrors::default();
    let name = errors.check("name", parse_text(&input.name, 60, false));
    let query = input.query.trim().trim_start_matches('?');
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    write_tx(conn, |conn| {
        let path = input.path.trim();
        let fields = fields_of(conn, actor, path)?;
        if let Some((unknown, _)) = pairs.iter().find(|(k, _)| !fields.contains(&k.as_str())) {
            errors.add("query", format!("'{unknown}' is not a filter of {path}; one of {}", fields.join(", ")));
        }
        let Some(name) = name.filter(|_| errors.is_empty()) else { return Err(Error::Validation(errors)) };
        if db::views_of(conn, &actor.id)?.len() >= MAX_VIEWS {
            return Err(Error::validation("name", format!("at most {MAX_VIEWS} saved views: delete one first")));
        }
        if db::view_name_taken(conn, &actor.id, &name)? {
            return Err(Error::Conflict {
                message: format!("you have a view named '{name}'"),
                fields: FieldErrors::single("name", "already taken"),
            });
        }
        let kept = pairs.iter().filter(|(_, v)| !v.trim().is_empty());
        let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(kept).finish();
        let row = SavedViewRow {
            id: Uuid::now_v7().to_string(),
            user_id: actor.id.clone(),
            name,
            path: path.to_owned(),
            query,
            created_at: to_db(now),
        };
        db::insert_view(conn, &row)?;
        Ok(row.into())
    })
}

pub fn delete(conn: &mut AnyConnection, actor: &Actor, id: &str) -> Result<(), Error> {
    write_tx(conn, |conn| {
        if db::delete_view(conn, &actor.id, id)? { Ok(()) } else { Err(Error::not_found(format!("view '{id}'"))) }
    })
}
