//! Errors as RFC 9457 `application/problem+json`, from one table of codes.
//!
//! Every failure of a handler or an extractor becomes an [`ApiError`]; its `code` is stable for
//! clients, its `errors` point at the offending fields with JSON pointers, and a 5xx never
//! carries internal details (the log has them, with the request id).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use relais_domain::Refusal;
use relais_domain::{CaseLocked, TransitionError};
use relais_store::StoreError;
use relais_store::idempotency::StoredResponse;
use serde::Serialize;
use utoipa::ToSchema;

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One offending field.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// JSON pointer (RFC 6901) to the field: in the body, or to the named parameter.
    #[schema(example = "/person/nir")]
    pub pointer: String,
    /// Where the field is: `body`, `query`, `path` or `header`.
    #[serde(rename = "in")]
    #[schema(example = "body")]
    pub location: &'static str,
    /// Stable machine code of the problem with this field.
    #[schema(example = "nir_wrong_key")]
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl FieldError {
    /// A problem with a body field.
    pub fn body(
        pointer: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            pointer: pointer.into(),
            location: "body",
            code: code.into(),
            message: message.into(),
        }
    }

    /// A problem with a query parameter.
    pub fn query(name: &str, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: format!("/{name}"),
            location: "query",
            code: code.into(),
            message: message.into(),
        }
    }

    /// A problem with a path parameter.
    pub fn path(name: &str, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: format!("/{name}"),
            location: "path",
            code: code.into(),
            message: message.into(),
        }
    }

    /// A problem with a header.
    pub fn header(name: &str, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: format!("/{name}"),
            location: "header",
            code: code.into(),
            message: message.into(),
        }
    }
}

/// The problem document (RFC 9457) with Relais's `code` and `errors` extensions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// URI identifying the problem type.
    #[serde(rename = "type")]
    #[schema(example = "https://relais.dev/problems/validation_failed")]
    pub problem_type: String,
    #[schema(example = "Validation failed")]
    pub title: String,
    #[schema(example = 422)]
    pub status: u16,
    pub detail: String,
    /// The request path.
    pub instance: Option<String>,
    /// Stable machine code.
    #[schema(example = "validation_failed")]
    pub code: String,
    /// The request id, to quote to the operator.
    pub request_id: Option<String>,
    pub errors: Vec<FieldError>,
}

/// Every error the API answers with. `code()` and `status()` come from one table.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    BadRequest {
        code: &'static str,
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("authentication required: {0}")]
    Unauthorized(String),
    #[error("this role may not do that")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("not acceptable")]
    NotAcceptable,
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("the resource was changed by someone else; fetch it again")]
    VersionMismatch,
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported content type: {0}")]
    UnsupportedMediaType(String),
    #[error("{detail}")]
    Unprocessable {
        code: &'static str,
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("this change needs an If-Match header with the current ETag")]
    PreconditionRequired,
    #[error("the service is temporarily unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A retried request, answered with the response its first run stored (not an error: it
    /// travels this way so that the work that found it ends the handler with `?`).
    #[error("a replay of the first response to this Idempotency-Key")]
    Replayed(Box<StoredResponse>),
}

impl ApiError {
    /// A 422 with one field error.
    pub fn invalid(pointer: &str, code: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError::Unprocessable {
            code: "validation_failed",
            detail: message.clone(),
            errors: vec![FieldError::body(pointer, code, message)],
        }
    }

    /// A 422 with several field errors.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => one.message.clone(),
            _ => format!("{} fields are invalid", errors.len()),
        };
        ApiError::Unprocessable {
            code: "validation_failed",
            detail,
            errors,
        }
    }

    /// A 400 about one query parameter.
    pub fn bad_query(name: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError::BadRequest {
            code: "invalid_parameter",
            detail: message.clone(),
            errors: vec![FieldError::query(name, "invalid_parameter", message)],
        }
    }

    /// An unexpected failure: logged in full, answered without details.
    pub fn internal(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        ApiError::Internal(Box::new(err))
    }

    /// The stable machine code.
    pub fn code(&self) -> &str {
        match self {
            ApiError::BadRequest { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Unprocessable { code, .. } => code,
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden => "forbidden",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::NotAcceptable => "not_acceptable",
            ApiError::VersionMismatch => "version_mismatch",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::PreconditionRequired => "precondition_required",
            ApiError::Unavailable => "service_unavailable",
            ApiError::Internal(_) => "internal_error",
            ApiError::Replayed(_) => "replayed",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::BadRequest { .. } => "Bad request",
            ApiError::Unauthorized(_) => "Unauthorized",
            ApiError::Forbidden => "Forbidden",
            ApiError::NotFound => "Not found",
            ApiError::MethodNotAllowed => "Method not allowed",
            ApiError::NotAcceptable => "Not acceptable",
            ApiError::Conflict { .. } => "Conflict",
            ApiError::VersionMismatch => "Precondition failed",
            ApiError::PayloadTooLarge { .. } => "Payload too large",
            ApiError::UnsupportedMediaType(_) => "Unsupported media type",
            ApiError::Unprocessable { .. } => "Validation failed",
            ApiError::PreconditionRequired => "Precondition required",
            ApiError::Unavailable => "Service unavailable",
            ApiError::Internal(_) => "Internal server error",
            ApiError::Replayed(_) => "Replayed",
        }
    }

    fn field_errors(&self) -> Vec<FieldError> {
        match self {
            ApiError::BadRequest { errors, .. } | ApiError::Unprocessable { errors, .. } => {
                errors.clone()
            }
            ApiError::PreconditionRequired => vec![FieldError::header(
                "if-match",
                "missing",
                "send If-Match with the ETag you read",
            )],
            _ => Vec::new(),
        }
    }

    /// The problem document, filled with the request's path and id.
    pub fn problem(&self, instance: Option<String>, request_id: Option<String>) -> Problem {
        let status = self.status_code();
        let detail = if status.is_server_error() {
            self.title().to_owned()
        } else {
            self.to_string()
        };
        Problem {
            problem_type: format!("https://relais.dev/problems/{}", self.code()),
            title: self.title().to_owned(),
            status: status.as_u16(),
            detail,
            instance,
            code: self.code().to_owned(),
            request_id,
            errors: self.field_errors(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::VersionMismatch => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Replayed(stored) => crate::idempotency::stored_status(stored),
        }
    }

    /// The body is completed (instance, request id) by the observability middleware, which
    /// knows the request; here we only write the document.
    fn error_response(&self) -> HttpResponse {
        if let ApiError::Replayed(stored) = self {
            return crate::idempotency::replay(stored);
        }
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
        }
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        match self {
            ApiError::Unauthorized(reason) => {
                let challenge = format!(
                    "Bearer realm=\"relais\", error=\"invalid_token\", error_description=\"{}\"",
                    reason.replace('"', "'")
                );
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    response.insert_header((header::WWW_AUTHENTICATE, value));
                }
            }
            ApiError::Unavailable => {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("2")));
            }
            _ => {}
        }
        let body = serde_json::to_vec(&self.problem(None, None)).unwrap_or_default();
        response.body(body)
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::VersionMismatch => ApiError::VersionMismatch,
            StoreError::Conflict { code, message } => ApiError::Conflict {
                code,
                detail: message,
            },
            StoreError::InvalidReference { field, message } => ApiError::Unprocessable {
                code: "validation_failed",
                detail: message.clone(),
                errors: vec![FieldError::body(field, "unknown_reference", message)],
            },
            StoreError::Transition(t) => match t {
                // A missing input is the request's fault: point at the field.
                TransitionError::ClosureReasonRequired => {
                    ApiError::invalid("/closure_reason", t.code(), t.to_string())
                }
                TransitionError::ReasonRequired => {
                    ApiError::invalid("/reason", t.code(), t.to_string())
                }
                // Anything else is a conflict with the case's current state.
                _ => ApiError::Conflict {
                    code: t.code(),
                    detail: t.to_string(),
                },
            },
            StoreError::Unavailable(source) => {
                tracing::warn!(error = %source, "database unavailable");
                ApiError::Unavailable
            }
            StoreError::Database(source) => ApiError::internal(source),
        }
    }
}

impl From<CaseLocked> for ApiError {
    fn from(locked: CaseLocked) -> Self {
        ApiError::Conflict {
            code: locked.code(),
            detail: locked.to_string(),
        }
    }
}
