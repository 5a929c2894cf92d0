//! First start: teams, the ownership map and the SLA configuration from config, once each.
//! Later the database owns them and admins change them through the API.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::config::Settings;
use crate::db::{self, AnyConnection, TeamRow, to_db, write_tx};
use crate::service::Error;

/// Seeds what the database lacks; returns what it seeded (empty once everything exists).
pub fn seed(conn: &mut AnyConnection, settings: &Settings, now: DateTime<Utc>) -> Result<Vec<&'static str>, Error> {
    write_tx(conn, |conn| {
        let mut seeded = Vec::new();
        if db::current_map(conn)?.is_none() {
            let existing = db::team_keys(conn)?;
            for t in settings.teams.iter().filter(|t| !existing.contains(&t.key)) {
                let leads: Vec<String> = t.leads.iter().map(|l| l.trim().to_lowercase()).collect();
                let row = TeamRow {
                    key: t.key.clone(),
                    name: t.name.clone(),
                    email: t.email.trim().to_lowercase(),
                    lead_emails: json!(leads).to_string(),
                    created_at: to_db(now),
                    updated_at: to_db(now),
                };
                db::insert_team(conn, &row)?;
            }
            let map = settings.ownership_map();
            let version = db::insert_map_version(conn, &map, "seeded from configuration", None, to_db(now))?;
            let data = json!({ "version": version, "teams": settings.team_keys() });
            db::insert_audit(conn, "routing_seeded", None, to_db(now), &data)?;
            seeded.push("teams and the ownership map");
        }
        if db::current_sla(conn)?.is_none() {
            let config = settings.sla.config();
            let version = db::insert_sla_version(conn, &config, "seeded from configuration", None, to_db(now))?;
            db::insert_audit(conn, "sla_seeded", None, to_db(now), &json!({ "version": version }))?;
            seeded.push("SLA calendars and policies");
        }
        if settings.request_types.seed_defaults && db::current_types(conn)?.is_none() {
            let categories: Vec<String> = db::current_map(conn)?
                .map(|m| m.map.categories.into_iter().map(|c| c.key).collect())
                .unwrap_or_default();
            let types = crate::domain::request_type::default_types(&categories);
            let version = db::insert_types_version(conn, &types, "seeded with the defaults", None, to_db(now))?;
            db::insert_audit(conn, "request_types_seeded", None, to_db(now), &json!({ "version": version }))?;
            seeded.push("request types");
        }
        Ok(seeded)
    })
}
