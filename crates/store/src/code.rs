//! Coded enumerations cross the database as their codes, through one wrapper.
//!
//! A column holding a code (`cases.status`, `plan_items.party`…) is read into [`Code<T>`] by
//! naming the type in the query (`status AS "status: Code<CaseStatus>"`), so a record holds a
//! typed value and nobody compares strings to `.code()`. A code the domain does not know is a
//! decode error: the database holds only what the code wrote.
//!
//! What the record field holds follows the column: a `NOT NULL` column gives the enumeration
//! itself (the query macros convert a column with `.into()`, through the `From<Code<T>>` impls
//! below), a nullable one `Option<Code<T>>`, an array `Vec<Code<T>>`; [`Code`] dereferences to
//! its value and compares with it.

use std::ops::Deref;

use relais_domain::{
    Addressee, ApplicationStatus, AuditAction, AuditResource, CaseOrigin, CaseStatus, Coded,
    ConsentChannel, ConsentScope, ContactKind, ContactStatus, DecisionChannel, DeliveryStatus,
    DocumentProvider, DocumentStatus, Domain, EventType, FunderStatus, InformedChannel,
    ItemCategory, ItemStatus, LegalBasis, LiaisonStatus, NeedsAction, NotificationKind, Party,
    ReferralStatus, Relationship, Urgency, WebhookEvent,
};
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

impl<T: PartialEq> PartialEq<T> for Code<T> {
    fn eq(&self, other: &T) -> bool {
        self.0 == *other
    }
}

/// `From<Code<T>> for T`, one enumeration at a time: the orphan rule allows no blanket impl.
macro_rules! unwrap_code {
    ($($t:ty),+ $(,)?) => {$(
        impl From<Code<$t>> for $t {
            fn from(code: Code<$t>) -> Self {
                code.0
            }
        }
    )+};
}

// The enumerations a record reads from a `NOT NULL` column (a missing one is a compile error
// at the query that needs it).
unwrap_code!(
    Addressee,
    ApplicationStatus,
    AuditAction,
    AuditResource,
    CaseOrigin,
    CaseStatus,
    ConsentChannel,
    ConsentScope,
    ContactKind,
    ContactStatus,
    DecisionChannel,
    DeliveryStatus,
    DocumentProvider,
    DocumentStatus,
    Domain,
    EventType,
    FunderStatus,
    InformedChannel,
    ItemCategory,
    ItemStatus,
    LegalBasis,
    LiaisonStatus,
    NeedsAction,
    NotificationKind,
    Party,
    ReferralStatus,
    Relationship,
    Urgency,
    WebhookEvent,
);

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use relais_domain::{
        ApplicationDecision, ClosureReason, DecisionOutcome, DeclineReason, EmploymentStatus,
        HousingStatus, LiaisonContent, MaritalStatus, Priority, ResourceKind,
    };
    use sqlx::{Connection, PgConnection};

    use super::*;
    use crate::embedded::EmbeddedPostgres;

    /// Every code of `T` goes to PostgreSQL as its text and comes back as the same value, alone
    /// and in an array.
    async fn round_trips<T: Coded + PartialEq + std::fmt::Debug + Send + Sync + Unpin>(
        conn: &mut PgConnection,
    ) {
        for &value in T::ALL {
            let (text, back): (String, Code<T>) = sqlx::query_as("SELECT $1::text, $1::text")
                .bind(Code(value))
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(text, value.code());
            assert_eq!(back, value);
        }
        let all: Vec<Code<T>> = T::ALL.iter().copied().map(Code).collect();
        let back: Vec<Code<T>> = sqlx::query_scalar("SELECT $1::text[]")
            .bind(&all)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(back, all);
    }

    #[tokio::test]
    async fn every_stored_code_list_round_trips_through_the_database() {
        let pg = EmbeddedPostgres::start_ephemeral().await.unwrap();
        let mut conn = PgConnection::connect_with(&pg.connect_options("postgres"))
            .await
            .unwrap();
        let conn = &mut conn;
        round_trips::<ApplicationDecision>(conn).await;
        round_trips::<ApplicationStatus>(conn).await;
        round_trips::<AuditAction>(conn).await;
        round_trips::<AuditResource>(conn).await;
        round_trips::<CaseOrigin>(conn).await;
        round_trips::<CaseStatus>(conn).await;
        round_trips::<ClosureReason>(conn).await;
        round_trips::<ConsentChannel>(conn).await;
        round_trips::<ConsentScope>(conn).await;
        round_trips::<ContactKind>(conn).await;
        round_trips::<ContactStatus>(conn).await;
        round_trips::<DecisionChannel>(conn).await;
        round_trips::<DecisionOutcome>(conn).await;
        round_trips::<DeclineReason>(conn).await;
        round_trips::<DeliveryStatus>(conn).await;
        round_trips::<DocumentProvider>(conn).await;
        round_trips::<DocumentStatus>(conn).await;
        round_trips::<Domain>(conn).await;
        round_trips::<EmploymentStatus>(conn).await;
        round_trips::<FunderStatus>(conn).await;
        round_trips::<HousingStatus>(conn).await;
        round_trips::<InformedChannel>(conn).await;
        round_trips::<ItemCategory>(conn).await;
        round_trips::<ItemStatus>(conn).await;
        round_trips::<LegalBasis>(conn).await;
        round_trips::<LiaisonContent>(conn).await;
        round_trips::<LiaisonStatus>(conn).await;
        round_trips::<MaritalStatus>(conn).await;
        round_trips::<NeedsAction>(conn).await;
        round_trips::<Party>(conn).await;
        round_trips::<Priority>(conn).await;
        round_trips::<ReferralStatus>(conn).await;
        round_trips::<Relationship>(conn).await;
        round_trips::<ResourceKind>(conn).await;
        round_trips::<Urgency>(conn).await;
        round_trips::<WebhookEvent>(conn).await;

        let unknown = sqlx::query_scalar::<_, Code<CaseStatus>>("SELECT 'finished'")
            .fetch_one(&mut *conn)
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            unknown.contains(r#"unknown case_status code "finished""#),
            "{unknown}"
        );
        pg.stop().await.unwrap();
    }

    #[test]
    fn a_code_is_its_value() {
        let code = Code(CaseStatus::Closed);
        assert_eq!(code, CaseStatus::Closed);
        assert_ne!(code, CaseStatus::Active);
        assert!(!code.is_open());
        assert_eq!(CaseStatus::from(code), CaseStatus::Closed);
        assert_eq!(code.to_string(), "closed");
        assert_eq!(serde_json::to_value(code).unwrap(), "closed");
    }

    #[test]
    fn decoding_an_unknown_code_names_its_list() {
        assert_eq!(decode::<Party>("person").ok(), Some(Party::Person));
        let err = decode::<Party>("someone").err().map(|e| format!("{:?}", e));
        assert!(err.unwrap_or_default().contains("unknown party code"));
    }
}
