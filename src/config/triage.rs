//! The `[request_types]` and `[search]` sections.

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

/// The search index is brought up to date by every search before it reads, and in the
/// background every `index_interval_ms` (docs/architecture.md#search).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchSettings {
    #[serde(default = "SearchSettings::default_interval")]
    pub index_interval_ms: u64,
}

impl SearchSettings {
    fn default_interval() -> u64 {
        250
    }
}

impl Default for SearchSettings {
    fn default() -> Self {
        Self { index_interval_ms: Self::default_interval() }
    }
}
