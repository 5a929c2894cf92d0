//! Sending the weekly digest: which week is due, and queueing it once per week and recipient.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Datelike, TimeDelta, TimeZone, Utc};

use super::notify::Notifier;
use crate::config::Settings;
use crate::db::{self, AnyConnection};
use crate::domain::role::Role;
use crate::mail::digest::{Context, render};
use crate::mail::message::Rendered;
use crate::read::digest::{IsoWeek, build};
use crate::service::Error;

/// The week whose digest is due at `now`: the ISO week before the latest scheduled moment.
pub fn due_week(settings: &Settings, now: DateTime<Utc>) -> Option<IsoWeek> {
    let tz = settings.digest.timezone.unwrap_or(settings.org.timezone);
    let at = settings.digest.local_time()?;
    let today = now.with_timezone(&tz).date_naive();
    (0..8).map(|back| today - TimeDelta::days(back)).find_map(|day| {
        let slot = tz.from_local_datetime(&day.and_time(at)).earliest()?;
        (day.weekday() == settings.digest.weekday && slot <= now).then(|| IsoWeek::containing(day).previous())
    })
}

/// Queues the due digests for every recipient who has not had them; once per week, digest and
/// recipient, ever (the outbox's dedupe key decides). Returns how many were queued.
pub fn queue_due(
    conn: &mut AnyConnection,
    settings: &Settings,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<usize, Error> {
    let Some(week) = due_week(settings, now) else { return Ok(0) };
    queue(conn, settings, notifier, week, now)
}

/// One digest's readers: the organisation's (no team) or a team's.
pub type Audience = (Option<String>, Vec<String>);

/// Who gets which digest: the organisation's goes to `digest.recipients`, each team's to its
/// leads (the addresses the team names for escalations, and its members with the lead role); a
/// person who opted out (account page) gets neither. A team without a lead who wants it gets none.
pub fn audiences(conn: &mut AnyConnection, settings: &Settings) -> Result<Vec<Audience>, Error> {
    let people = db::digest_people(conn)?;
    let opted_out: HashSet<String> =
        people.iter().filter(|(u, _)| u.digest_opt_out).map(|(u, _)| u.email.to_lowercase()).collect();
    let org: Vec<String> =
        settings.digest.recipients.iter().map(|r| r.trim().to_lowercase()).filter(|r| !opted_out.contains(r)).collect();
    let mut teams: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if !settings.digest.team_digests {
        return Ok(vec![(None, org)].into_iter().filter(|(_, to)| !to.is_empty()).collect());
    }
    for team in db::load_teams(conn)? {
        let leads = team.leads().into_iter().map(|l| l.trim().to_lowercase());
        teams.entry(team.key).or_default().extend(leads.filter(|l| !opted_out.contains(l)));
    }
    for (user, memberships) in &people {
        if user.role == Role::Lead.as_str() && !user.digest_opt_out {
            for team in memberships {
                teams.entry(team.clone()).or_default().push(user.email.to_lowercase());
            }
        }
    }
    let mut all = vec![(None, org)];
    all.extend(teams.into_iter().map(|(team, mut leads)| {
        leads.sort();
        leads.dedup();
        (Some(team), leads)
    }));
    all.retain(|(_, to)| !to.is_empty());
    Ok(all)
}

/// Queues `week`'s digests for everyone who should have them and has not: built only for an
/// audience someone in which still lacks it. Returns how many were queued.
pub fn queue(
    conn: &mut AnyConnection,
    settings: &Settings,
    notifier: &Notifier,
    week: IsoWeek,
    now: DateTime<Utc>,
) -> Result<usize, Error> {
    let mut queued = 0;
    for (team, recipients) in audiences(conn, settings)? {
        // The organisation's keeps the key it always had, so no one gets a week twice.
        let key = |r: &str| match &team {
            None => format!("digest:{week}:{r}"),
            Some(t) => format!("digest:{week}:{t}:{r}"),
        };
        let keys: Vec<String> = recipients.iter().map(|r| key(r)).collect();
        if db::dedupe_keys_present(conn, &keys)?.len() == keys.len() {
            continue;
        }
        let message = compose(conn, settings, notifier, week, team.as_deref(), now)?;
        queued += db::write_tx(conn, |conn| {
            let mut queued = 0;
            for r in &recipients {
                let (to, key) = (std::slice::from_ref(r), Some(key(r)));
                if notifier.queue_rendered(conn, "digest", None, to, message.clone(), key, now, now)? {
                    queued += 1;
                }
            }
            Ok::<_, Error>(queued)
        })?;
    }
    Ok(queued)
}

/// The digest of `week` (the organisation's, or `team`'s) as a message: subject, text, HTML
/// and its chart.
pub fn compose(
    conn: &mut AnyConnection,
    settings: &Settings,
    notifier: &Notifier,
    week: IsoWeek,
    team: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Rendered, Error> {
    let digest = build(conn, settings, notifier, week, team, now)?;
    let names: BTreeMap<String, String> = db::load_teams(conn)?.into_iter().map(|t| (t.key, t.name)).collect();
    let context = Context {
        org: &notifier.org,
        names: &names,
        goal: settings.reports.attainment_goal,
        account_link: format!("{}/account", notifier.base_url),
    };
    render(&digest, &context)
}
