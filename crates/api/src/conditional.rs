//! Optimistic concurrency: `ETag` out, `If-Match` in (428 without it, 412 when stale).

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder};

use crate::error::{ApiError, Code, FieldError};

/// The strong entity tag of a record at `version`.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// Adds the `ETag` header of `version` to a response.
pub fn with_etag(builder: &mut HttpResponseBuilder, version: i32) -> &mut HttpResponseBuilder {
    if let Ok(value) = HeaderValue::from_str(&etag(version)) {
        builder.insert_header((header::ETAG, value));
    }
    builder
}

/// A `200 OK` with `body` and the `ETag` of `version`.
pub fn ok_with_etag(version: i32, body: impl serde::Serialize) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    with_etag(&mut response, version);
    response.json(body)
}

/// A `201 Created` at `location` with `body` and the `ETag` of `version`.
pub fn created(location: String, version: i32, body: impl serde::Serialize) -> HttpResponse {
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, location));
    with_etag(&mut response, version);
    response.json(body)
}

/// An answer that shows a secret (a client secret, a webhook signing secret): `body` with the
/// `ETag` of `version` and `Cache-Control: no-store`, which also keeps it out of the idempotency
/// store, so a replay never shows the secret again.
pub fn showing_secret(
    builder: &mut HttpResponseBuilder,
    version: i32,
    body: impl serde::Serialize,
) -> HttpResponse {
    with_etag(builder, version);
    builder
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

/// The version the client last read, from its mandatory `If-Match` header; `*` (RFC 9110)
/// matches whatever version exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMatch {
    Version(i32),
    Any,
}

impl IfMatch {
    /// The version to write against, when the precondition holds for `current`.
    pub fn check(self, current: i32) -> Result<i32, ApiError> {
        match self {
            IfMatch::Version(v) if v == current => Ok(v),
            IfMatch::Version(_) => Err(ApiError::VersionMismatch),
            IfMatch::Any => Ok(current),
        }
    }

    /// The version a replacement is written against: none for `*`, which replaces whatever
    /// exists (or nothing yet).
    pub fn expected(self) -> Option<i32> {
        match self {
            IfMatch::Version(v) => Some(v),
            IfMatch::Any => None,
        }
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match req.headers().get(header::IF_MATCH) {
            None => Err(ApiError::PreconditionRequired),
            Some(value) => match value.to_str().ok().and_then(parse_if_match) {
                Some(Precondition::Matches(if_match)) => Ok(if_match),
                // A tag we never issued cannot match the current version.
                Some(Precondition::Foreign) => Err(ApiError::VersionMismatch),
                None => Err(invalid_if_match()),
            },
        };
        std::future::ready(result)
    }
}

/// What an `If-Match` header says, when it is `*` or one entity tag.
#[derive(Debug, PartialEq, Eq)]
enum Precondition {
    Matches(IfMatch),
    /// A well-formed tag Relais never issued (not a version number).
    Foreign,
}

/// The pattern the document gives `If-Match` (see [`crate::responses::IfMatchHeader`]): `*`
/// or one entity tag of RFC 9110, strong or weak.
pub const IF_MATCH_PATTERN: &str = r#"^(\*|(W/)?"[!#-~]*")$"#;

fn parse_if_match(value: &str) -> Option<Precondition> {
    let value = value.trim();
    if value == "*" {
        return Some(Precondition::Matches(IfMatch::Any));
    }
    let opaque = value.strip_prefix("W/").unwrap_or(value);
    let tag = opaque.strip_prefix('"')?.strip_suffix('"')?;
    if !tag.bytes().all(|b| b == b'!' || (b'#'..=b'~').contains(&b)) {
        return None;
    }
    Some(match tag.parse() {
        Ok(version) => Precondition::Matches(IfMatch::Version(version)),
        Err(_) => Precondition::Foreign,
    })
}

fn invalid_if_match() -> ApiError {
    let message = "send * or the ETag you read, quotes included (e.g. \"3\")";
    ApiError::new(
        Code::InvalidIfMatch,
        "If-Match must be * or one entity tag, e.g. \"3\"",
    )
    .at(FieldError::header("if-match", "invalid", message)
        .with_message_fr("envoyez * ou l'ETag lu, guillemets compris (par exemple \"3\")"))
}

#[cfg(test)]
mod tests {
    use super::{IF_MATCH_PATTERN, IfMatch, Precondition, parse_if_match};

    fn version(value: &str) -> Option<i32> {
        match parse_if_match(value) {
            Some(Precondition::Matches(IfMatch::Version(v))) => Some(v),
            _ => None,
        }
    }

    #[test]
    fn strong_and_weak_tags_parse_and_garbage_does_not() {
        assert_eq!(version("\"3\""), Some(3));
        assert_eq!(version("W/\"12\""), Some(12));
        assert_eq!(parse_if_match("3"), None);
        assert_eq!(parse_if_match(""), None);
        assert_eq!(parse_if_match("\"3\", \"4\""), None);
        assert_eq!(parse_if_match("\"a b\""), None);
        assert_eq!(parse_if_match("\"abc\""), Some(Precondition::Foreign));
    }

    #[test]
    fn the_documented_pattern_accepts_exactly_what_parses() {
        let pattern = regex::Regex::new(IF_MATCH_PATTERN).expect("a regex");
        for value in [
            "*",
            "\"3\"",
            "W/\"3\"",
            "\"abc\"",
            "\"\"",
            "3",
            "",
            "\"3\",\"4\"",
            "\"a b\"",
            "W/3",
        ] {
            assert_eq!(
                pattern.is_match(value),
                parse_if_match(value).is_some(),
                "{value:?}"
            );
        }
    }

    #[test]
    fn the_document_gives_if_match_this_pattern() {
        let document = serde_json::to_value(crate::document()).expect("the document");
        let patterns: Vec<&str> = document["paths"]
            .as_object()
            .expect("paths")
            .values()
            .flat_map(|item| item.as_object().expect("operations").values())
            .filter_map(|operation| operation["parameters"].as_array())
            .flatten()
            .filter(|parameter| parameter["name"] == "If-Match")
            .map(|parameter| parameter["schema"]["pattern"].as_str().unwrap_or(""))
            .collect();
        assert!(!patterns.is_empty());
        assert!(
            patterns.iter().all(|p| *p == IF_MATCH_PATTERN),
            "{patterns:?}"
        );
    }

    #[test]
    fn a_star_matches_any_current_version_and_a_tag_only_its_own() {
        assert_eq!(
            parse_if_match(" * "),
            Some(Precondition::Matches(IfMatch::Any))
        );
        assert_eq!(IfMatch::Any.check(7).ok(), Some(7));
        assert_eq!(IfMatch::Version(7).check(7).ok(), Some(7));
        assert!(IfMatch::Version(6).check(7).is_err());
    }
}
