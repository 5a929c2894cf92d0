//! The request page's conversation: each event of a request's history in words, messages on
//! their own and the updates between two messages folded into one line.

use chrono::{DateTime, Utc};

use super::words;
use crate::domain::sla::ClockKind;
use crate::domain::{Event, Status};
use crate::read::views::EventView;
use crate::service::admin::TeamView;

/// One line of a request's history, in words.
pub struct HistoryLine {
    /// The event's number: the files that came with a comment name it.
    pub event_id: i64,
    pub at: DateTime<Utc>,
    pub who: String,
    pub what: String,
    /// A comment's or note's text, shown as a quote.
    pub body: Option<String>,
    pub internal: bool,
    /// A change a reader follows (filed, routed, moved, assigned, handed over), not a mark the
    /// clocks leave (first response, at risk, breached).
    pub notable: bool,
}

pub fn history_line(e: &EventView, staff: bool, teams: &[TeamView]) -> HistoryLine {
    let name = |key: &str| super::team_name(teams, key).to_owned();
    let status = |s: Status| if staff { words::status_for_staff(s.as_str()) } else { words::status(s.as_str()) };
    let clock = |c: ClockKind| c.as_str().replace('_', " ");
    let (what, body) = match &e.event {
        Event::Created { .. } => ("filed the request".to_owned(), None),
        Event::Routed { team, reason, .. } => {
            (format!("routed to {}: {}", name(team), super::named_reason(reason, teams)), None)
        }
        Event::Imported(imported) => (format!("imported from {}", imported.source), None),
        Event::Withdrawn(m) => ("withdrew the request".to_owned(), m.note.clone().filter(|n| !n.is_empty())),
        Event::Acknowledged(m) | Event::StatusChanged(m) | Event::Rejected(m) | Event::Reopened(m) => {
            let note = m.note.clone().filter(|n| !n.is_empty());
            let to = match &m.waiting {
                Some(w) => format!("{} on {}", status(m.to), w.reason.replace('_', " ")),
                None => status(m.to).to_owned(),
            };
            (format!("moved it from {} to {to}", status(m.from)), note)
        }
        Event::FirstResponse { .. } => ("gave the first response".to_owned(), None),
        Event::FirstAnswer { .. } => ("gave the first answer".to_owned(), None),
        Event::Commented { body, internal } => {
            ((if *internal { "added an internal note" } else { "commented" }).to_owned(), Some(body.clone()))
        }
        Event::Assigned { assignee: Some(a), .. } => (format!("assigned it to {a}"), None),
        Event::Assigned { assignee: None, .. } => ("unassigned it".to_owned(), None),
        Event::Reassigned { from, to, reason, .. } => {
            (format!("handed it from {} to {}", name(from), name(to)), Some(reason.clone()))
        }
        Event::Edited { changes } => edited(changes, teams),
        Event::Linked { link, key } => (format!("linked it: {} {key}", link.replace('_', " ")), None),
        Event::Unlinked { link, key } => (format!("removed the link: {} {key}", link.replace('_', " ")), None),
        Event::FilesAdded { files } => (format!("added {}", files.join(", ")), None),
        Event::WatcherAdded { email } => (format!("added {email} as a watcher"), None),
        Event::WatcherRemoved { email } => (format!("removed watcher {email}"), None),
        Event::PriorityChanged { from, to, reason } => {
            (format!("changed the priority from {} to {}", from.as_str(), to.as_str()), reason.clone())
        }
        Event::SlaAtRisk(x) => (format!("{} clock at risk", clock(x.clock)), None),
        Event::SlaBreached(x) => (format!("{} target breached", clock(x.clock)), None),
        Event::SlaBreachedTwice(x) => (format!("{} target breached twice over", clock(x.clock)), None),
    };
    HistoryLine {
        event_id: e.id,
        at: e.at,
        who: e.actor.as_ref().map_or_else(|| "changedesk".to_owned(), |a| a.name.clone()),
        what,
        body,
        internal: matches!(e.event, Event::Commented { internal: true, .. }),
        notable: !matches!(
            e.event,
            Event::FirstResponse { .. }
                | Event::FirstAnswer { .. }
                | Event::SlaAtRisk(_)
                | Event::SlaBreached(_)
                | Event::SlaBreachedTwice(_)
        ),
    }
}

/// The request page's conversation: each message as it was written (a comment, a note, a
/// status move or hand-over with words for the reader), and the updates between two messages
/// (routing, assignments, clocks) folded into one line.
pub enum Entry {
    Message(HistoryLine),
    Activity(Vec<HistoryLine>),
}

pub fn conversation(lines: Vec<HistoryLine>) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    for line in lines {
        match entries.last_mut() {
            _ if line.body.is_some() => entries.push(Entry::Message(line)),
            Some(Entry::Activity(updates)) => updates.push(line),
            _ => entries.push(Entry::Activity(vec![line])),
        }
    }
    entries
}

/// An activity line in a few words: its first change and its latest (the news), and how many
/// other updates lie around them (the clocks' marks count but are not named).
pub fn activity_summary(updates: &[HistoryLine]) -> String {
    let said = |u: &HistoryLine| format!("{} {}", u.who, u.what);
    let notable: Vec<&HistoryLine> = updates.iter().filter(|u| u.notable).collect();
    let named: Vec<&HistoryLine> = match notable.as_slice() {
        [] => updates.iter().take(1).collect(),
        [only] => vec![*only],
        [first, .., last] => vec![*first, *last],
    };
    let text = named.iter().map(|u| said(u)).collect::<Vec<_>>().join("; ");
    match updates.len() - named.len() {
        0 => text,
        1 => format!("{text} (and 1 more update)"),
        more => format!("{text} (and {more} more updates)"),
    }
}

/// "edited the title and the details", with each short field's before and after, and the
/// details as they were (the new text is the request's).
fn edited(changes: &[crate::domain::event::FieldChange], teams: &[TeamView]) -> (String, Option<String>) {
    let label = |field: &str| match field {
        "title" => "the title",
        "description" => "the details",
        "category" => "the kind of change",
        "desired_date" => "the wanted-by date",
        "page_url" => "the page address",
        _ => "a field",
    };
    let names: Vec<&str> = changes.iter().map(|c| label(&c.field)).collect();
    let what = match names.as_slice() {
        [] => "edited it".to_owned(),
        [one] => format!("edited {one}"),
        [rest @ .., last] => format!("edited {} and {last}", rest.join(", ")),
    };
    let shown = |v: &Option<String>, field: &str| match (v, field) {
        (None, _) => "none".to_owned(),
        (Some(team), "team") => super::team_name(teams, team).to_owned(),
        (Some(v), _) => v.clone(),
    };
    let lines: Vec<String> = changes
        .iter()
        .map(|c| match c.field.as_str() {
            "description" => format!("The details were:\n{}", shown(&c.before, "description")),
            f => format!("{}: {} → {}", sentence(label(f)), shown(&c.before, f), shown(&c.after, f)),
        })
        .collect();
    (what, Some(lines.join("\n")))
}

fn sentence(s: &str) -> String {
    let s = s.trim_start_matches("the ");
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{Entry, HistoryLine, activity_summary, conversation};

    fn line(what: &str, body: Option<&str>) -> HistoryLine {
        let notable = what != "gave the first response";
        HistoryLine {
            event_id: 0,
            at: chrono::DateTime::UNIX_EPOCH,
            who: "Ian".into(),
            what: what.into(),
            body: body.map(Into::into),
            internal: false,
            notable,
        }
    }

    #[test]
    fn messages_stand_alone_and_the_updates_between_them_fold_into_one_line() {
        let entries = conversation(vec![
            line("filed the request", None),
            line("routed to it", None),
            line("commented", Some("Which page?")),
            line("moved it from new to acknowledged", None),
            line("assigned it to ian", None),
            line("gave the first response", None),
            line("commented", Some("Fixed.")),
        ]);
        let shape: Vec<usize> = entries
            .iter()
            .map(|e| match e {
                Entry::Message(_) => 0,
                Entry::Activity(updates) => updates.len(),
            })
            .collect();
        assert_eq!(shape, [2, 0, 3, 0]);
        let Entry::Activity(updates) = &entries[2] else { panic!("an activity line") };
        assert_eq!(
            activity_summary(updates),
            "Ian moved it from new to acknowledged; Ian assigned it to ian (and 1 more update)"
        );
    }
}
