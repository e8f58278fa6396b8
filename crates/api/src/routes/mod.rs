//! One file per resource; this module only wires them, and holds the one clock they date by.

use chrono::{NaiveDate, Utc};

pub mod agenda;
pub mod applications;
pub mod assessment;
pub mod audit;
pub mod budget;
pub mod cases;
pub mod consents;
pub mod contacts;
pub mod deliveries;
pub mod documents;
pub mod export;
pub mod health;
pub mod household;
pub mod liaisons;
pub mod me;
pub mod partner_liaisons;
pub mod partners;
pub mod paths;
pub mod persons;
pub mod plan;
pub mod plan_items;
pub mod referrals;
pub mod schemes;
pub mod stats;

/// Today's date, as the service dates what happens today (UTC).
pub(crate) fn today() -> NaiveDate {
    Utc::now().date_naive()
}
