//! API tokens as their owners see them (listing, revoking) and the lookup behind the `Actor`
//! extractor. Creating a token is `users::create_token` (the CLI's).

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Actor;
use crate::db::{self, AnyConnection, from_db, to_db};
use crate::domain::Role;
use crate::service::Error;
use crate::service::users;

/// One of your API tokens (never the token itself).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The actor's own tokens, oldest first.
pub fn mine(conn: &mut AnyConnection, actor: &Actor) -> Result<Vec<TokenView>, Error> {
    Ok(db::tokens_of(conn, &actor.id)?
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            label: t.label,
            created_at: from_db(t.created_at),
            revoked_at: t.revoked_at.map(from_db),
        })
        .collect())
}

/// Revokes a token: the actor's own, or anyone's for an admin. Any other (or an already
/// revoked one) is not found, so a token's existence is not given away.
pub fn revoke(conn: &mut AnyConnection, actor: &Actor, id: &str, now: DateTime<Utc>) -> Result<(), Error> {
    let owner = (actor.role != Role::Admin).then_some(actor.id.as_str());
    db::write_tx(conn, |conn| {
        if !db::revoke_token(conn, id, owner, to_db(now))? {
            return Err(Error::not_found("token"));
        }
        let origin = crate::service::security_log::Origin { actor_id: Some(&actor.id), address: None };
        let detail = serde_json::json!({ "token_id": id });
        crate::service::security_log::record(conn, now, "token_revoked", None, origin, detail)
    })
}

/// Who holds the unrevoked token with this hash (an active user); 401 otherwise.
pub fn actor_by_token_hash(conn: &mut AnyConnection, hash: &str) -> Result<Actor, Error> {
    let (user, teams) = db::user_and_teams_by_token_hash(conn, hash)?
        .ok_or_else(|| Error::Unauthorized("invalid or revoked token".into()))?;
    users::actor_in(user, teams)
}
