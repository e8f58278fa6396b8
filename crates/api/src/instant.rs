//! Instants in bodies: a field named `…_at` is an RFC 3339 timestamp. Two of them (a consent's
//! `given_at`, a person's `informed.at`) took a bare date before they took a timestamp; a date
//! is still accepted there, as the start of that day (UTC, the service's day, see
//! `routes::today`).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Deserializer};
use utoipa::openapi::schema::{AnyOfBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};

/// The start (00:00 UTC) of `day`.
pub fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc()
}

/// Reads an RFC 3339 timestamp, or a bare `YYYY-MM-DD` date as the start of that day.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .map(start_of)
        })
}

/// Deserializes an instant given as a timestamp or (for compatibility) a date, for
/// `#[serde(deserialize_with)]`.
pub fn timestamp_or_date<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(d)?;
    parse(&text).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "expected an RFC 3339 timestamp (2026-11-20T14:30:00Z) or a date (2026-11-20), not {:?}",
            text.chars().take(40).collect::<String>()
        ))
    })
}

/// The schema of such a field, for `#[schema(schema_with)]`: a `date-time`, or a `date`.
pub fn schema() -> RefOr<Schema> {
    let format = |format: KnownFormat| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(format)))
    };
    // `anyOf`: both are strings, told apart by their format only.
    RefOr::T(Schema::AnyOf(
        AnyOfBuilder::new()
            .item(format(KnownFormat::DateTime))
            .item(format(KnownFormat::Date))
            .description(Some(
                "An RFC 3339 timestamp; a bare date (`YYYY-MM-DD`, the start of that day in \
                 UTC) is accepted too.",
            ))
            .build(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timestamp_is_kept_and_a_date_is_the_start_of_its_day() {
        assert_eq!(
            parse("2026-11-20T14:30:00+01:00").map(|t| t.to_rfc3339()),
            Some("2026-11-20T13:30:00+00:00".to_owned())
        );
        assert_eq!(
            parse("2026-11-20").map(|t| t.to_rfc3339()),
            Some("2026-11-20T00:00:00+00:00".to_owned())
        );
        for wrong in [
            "",
            "2026-13-01",
            "20/11/2026",
            "2026-11-20T25:00:00Z",
            "2026-11-20 ",
        ] {
            assert_eq!(parse(wrong), None, "{wrong:?}");
        }
    }
}
