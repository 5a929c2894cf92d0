//! Who accepted which SLA version for which team (`sla_signatures`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{sla_signatures, users};

/// One team's acceptance of a version: the team, who signed (email, name) and when.
pub type SignatureRow = (String, String, String, NaiveDateTime);

/// The signatures of `version`, by team.
pub fn signatures_of(conn: &mut AnyConnection, version: i32) -> QueryResult<Vec<SignatureRow>> {
    sla_signatures::table
        .inner_join(users::table)
        .filter(sla_signatures::sla_version.eq(version))
        .order(sla_signatures::team_key)
        .select((sla_signatures::team_key, users::email, users::name, sla_signatures::signed_at))
        .load(conn)
}

/// Records `user_id`'s signature of `version` for `team`; false when the team had signed it.
pub fn insert_signature(
    conn: &mut AnyConnection,
    version: i32,
    team: &str,
    user_id: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let signed = sla_signatures::table
        .find((version, team))
        .select(sla_signatures::sla_version)
        .first::<i32>(conn)
        .optional()?
        .is_some();
    if signed {
        return Ok(false);
    }
    diesel::insert_into(sla_signatures::table)
        .values((
            sla_signatures::sla_version.eq(version),
            sla_signatures::team_key.eq(team),
            sla_signatures::signed_by.eq(user_id),
            sla_signatures::signed_at.eq(at),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// The newest SLA version's number.
pub fn current_sla_version(conn: &mut AnyConnection) -> QueryResult<Option<i32>> {
    use super::schema::sla_versions;
    sla_versions::table.select(diesel::dsl::max(sla_versions::version)).first(conn)
}

/// The SLA version in force at `at`: the newest stored by then (the first, if none was).
pub fn sla_version_at(conn: &mut AnyConnection, at: NaiveDateTime) -> QueryResult<Option<i32>> {
    use super::schema::sla_versions;
    let by_then: Option<i32> = sla_versions::table
        .filter(sla_versions::created_at.le(at))
        .select(diesel::dsl::max(sla_versions::version))
        .first(conn)?;
    match by_then {
        Some(v) => Ok(Some(v)),
        None => sla_versions::table.select(diesel::dsl::min(sla_versions::version)).first(conn),
    }
}
