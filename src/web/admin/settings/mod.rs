//! The ownership map and routing rules (with "try this text"), and the settings forms; the
//! calendars and SLA policies page is sla.rs.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::documents::{self, CALENDARS, CATEGORIES, Options, RULES, TEAMS};
use super::forms::{Form, Group, Op};
use super::{DocumentForm, Edited, Editor, Saved, admin_only, apply_document, pretty};
use crate::domain::{FieldErrors, OwnershipMap, RoutingDecision};
use crate::error::ApiError;
use crate::service::admin::{self, TeamView};
use crate::state::AppState;
use crate::web::session::SignedIn;
use crate::web::{PageError, html_status, see_other};

mod sla;
use sla::{SLA_GROUPS, sla_page};
pub(super) use sla::{save_sla, sla};

#[derive(Debug, Default, Deserialize)]
pub struct TryText {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    page_url: String,
}

#[derive(Template)]
#[template(path = "pages/admin_routing.html", config = "config/askama.toml")]
struct RoutingPage {
    user: SignedIn,
    version: i32,
    map: OwnershipMap,
    categories: Form,
    rules: Form,
    teams: Vec<TeamView>,
    editors: Vec<Editor>,
    /// The request types, edited as the API's document (one editor).
    type_editors: Vec<Editor>,
    tried: TryText,
    decision: Option<RoutingDecision>,
    saved: bool,
}

impl RoutingPage {
    fn category_group(&self) -> &'static Group {
        &CATEGORIES
    }

    fn category_groups(&self) -> &'static [Group] {
        std::slice::from_ref(&CATEGORIES)
    }

    fn rule_group(&self) -> &'static Group {
        &RULES
    }

    fn rule_groups(&self) -> &'static [Group] {
        std::slice::from_ref(&RULES)
    }

    fn teams_only(&self) -> Options {
        documents::team_options(&self.teams, "").split_off(1)
    }

    fn owner_options(&self) -> Options {
        documents::team_options(&self.teams, "The fallback team")
    }

    fn rule_team_options(&self) -> Options {
        documents::team_options(&self.teams, "Choose a team")
    }

    fn priority_options(&self) -> Options {
        documents::priority_options("None")
    }

    fn json_refused(&self) -> bool {
        self.editors.iter().any(|e| !e.errors.is_empty())
    }

    fn team_name<'a>(&'a self, key: &'a str) -> &'a str {
        crate::web::team_name(&self.teams, key)
    }
}

pub(super) async fn routing_page(
    state: &AppState,
    user: SignedIn,
    tried: TryText,
    mut edited: Edited,
    saved: bool,
) -> Result<HttpResponse, PageError> {
    let (current, teams, types) =
        state.run(|c| Ok((admin::current(c)?, admin::teams(c)?, crate::service::request_types::current(c)?))).await?;
    let refused = edited.refused();
    let categories = edited.form("categories", || documents::categories_form(&current.map));
    let rules = edited.form("rules", || documents::rules_form(&current.map));
    // The documents the API's PUTs take (the views' `version` is not part of them).
    let categories_json = pretty(&serde_json::json!({
        "fallback_team": current.map.fallback_team, "categories": current.map.categories,
    }))?;
    let rules_json = pretty(&serde_json::json!({ "rules": current.map.rules }))?;
    let mut editors = vec![
        Editor::new("categories", "Ownership map (fallback team and categories)", categories_json),
        Editor::new("rules", "Routing rules (tried in order; the first match decides)", rules_json),
    ];
    let mut type_editors =
        vec![Editor::new("request_types", "Request types: the fields each kind of change asks for", pretty(&types)?)];
    if let Edited::Document(failed) = edited {
        if failed.name == "request_types" {
            failed.replace_in(&mut type_editors);
        } else {
            failed.replace_in(&mut editors);
        }
    }
    let decision = (!tried.category.trim().is_empty()).then(|| {
        let url = Some(tried.page_url.trim()).filter(|u| !u.is_empty());
        current.map.route(tried.category.trim(), &tried.title, &tried.description, url, &Default::default())
    });
    let (version, map) = (current.version, current.map);
    let page =
        RoutingPage { user, version, map, categories, rules, teams, editors, type_editors, tried, decision, saved };
    html_status(page, if refused { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK })
}

pub(super) async fn routing(
    state: web::Data<AppState>,
    user: SignedIn,
    tried: web::Query<TryText>,
    saved: web::Query<Saved>,
) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    routing_page(&state, user, tried.into_inner(), Edited::Nothing, saved.saved.is_some()).await
}

pub(super) async fn save_routing(
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
        "categories" => ("categories", {
            apply_document(&state, &user, &text, |c, a, now, input| admin::put_categories(c, a, input, now).map(drop))
                .await
        }),
        "rules" => ("rules", {
            apply_document(&state, &user, &text, |c, a, now, input| admin::put_rules(c, a, input, now).map(drop)).await
        }),
        "request_types" => ("request_types", {
            apply_document(&state, &user, &text, |c, a, now, input| {
                crate::service::request_types::put(c, a, input, now).map(drop)
            })
            .await
        }),
        other => return Err(ApiError::not_found(format!("settings '{other}'")).into()),
    };
    match result {
        Ok(()) => Ok(see_other("/admin/routing?saved=1")),
        Err(ApiError::Validation(errors)) => {
            let failed = Editor { name, label: "", text, errors };
            routing_page(&state, user, TryText::default(), Edited::Document(failed), false).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A settings form, by its name in `/admin/forms/{name}`: its single fields, its groups of
/// rows, and the page it sits on.
struct FormSpec {
    name: &'static str,
    singles: &'static [&'static str],
    groups: &'static [Group],
    page: &'static str,
}

const FORMS: [FormSpec; 5] = [
    FormSpec { name: "categories", singles: &["csrf", "fallback_team"], groups: &[CATEGORIES], page: "/admin/routing" },
    FormSpec { name: "rules", singles: &["csrf"], groups: &[RULES], page: "/admin/routing" },
    FormSpec { name: "calendars", singles: &["csrf"], groups: &[CALENDARS], page: "/admin/sla" },
    FormSpec { name: "policies", singles: &["csrf"], groups: &SLA_GROUPS, page: "/admin/sla" },
    FormSpec { name: "teams", singles: &["csrf"], groups: &[TEAMS], page: "/admin/people" },
];

/// A settings form posted: an edit (add, remove or move a row) comes back changed and unsaved;
/// a save goes through the same checks as the API's PUT, and comes back with each problem
/// beside its field, or to the page saying it was saved.
pub(super) async fn save_form(
    state: web::Data<AppState>,
    user: SignedIn,
    name: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    let spec =
        FORMS.iter().find(|f| f.name == name.as_str()).ok_or_else(|| ApiError::not_found(format!("form '{name}'")))?;
    let (mut form, op) = Form::posted(&body, spec.singles, spec.groups);
    user.check_csrf(form.single("csrf"))?;
    if op == Op::Save {
        form.drop_empty_rows();
        match save(&state, &user, spec.name, &form).await {
            Ok(()) => return Ok(see_other(&format!("{}?saved={}", spec.page, spec.name))),
            Err(ApiError::Validation(errors) | ApiError::Conflict { fields: errors, .. }) if !errors.is_empty() => {
                form.problems = errors
            }
            Err(ApiError::Conflict { message, .. }) => form.problems = FieldErrors::single(spec.name, message),
            Err(e) => return Err(e.into()),
        }
    } else {
        form.edit(&op);
    }
    let edited = Edited::Form(spec.name, form);
    match spec.page {
        "/admin/routing" => routing_page(&state, user, TryText::default(), edited, false).await,
        "/admin/sla" => sla_page(&state, user, edited, false).await,
        _ => super::people::people_page(&state, user, Default::default(), FieldErrors::default(), edited, false).await,
    }
}

/// Saves a form as the API's PUT of its document would.
async fn save(state: &AppState, user: &SignedIn, name: &'static str, form: &Form) -> Result<(), ApiError> {
    let (actor, now) = (user.actor.clone(), state.clock.now());
    let invalid = ApiError::Validation;
    match name {
        "categories" => {
            let input = documents::categories_input(form).map_err(invalid)?;
            state.run(move |c| admin::put_categories(c, &actor, input, now).map(drop)).await
        }
        "rules" => {
            let mut input = documents::rules_input(form).map_err(invalid)?;
            state
                .run(move |c| {
                    admin::change_map(c, &actor, now, "routing_rules", |map| {
                        // The form edits the text conditions; a rule keeps its field
                        // conditions (set through the API) under its name.
                        for rule in &mut input.rules {
                            if let Some(old) = map.rules.iter().find(|o| o.name == rule.name) {
                                rule.fields = old.fields.clone();
                            }
                        }
                        map.rules = input.rules;
                    })
                    .map(drop)
                })
                .await
        }
        "calendars" => {
            let input = documents::calendars_input(form).map_err(invalid)?;
            state.run(move |c| admin::put_calendars(c, &actor, input, now).map(drop)).await
        }
        "policies" => {
            let input = documents::policies_input(form).map_err(invalid)?;
            state.run(move |c| admin::put_sla_policies(c, &actor, input, now).map(drop)).await
        }
        _ => {
            let teams = documents::teams_input(form);
            state.run(move |c| admin::put_teams(c, &actor, &teams, now).map(drop)).await
        }
    }
}
