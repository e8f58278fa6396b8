//! One file per resource; this module only wires them.

pub mod agenda;
pub mod assessment;
pub mod audit;
pub mod cases;
pub mod consents;
pub mod contacts;
pub mod deliveries;
pub mod export;
pub mod health;
pub mod liaisons;
pub mod me;
pub mod partner_liaisons;
pub mod partners;
pub mod persons;
pub mod plan;
pub mod plan_items;
pub mod referrals;
pub mod stats;
