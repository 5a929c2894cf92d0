//! My requests, as a marketer thinks of them: those waiting on them first, then the open ones
//! with who has each and when to expect an answer, then the rest (newest first within each);
//! a filter for open and closed, and a search box.

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::session::SignedIn;
use super::{PageError, html};
use crate::read::list::{ListQuery, RequestPage};
use crate::read::views::RequestView;
use crate::service::admin::{self, TeamView};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "pages/my_requests.html", config = "config/askama.toml")]
struct MyRequestsPage {
    user: SignedIn,
    requests: Vec<RequestView>,
    teams: Vec<TeamView>,
    show: String,
    q: String,
    /// Why saving these filters as a view was refused.
    refused: String,
}

impl MyRequestsPage {
    fn view_path(&self) -> &'static str {
        "/requests/mine"
    }

    fn view_refused(&self) -> &str {
        &self.refused
    }

    /// The filters shown, as a saved view keeps them.
    fn view_query(&self) -> String {
        let kept = [("q", &self.q), ("show", &self.show)].into_iter().filter(|(_, v)| !v.trim().is_empty());
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(kept).finish()
    }

    fn team_name<'a>(&'a self, key: &'a str) -> &'a str {
        super::team_name(&self.teams, key)
    }

    /// When the next answer is due: the first response while there is none, else the
    /// resolution (none once resolved, or while paused on the requester).
    fn expected(&self, r: &RequestView) -> Option<DateTime<Utc>> {
        let first = r.sla.first_response.as_ref().filter(|c| c.stopped_at.is_none());
        first.or(r.sla.resolution.as_ref().filter(|c| c.stopped_at.is_none())).and_then(|c| c.due_at)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct MineQuery {
    /// open, closed or all (default).
    #[serde(default)]
    show: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    refused: String,
}

/// Where a request stands for its requester: theirs to answer, being worked on, or done.
fn group(status: &str) -> u8 {
    match status {
        "waiting_on_requester" => 0,
        "new" | "acknowledged" | "in_progress" | "waiting" => 1,
        _ => 2,
    }
}

pub async fn mine(
    state: web::Data<AppState>,
    user: SignedIn,
    query: web::Query<MineQuery>,
) -> Result<HttpResponse, PageError> {
    let now = state.clock.now();
    let query = query.into_inner();
    let status = match query.show.as_str() {
        "open" => Some("new,acknowledged,in_progress,waiting_on_requester,waiting".to_owned()),
        "closed" => Some("resolved,closed,rejected,withdrawn".to_owned()),
        _ => None,
    };
    let q = Some(query.q.trim().to_owned()).filter(|q| !q.is_empty());
    let list_query =
        ListQuery { requester: Some(user.actor.email.clone()), status, q, limit: Some(200), ..ListQuery::default() };
    let filter = list_query.to_filter(&user.actor, now)?;
    let versions = state.sla_versions.clone();
    let (page, teams): (RequestPage, _) = state
        .run(move |conn| Ok((crate::read::list::list(conn, &versions, &filter, now)?, admin::teams(conn)?)))
        .await?;
    let mut requests = page.items;
    // Stable: newest first within each group, as listed.
    requests.sort_by_key(|r| group(&r.status));
    html(MyRequestsPage { user, requests, teams, show: query.show, q: query.q, refused: query.refused })
}
