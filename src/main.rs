use std::process::ExitCode;

use clap::Parser;

use changedesk::cli::{self, Cli};
use changedesk::config::Settings;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay`: its place in `mi_option_e` (include/mimalloc.h of the mimalloc 3
/// that libmimalloc-sys builds; the Rust binding does not name it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // Freed memory goes back to the system at once, not a second later and only when the thread
    // that freed it allocates again: an idle worker kept what its last request used. No cost
    // measured on filing (docs/benchmarks.md).
    // SAFETY: mi_option_set takes an option number and a value, and may be called at any time.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
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
        Err(e) if e.downcast_ref::<cli::MailgateExit>().is_some() => {
            eprintln!("changedesk mailgate: {e}");
            ExitCode::from(e.downcast_ref::<cli::MailgateExit>().map_or(75, |m| m.0))
        }
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
