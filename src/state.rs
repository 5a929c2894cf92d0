//! What every handler shares: the state built once at start-up (pool, clock, settings,
//! notifier, caches) and `run`, which does one unit of work on the blocking pool.
//! Handlers and extractors import this, not `startup`, which in turn imports them.

use std::sync::Arc;

use actix_web::web;

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{AnyConnection, Pool};
use crate::error::ApiError;
use crate::service::notify::Notifier;

/// Shared by every handler.
pub struct AppState {
    pub pool: Pool,
    pub clock: Clock,
    pub settings: Arc<Settings>,
    pub notifier: Arc<Notifier>,
    /// The SLA configurations read so far, by version (versions never change once stored).
    pub sla_versions: Arc<crate::service::sla::SlaVersions>,
    /// The configuration in force, checked by its stamp (teams, ownership map, SLA).
    pub config: Arc<crate::service::in_force::ConfigCache>,
    /// The single sign-on provider, discovered on first use.
    pub sso: Arc<crate::web::SsoProvider>,
    /// Filings' queue to the database: grouped commits, bounded, answered in order.
    pub intake: crate::service::intake::Intake,
}

impl AppState {
    /// Runs one unit of work on a pooled connection on the blocking thread pool, never on an
    /// actix worker thread.
    /// Its error is the service's, mapped to the API's at this edge.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, crate::service::Error> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let done = web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?;
        Ok(done?)
    }
}
