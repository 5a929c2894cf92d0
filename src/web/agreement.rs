//! The SLA agreement page for leads and admins: the targets in force, team by team, who
//! accepted them and when; a lead accepts them for their team here (`service::agreements`).

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::actions::with_outcome;
use super::session::SignedIn;
use super::{PageError, html, see_other};
use crate::domain::Role;
use crate::error::ApiError;
use crate::service::admin::{self, TeamView};
use crate::service::agreements::{self, Agreement};
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/agreement", web::get().to(show)).route("/dashboard/agreement/sign", web::post().to(sign));
}

#[derive(Template)]
#[template(path = "pages/agreement.html", config = "config/askama.toml")]
struct AgreementPage {
    user: SignedIn,
    a: Agreement,
    teams: Vec<TeamView>,
    /// The teams this person may still sign for.
    may_sign: Vec<String>,
    done: String,
    refused: String,
}

impl AgreementPage {
    fn team_name<'a>(&'a self, key: &'a str) -> &'a str {
        super::team_name(&self.teams, key)
    }

    fn minutes(&self, minutes: &i64) -> String {
        super::words::hm(*minutes)
    }
}

#[derive(Debug, Default, Deserialize)]
struct Outcome {
    #[serde(default)]
    done: String,
    #[serde(default)]
    refused: String,
}

async fn show(
    state: web::Data<AppState>,
    user: SignedIn,
    outcome: web::Query<Outcome>,
) -> Result<HttpResponse, PageError> {
    user.actor.require_reports()?;
    let (a, teams) = state.run(|c| Ok((agreements::agreement(c, None)?, admin::teams(c)?))).await?;
    let may_sign = if user.actor.role == Role::Lead {
        a.teams
            .iter()
            .filter(|t| t.signed_by.is_none() && user.actor.is_member(&t.team))
            .map(|t| t.team.clone())
            .collect()
    } else {
        Vec::new()
    };
    let Outcome { done, refused } = outcome.into_inner();
    html(AgreementPage { user, a, teams, may_sign, done, refused })
}

#[derive(Deserialize)]
struct SignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: i32,
    #[serde(default)]
    team: String,
}

async fn sign(
    state: web::Data<AppState>,
    user: SignedIn,
    form: web::Form<SignForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    let SignForm { version, team, .. } = form.into_inner();
    let (actor, now) = (user.actor.clone(), state.clock.now());
    match state.run(move |c| agreements::sign(c, &actor, version, &team, now)).await {
        Ok(_) => Ok(see_other(&with_outcome("/dashboard/agreement", &[("done", "signed")]))),
        Err(e @ (ApiError::Validation(_) | ApiError::Conflict { .. })) => {
            Ok(see_other(&with_outcome("/dashboard/agreement", &[("refused", &e.to_string())])))
        }
        Err(e) => Err(e.into()),
    }
}
