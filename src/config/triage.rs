//! The `[request_types]` section.

use serde::Deserialize;

/// Request types (the fields each category asks for) live in the database, changed by admins
/// (`PUT /api/v1/request-types`); on first start they are seeded with the defaults for the ten
/// default categories unless `seed_defaults` is false.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestTypeSettings {
    #[serde(default = "yes")]
    pub seed_defaults: bool,
}

impl Default for RequestTypeSettings {
    fn default() -> Self {
        Self { seed_defaults: true }
    }
}

fn yes() -> bool {
    true
}
