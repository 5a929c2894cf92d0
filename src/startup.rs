//! Builds the application: database (connected, migrated, seeded), the shared state
//! (`state::AppState`), the HTTP server bound to its listener. Binding first lets
//! `--bind 127.0.0.1:0` report the real port.

use std::net::{SocketAddr, TcpListener};
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::{self, Either};

use actix_web::dev::Server;
use actix_web::middleware::Logger;
use actix_web::{App, HttpServer, web};
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, scope};

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{self, DatabaseUrl, Pool};
use crate::mail::Mailer;
use crate::routes::{self, extract, health, openapi};
use crate::service::in_force::ConfigCache;
use crate::service::intake::Intake;
use crate::service::notify::Notifier;
use crate::service::seed;
use crate::state::AppState;
use crate::workers;

pub struct Application {
    addr: SocketAddr,
    server: Server,
    state: web::Data<AppState>,
    mailer: Arc<Mailer>,
}

/// Connects, migrates and seeds the database behind `settings`.
pub fn prepare_database(settings: &Settings, clock: &Clock) -> anyhow::Result<Pool> {
    let url = DatabaseUrl::parse(settings.database.url.expose()).map_err(|e| anyhow::anyhow!("database.url: {e}"))?;
    log::info!("database: {}", url.describe());
    let pool = db::connect(&url, settings.database.pool_size)?;
    let mut conn = pool.get().map_err(|e| anyhow::anyhow!("connecting to {}: {e}", url.describe()))?;
    let ran = db::migrate(&mut conn)?;
    if ran > 0 {
        log::info!("applied {ran} migration(s)");
    }
    let indexed = crate::service::search::catch_up(&mut conn).map_err(|e| anyhow::anyhow!("indexing: {e}"))?;
    if indexed > 0 {
        log::info!("indexed {indexed} request(s) an earlier build left marked for the search index");
    }
    let seeded = seed::seed(&mut conn, settings, clock.now()).map_err(|e| anyhow::anyhow!("seeding: {e}"))?;
    for what in seeded {
        log::info!("seeded {what} from configuration");
    }
    Ok(pool)
}

/// A database upgraded from before the ledger existed gets it from `changedesk migrate`, which
/// can take minutes: say so rather than serve without it or block the start for that long.
fn refuse_without_ledger(pool: &Pool) -> anyhow::Result<()> {
    let mut conn = pool.get()?;
    if db::ledger_built(&mut conn)? {
        return Ok(());
    }
    let missing = db::count_requests_without_ledger(&mut conn)?;
    anyhow::bail!(
        "the responsibility ledger of {missing} request(s) is not built yet: run `changedesk migrate` \
         (it resumes where it stopped), then start the service again"
    )
}

impl Application {
    pub fn build(settings: Settings, clock: Clock) -> anyhow::Result<Self> {
        let pool = prepare_database(&settings, &clock)?;
        refuse_without_ledger(&pool)?;
        let reply = crate::service::inbound::reply_addresses(&mut *pool.get()?, &settings, clock.now())?;
        let mailer = Arc::new(Mailer::from_settings(&settings.mail)?.with_reply_addresses(reply));
        let listener = TcpListener::bind(settings.server.bind)
            .map_err(|e| anyhow::anyhow!("binding {}: {e}", settings.server.bind))?;
        let addr = listener.local_addr()?;
        let json_limit = settings.server.json_limit_bytes;
        let notifier = Arc::new(Notifier::from_settings(&settings));
        let config = Arc::new(ConfigCache::default());
        let db = &settings.database;
        let intake = Intake::start(
            pool.clone(),
            notifier.clone(),
            config.clone(),
            db.write_queue,
            Duration::from_millis(db.write_wait_ms),
        )?;
        let state = web::Data::new(AppState {
            config,
            intake,
            pool,
            clock,
            settings: Arc::new(settings),
            notifier,
            sso: Default::default(),
            sla_versions: Default::default(),
        });
        let app_state = state.clone();
        let site = web::Data::new(crate::web::guard::Site::from_base_url(&state.settings.server.base_url));
        let server = HttpServer::new(move || {
            let (app, mut api) = App::new()
                .into_utoipa_app()
                .openapi(openapi::ApiDoc::openapi())
                .service(health::healthz)
                .service(health::readyz)
                .service(scope::scope("/api/v1").configure(routes::api))
                .split_for_parts();
            let app = app.configure(crate::web::pages);
            openapi::complete_responses(&mut api);
            let known = web::Data::new(extract::KnownRoutes::of(&api));
            let doc = api.to_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
            app.app_data(app_state.clone())
                .app_data(web::Data::new(openapi::OpenApiJson(doc)))
                .app_data(extract::json_config(json_limit))
                .app_data(extract::query_config())
                .app_data(extract::path_config())
                .app_data(site.clone())
                .app_data(known)
                .default_service(web::to(extract::not_found))
                .wrap(actix_web::middleware::from_fn(crate::web::guard::guard))
                // The peer address (not a client-supplied Forwarded header) and the path without its
                // query string, which can carry search text and email addresses.
                .wrap(
                    Logger::new("%a \"%{method}xi %U\" %s %b %Dms")
                        .custom_request_replace("method", |req| req.method().to_string()),
                )
        })
        .listen(listener)?
        .run();
        Ok(Self { addr, server, state, mailer })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Runs the HTTP server and the background workers (SLA sweeper, mail outbox, weekly
    /// digest, WAL checkpoints, the staged-file sweep, the IMAP mailbox) side by side until the
    /// server stops.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let s = &self.state;
        let outbox = workers::outbox::run(s.pool.clone(), self.mailer, s.settings.mail.outbox.clone(), s.clock.clone());
        let every = Duration::from_secs(s.settings.sla.sweep_interval_seconds);
        let auto_close = s.settings.sla.auto_close_business_days;
        let sweeper = workers::sla_sweeper::run(s.pool.clone(), s.notifier.clone(), s.clock.clone(), every, auto_close);
        let digest = workers::digest::run(s.pool.clone(), s.settings.clone(), s.notifier.clone(), s.clock.clone());
        let sqlite = matches!(DatabaseUrl::parse(s.settings.database.url.expose()), Ok(DatabaseUrl::Sqlite(_)));
        let checkpoint =
            async { if sqlite { workers::checkpoint::run(s.pool.clone()).await } else { future::pending().await } };
        let staged = workers::staged_files::run(s.pool.clone(), s.settings.attachments.clone(), s.clock.clone());
        let (sweeper, outbox, digest, checkpoint) = (pin!(sweeper), pin!(outbox), pin!(digest), pin!(checkpoint));
        let imap = workers::imap::run(workers::imap::Context {
            pool: s.pool.clone(),
            settings: s.settings.clone(),
            notifier: s.notifier.clone(),
            config: s.config.clone(),
            clock: s.clock.clone(),
        });
        let (staged, imap) = (pin!(staged), pin!(imap));
        let workers = future::select(
            future::select(future::select(sweeper, outbox), future::select(digest, checkpoint)),
            future::select(staged, imap),
        );
        match future::select(pin!(self.server), workers).await {
            Either::Left((served, _)) => served,
            // The workers loop forever; reaching here means one of them stopped.
            Either::Right(_) => Ok(()),
        }
    }
}
