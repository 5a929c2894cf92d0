//! First start: teams and the ownership map from config, once. Later the database owns them.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::config::Settings;
use crate::db::{self, AnyConnection, TeamRow, to_db, write_tx};
use crate::error::ApiError;

/// Seeds teams and version 1 of the map when the database has none; a no-op afterwards.
pub fn seed(
    conn: &mut AnyConnection,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    write_tx(conn, |conn| {
        if db::current_map(conn)?.is_some() {
            return Ok(false);
        }
        let existing = db::team_keys(conn)?;
        for t in settings.teams.iter().filter(|t| !existing.contains(&t.key)) {
            db::insert_team(
                conn,
                &TeamRow {
                    key: t.key.clone(),
                    name: t.name.clone(),
                    email: t.email.to_lowercase(),
                    lead_emails: json!(t.leads).to_string(),
                    created_at: to_db(now),
                    updated_at: to_db(now),
                },
            )?;
        }
        let map = settings.ownership_map();
        let version =
            db::insert_map_version(conn, &map, "seeded from configuration", None, to_db(now))?;
        db::insert_audit(
            conn,
            "seeded",
            None,
            to_db(now),
            &json!({ "version": version, "teams": settings.team_keys() }),
        )?;
        Ok(true)
    })
}
