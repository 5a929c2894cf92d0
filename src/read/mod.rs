//! The read side: what the API, the pages, the CLI and the digest show, built from stored
//! rows and never changing them. Commands (what changes state) live in `service`.

pub mod audit;
pub mod dashboard;
pub mod digest;
pub mod eta;
pub mod list;
pub mod preview;
pub mod reports;
pub mod scorecard;
pub mod views;
pub mod week;
pub mod whatif;
