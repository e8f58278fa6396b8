//! Optimistic concurrency: `ETag` out, `If-Match` in (428 without it, 412 when stale).

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponseBuilder};

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

/// The version the client last read, from its mandatory `If-Match` header.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub i32);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match req.headers().get(header::IF_MATCH) {
            None => Err(ApiError::PreconditionRequired),
            Some(value) => value
                .to_str()
                .ok()
                .and_then(parse_version)
                .map(IfMatch)
                // A tag we never issued cannot match the current version.
                .ok_or(ApiError::VersionMismatch),
        };
        std::future::ready(result)
    }
}

fn parse_version(value: &str) -> Option<i32> {
    let value = value.trim();
    let value = value.strip_prefix("W/").unwrap_or(value);
    value.strip_prefix('"')?.strip_suffix('"')?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::parse_version;

    #[test]
    fn strong_and_weak_tags_parse_and_garbage_does_not() {
        assert_eq!(parse_version("\"3\""), Some(3));
        assert_eq!(parse_version("W/\"12\""), Some(12));
        assert_eq!(parse_version("3"), None);
        assert_eq!(parse_version("*"), None);
    }
}
