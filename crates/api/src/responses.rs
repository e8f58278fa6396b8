//! The error responses and common headers every operation documents.

use utoipa::IntoParams;

/// Declares a set of problem+json error responses for `#[utoipa::path(responses(…))]`. A set
/// `$name with token { … }` is an operation's that takes a token: it also answers the refusals
/// (401, 403) and the failures (500, 503) every such operation may answer; `with token and
/// body`, one that also reads a JSON body, which may be malformed (400), too large (413) or of
/// another media type (415).
macro_rules! problem_responses {
    ($(#[$doc:meta])* $name:ident with token and body { $($variant:ident = $status:tt : $description:tt,)* }) => {
        $crate::responses::problem_responses! {
            $(#[$doc])*
            $name with token {
                BadRequest = 400: "Malformed JSON, unknown field or bad parameter",
                $($variant = $status: $description,)*
                TooLarge = 413: "Body too large",
                UnsupportedMediaType = 415: "Content-Type is not application/json",
            }
        }
    };
    ($(#[$doc:meta])* $name:ident with token { $($variant:ident = $status:tt : $description:tt,)* }) => {
        $crate::responses::problem_responses! {
            $(#[$doc])*
            $name {
                Unauthorized = 401: "Missing or invalid token",
                Forbidden = 403: "The caller's role does not allow this",
                $($variant = $status: $description,)*
                Internal = 500: "Internal error (no details)",
                Unavailable = 503: "Database unavailable; retry",
            }
        }
    };
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $status:tt : $description:tt,)* }) => {
        $(#[$doc])*
        #[allow(dead_code)]
        #[derive(::utoipa::IntoResponses)]
        pub enum $name {
            $(
                #[response(
                    status = $status,
                    description = $description,
                    content_type = "application/problem+json"
                )]
                $variant($crate::error::Problem),
            )*
        }
    };
}
pub(crate) use problem_responses;

problem_responses! {
    /// Errors of a read.
    ReadErrors with token {
        BadRequest = 400: "A parameter is invalid",
        NotFound = 404: "No such record in the caller's organisation",
    }
}

problem_responses! {
    /// Errors of a creation (POST).
    CreateErrors with token and body {
        NotFound = 404: "No such record in the caller's organisation",
        Conflict = 409: "Conflict with the current state, or the Idempotency-Key is in flight",
        Unprocessable = 422: "Invalid values, or Idempotency-Key reused with another body",
    }
}

problem_responses! {
    /// Errors of a change to an existing record (PATCH, state change with If-Match).
    WriteErrors with token and body {
        NotFound = 404: "No such record in the caller's organisation",
        Conflict = 409: "Conflict with the current state",
        PreconditionFailed = 412: "If-Match does not match the current ETag",
        Unprocessable = 422: "Invalid values",
        PreconditionRequired = 428: "If-Match is required",
    }
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
        required = false,
        max_length = 255,
        min_length = 1,
        pattern = "^[!-~]{1,255}$"
    )]
    idempotency_key: String,
}

/// The `Idempotency-Key` header of a POST only partners call: they send one with every POST.
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct RequiredIdempotencyKeyHeader {
    /// Required: a unique key (e.g. a UUID, 1 to 255 visible ASCII characters), reused when you
    /// retry; a retry with the same key and body replays the first response for 24 hours.
    #[param(
        rename = "Idempotency-Key",
        max_length = 255,
        min_length = 1,
        pattern = "^[!-~]{1,255}$"
    )]
    idempotency_key: String,
}

/// The mandatory `If-Match` header of a change.
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatchHeader {
    /// The `ETag` of the version you read, e.g. `"3"`, or `*` for whatever version exists.
    #[param(rename = "If-Match", pattern = r#"^(\*|(W/)?"[!#-~]*")$"#)]
    if_match: String,
}
