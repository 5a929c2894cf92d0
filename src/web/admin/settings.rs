//! The ownership map and routing rules (with "try this text"), and calendars and SLA policies.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{DocumentForm, Editor, Saved, admin_only, apply_document, pretty};
use crate::domain::{OwnershipMap, RoutingDecision};
use crate::error::ApiError;
use crate::service::admin;
use crate::state::AppState;
use crate::web::session::SignedIn;
use crate::web::{PageError, html_status, see_other};

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
    editors: Vec<Editor>,
    tried: TryText,
    decision: Option<RoutingDecision>,
    saved: bool,
}

pub(super) async fn routing_page(
    state: &AppState,
    user: SignedIn,
    tried: TryText,
    failed: Option<Editor>,
    saved: bool,
) -> Result<HttpResponse, PageError> {
    let current = state.run(admin::current).await?;
    // The documents the API's PUTs take (the views' `version` is not part of them).
    let categories = pretty(&serde_json::json!({
        "fallback_team": current.map.fallback_team, "categories": current.map.categories,
    }))?;
    let rules = pretty(&serde_json::json!({ "rules": current.map.rules }))?;
    let mut editors = vec![
        Editor::new("categories", "Ownership map (fallback team and categories)", categories),
        Editor::new("rules", "Routing rules (tried in order; the first match decides)", rules),
    ];
    if let Some(failed) = failed {
        failed.replace_in(&mut editors);
    }
    let decision = (!tried.category.trim().is_empty()).then(|| {
        let url = Some(tried.page_url.trim()).filter(|u| !u.is_empty());
        current.map.route(tried.category.trim(), &tried.title, &tried.description, url)
    });
    let page = RoutingPage { user, version: current.version, map: current.map, editors, tried, decision, saved };
    let failing = page.editors.iter().any(|e| !e.errors.is_empty());
    let status = if failing { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    html_status(page, status)
}

pub(super) async fn routing(
    state: web::Data<AppState>,
    user: SignedIn,
    tried: web::Query<TryText>,
    saved: web::Query<Saved>,
) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    routing_page(&state, user, tried.into_inner(), None, saved.saved.is_some()).await
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
    let result = match part.as_str() {
        "categories" => {
            apply_document(&state, &user, &text, |c, a, now, input| admin::put_categories(c, a, input, now).map(drop))
                .await
        }
        "rules" => {
            apply_document(&state, &user, &text, |c, a, now, input| admin::put_rules(c, a, input, now).map(drop)).await
        }
        other => return Err(ApiError::not_found(format!("settings '{other}'")).into()),
    };
    let name = if part.as_str() == "rules" { "rules" } else { "categories" };
    match result {
        Ok(()) => Ok(see_other("/admin/routing?saved=1")),
        Err(ApiError::Validation(errors)) => {
            let failed = Editor { name, label: "", text, errors };
            routing_page(&state, user, TryText::default(), Some(failed), false).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "pages/admin_sla.html", config = "config/askama.toml")]
struct SlaPage {
    user: SignedIn,
    version: i32,
    config: crate::domain::sla::SlaConfig,
    editors: Vec<Editor>,
    saved: bool,
}

pub(super) async fn sla_page(
    state: &AppState,
    user: SignedIn,
    failed: Option<Editor>,
    saved: bool,
) -> Result<HttpResponse, PageError> {
    let current = state.run(admin::current_sla).await?;
    let calendars = pretty(&serde_json::json!({ "calendars": current.config.calendars }))?;
    let policies = pretty(&serde_json::json!({ "policies": current.config.policies, "teams": current.config.teams }))?;
    let mut editors = vec![
        Editor::new("calendars", "Business calendars", calendars),
        Editor::new("policies", "SLA policies and escalation ladders", policies),
    ];
    let failing = failed.is_some();
    if let Some(failed) = failed {
        failed.replace_in(&mut editors);
    }
    let status = if failing { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    html_status(SlaPage { user, version: current.version, config: current.config, editors, saved }, status)
}

pub(super) async fn sla(
    state: web::Data<AppState>,
    user: SignedIn,
    saved: web::Query<Saved>,
) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    sla_page(&state, user, None, saved.saved.is_some()).await
}

pub(super) async fn save_sla(
    state: web::Data<AppState>,
    user: SignedIn,
    part: web::Path<String>,
    form: web::Form<DocumentForm>,
) -> Result<HttpResponse, PageError> {
    admin_only(&user)?;
    user.check_csrf(&form.csrf)?;
    let text = form.document.clone();
    let result = match part.as_str() {
        "calendars" => {
            apply_document(&state, &user, &text, |c, a, now, input| admin::put_calendars(c, a, input, now).map(drop))
                .await
        }
        "policies" => {
            apply_document(&state, &user, &text, |c, a, now, input| admin::put_sla_policies(c, a, input, now).map(drop))
                .await
        }
        other => return Err(ApiError::not_found(format!("settings '{other}'")).into()),
    };
    let name = if part.as_str() == "calendars" { "calendars" } else { "policies" };
    match result {
        Ok(()) => Ok(see_other("/admin/sla?saved=1")),
        Err(ApiError::Validation(errors)) => {
            sla_page(&state, user, Some(Editor { name, label: "", text, errors }), false).await
        }
        Err(e) => Err(e.into()),
    }
}
