use std::process::ExitCode;

use clap::Parser;

use changedesk::cli::{self, Cli};
use changedesk::config::Settings;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    let settings = match Settings::load(&cli.config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("changedesk: {e}");
            return ExitCode::from(2);
        }
    };
    match cli::run(cli, settings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<cli::Drifted>().is_some() => {
            eprintln!("changedesk: {e}");
            ExitCode::from(3)
        }
        Err(e) => {
            log::error!("{e:#}");
            eprintln!("changedesk: {e:#}");
            ExitCode::FAILURE
        }
    }
}
