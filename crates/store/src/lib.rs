//! Relais persistence: PostgreSQL through sqlx.
//!
//! Repository functions take a `&mut PgConnection` so that callers compose them into one
//! transaction: a change, its audit event and its timeline event commit together. Tenant
//! transactions are opened by [`Db`], which sets the organisation for row-level security.

pub mod absences;
pub mod activity;
pub mod agenda;
pub mod agents;
pub mod applications;
pub mod assessments;
pub mod audit;
pub mod bench;
pub mod budgets;
pub mod cases;
pub mod code;
pub mod contacts;
pub mod crypto;
pub mod db;
pub mod documents;
pub mod duplicates;
pub mod embedded;
pub mod error;
pub mod events;
pub mod export;
pub mod households;
pub mod idempotency;
pub mod imports;
pub mod jobs;
pub mod letter_templates;
pub mod letters;
pub mod liaisons;
pub mod merge;
pub mod notifications;
pub mod organisations;
pub mod outbox;
pub mod page;
pub mod partner_credentials;
pub mod partners;
pub mod persons;
pub mod plan_items;
pub mod profiles;
pub mod proposals;
pub mod referrals;
pub mod restrictions;
pub mod retention;
pub mod schemes;
pub mod stats;
pub mod subscriptions;
mod version;
pub mod webhooks;

pub use code::Code;
pub use db::{Db, PoolSettings};
pub use error::StoreError;
pub use sqlx::PgConnection;
