//! Units of work: each public function checks who may do it, applies the domain rules and
//! writes the change with its events in one transaction. Handlers and the CLI call these.

/// The connection a unit of work runs on, for the code that passes one along (handlers name
/// it, but only the service layer queries it).
pub use crate::db::AnyConnection;

pub mod accounts;
pub mod admin;
pub mod agreements;
pub mod attachments;
pub mod audit;
pub mod canned;
pub mod digest;
pub mod error;
pub mod idempotency;
pub mod import;
pub mod in_force;
pub mod inbound;
pub mod intake;
pub mod ledger;
pub mod mail;
pub mod notify;
pub mod request_types;
pub mod requests;
pub mod search;
pub mod security_log;
pub mod seed;
pub mod sessions;
pub mod sla;
pub mod sso;
pub mod tokens;
pub mod users;
pub mod verify;
pub mod views;
pub mod watchers;

pub use error::Error;
