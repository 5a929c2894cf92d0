//! The configuration in force (teams, the ownership map with its rules, the SLA calendars and
//! policies), held in memory and shared by every worker of a process. A unit of work asks for
//! it by one primary-key read of the configuration's stamp (`db::config_stamp`); only when
//! some instance has changed the configuration since is it loaded and parsed again. Below it,
//! routing rules' patterns are compiled once per pattern (`domain::routing::compile`) and a
//! calendar's hours once per thread (`domain::calendar`), whatever the stamp.

use std::sync::{Arc, RwLock};

use crate::db::{self, AnyConnection, TeamRow};
use crate::domain::OwnershipMap;
use crate::domain::request_type::RequestType;
use crate::domain::sla::SlaConfig;
use crate::service::{Error, admin};

/// The configuration at one stamp.
#[derive(Debug)]
pub struct InForce {
    pub stamp: i64,
    pub map_version: i32,
    pub map: OwnershipMap,
    pub sla_version: i32,
    pub sla: Arc<SlaConfig>,
    pub teams: Vec<TeamRow>,
    /// The request types in force (none stored yet: no category asks for fields).
    pub types_version: Option<i32>,
    pub types: Vec<RequestType>,
}

impl InForce {
    pub fn team(&self, key: &str) -> Option<&TeamRow> {
        self.teams.iter().find(|t| t.key == key)
    }

    /// The fields `category` asks for now.
    pub fn request_type(&self, category: &str) -> Option<&RequestType> {
        crate::domain::request_type::type_of(&self.types, category)
    }
}

/// What a process holds; `Default` holds nothing yet.
#[derive(Debug, Default)]
pub struct ConfigCache(RwLock<Option<Arc<InForce>>>);

impl ConfigCache {
    /// The configuration in force, as the caller's transaction sees it: the stamp is read
    /// first, so what is returned is at least as new as the stamp it is kept under.
    pub fn current(&self, conn: &mut AnyConnection) -> Result<Arc<InForce>, Error> {
        let stamp = db::config_stamp(conn)?;
        let held = self.0.read().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(held) = held.filter(|h| h.stamp == stamp) {
            return Ok(held);
        }
        let loaded = Arc::new(load(conn, stamp)?);
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Some(loaded.clone());
        Ok(loaded)
    }
}

fn load(conn: &mut AnyConnection, stamp: i64) -> Result<InForce, Error> {
    let (map, sla) = (admin::current(conn)?, admin::current_sla(conn)?);
    let types = db::current_types(conn)?;
    Ok(InForce {
        types_version: types.as_ref().map(|t| t.version),
        types: types.map(|t| t.types).unwrap_or_default(),
        stamp,
        map_version: map.version,
        map: map.map,
        sla_version: sla.version,
        sla: Arc::new(sla.config),
        teams: db::load_teams(conn)?,
    })
}
