//! `changedesk import FILE.csv`: checks the whole file, then imports it in one transaction
//! (see `service::import`). Any problem is printed as `line N: column: reason` and nothing is
//! written.

use std::fs::File;
use std::io::{BufReader, IsTerminal};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::clock::Clock;
use crate::config::Settings;
use crate::read::views::request_key;
use crate::service::import::{self, ImportContext};
use crate::startup::prepare_database;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// CSV file with a header row: title, category, team, priority, requester_email,
    /// created_at, first_response_at, resolved_at, status (any order).
    pub file: PathBuf,
}

pub fn run(args: ImportArgs, settings: &Settings, clock: &Clock) -> anyhow::Result<()> {
    let started = Instant::now();
    let shown = args.file.display();
    let source = args.file.file_name().map_or_else(|| shown.to_string(), |n| n.to_string_lossy().into_owned());
    let file = File::open(&args.file).with_context(|| format!("opening {shown}"))?;
    let pool = prepare_database(settings, clock)?;
    let mut conn = pool.get()?;
    let now = clock.now();
    let ctx = ImportContext::load(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))?;

    let bar = progress_bar(None);
    bar.set_message(format!("checking {source}"));
    let checked = import::validate(BufReader::with_capacity(1 << 20, file), &ctx, now);
    bar.finish_and_clear();
    let rows = match checked {
        Ok(rows) => rows,
        Err(rejected) => {
            eprint!("{rejected}");
            anyhow::bail!("{shown}: {} problem(s) found; nothing was imported", rejected.total);
        }
    };

    let checked_in = started.elapsed();
    let total = rows.len() as u64;
    let bar = progress_bar(Some(total));
    bar.set_message(format!("importing {source}"));
    let summary = import::import(&mut conn, rows, &source, now, &|n| {
        bar.inc(n);
        if bar.position() == total {
            bar.set_message(format!("committing {source}"));
        }
    });
    bar.finish_and_clear();
    let summary = summary.map_err(|e| anyhow::anyhow!("importing {shown}: {e}; nothing was imported"))?;
    let keys = summary.numbers.map_or_else(String::new, |(a, b)| format!(" ({}..{})", request_key(a), request_key(b)));
    println!(
        "imported {} request(s){keys} from {source}, created {} requester(s), in {:.1}s ({:.1}s checking)",
        summary.rows,
        summary.requesters_created,
        started.elapsed().as_secs_f64(),
        checked_in.as_secs_f64(),
    );
    Ok(())
}

/// A bar over `rows` (a spinner when unknown) on a terminal; hidden otherwise, when the summary
/// line is the only output.
pub(super) fn progress_bar(rows: Option<u64>) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let (bar, template) = match rows {
        Some(n) => (ProgressBar::new(n), "{msg} {wide_bar} {human_pos}/{human_len} rows, {elapsed} so far, {eta} left"),
        None => (ProgressBar::new_spinner(), "{spinner} {msg} ({elapsed})"),
    };
    bar.set_style(ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()));
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
