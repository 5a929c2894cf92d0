//! Integration tests: the real application on a random port, on SQLite and on PostgreSQL.

mod helpers;

mod access;
mod accounts;
mod admin;
mod admin_forms;
mod admin_pages;
mod architecture;
mod attachments;
mod browser;
mod cli;
mod dashboard;
mod digest;
mod errors;
mod import;
mod inbound;
mod intake;
mod journey;
mod journey_accounts;
mod journey_admin;
mod layout;
mod ledger;
mod lifecycle;
mod listing;
mod mail;
mod mail_threads;
mod pages;
mod pool;
mod priority;
mod reports;
mod routing;
mod security;
mod sla;
mod smtp;
mod sso;
