//! The what-if page for leads and admins: a period and categories given to other teams, then
//! the figures as they were and as they would have been (`GET /api/v1/reports/whatif`'s).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::session::SignedIn;
use super::{PageError, html};
use crate::error::ApiError;
use crate::read::dashboard;
use crate::read::whatif::{ClockFigures, WhatIf};
use crate::routes::reports::{WhatIfQuery, run_whatif};
use crate::service::admin::{self, TeamView};
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/whatif", web::get().to(show));
}

#[derive(Template)]
#[template(path = "pages/whatif.html", config = "config/askama.toml")]
struct WhatIfPage {
    user: SignedIn,
    from: String,
    to: String,
    /// The moves asked for, then one empty row to add another.
    rows: Vec<String>,
    /// Every (value, label) a row may take: "category:team", "SEO → IT web operations".
    choices: Vec<(String, String)>,
    teams: Vec<TeamView>,
    /// Every category: (key, name).
    categories: Vec<(String, String)>,
    /// The added rule's team and pattern, as typed.
    rule_team: String,
    rule_pattern: String,
    /// What was wrong with the form, field by field.
    errors: Vec<(String, String)>,
    result: Option<WhatIf>,
}

impl WhatIfPage {
    fn team_name<'a>(&'a self, key: &'a str) -> &'a str {
        super::team_name(&self.teams, key)
    }

    fn category_name<'a>(&'a self, key: &'a str) -> &'a str {
        self.categories.iter().find(|(k, _)| k == key).map_or(key, |(_, name)| name.as_str())
    }

    fn hm(&self, minutes: &Option<i64>) -> String {
        minutes.map_or_else(|| "–".into(), super::words::hm)
    }

    fn pct(&self, share: &Option<f64>) -> String {
        share.map_or("–".into(), |s| format!("{:.0}%", s * 100.0))
    }

    /// "2 h 00 m → 1 h 00 m" for a clock's median, p90 and attainment on both sides.
    fn median(&self, was: &ClockFigures, would: &ClockFigures) -> String {
        format!("{} → {}", self.hm(&was.median_business_minutes), self.hm(&would.median_business_minutes))
    }

    fn p90(&self, was: &ClockFigures, would: &ClockFigures) -> String {
        format!("{} → {}", self.hm(&was.p90_business_minutes), self.hm(&would.p90_business_minutes))
    }

    fn met(&self, was: &ClockFigures, would: &ClockFigures) -> String {
        format!("{} → {}", self.pct(&was.attainment), self.pct(&would.attainment))
    }
}

async fn show(state: web::Data<AppState>, user: SignedIn, request: HttpRequest) -> Result<HttpResponse, PageError> {
    user.actor.require_reports()?;
    let mut query = WhatIfQuery::parse(request.query_string());
    query.moves.retain(|m| !m.trim().is_empty());
    // The form names an added rule by its team and its pattern, apart.
    let field = |name: &str| {
        url::form_urlencoded::parse(request.query_string().as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let (rule_team, rule_pattern) = (field("rule_team"), field("rule_pattern"));
    if !rule_pattern.is_empty() {
        query.rules.push(format!("{rule_team}:{rule_pattern}"));
    }
    let tz = state.settings.org.timezone;
    let (default_from, default_to) = dashboard::default_period(state.clock.now(), tz);
    let from = query.from.clone().filter(|f| !f.trim().is_empty()).unwrap_or_else(|| default_from.to_string());
    let to = query.to.clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| default_to.to_string());
    let (config, asked) = (state.config.clone(), !query.moves.is_empty() || !query.rules.is_empty());
    let (teams, choices, categories) = state
        .run(move |c| {
            let current = config.current(c)?;
            let teams = admin::teams(c)?;
            let mut choices = Vec::new();
            for category in &current.map.categories {
                for team in &teams {
                    let value = format!("{}:{}", category.key, team.key);
                    choices.push((value, format!("{} → {}", category.name, team.name)));
                }
            }
            let categories = current.map.categories.iter().map(|c| (c.key.clone(), c.name.clone())).collect();
            Ok((teams, choices, categories))
        })
        .await?;
    let mut rows = query.moves.clone();
    rows.push(String::new());
    let (mut errors, mut result) = (Vec::new(), None);
    if asked {
        let asked =
            WhatIfQuery { from: Some(from.clone()), to: Some(to.clone()), moves: query.moves, rules: query.rules };
        match run_whatif(&state, asked).await {
            Ok(w) => result = Some(w),
            Err(ApiError::Validation(fields)) => errors = fields.0.into_iter().collect(),
            Err(e) => return Err(e.into()),
        }
    }
    html(WhatIfPage { user, from, to, rows, choices, teams, categories, rule_team, rule_pattern, errors, result })
}
