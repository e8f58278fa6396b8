//! The black-box tests of the running service, in one test binary: a module per resource (its
//! submodules for the larger ones), and `support` for the fixtures several modules share.
//!
//! Every test runs in this one process, concurrently with the others: they share the embedded
//! PostgreSQL cluster (each test on a database of its own, see `relais_tests`) and the
//! process-wide state, so a test must not change the environment, stop the shared cluster or
//! count anything beyond its own database. Run one module with
//! `cargo test -p relais-tests --test api persons::`.

#![allow(clippy::unwrap_used)]

mod support;

mod agenda;
mod agents;
mod applications;
mod assessment;
mod audit;
mod auth;
mod cases;
mod closure;
mod consents;
mod contacts;
mod conventions;
mod demo;
mod docs;
mod documents;
mod errors;
mod events;
mod export;
mod household_budget;
mod idempotency;
mod imports;
mod journey;
mod keys;
mod languages;
mod letters;
mod liaisons;
mod nir_rotation;
mod notifications;
mod oauth;
mod openapi;
mod operations;
mod organisation;
mod outage;
mod partners;
mod persons;
mod plan;
mod proposals;
mod rate_limits;
mod referrals;
mod replicas;
mod retention;
mod schema;
mod schemes;
mod smoke;
mod stats;
mod tenancy;
mod timeline;
mod unit_of_work;
mod webhooks;
