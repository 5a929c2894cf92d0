//! Pure types and rules: no database, no clock, no HTTP.

pub mod attachment;
pub mod calendar;
pub mod escalation;
pub mod event;
pub mod facts;
pub mod ledger;
pub mod metrics;
pub mod priority;
pub mod request;
pub mod request_type;
pub mod role;
pub mod routing;
pub mod search;
pub mod sla;
pub mod status;
pub mod validation;
pub mod whatif;

pub use event::Event;
pub use priority::Priority;
pub use request::{NewRequest, RequestInput};
pub use role::Role;
pub use routing::{OwnershipMap, RoutingDecision};
pub use status::Status;
pub use validation::FieldErrors;
