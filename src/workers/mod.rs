//! Background work that runs beside the HTTP server.

pub mod checkpoint;
pub mod digest;
pub mod imap;
pub mod outbox;
pub mod sla_sweeper;
pub mod staged_files;
