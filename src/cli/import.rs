//! `changedesk import FILE.csv`.

use std::path::PathBuf;

use clap::Args;

use crate::clock::Clock;
use crate::config::Settings;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// CSV file with a header row.
    pub file: PathBuf,
}

pub fn run(args: ImportArgs, _settings: &Settings, _clock: &Clock) -> anyhow::Result<()> {
    anyhow::bail!("importing {} is being built", args.file.display())
}
