//! The error responses and common headers every operation documents.

use utoipa::{IntoParams, IntoResponses};

use crate::error::Problem;

/// Errors of a read.
#[allow(dead_code)]
#[derive(IntoResponses)]
pub enum ReadErrors {
    #[response(
        status = 400,
        description = "A parameter is invalid",
        content_type = "application/problem+json"
    )]
    BadRequest(Problem),
    #[response(
        status = 401,
        description = "Missing or invalid token",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    #[response(
        status = 403,
        description = "The caller's role does not allow this",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
    #[response(
        status = 404,
        description = "No such record in the caller's organisation",
        content_type = "application/problem+json"
    )]
    NotFound(Problem),
    #[response(
        status = 500,
        description = "Internal error (no details)",
        content_type = "application/problem+json"
    )]
    Internal(Problem),
    #[response(
        status = 503,
        description = "Database unavailable; retry",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}

/// Errors of a creation (POST).
#[allow(dead_code)]
#[derive(IntoResponses)]
pub enum CreateErrors {
    #[response(
        status = 400,
        description = "Malformed JSON, unknown field or bad parameter",
        content_type = "application/problem+json"
    )]
    BadRequest(Problem),
    #[response(
        status = 401,
        description = "Missing or invalid token",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    #[response(
        status = 403,
        description = "The caller's role does not allow this",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
    #[response(
        status = 404,
        description = "No such record in the caller's organisation",
        content_type = "application/problem+json"
    )]
    NotFound(Problem),
    #[response(
        status = 409,
        description = "Conflict with the current state, or the Idempotency-Key is in flight",
        content_type = "application/problem+json"
    )]
    Conflict(Problem),
    #[response(
        status = 413,
        description = "Body too large",
        content_type = "application/problem+json"
    )]
    TooLarge(Problem),
    #[response(
        status = 415,
        description = "Content-Type is not application/json",
        content_type = "application/problem+json"
    )]
    UnsupportedMediaType(Problem),
    #[response(
        status = 422,
        description = "Invalid values, or Idempotency-Key reused with another body",
        content_type = "application/problem+json"
    )]
    Unprocessable(Problem),
    #[response(
        status = 500,
        description = "Internal error (no details)",
        content_type = "application/problem+json"
    )]
    Internal(Problem),
    #[response(
        status = 503,
        description = "Database unavailable; retry",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}

/// Errors of a change to an existing record (PATCH, state change with If-Match).
#[allow(dead_code)]
#[derive(IntoResponses)]
pub enum WriteErrors {
    #[response(
        status = 400,
        description = "Malformed JSON, unknown field or bad parameter",
        content_type = "application/problem+json"
    )]
    BadRequest(Problem),
    #[response(
        status = 401,
        description = "Missing or invalid token",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    #[response(
        status = 403,
        description = "The caller's role does not allow this",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
    #[response(
        status = 404,
        description = "No such record in the caller's organisation",
        content_type = "application/problem+json"
    )]
    NotFound(Problem),
    #[response(
        status = 409,
        description = "Conflict with the current state",
        content_type = "application/problem+json"
    )]
    Conflict(Problem),
    #[response(
        status = 412,
        description = "If-Match does not match the current ETag",
        content_type = "application/problem+json"
    )]
    PreconditionFailed(Problem),
    #[response(
        status = 413,
        description = "Body too large",
        content_type = "application/problem+json"
    )]
    TooLarge(Problem),
    #[response(
        status = 415,
        description = "Content-Type is not application/json",
        content_type = "application/problem+json"
    )]
    UnsupportedMediaType(Problem),
    #[response(
        status = 422,
        description = "Invalid values",
        content_type = "application/problem+json"
    )]
    Unprocessable(Problem),
    #[response(
        status = 428,
        description = "If-Match is required",
        content_type = "application/problem+json"
    )]
    PreconditionRequired(Problem),
    #[response(
        status = 500,
        description = "Internal error (no details)",
        content_type = "application/problem+json"
    )]
    Internal(Problem),
    #[response(
        status = 503,
        description = "Database unavailable; retry",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}

/// The `Idempotency-Key` header of a POST.
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKeyHeader {
    /// Retry-safe key (1 to 255 visible ASCII characters): a retry with the same key and body
    /// replays the first response for 24 hours.
    #[param(
        rename = "Idempotency-Key",
        max_length = 255,
        min_length = 1,
        pattern = "^[!-~]{1,255}$"
    )]
    idempotency_key: Option<String>,
}

/// The mandatory `If-Match` header of a change.
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatchHeader {
    /// The `ETag` of the version you read, e.g. `"3"`.
    #[param(rename = "If-Match")]
    if_match: String,
}
