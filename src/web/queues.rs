//! A team's triage queue: open requests, most urgent first (`sort=urgency`), with filters, search, the
//! common actions on each row and bulk acknowledge / assign to me.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::session::SignedIn;
use super::{PageError, html, see_other, words};
use crate::domain::{FieldErrors, OwnershipMap, Priority, Status};
use crate::error::ApiError;
use crate::read::list::{self, ListQuery};
use crate::read::views::RequestView;
use crate::service::admin::{self, TeamView};
use crate::service::requests::{self as workflow, AssignInput, StatusInput};
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/queues/{team}", web::get().to(queue)).route("/queues/{team}/bulk", web::post().to(bulk));
}

/// The queue's filters, as in the address bar (so a filtered queue can be bookmarked).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct QueueFilters {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub priority: String,
    #[serde(default)]
    pub category: String,
    /// An email, `me`, `none` (unassigned) or empty for anyone.
    #[serde(default)]
    pub assignee: String,
    #[serde(default)]
    pub q: String,
    /// `at_risk`, `breached` or empty.
    #[serde(default)]
    pub sla: String,
    /// Results of the last bulk action: what it did, how many succeeded, and the keys that
    /// could not.
    #[serde(default)]
    pub did: String,
    #[serde(default)]
    pub done: Option<usize>,
    #[serde(default)]
    pub failed: String,
    /// Why a request's action from its row was refused, in the service's words.
    #[serde(default)]
    pub why: String,
    /// Where the page starts: the previous page's `next` cursor.
    #[serde(default)]
    pub cursor: String,
    /// Why saving these filters as a view was refused.
    #[serde(default)]
    pub refused: String,
}

#[derive(Template)]
#[template(path = "pages/queue.html", config = "config/askama.toml")]
struct QueuePage {
    user: SignedIn,
    team: TeamView,
    teams: Vec<TeamView>,
    map: OwnershipMap,
    filters: QueueFilters,
    requests: Vec<RequestView>,
    /// The address of the next page, if there is one.
    next_page: Option<String>,
    /// Only open requests are listed unless a status is chosen.
    statuses: Vec<(&'static str, &'static str)>,
    priorities: Vec<&'static str>,
    back: String,
    /// The moment the page was made: ages and countdowns are from it.
    now: chrono::DateTime<chrono::Utc>,
    /// Whom the team's requests may be assigned to.
    members: Vec<crate::read::views::Person>,
    /// How many open requests each view holds.
    counts: list::ViewCounts,
    /// Keys of the listed requests an open request blocks.
    blocked: Vec<String>,
}

impl QueuePage {
    /// The queue's views, each with its count and whether it is the one shown: (label, query,
    /// count, current).
    fn views(&self) -> [(&'static str, &'static str, i64, bool); 5] {
        let f = &self.filters;
        let plain = f.status.is_empty() && f.priority.is_empty() && f.category.is_empty() && f.q.is_empty();
        let is = |assignee: &str, sla: &str| plain && f.assignee == assignee && f.sla == sla;
        let c = &self.counts;
        [
            ("All open", "", c.open, is("", "")),
            ("Mine", "?assignee=me", c.mine, is("me", "")),
            ("Unassigned", "?assignee=none", c.unassigned, is("none", "")),
            ("Breached", "?sla=breached", c.breached, is("", "breached")),
            ("At risk", "?sla=at_risk", c.at_risk, is("", "at_risk")),
        ]
    }

    fn category_name<'a>(&'a self, key: &'a str) -> &'a str {
        self.map.categories.iter().find(|c| c.key == key).map_or(key, |c| c.name.as_str())
    }

    /// The statuses a request in `status` may move to, for the row's status form: not waiting
    /// (it needs a reason: the request's page offers one per reason) nor withdrawn (the
    /// requester's).
    fn moves(&self, status: &str) -> Vec<(&'static str, &'static str)> {
        Status::parse(status)
            .map(|s| {
                s.allowed_moves()
                    .iter()
                    .filter(|m| !matches!(m, Status::Waiting | Status::Withdrawn))
                    .map(|m| (m.as_str(), words::status_for_staff(m.as_str())))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// What the last bulk action did, in words.
    fn did(&self) -> &'static str {
        match self.filters.did.as_str() {
            "acknowledge" => "acknowledged",
            "assign" | "assigned" => "assigned",
            "status" => "moved",
            "priority" => "given the new priority",
            "hand_over" | "handed_over" => "handed over",
            _ => "done",
        }
    }

    /// The other teams, to hand requests over to.
    fn other_teams(&self) -> Vec<&TeamView> {
        self.teams.iter().filter(|t| t.key != self.team.key).collect()
    }

    fn view_path(&self) -> String {
        format!("/queues/{}", self.team.key)
    }

    fn view_refused(&self) -> &str {
        &self.filters.refused
    }

    /// The filters shown, as a saved view keeps them.
    fn view_query(&self) -> String {
        let f = &self.filters;
        let fields = [("q", &f.q), ("status", &f.status), ("priority", &f.priority), ("category", &f.category)];
        let more = [("assignee", &f.assignee), ("sla", &f.sla)];
        let kept = fields.into_iter().chain(more).filter(|(_, v)| !v.trim().is_empty());
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(kept).finish()
    }

    fn failed_keys(&self) -> Vec<&str> {
        self.filters.failed.split(',').filter(|k| !k.is_empty()).collect()
    }
}

/// Requests a page of the queue shows.
const PAGE: i64 = 50;

/// The open statuses, the queue's default.
const OPEN: [Status; 4] = [Status::New, Status::Acknowledged, Status::InProgress, Status::WaitingOnRequester];

async fn queue(
    state: web::Data<AppState>,
    user: SignedIn,
    team: web::Path<String>,
    filters: web::Query<QueueFilters>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, PageError> {
    if !user.actor.role.is_staff() {
        return Err(ApiError::Forbidden("queues are for agents, leads and admins".into()).into());
    }
    let filters = filters.into_inner();
    let now = state.clock.now();
    let assignee = match filters.assignee.trim() {
        "me" => Some(user.actor.email.clone()),
        "" => None,
        other => Some(other.to_owned()),
    };
    let non_empty = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let open = OPEN.map(Status::as_str).join(",");
    let query = ListQuery {
        team: Some(team.clone()),
        status: non_empty(&filters.status).or(Some(open)),
        assignee,
        category: non_empty(&filters.category),
        priority: non_empty(&filters.priority),
        q: non_empty(&filters.q),
        sla: non_empty(&filters.sla),
        sort: Some("urgency".into()),
        limit: Some(PAGE),
        cursor: non_empty(&filters.cursor),
        ..ListQuery::default()
    };
    let filter = query.to_filter(&user.actor, now)?;
    let key = team.into_inner();
    let versions = state.sla_versions.clone();
    let me = user.actor.id.clone();
    let (team, teams, map, members, page, counts) = state
        .run(move |conn| {
            let teams = admin::teams(conn)?;
            let team = teams
                .iter()
                .find(|t| t.key == key)
                .cloned()
                .ok_or_else(|| crate::service::Error::not_found(format!("team '{key}'")))?;
            let map = admin::current(conn)?.map;
            let members = crate::service::users::members_of(conn, &key)?;
            let counts = list::view_counts(conn, &key, &me, now)?;
            let page = crate::read::list::list(conn, &versions, &filter, now)?;
            let blocked = list::blocked(conn, &page.items)?;
            Ok((team, teams, map, members, (page, blocked), counts))
        })
        .await?;
    let (page, blocked) = page;
    let next_page = page.next_cursor.map(|cursor| {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("q", filters.q.as_str()),
                ("status", &filters.status),
                ("priority", &filters.priority),
                ("category", &filters.category),
                ("assignee", &filters.assignee),
                ("sla", &filters.sla),
                ("cursor", &cursor),
            ])
            .finish();
        format!("/queues/{}?{query}", team.key)
    });
    let requests = page.items;
    let statuses = Status::ALL.iter().map(|s| (s.as_str(), words::status_for_staff(s.as_str()))).collect();
    let priorities = Priority::ALL.iter().map(|p| p.as_str()).collect();
    let back = req.uri().path_and_query().map_or_else(|| format!("/queues/{}", team.key), |p| p.as_str().to_owned());
    let page = QueuePage {
        user,
        team,
        teams,
        map,
        filters,
        requests,
        next_page,
        statuses,
        priorities,
        back,
        now,
        members,
        counts,
        blocked,
    };
    html(page)
}

/// Acknowledges, assigns, moves, reprioritises or hands over each chosen request, each in its own unit of work
/// (one refusal does not undo the others), then shows the queue with the outcome.
async fn bulk(
    state: web::Data<AppState>,
    user: SignedIn,
    team: web::Path<String>,
    form: web::Bytes,
) -> Result<HttpResponse, PageError> {
    // `key` repeats, once per chosen request; `page_key` once per request on the page, for
    // "every request on this page" (`all`), which needs no script.
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&form).into_owned().collect();
    let field = |name: &str| pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    let one = |name: &str| field(name).concat().trim().to_owned();
    user.check_csrf(&one("csrf"))?;
    let action = Bulk::parse(&one)?;
    let keys = if one("all") == "1" { field("page_key") } else { field("key") };
    let (actor, notifier, now) = (user.actor.clone(), state.notifier.clone(), state.clock.now());
    let total = keys.len();
    let did = action.name();
    let failed: Vec<String> = state
        .run(move |conn| {
            let mut failed = Vec::new();
            // Each request is its own unit of work: one refusal does not undo the others.
            for key in &keys {
                if let Err(e) = action.apply(conn, &actor, &notifier, key, now) {
                    log::info!("bulk {} of {key} refused: {e}", action.name());
                    failed.push(key.clone());
                }
            }
            Ok(failed)
        })
        .await?;
    let failed_list = failed.join(",");
    let to = format!(
        "/queues/{}?did={did}&done={}&failed={}",
        team.as_str(),
        total - failed.len(),
        url::form_urlencoded::byte_serialize(failed_list.as_bytes()).collect::<String>()
    );
    Ok(see_other(&to))
}

/// One bulk action and what it needs.
enum Bulk {
    Acknowledge,
    /// To this person's email (`me` is the signed-in user).
    Assign(String),
    Status(String),
    Priority(String),
    HandOver {
        team: String,
        reason: String,
    },
}

impl Bulk {
    /// The action the pressed button names, with the fields it needs (`field` reads one from
    /// the form), or what is missing.
    fn parse(field: &dyn Fn(&str) -> String) -> Result<Self, ApiError> {
        let missing = |field: &str, problem: &str| ApiError::Validation(FieldErrors::single(field, problem));
        let (assignee, status, team, reason) = (field("assignee"), field("status"), field("team"), field("reason"));
        let (assignee, status, team, reason) = (assignee.as_str(), status.as_str(), team.as_str(), reason.as_str());
        let priority = field("priority");
        Ok(match field("action").as_str() {
            "acknowledge" => Self::Acknowledge,
            // The old form's button; "me" is resolved where the action is applied.
            "assign_me" => Self::Assign("me".into()),
            "assign" if assignee.is_empty() => return Err(missing("assignee", "choose whom to assign them to")),
            "assign" => Self::Assign(assignee.to_owned()),
            "status" if Status::parse(status).is_err() => {
                return Err(missing("status", "choose the status to move them to"));
            }
            "status" => Self::Status(status.to_owned()),
            "priority" if Priority::parse(&priority).is_err() => {
                return Err(missing("priority", "choose the priority to give them"));
            }
            "priority" => Self::Priority(priority),
            "hand_over" if team.is_empty() => return Err(missing("team", "choose the team to hand them to")),
            "hand_over" if reason.is_empty() => {
                return Err(missing("reason", "say why they are not this team's work (the other team reads it)"));
            }
            "hand_over" => Self::HandOver { team: team.to_owned(), reason: reason.to_owned() },
            _ => return Err(missing("action", "must be acknowledge, assign, status, priority or hand_over")),
        })
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Acknowledge => "acknowledge",
            Self::Assign(_) => "assign",
            Self::Status(_) => "status",
            Self::Priority(_) => "priority",
            Self::HandOver { .. } => "hand_over",
        }
    }

    fn apply(
        &self,
        conn: &mut crate::service::AnyConnection,
        actor: &crate::auth::Actor,
        notifier: &crate::service::notify::Notifier,
        key: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), crate::service::Error> {
        let status = |status: &str| StatusInput { status: status.to_owned(), note: None, reason: None };
        match self {
            Self::Acknowledge => workflow::change_status_via(
                conn,
                actor,
                notifier,
                key,
                &status("acknowledged"),
                workflow::Via::Bulk,
                now,
            ),
            Self::Assign(who) => {
                let assignee = if who == "me" { actor.email.clone() } else { who.clone() };
                workflow::assign(conn, actor, notifier, key, &AssignInput { assignee: Some(assignee) }, now)
            }
            Self::Status(to) => {
                workflow::change_status_via(conn, actor, notifier, key, &status(to), workflow::Via::Bulk, now)
            }
            Self::Priority(priority) => {
                let input = workflow::PriorityInput { priority: priority.clone(), reason: None };
                workflow::change_priority(conn, actor, key, &input, now)
            }
            Self::HandOver { team, reason } => {
                let input = workflow::ReassignInput { team: team.clone(), reason: reason.clone() };
                workflow::reassign(conn, actor, notifier, key, &input, now)
            }
        }
        .map(drop)
    }
}
