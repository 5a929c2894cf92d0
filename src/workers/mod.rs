//! Background work that runs beside the HTTP server.

pub mod digest;
pub mod outbox;
pub mod sla_sweeper;
