//! One file per resource; this module only wires them, and holds what they all share: the
//! clock they date by and the conversion of records into views.

use chrono::{NaiveDate, Utc};

pub mod agenda;
pub mod agents;
pub mod applications;
pub mod assessment;
pub mod audit;
pub mod budget;
pub mod cases;
pub mod consents;
pub mod contacts;
pub mod deliveries;
pub mod documents;
pub mod events;
pub mod export;
pub mod export_schema;
pub mod health;
pub mod household;
pub mod imports;
pub mod letter_templates;
pub mod letters;
pub mod liaisons;
pub mod me;
pub mod notifications;
pub mod organisation;
pub mod partner_liaisons;
pub mod partners;
pub mod paths;
pub mod persons;
pub mod plan;
pub mod plan_items;
pub mod referrals;
pub mod restrictions;
pub mod retention;
pub mod schemes;
pub mod stats;
pub mod subscriptions;

/// Implements `From<$record>` for the view `$view`: the fields listed first are moved from the
/// record as they are, under the same name; those after `;` are computed from the record
/// (named `$r`).
macro_rules! view_from {
    ($record:ty => $view:ident { $($field:ident),* $(,)? }) => {
        $crate::routes::view_from!($record as r => $view { $($field),* ; });
    };
    (
        $record:ty as $r:ident => $view:ident {
            $($field:ident),* $(,)? ; $($computed:ident : $value:expr),* $(,)?
        }
    ) => {
        impl From<$record> for $view {
            fn from($r: $record) -> Self {
                // The computed fields first: they may borrow the whole record.
                Self {
                    $($computed: $value,)*
                    $($field: $r.$field,)*
                }
            }
        }
    };
}
pub(crate) use view_from;

/// Today's date, as the service dates what happens today (UTC).
pub(crate) fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Trims an optional text; blank becomes absent (a note, a description, a profile field).
pub(crate) fn trimmed(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// A 422 `blank` at `pointer` when `text` is only spaces (a reason, a note, a message).
pub(crate) fn not_blank(text: &str, pointer: &str) -> Result<(), crate::error::ApiError> {
    if text.trim().is_empty() {
        return Err(crate::error::ApiError::invalid(
            pointer,
            "blank",
            "must not be blank",
        ));
    }
    Ok(())
}
