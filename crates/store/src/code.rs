//! Coded enumerations cross the database as their codes, through one wrapper.
//!
//! A column holding a code (`cases.status`, `plan_items.party`…) is read into [`Code<T>`] by
//! naming the type in the query (`status AS "status: Code<CaseStatus>"`), so a record holds a
//! typed value and nobody compares strings to `.code()`. A code the domain does not know is a
//! decode error: the database holds only what the code wrote.

use std::ops::Deref;

use relais_domain::Coded;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgHasArrayType, PgTypeInfo, PgValueRef};
use sqlx::{Decode, Encode, Postgres, Type};

/// A coded enumeration as stored: its code in a `text` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code<T>(pub T);

impl<T> Code<T> {
    /// The domain value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Code<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> From<T> for Code<T> {
    fn from(value: T) -> Self {
        Code(value)
    }
}

impl<T: Coded> Type<Postgres> for Code<T> {
    fn type_info() -> PgTypeInfo {
        <&str as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <&str as Type<Postgres>>::compatible(ty)
    }
}

impl<T: Coded> PgHasArrayType for Code<T> {
    fn array_type_info() -> PgTypeInfo {
        <&str as PgHasArrayType>::array_type_info()
    }

    fn array_compatible(ty: &PgTypeInfo) -> bool {
        <&str as PgHasArrayType>::array_compatible(ty)
    }
}

impl<'r, T: Coded> Decode<'r, Postgres> for Code<T> {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let code = <&str as Decode<Postgres>>::decode(value)?;
        T::parse(code)
            .map(Code)
            .ok_or_else(|| format!("unknown {} code {code:?} in the database", T::LIST).into())
    }
}

impl<T: Coded> Encode<'_, Postgres> for Code<T> {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <&str as Encode<Postgres>>::encode(self.0.code(), buf)
    }
}

/// Decodes a code read as text (a JSON field, an aggregate) into its enumeration; an unknown
/// code is a database error, as for [`Code`].
pub fn decode<T: Coded>(code: &str) -> Result<T, crate::StoreError> {
    T::parse(code)
        .ok_or_else(|| corrupt(format!("unknown {} code {code:?} in the database", T::LIST)))
}

/// A value the database holds that the code never wrote: a decode error.
pub(crate) fn corrupt(what: String) -> crate::StoreError {
    crate::StoreError::Database(sqlx::Error::Decode(what.into()))
}

impl<T: std::fmt::Display> std::fmt::Display for Code<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: serde::Serialize> serde::Serialize for Code<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}
