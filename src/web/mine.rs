//! My requests: what a requester filed, newest first, with who has each and its clocks.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::session::SignedIn;
use super::{PageError, html};
use crate::read::list::{self, ListQuery, RequestPage};
use crate::read::views::RequestView;
use crate::service::admin::{self, TeamView};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "pages/my_requests.html", config = "config/askama.toml")]
struct MyRequestsPage {
    user: SignedIn,
    requests: Vec<RequestView>,
    teams: Vec<TeamView>,
}

impl MyRequestsPage {
    fn team_name<'a>(&'a self, key: &'a str) -> &'a str {
        super::team_name(&self.teams, key)
    }
}

pub async fn mine(state: web::Data<AppState>, user: SignedIn) -> Result<HttpResponse, PageError> {
    let now = state.clock.now();
    let query = ListQuery { requester: Some(user.actor.email.clone()), limit: Some(200), ..ListQuery::default() };
    let filter = query.to_filter(&user.actor, now)?;
    let versions = state.sla_versions.clone();
    let (page, teams): (RequestPage, _) =
        state.run(move |conn| Ok((list::list(conn, &versions, &filter, now)?, admin::teams(conn)?))).await?;
    html(MyRequestsPage { user, requests: page.items, teams })
}
