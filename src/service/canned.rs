//! Canned replies: a team's ready-made texts that its staff pick on a request's page and send
//! as a comment (edited or not). The team's lead and admins keep them; every member reads them.
//! A text may name `{requester_name}`, `{key}` and `{due}` (the next answer's due time: the first
//! response's while there is none, then the resolution's, in the requester's zone), filled in
//! for the request it is used on. Any other `{word}` is refused when the text is saved.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::Error;
use crate::auth::Actor;
use crate::db::{self, AnyConnection, CannedRow, from_db, to_db, write_tx};
use crate::domain::request::parse_text;
use crate::domain::{FieldErrors, Role};
use crate::read::views::RequestView;

pub const PLACEHOLDERS: [&str; 3] = ["requester_name", "key", "due"];
const NAME_MAX: usize = 100;
const BODY_MAX: usize = 20_000;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CannedReply {
    pub id: String,
    pub team: String,
    pub name: String,
    /// As saved, placeholders and all.
    pub body: String,
    #[serde(serialize_with = "crate::rfc3339::serialize")]
    pub updated_at: DateTime<Utc>,
}

impl From<CannedRow> for CannedReply {
    fn from(r: CannedRow) -> Self {
        Self { id: r.id, team: r.team_key, name: r.name, body: r.body, updated_at: from_db(r.updated_at) }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CannedInput {
    /// At most 100 characters, one line; unique within the team.
    pub name: String,
    /// At most 20,000 characters; may name {requester_name}, {key} and {due}.
    pub body: String,
}

/// Who reads a team's replies: who works for it.
fn may_read(actor: &Actor, team: &str) -> Result<(), Error> {
    if actor.works_for(team) {
        Ok(())
    } else {
        Err(Error::Forbidden(format!("only team {team}'s staff read its replies")))
    }
}

/// Who keeps them: its lead, and admins.
fn may_keep(actor: &Actor, team: &str) -> Result<(), Error> {
    if actor.role == Role::Admin || (actor.role == Role::Lead && actor.is_member(team)) {
        Ok(())
    } else {
        Err(Error::Forbidden(format!("only team {team}'s lead or an admin keeps its replies")))
    }
}

/// The `{word}`s of a text.
fn placeholders(body: &str) -> Vec<&str> {
    body.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(word, _)| word)).collect()
}

fn check(input: &CannedInput) -> Result<(String, String), Error> {
    let mut errors = FieldErrors::default();
    let name = errors.check("name", parse_text(&input.name, NAME_MAX, false));
    let body = errors.check("body", parse_text(&input.body, BODY_MAX, true));
    if let Some(body) = &body
        && let Some(unknown) = placeholders(body).into_iter().find(|w| !PLACEHOLDERS.contains(w))
    {
        errors.add("body", format!("unknown placeholder {{{unknown}}}; use {{requester_name}}, {{key}} or {{due}}"));
    }
    match (name, body) {
        (Some(name), Some(body)) if errors.is_empty() => Ok((name, body)),
        _ => Err(Error::Validation(errors)),
    }
}

pub fn list(conn: &mut AnyConnection, actor: &Actor, team: &str) -> Result<Vec<CannedReply>, Error> {
    if !db::team_exists(conn, team)? {
        return Err(Error::not_found(format!("team '{team}'")));
    }
    may_read(actor, team)?;
    Ok(db::canned_of(conn, team)?.into_iter().map(CannedReply::from).collect())
}

/// Adds a reply (`id` None) or replaces one; audited.
pub fn save(
    conn: &mut AnyConnection,
    actor: &Actor,
    team: &str,
    id: Option<&str>,
    input: &CannedInput,
    now: DateTime<Utc>,
) -> Result<CannedReply, Error> {
    let (name, body) = check(input)?;
    write_tx(conn, |conn| {
        if !db::team_exists(conn, team)? {
            return Err(Error::not_found(format!("team '{team}'")));
        }
        may_keep(actor, team)?;
        let id = match id {
            Some(id) => {
                db::canned_by_id(conn, team, id)?.ok_or_else(|| Error::not_found(format!("canned reply '{id}'")))?.id
            }
            None => Uuid::now_v7().to_string(),
        };
        if db::canned_name_taken(conn, team, &name, &id)? {
            return Err(Error::Conflict {
                message: format!("team {team} has a reply named '{name}'"),
                fields: FieldErrors::single("name", "already taken"),
            });
        }
        let row = CannedRow {
            id,
            team_key: team.to_owned(),
            name,
            body,
            updated_by: Some(actor.id.clone()),
            updated_at: to_db(now),
        };
        db::save_canned(conn, &row)?;
        db::insert_audit(
            conn,
            "canned_reply_saved",
            Some(&actor.id),
            row.updated_at,
            &json!({ "team": team, "name": row.name }),
        )?;
        Ok(row.into())
    })
}

pub fn delete(conn: &mut AnyConnection, actor: &Actor, team: &str, id: &str, now: DateTime<Utc>) -> Result<(), Error> {
    write_tx(conn, |conn| {
        may_keep(actor, team)?;
        let row = db::canned_by_id(conn, team, id)?.ok_or_else(|| Error::not_found(format!("canned reply '{id}'")))?;
        db::delete_canned(conn, team, id)?;
        db::insert_audit(
            conn,
            "canned_reply_deleted",
            Some(&actor.id),
            to_db(now),
            &json!({ "team": team, "name": row.name }),
        )?;
        Ok(())
    })
}

/// The team's replies filled in for `request` (id, name, text), for its staff; none for anyone
/// else. Times in the requester's zone, else `org_tz`.
pub fn for_request(
    conn: &mut AnyConnection,
    actor: &Actor,
    request: &RequestView,
    org_tz: chrono_tz::Tz,
) -> Result<Vec<(String, String, String)>, Error> {
    if !actor.works_for(&request.team) {
        return Ok(Vec::new());
    }
    let replies = db::canned_of(conn, &request.team)?;
    if replies.is_empty() {
        return Ok(Vec::new());
    }
    let tz = db::user_by_email(conn, &request.requester.email)?
        .and_then(|u| u.timezone)
        .and_then(|tz| tz.parse().ok())
        .unwrap_or(org_tz);
    Ok(replies
        .into_iter()
        .map(|r| {
            let text = fill(&r.body, request, &tz);
            (r.id, r.name, text)
        })
        .collect())
}

/// The text filled in for `request`, times in `tz` (the requester's).
pub fn fill(body: &str, request: &RequestView, tz: &chrono_tz::Tz) -> String {
    let clocks = &request.sla;
    let next =
        if request.first_response_at.is_none() { clocks.first_response.as_ref() } else { clocks.resolution.as_ref() };
    let due = next.and_then(|c| c.due_at).map_or_else(|| "(no due time)".to_owned(), |d| crate::words::when(&d, tz));
    body.replace("{requester_name}", &request.requester.name).replace("{key}", &request.key).replace("{due}", &due)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_known_placeholders_are_taken() {
        let input = |body: &str| CannedInput { name: "Thanks".into(), body: body.into() };
        assert!(check(&input("Hello {requester_name}, {key} is due {due}.")).is_ok());
        let Err(Error::Validation(errors)) = check(&input("Hello {name}")) else { panic!("refused") };
        assert_eq!(errors.get("body"), Some("unknown placeholder {name}; use {requester_name}, {key} or {due}"));
        assert_eq!(placeholders("{a} and {b} but not }{"), ["a", "b"]);
    }
}
