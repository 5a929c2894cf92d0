//! Saving the filters of a queue or of "My requests" as a named view, and deleting one
//! (`service::views`); the top bar lists them.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::actions::with_outcome;
use super::session::SignedIn;
use super::{PageError, local_path, see_other};
use crate::error::ApiError;
use crate::service::views::{self, ViewInput};
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/views", web::post().to(save)).route("/views/{id}/delete", web::post().to(delete));
}

#[derive(Deserialize)]
struct ViewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    query: String,
}

/// Saves the view, then shows it (or goes back to the page saying why not).
async fn save(
    state: web::Data<AppState>,
    user: SignedIn,
    form: web::Form<ViewForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    let ViewForm { name, path, query, .. } = form.into_inner();
    let back = local_path(&path).unwrap_or_else(|| "/requests/mine".into());
    let back = if query.is_empty() { back } else { format!("{back}?{query}") };
    let (actor, now) = (user.actor.clone(), state.clock.now());
    let input = ViewInput { name, path, query };
    match state.run(move |c| views::add(c, &actor, &input, now)).await {
        Ok(saved) => Ok(see_other(&saved.url)),
        Err(e @ (ApiError::Validation(_) | ApiError::Conflict { .. })) => {
            Ok(see_other(&with_outcome(&back, &[("refused", &e.to_string())])))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct DeleteForm {
    #[serde(default)]
    csrf: String,
}

async fn delete(
    state: web::Data<AppState>,
    user: SignedIn,
    id: web::Path<String>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    let actor = user.actor.clone();
    state.run(move |c| views::delete(c, &actor, &id)).await?;
    Ok(see_other("/requests/mine"))
}
