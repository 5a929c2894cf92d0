//! `/teams/{team}/canned-replies`: the team's lead (and admins) keep its canned replies; the
//! request page offers them to the team's staff (`service::canned`).

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::actions::with_outcome;
use super::session::SignedIn;
use super::{PageError, html, see_other};
use crate::error::ApiError;
use crate::service::admin::{self, TeamView};
use crate::service::canned::{self, CannedInput, CannedReply};
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/teams/{team}/canned-replies", web::get().to(page))
        .route("/teams/{team}/canned-replies", web::post().to(add))
        .route("/teams/{team}/canned-replies/{id}", web::post().to(replace))
        .route("/teams/{team}/canned-replies/{id}/delete", web::post().to(delete));
}

#[derive(Template)]
#[template(path = "pages/canned.html", config = "config/askama.toml")]
struct CannedPage {
    user: SignedIn,
    team: TeamView,
    replies: Vec<CannedReply>,
    /// What the last change did, or why it was refused.
    done: String,
    refused: String,
}

#[derive(Deserialize, Default)]
struct Outcome {
    #[serde(default)]
    done: String,
    #[serde(default)]
    refused: String,
}

#[derive(Deserialize)]
struct ReplyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    body: String,
}

async fn page(
    state: web::Data<AppState>,
    user: SignedIn,
    team: web::Path<String>,
    outcome: web::Query<Outcome>,
) -> Result<HttpResponse, PageError> {
    let actor = user.actor.clone();
    let (team, replies) = state
        .run(move |conn| {
            let replies = canned::list(conn, &actor, &team)?;
            let team = admin::teams(conn)?.into_iter().find(|t| t.key == *team);
            Ok((team, replies))
        })
        .await?;
    let team = team.ok_or_else(|| ApiError::NotFound("team".into()))?;
    let Outcome { done, refused } = outcome.into_inner();
    html(CannedPage { user, team, replies, done, refused })
}

/// Saves (`id` None: adds), then back to the list saying what happened or why not.
async fn save(
    state: web::Data<AppState>,
    user: SignedIn,
    team: String,
    id: Option<String>,
    form: ReplyForm,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    let (actor, now) = (user.actor.clone(), state.clock.now());
    let input = CannedInput { name: form.name, body: form.body };
    let back = format!("/teams/{team}/canned-replies");
    match state.run(move |c| canned::save(c, &actor, &team, id.as_deref(), &input, now)).await {
        Ok(saved) => Ok(see_other(&with_outcome(&back, &[("done", &format!("Saved \"{}\".", saved.name))]))),
        Err(e @ (ApiError::Validation(_) | ApiError::Conflict { .. })) => {
            Ok(see_other(&with_outcome(&back, &[("refused", &e.to_string())])))
        }
        Err(e) => Err(e.into()),
    }
}

async fn add(
    state: web::Data<AppState>,
    user: SignedIn,
    team: web::Path<String>,
    form: web::Form<ReplyForm>,
) -> Result<HttpResponse, PageError> {
    save(state, user, team.into_inner(), None, form.into_inner()).await
}

async fn replace(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<(String, String)>,
    form: web::Form<ReplyForm>,
) -> Result<HttpResponse, PageError> {
    let (team, id) = path.into_inner();
    save(state, user, team, Some(id), form.into_inner()).await
}

async fn delete(
    state: web::Data<AppState>,
    user: SignedIn,
    path: web::Path<(String, String)>,
    form: web::Form<ReplyForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    let (team, id) = path.into_inner();
    let (actor, now) = (user.actor.clone(), state.clock.now());
    let back = format!("/teams/{team}/canned-replies");
    state.run(move |c| canned::delete(c, &actor, &team, &id, now)).await?;
    Ok(see_other(&with_outcome(&back, &[("done", "Deleted.")])))
}
