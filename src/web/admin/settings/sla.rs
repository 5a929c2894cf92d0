//! The calendars and SLA policies page, and the waiting reasons' editor on it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::super::documents::{self, CALENDARS, Options, POLICIES, TEAM_CALENDARS};
use super::super::forms::{Form, Group};
use super::super::{DocumentForm, Edited, Editor, Saved, admin_only, apply_document, pretty};
use crate::error::ApiError;
use crate::service::admin::{self, TeamView};
use crate::state::AppState;
use crate::web::session::SignedIn;
use crate::web::{PageError, html_status, see_other};

#[derive(Template)]
#[template(path = "pages/admin_sla.html", config = "config/askama.toml")]
struct SlaPage {
    user: SignedIn,
    version: i32,
    config: crate::domain::sla::SlaConfig,
    calendars: Form,
    policies: Form,
    teams: Vec<TeamView>,
    editors: Vec<Editor>,
    /// The waiting reasons, edited as the API's document (one editor).
    reason_editors: Vec<Editor>,
    saved: bool,
}

impl SlaPage {
    fn calendar_group(&self) -> &'static Group {
        &CALENDARS
    }

    fn calendar_groups(&self) -> &'static [Group] {
        std::slice::from_ref(&CALENDARS)
    }

    fn policy_group(&self) -> &'static Group {
        &POLICIES
    }

    fn team_calendar_group(&self) -> &'static Group {
        &TEAM_CALENDARS
    }

    fn policy_groups(&self) -> &'static [Group] {
        &SLA_GROUPS
    }

    /// Every IANA time zone, by name.
    fn zone_options(&self) -> Options {
        chrono_tz::TZ_VARIANTS.iter().map(|z| (z.name().to_owned(), z.name().to_owned())).collect()
    }

    fn days(&self) -> &'static [(&'static str, &'static str)] {
        &documents::DAYS
    }

    fn team_options(&self) -> Options {
        documents::team_options(&self.teams, "Choose a team")
    }

    fn team_name<'a>(&'a self, key: &'a str) -> &'a str {
        crate::web::team_name(&self.teams, key)
    }

    fn priority_options(&self) -> Options {
        documents::priority_options("Choose a priority")
    }

    fn clock_options(&self) -> Options {
        [("", "Choose a clock"), ("business", "The team's business hours"), ("24x7", "Round the clock (24x7)")]
            .map(|(v, l)| (v.to_owned(), l.to_owned()))
            .into()
    }

    /// The calendars in force, by name.
    fn calendar_options(&self) -> Options {
        std::iter::once((String::new(), "Choose a calendar".to_owned()))
            .chain(self.config.calendars.iter().map(|c| (c.name.clone(), c.name.clone())))
            .collect()
    }

    fn json_refused(&self) -> bool {
        self.editors.iter().any(|e| !e.errors.is_empty())
    }
}

pub(super) const SLA_GROUPS: [Group; 2] = [POLICIES, TEAM_CALENDARS];

pub(in crate::web::admin) async fn sla_page(
    state: &AppState,
    user: SignedIn,
    mut edited: Edited,
    saved: bool,
) -> Result<HttpResponse, PageError> {
    let (current, teams) = state.run(|c| Ok((admin::current_sla(c)?, admin::teams(c)?))).await?;
    let refused = edited.refused();
    let calendars = edited.form("calendars", || documents::calendars_form(&current.config));
    let policies = edited.form("policies", || documents::policies_form(&current.config));
    let calendars_json = pretty(&serde_json::json!({ "calendars": current.config.calendars }))?;
    let policies_json =
        pretty(&serde_json::json!({ "policies": current.config.policies, "teams": current.config.teams }))?;
    let mut editors = vec![
        Editor::new("calendars", "Business calendars", calendars_json),
        Editor::new("policies", "SLA policies and escalation ladders", policies_json),
    ];
    let reasons_json = pretty(&current.config.waiting_reasons)?;
    let mut reason_editors = vec![Editor::new(
        "waiting_reasons",
        "Waiting reasons: what a request may wait on besides its requester",
        reasons_json,
    )];
    if let Edited::Document(failed) = edited {
        if failed.name == "waiting_reasons" {
            failed.replace_in(&mut reason_editors);
        } else {
            failed.replace_in(&mut editors);
        }
    }
    let status = if refused { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let (version, config) = (current.version, current.config);
    html_status(SlaPage { user, version, config, calendars, policies, teams, editors, reason_editors, saved }, status)
}

pub(in crate::web::admin) async fn sla(
    state: web::Data<AppState>,
    user: SignedIn,
    saved: web::Query<Saved>,
) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    sla_page(&state, user, Edited::Nothing, saved.saved.is_some()).await
}

pub(in crate::web::admin) async fn save_sla(
    state: web::Data<AppState>,
    user: SignedIn,
    part: web::Path<String>,
    form: web::Form<DocumentForm>,
) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    user.check_csrf(&form.csrf)?;
    let text = form.document.clone();
    // The form saved, named as its editor is, and what saving it said.
    let (name, result) = match part.as_str() {
        "calendars" => ("calendars", {
            apply_document(&state, &user, &text, |c, a, now, input| admin::put_calendars(c, a, input, now).map(drop))
                .await
        }),
        "policies" => ("policies", {
            apply_document(&state, &user, &text, |c, a, now, input| admin::put_sla_policies(c, a, input, now).map(drop))
                .await
        }),
        "waiting_reasons" => ("waiting_reasons", {
            apply_document(&state, &user, &text, |c, a, now, input| {
                crate::service::request_types::put_waiting_reasons(c, a, input, now).map(drop)
            })
            .await
        }),
        other => return Err(ApiError::not_found(format!("settings '{other}'")).into()),
    };
    match result {
        Ok(()) => Ok(see_other("/admin/sla?saved=1")),
        Err(ApiError::Validation(errors)) => {
            sla_page(&state, user, Edited::Document(Editor { name, label: "", text, errors }), false).await
        }
        Err(e) => Err(e.into()),
    }
}
