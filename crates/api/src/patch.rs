//! JSON merge-patch fields: absent keeps the value, `null` clears it, a value sets it.

use serde::{Deserialize, Deserializer};

/// Deserializes a present field (even `null`) as `Some(..)`; use with `#[serde(default)]`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Deserializes a field that may be absent but not `null` (a required value cannot be
/// cleared) as `Some(..)`; use with `#[serde(default)]`.
pub fn not_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Applies a merge-patch field to a current value.
pub fn apply<T>(current: Option<T>, change: Option<Option<T>>) -> Option<T> {
    match change {
        None => current,
        Some(new) => new,
    }
}
