//! Optimistic concurrency: `ETag` out, `If-Match` in (428 without it, 412 when stale).

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder};

use crate::error::ApiError;

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
            Some(value) => value
                .to_str()
                .ok()
                .and_then(parse_if_match)
                // A tag we never issued cannot match the current version.
                .ok_or(ApiError::VersionMismatch),
        };
        std::future::ready(result)
    }
}

fn parse_if_match(value: &str) -> Option<IfMatch> {
    if value.trim() == "*" {
        return Some(IfMatch::Any);
    }
    parse_version(value).map(IfMatch::Version)
}

fn parse_version(value: &str) -> Option<i32> {
    let value = value.trim();
    let value = value.strip_prefix("W/").unwrap_or(value);
    value.strip_prefix('"')?.strip_suffix('"')?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::{IfMatch, parse_if_match, parse_version};

    #[test]
    fn strong_and_weak_tags_parse_and_garbage_does_not() {
        assert_eq!(parse_version("\"3\""), Some(3));
        assert_eq!(parse_version("W/\"12\""), Some(12));
        assert_eq!(parse_version("3"), None);
        assert_eq!(parse_version("*"), None);
    }

    #[test]
    fn a_star_matches_any_current_version_and_a_tag_only_its_own() {
        assert_eq!(parse_if_match(" * "), Some(IfMatch::Any));
        assert_eq!(IfMatch::Any.check(7).ok(), Some(7));
        assert_eq!(IfMatch::Version(7).check(7).ok(), Some(7));
        assert!(IfMatch::Version(6).check(7).is_err());
    }
}
