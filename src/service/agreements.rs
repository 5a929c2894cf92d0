//! SLA agreements: a version of the SLA policies becomes an agreement once each team with
//! targets in it has accepted it, signed by one of the team's leads (recorded who and when).
//! A new version (an admin's change of calendars or policies) starts unsigned. The dashboard
//! and the digest say which version the figures are measured against and whether it is signed.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Actor;
use crate::db::{self, AnyConnection, from_db, to_db, write_tx};
use crate::domain::{FieldErrors, Priority, Role};
use crate::service::Error;

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Agreement {
    /// The SLA version.
    pub version: i32,
    /// Whether it is the version in force now.
    pub current: bool,
    /// Every team with targets in it has signed.
    pub signed: bool,
    pub teams: Vec<TeamTerms>,
    /// In words, with the teams' names: "SLA agreement version 3, signed by IT web
    /// operations (Lea, 2026-11-20) and Marketing web team (Mia, 2026-11-21)."
    pub summary: String,
}

/// One team's side: its targets in the version, and who accepted them.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TeamTerms {
    pub team: String,
    pub targets: Vec<Target>,
    pub signed_by: Option<Signer>,
    #[serde(serialize_with = "crate::rfc3339::serialize_option")]
    pub signed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Target {
    pub priority: Priority,
    /// `business` (the team's calendar) or `24x7`.
    pub calendar: String,
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Signer {
    pub email: String,
    pub name: String,
}

/// The agreement of `version`, or of the version in force when None.
pub fn agreement(conn: &mut AnyConnection, version: Option<i32>) -> Result<Agreement, Error> {
    let current = db::current_sla_version(conn)?.ok_or_else(|| Error::not_found("SLA version"))?;
    let version = version.unwrap_or(current);
    let config = match db::sla_version(conn, version) {
        Ok(v) => v.config,
        Err(diesel::result::Error::NotFound) => return Err(Error::not_found("SLA version")),
        Err(e) => return Err(e.into()),
    };
    let signatures = db::signatures_of(conn, version)?;
    let mut teams: Vec<String> = config.policies.iter().map(|p| p.team.clone()).collect();
    teams.sort();
    teams.dedup();
    let teams: Vec<TeamTerms> = teams
        .into_iter()
        .map(|team| {
            let mut targets: Vec<Target> = config
                .policies
                .iter()
                .filter(|p| p.team == team)
                .map(|p| Target {
                    priority: p.priority,
                    calendar: p.calendar.clone(),
                    first_response_minutes: p.first_response_minutes,
                    resolution_minutes: p.resolution_minutes,
                })
                .collect();
            targets.sort_by_key(|t| t.priority);
            let signature = signatures.iter().find(|s| s.0 == team);
            TeamTerms {
                signed_by: signature.map(|s| Signer { email: s.1.clone(), name: s.2.clone() }),
                signed_at: signature.map(|s| from_db(s.3)),
                team,
                targets,
            }
        })
        .collect();
    let names = db::load_teams(conn)?;
    let name = |key: &str| names.iter().find(|t| t.key == key).map_or(key, |t| t.name.as_str()).to_owned();
    let signed = !teams.is_empty() && teams.iter().all(|t| t.signed_by.is_some());
    let summary = summary(version, &teams, &name);
    Ok(Agreement { version, current: version == current, signed, teams, summary })
}

fn summary(version: i32, teams: &[TeamTerms], name: &dyn Fn(&str) -> String) -> String {
    let list = |names: Vec<String>| match names.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    let signed: Vec<String> = teams
        .iter()
        .filter_map(|t| {
            let (who, at) = (t.signed_by.as_ref()?, t.signed_at?);
            Some(format!("{} ({}, {})", name(&t.team), who.name, at.format("%Y-%m-%d")))
        })
        .collect();
    let unsigned: Vec<String> = teams.iter().filter(|t| t.signed_by.is_none()).map(|t| name(&t.team)).collect();
    match (signed.is_empty(), unsigned.is_empty()) {
        (_, true) => format!("SLA agreement version {version}, signed by {}.", list(signed)),
        (true, false) => format!("SLA version {version}, not signed yet by {}.", list(unsigned)),
        (false, false) => {
            format!("SLA version {version}, signed by {}; not signed yet by {}.", list(signed), list(unsigned))
        }
    }
}

/// The agreement the figures up to `at` are measured against: the version in force then.
pub fn in_force_at(conn: &mut AnyConnection, at: DateTime<Utc>) -> Result<Option<Agreement>, Error> {
    match db::sla_version_at(conn, to_db(at))? {
        Some(version) => agreement(conn, Some(version)).map(Some),
        None => Ok(None),
    }
}

/// `actor`, a lead of `team`, accepts `version` for it: it must be the version in force and
/// name targets for the team, and the team must not have signed it already. Audited.
pub fn sign(
    conn: &mut AnyConnection,
    actor: &Actor,
    version: i32,
    team: &str,
    now: DateTime<Utc>,
) -> Result<Agreement, Error> {
    if actor.role != Role::Lead || !actor.is_member(team) {
        return Err(Error::Forbidden(format!("only a lead of team '{team}' signs for it")));
    }
    write_tx(conn, |c| {
        let before = agreement(c, Some(version))?;
        if !before.current {
            return Err(Error::Conflict {
                message: format!("SLA version {version} is no longer in force: sign the current one"),
                fields: FieldErrors::default(),
            });
        }
        if !before.teams.iter().any(|t| t.team == team) {
            return Err(Error::validation("team", format!("SLA version {version} has no targets for team '{team}'")));
        }
        if !db::insert_signature(c, version, team, &actor.id, to_db(now))? {
            return Err(Error::Conflict {
                message: format!("team '{team}' has signed SLA version {version} already"),
                fields: FieldErrors::default(),
            });
        }
        let data = serde_json::json!({ "version": version, "team": team });
        db::insert_audit(c, "sla_agreement_signed", Some(&actor.id), to_db(now), &data)?;
        agreement(c, Some(version))
    })
}
