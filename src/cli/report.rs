//! `changedesk report` and `changedesk digest`.

use chrono::NaiveDate;
use clap::{Args, ValueEnum};

use crate::clock::Clock;
use crate::config::Settings;
use crate::mail::Mailer;
use crate::read::digest::IsoWeek;
use crate::read::reports::{self, Period};
use crate::read::whatif;
use crate::service::digest::queue;
use crate::service::notify::Notifier;
use crate::startup::prepare_database;
use crate::workers::outbox;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// First day (YYYY-MM-DD), in the organisation's timezone.
    #[arg(long)]
    pub from: NaiveDate,
    /// Last day (inclusive).
    #[arg(long)]
    pub to: NaiveDate,
    /// Only this team.
    #[arg(long)]
    pub team: Option<String>,
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
}

pub fn report(args: ReportArgs, settings: &Settings, clock: &Clock) -> anyhow::Result<()> {
    let pool = prepare_database(settings, clock)?;
    let period = Period::new(args.from, args.to, settings.org.timezone).map_err(|e| anyhow::anyhow!("{e}"))?;
    let gap = (settings.reports.gap_team.as_str(), settings.reports.gap_baseline.as_str());
    let mut conn = pool.get()?;
    if let Some(team) = &args.team
        && !crate::db::team_exists(&mut conn, team)?
    {
        anyhow::bail!("unknown team '{team}'");
    }
    let report = reports::sla_report(&mut conn, period, args.team.as_deref(), gap, clock.now())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Csv => print!("{}", reports::to_csv(&report).map_err(|e| anyhow::anyhow!("{e}"))?),
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct WhatIfArgs {
    /// First day (YYYY-MM-DD), in the organisation's timezone.
    #[arg(long)]
    pub from: NaiveDate,
    /// Last day (inclusive).
    #[arg(long)]
    pub to: NaiveDate,
    /// A category given to a team: category=team (or category:team); repeat for more.
    #[arg(long = "move")]
    pub moves: Vec<String>,
    /// A rule the proposal adds, team=pattern (or team:pattern): requests whose title or
    /// description match go to the team before any category; repeat for more.
    #[arg(long = "rule")]
    pub rules: Vec<String>,
    /// `text` (a table per team and per category) or `json` (the API's answer).
    #[arg(long, value_enum, default_value = "text")]
    pub format: WhatIfFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum WhatIfFormat {
    Text,
    Json,
}

pub fn whatif(args: WhatIfArgs, settings: &Settings, clock: &Clock) -> anyhow::Result<()> {
    let pool = prepare_database(settings, clock)?;
    let period = Period::new(args.from, args.to, settings.org.timezone).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut conn = pool.get()?;
    let current =
        crate::service::in_force::ConfigCache::default().current(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))?;
    let moves = whatif::parse_moves(&args.moves, &current).map_err(|e| anyhow::anyhow!("--move: {e}"))?;
    let rules = whatif::parse_rules(&args.rules, &current).map_err(|e| anyhow::anyhow!("--rule: {e}"))?;
    whatif::check_proposal(&moves, &rules).map_err(|e| anyhow::anyhow!("{e}"))?;
    let result =
        whatif::whatif(&mut conn, &current, period, &moves, &rules, clock.now()).map_err(|e| anyhow::anyhow!("{e}"))?;
    match args.format {
        WhatIfFormat::Json => println!("{}", serde_json::to_string_pretty(&result)?),
        WhatIfFormat::Text => print!("{}", whatif::to_text(&result)),
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// First day (YYYY-MM-DD), in the organisation's timezone.
    #[arg(long)]
    pub from: NaiveDate,
    /// Last day (inclusive).
    #[arg(long)]
    pub to: NaiveDate,
    /// The folder to write audit.html and audit-csv.zip into (made if missing).
    #[arg(long)]
    pub out: std::path::PathBuf,
}

pub fn audit(args: AuditArgs, settings: &Settings, clock: &Clock) -> anyhow::Result<()> {
    let pool = prepare_database(settings, clock)?;
    let period = Period::new(args.from, args.to, settings.org.timezone).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut conn = pool.get()?;
    let current =
        crate::service::in_force::ConfigCache::default().current(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))?;
    let pack =
        crate::read::audit::audit(&mut conn, &current, period, clock.now()).map_err(|e| anyhow::anyhow!("{e}"))?;
    std::fs::create_dir_all(&args.out)?;
    std::fs::write(args.out.join("audit.html"), &pack.html)?;
    std::fs::write(args.out.join("audit-csv.zip"), pack.csv_zip().map_err(|e| anyhow::anyhow!("{e}"))?)?;
    println!("wrote {} and {}", args.out.join("audit.html").display(), args.out.join("audit-csv.zip").display());
    Ok(())
}

#[derive(Debug, Args)]
pub struct DigestArgs {
    /// ISO week, e.g. 2026-W47; the week just ended when absent.
    #[arg(long)]
    pub week: Option<String>,
    /// Print this team's digest (its leads') instead of the organisation's.
    #[arg(long)]
    pub team: Option<String>,
    /// Queue every digest of the week (the organisation's for `digest.recipients`, each team's
    /// for its leads; once per week, digest and recipient, ever) and send.
    #[arg(long)]
    pub send: bool,
}

pub fn digest(args: DigestArgs, settings: &Settings, clock: &Clock) -> anyhow::Result<()> {
    let pool = prepare_database(settings, clock)?;
    let now = clock.now();
    let week = match &args.week {
        Some(w) => IsoWeek::parse(w).map_err(|e| anyhow::anyhow!("--week '{w}' {e}"))?,
        None => {
            let tz = settings.digest.timezone.unwrap_or(settings.org.timezone);
            IsoWeek::containing(now.with_timezone(&tz).date_naive()).previous()
        }
    };
    let notifier = Notifier::from_settings(settings);
    let mut conn = pool.get()?;
    if !args.send {
        let message = crate::service::digest::compose(&mut conn, settings, &notifier, week, args.team.as_deref(), now)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!("Subject: {}\n\n{}", message.subject, message.text);
        return Ok(());
    }
    let queued = queue(&mut conn, settings, &notifier, week, now).map_err(|e| anyhow::anyhow!("{e}"))?;
    drop(conn);
    eprintln!("queued the {week} digest for {queued} recipient(s) (the others already had it queued)");
    let outbox_settings = settings.mail.outbox.clone();
    let mail_settings = settings.mail.clone();
    // The SMTP transport needs the async runtime it will run on, so it is built inside it.
    let done = actix_web::rt::System::new().block_on(async move {
        let mailer = Mailer::from_settings(&mail_settings)?;
        outbox::dispatch(&pool, &mailer, &outbox_settings, now).await.map_err(|e| anyhow::anyhow!("{e}"))
    })?;
    eprintln!("mail: {} sent, {} to retry, {} failed", done.sent, done.retrying, done.failed);
    Ok(())
}
