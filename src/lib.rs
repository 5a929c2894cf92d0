//! changedesk: website change requests routed to their owning team and measured against SLAs.
//! See docs/architecture.md for the map of these modules.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod auth;
pub mod charts;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod mail;
pub mod read;
pub mod rfc3339;
pub mod routes;
pub mod service;
pub mod startup;
pub mod state;
pub mod web;
pub mod words;
pub mod workers;
