//! What the request page says after the action that led to it (`?done=`): the request filed
//! and when its first answer is due, the comment added, the new status, the assignee, the team
//! it was handed to.

use serde::Deserialize;

use super::words;
use crate::read::views::RequestView;
use crate::service::admin::TeamView;

/// `?done=` on the request page: which action led here.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    #[serde(default)]
    pub done: String,
    /// Why the action that led here was refused, in the service's words.
    #[serde(default)]
    pub refused: String,
    /// A canned reply to put in the comment box (its id).
    #[serde(default)]
    pub reply: String,
}

/// What happened, said after the action that led to the request page, from the request as it
/// is now: who has it, and when the next answer is due.
/// Times are written in the reader's zone `tz`.
pub fn notice(done: &str, r: &RequestView, teams: &[TeamView], tz: &chrono_tz::Tz) -> Option<String> {
    let team = super::team_name(teams, &r.team);
    let due = |c: Option<&crate::service::sla::ClockView>| {
        c.and_then(|c| c.due_at).map(|d| format!(" by {}", words::when(&d, tz)))
    };
    Some(match done {
        "filed" => match due(r.sla.first_response.as_ref()) {
            Some(by) => format!("Filed as {}. {team} will first respond{by}.", r.key),
            None => format!("Filed as {}. It is with {team}.", r.key),
        },
        "commented" => "Your comment is added.".to_owned(),
        "status" => format!("Now {}.", words::status_for_staff(&r.status).to_lowercase()),
        "assigned" => match &r.assignee {
            Some(a) => format!("Assigned to {}.", a.name),
            None => "Nobody is assigned now.".to_owned(),
        },
        "edited" => format!("Saved. It is with {team}."),
        "linked" if r.status == "closed" => {
            "Linked; it is closed as a duplicate, and its people follow the other request.".to_owned()
        }
        "linked" => "Linked.".to_owned(),
        "unlinked" => "The link is removed.".to_owned(),
        "watcher_added" => "They will get its updates by mail, and may reply.".to_owned(),
        "watcher_removed" => "They will get no more mail about it.".to_owned(),
        "handed_over" => format!("Handed over to {team}; they have been told by mail."),
        "priority" => format!(
            "Now {}; its clocks are measured against that priority's targets from when it was filed.",
            words::priority(&r.priority)
        ),
        _ => return None,
    })
}
