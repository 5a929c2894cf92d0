//! Configuration owned by admins: teams, the ownership map and the routing rules. Every change
//! is validated, stored in one transaction and audited; map changes make a new version.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::Actor;
use crate::db::{self, AnyConnection, TeamRow, to_db, write_tx};
use crate::domain::calendar::BusinessCalendar;
use crate::domain::routing::{Category, Rule, validate_key};
use crate::domain::sla::{Policy, SlaConfig, TeamSla};
use crate::domain::{FieldErrors, OwnershipMap};
use crate::service::Error;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamView {
    pub key: String,
    pub name: String,
    /// The team's shared address (new requests are announced there).
    pub email: String,
    /// Who receives escalations.
    #[serde(default)]
    pub leads: Vec<String>,
}

impl From<&TeamRow> for TeamView {
    fn from(t: &TeamRow) -> Self {
        Self { key: t.key.clone(), name: t.name.clone(), email: t.email.clone(), leads: t.leads() }
    }
}

pub fn teams(conn: &mut AnyConnection) -> Result<Vec<TeamView>, Error> {
    Ok(db::load_teams(conn)?.iter().map(TeamView::from).collect())
}

/// Refuses a team key that names no team, as a problem with the `team` field.
pub fn check_team(conn: &mut AnyConnection, key: &str) -> Result<(), Error> {
    if db::team_exists(conn, key)? { Ok(()) } else { Err(Error::validation("team", format!("unknown team '{key}'"))) }
}

fn validate_teams(teams: &[TeamView]) -> FieldErrors {
    let mut errors = FieldErrors::default();
    for (i, t) in teams.iter().enumerate() {
        if let Err(e) = validate_key(&t.key) {
            errors.add(format!("[{i}].key"), e);
        }
        if teams[..i].iter().any(|o| o.key == t.key) {
            errors.add(format!("[{i}].key"), format!("duplicate team '{}'", t.key));
        }
        if t.name.trim().is_empty() {
            errors.add(format!("[{i}].name"), "is required");
        }
        for (field, email) in std::iter::once(("email".to_owned(), &t.email))
            .chain(t.leads.iter().enumerate().map(|(j, l)| (format!("leads[{j}]"), l)))
        {
            if !looks_like_email(email) {
                errors.add(format!("[{i}].{field}"), format!("'{email}' is not an email address"));
            }
        }
    }
    if teams.is_empty() {
        errors.add("teams", "at least one team is required");
    }
    errors
}

/// Just enough to catch typos; delivery is the real test of an address.
pub fn looks_like_email(s: &str) -> bool {
    let s = s.trim();
    s.len() <= 254
        && !s.chars().any(char::is_whitespace)
        && s.split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && (domain.contains('.') || domain == "localhost"))
}

/// Replaces the list of teams. A team still referenced (by requests, members or the current
/// map) cannot be removed.
pub fn put_teams(
    conn: &mut AnyConnection,
    actor: &Actor,
    teams: &[TeamView],
    now: DateTime<Utc>,
) -> Result<Vec<TeamView>, Error> {
    actor.require_admin()?;
    let errors = validate_teams(teams);
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    write_tx(conn, |conn| {
        let before = db::load_teams(conn)?;
        let current = db::current_map(conn)?;
        for old in before.iter().filter(|o| !teams.iter().any(|t| t.key == o.key)) {
            if current.as_ref().is_some_and(|m| map_uses_team(&m.map, &old.key)) {
                return Err(in_use(&old.key, "the ownership map or a routing rule"));
            }
            if current_sla(conn)?.config.teams.iter().any(|t| t.team == old.key) {
                return Err(in_use(&old.key, "the SLA policies"));
            }
            if db::team_is_referenced(conn, &old.key)? {
                return Err(in_use(&old.key, "requests or members"));
            }
            db::delete_team(conn, &old.key)?;
        }
        for t in teams {
            let row = TeamRow {
                key: t.key.clone(),
                name: t.name.trim().to_owned(),
                email: t.email.trim().to_lowercase(),
                lead_emails: json!(t.leads.iter().map(|l| l.trim().to_lowercase()).collect::<Vec<_>>()).to_string(),
                created_at: to_db(now),
                updated_at: to_db(now),
            };
            if before.iter().any(|o| o.key == t.key) {
                db::update_team(conn, &row)?;
            } else {
                db::insert_team(conn, &row)?;
            }
        }
        let before: Vec<TeamView> = before.iter().map(TeamView::from).collect();
        let after = self::teams(conn)?;
        db::insert_audit(
            conn,
            "teams_updated",
            Some(&actor.id),
            to_db(now),
            &json!({ "before": before, "after": after }),
        )?;
        Ok(after)
    })
}

fn in_use(team: &str, by: &str) -> Error {
    Error::Conflict {
        message: format!("team '{team}' is still used by {by}"),
        fields: FieldErrors::single("teams", format!("'{team}' is in use")),
    }
}

fn map_uses_team(map: &OwnershipMap, team: &str) -> bool {
    map.fallback_team == team
        || map.categories.iter().any(|c| c.team.as_deref() == Some(team))
        || map.rules.iter().any(|r| r.team == team)
}

/// The ownership map as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoriesView {
    pub version: i32,
    pub fallback_team: String,
    pub categories: Vec<Category>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoriesInput {
    /// Unchanged when absent.
    pub fallback_team: Option<String>,
    pub categories: Vec<Category>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RulesView {
    pub version: i32,
    /// Tried in order; the first match decides.
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesInput {
    pub rules: Vec<Rule>,
}

pub fn current(conn: &mut AnyConnection) -> Result<db::VersionedMap, Error> {
    db::current_map(conn)?.ok_or_else(|| Error::Internal(anyhow::anyhow!("the ownership map was never seeded")))
}

pub fn categories_view(m: db::VersionedMap) -> CategoriesView {
    CategoriesView { version: m.version, fallback_team: m.map.fallback_team, categories: m.map.categories }
}

pub fn rules_view(m: db::VersionedMap) -> RulesView {
    RulesView { version: m.version, rules: m.map.rules }
}

/// Stores a changed map as a new version, after validating it against the teams; audited.
pub fn change_map(
    conn: &mut AnyConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    what: &str,
    change: impl FnOnce(&mut OwnershipMap),
) -> Result<db::VersionedMap, Error> {
    actor.require_admin()?;
    write_tx(conn, |conn| {
        let before = current(conn)?;
        let mut map = before.map.clone();
        change(&mut map);
        map.validate(&db::team_keys(conn)?).map_err(Error::Validation)?;
        let note = format!("{what} changed by {}", actor.email);
        let version = db::insert_map_version(conn, &map, &note, Some(&actor.id), to_db(now))?;
        let data =
            json!({ "version": version, "previous_version": before.version, "before": before.map, "after": map });
        db::insert_audit(conn, &format!("{what}_updated"), Some(&actor.id), to_db(now), &data)?;
        Ok(db::VersionedMap { version, map })
    })
}

/// The calendars in force.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarsView {
    pub version: i32,
    pub calendars: Vec<BusinessCalendar>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarsInput {
    pub calendars: Vec<BusinessCalendar>,
}

/// The SLA policies and escalation ladders in force.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlaPoliciesView {
    pub version: i32,
    pub policies: Vec<Policy>,
    /// Each team's business calendar and level-3 recipients.
    pub teams: Vec<TeamSla>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaPoliciesInput {
    pub policies: Vec<Policy>,
    /// Unchanged when absent.
    pub teams: Option<Vec<TeamSla>>,
}

pub fn current_sla(conn: &mut AnyConnection) -> Result<db::VersionedSla, Error> {
    db::current_sla(conn)?.ok_or_else(|| Error::Internal(anyhow::anyhow!("the SLA configuration was never seeded")))
}

pub fn calendars_view(v: db::VersionedSla) -> CalendarsView {
    CalendarsView { version: v.version, calendars: v.config.calendars }
}

pub fn sla_policies_view(v: db::VersionedSla) -> SlaPoliciesView {
    SlaPoliciesView { version: v.version, policies: v.config.policies, teams: v.config.teams }
}

/// Stores a changed SLA configuration as a new version; requests keep the version they were
/// created under, so existing clocks are left alone. Validated and audited.
pub fn change_sla(
    conn: &mut AnyConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    what: &str,
    change: impl FnOnce(&mut SlaConfig),
) -> Result<db::VersionedSla, Error> {
    actor.require_admin()?;
    write_tx(conn, |conn| {
        let before = current_sla(conn)?;
        let mut config = before.config.clone();
        change(&mut config);
        config.validate(&db::team_keys(conn)?).map_err(Error::Validation)?;
        let note = format!("{what} changed by {}", actor.email);
        let version = db::insert_sla_version(conn, &config, &note, Some(&actor.id), to_db(now))?;
        let data =
            json!({ "version": version, "previous_version": before.version, "before": before.config, "after": config });
        db::insert_audit(conn, &format!("{what}_updated"), Some(&actor.id), to_db(now), &data)?;
        Ok(db::VersionedSla { version, config })
    })
}

/// Replaces the ownership map's categories (and the fallback team, when given): a new version.
pub fn put_categories(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: CategoriesInput,
    now: DateTime<Utc>,
) -> Result<db::VersionedMap, Error> {
    change_map(conn, actor, now, "ownership_map", |map| {
        if let Some(fallback) = input.fallback_team {
            map.fallback_team = fallback;
        }
        map.categories = input.categories;
    })
}

/// Replaces the routing rules: a new version of the map.
pub fn put_rules(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: RulesInput,
    now: DateTime<Utc>,
) -> Result<db::VersionedMap, Error> {
    change_map(conn, actor, now, "routing_rules", |map| map.rules = input.rules)
}

/// Replaces the calendars: a new SLA version.
pub fn put_calendars(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: CalendarsInput,
    now: DateTime<Utc>,
) -> Result<db::VersionedSla, Error> {
    change_sla(conn, actor, now, "calendars", |sla| sla.calendars = input.calendars)
}

/// Replaces the policies (and the teams' ladders, when given): a new SLA version.
pub fn put_sla_policies(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: SlaPoliciesInput,
    now: DateTime<Utc>,
) -> Result<db::VersionedSla, Error> {
    change_sla(conn, actor, now, "sla_policies", |sla| {
        sla.policies = input.policies;
        if let Some(teams) = input.teams {
            sla.teams = teams;
        }
    })
}
