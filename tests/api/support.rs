//! Fixtures shared by several test modules; the harness itself (a server on a fresh database,
//! tokens, problem documents) is the `relais_tests` library.

pub mod agenda;
pub mod applications;
pub mod case;
pub mod closure;
pub mod contacts;
pub mod documents;
pub mod letterhead;
pub mod liaisons;
pub mod oauth;
pub mod partners;
pub mod person;
pub mod plan;
pub mod proposals;
pub mod referrals;
pub mod webhooks;
