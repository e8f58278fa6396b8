//! Errors as RFC 9457 `application/problem+json`, from one table of codes.
//!
//! Every failure of a handler or an extractor becomes an [`ApiError`]; its `code` is stable for
//! clients and gives its status and title ([`codes`]), its `errors` point at the offending fields
//! with JSON pointers, and a 5xx never carries internal details (the log has them, with the
//! request id). Refusals of the domain and of the store become problems in [`refusals`].
//! Every problem also has its French words ([`french`]), answered to clients whose
//! `Accept-Language` prefers French.

pub mod codes;
pub mod french;
mod refusals;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use relais_domain::Refusal;
use relais_store::idempotency::StoredResponse;
use serde::Serialize;
use utoipa::ToSchema;

pub use codes::Code;
pub use french::FrenchProblem;

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
    /// Human-readable explanation (in French when `Accept-Language` prefers `fr`).
    pub message: String,
    /// The explanation in French, when the place that found the fault wrote one; otherwise
    /// the French message of `code` stands for it ([`FieldError::french_message`]). Never
    /// serialised: the observability layer puts it in `message` for clients preferring French.
    #[serde(skip)]
    pub message_fr: Option<String>,
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
            message_fr: None,
        }
    }

    /// A domain refusal of the body value at `pointer`, with its code and sentences.
    pub fn refused(pointer: impl Into<String>, refusal: &(impl Refusal + ?Sized)) -> Self {
        Self::body(pointer, refusal.code(), refusal.to_string())
            .with_message_fr(refusal.sentence_fr())
    }

    /// The same field error, with its explanation in French.
    #[must_use]
    pub fn with_message_fr(mut self, message_fr: impl Into<String>) -> Self {
        self.message_fr = Some(message_fr.into());
        self
    }

    /// The explanation in French: the one written for this error, or what its code means
    /// (after the name of the parameter or header, which the pointer of a body field is not).
    pub fn french_message(&self) -> String {
        if let Some(message) = &self.message_fr {
            return message.clone();
        }
        let meaning = french::field_message(&self.code);
        match self.location {
            "body" => meaning.to_owned(),
            _ => format!("{} : {meaning}", self.pointer.trim_start_matches('/')),
        }
    }

    /// A problem with a query parameter.
    pub fn query(name: &str, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: format!("/{name}"),
            location: "query",
            code: code.into(),
            message: message.into(),
            message_fr: None,
        }
    }

    /// A problem with a path parameter.
    pub fn path(name: &str, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: format!("/{name}"),
            location: "path",
            code: code.into(),
            message: message.into(),
            message_fr: None,
        }
    }

    /// A problem with a header.
    pub fn header(name: &str, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: format!("/{name}"),
            location: "header",
            code: code.into(),
            message: message.into(),
            message_fr: None,
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
    /// The code's title: in English, or in French when `Accept-Language` prefers `fr`.
    #[schema(example = "Validation failed")]
    pub title: String,
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong, for a person: in English, or in French when `Accept-Language` prefers
    /// `fr`. Clients branch on `code`, never on this text.
    pub detail: String,
    /// The request path.
    pub instance: Option<String>,
    /// Stable machine code.
    #[schema(example = "validation_failed")]
    pub code: String,
    /// The request id, to quote to the operator.
    pub request_id: Option<String>,
    pub errors: Vec<FieldError>,
    /// With `person_merged` only: the record the person's was merged into, where everything of
    /// it now is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<uuid::Uuid>,
}

impl Problem {
    /// The document of a problem `code`: its type, title and status from the table.
    pub fn new(code: Code, detail: impl Into<String>) -> Self {
        Self {
            problem_type: format!("https://relais.dev/problems/{}", code.as_str()),
            title: code.title().to_owned(),
            status: code.status().as_u16(),
            detail: detail.into(),
            instance: None,
            code: code.as_str().to_owned(),
            request_id: None,
            errors: Vec::new(),
            merged_into: None,
        }
    }
}

/// Every error the API answers with. Its code, status and title come from [the table](codes).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A problem named by its code alone: the table gives its status and title; `errors` point
    /// at the values at fault, if any. `detail_fr` is the detail in French when it is known
    /// (a refusal's sentence); otherwise it is derived (see [`ApiError::french`]).
    #[error("{detail}")]
    Coded {
        code: Code,
        detail: String,
        detail_fr: Option<String>,
        errors: Vec<FieldError>,
    },
    #[error("authentication required: {0}")]
    Unauthorized(String),
    #[error("this role may not do that")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// A person's record merged into another: a 404 `person_merged` naming the kept record.
    #[error("this person's record was merged into {merged_into}")]
    PersonMerged { merged_into: uuid::Uuid },
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("not acceptable")]
    NotAcceptable,
    #[error("the resource was changed by someone else; fetch it again")]
    VersionMismatch,
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported content type: {0}")]
    UnsupportedMediaType(String),
    #[error("this change needs an If-Match header with the current ETag")]
    PreconditionRequired,
    #[error("the service is temporarily unavailable")]
    Unavailable,
    #[error("too many requests")]
    TooManyRequests,
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A retried request, answered with the response its first run stored (not an error: it
    /// travels this way so that the work that found it ends the handler with `?`).
    #[error("a replay of the first response to this Idempotency-Key")]
    Replayed(Box<StoredResponse>),
}

impl ApiError {
    /// The problem `code`, with its status from the table.
    pub fn new(code: Code, detail: impl Into<String>) -> Self {
        ApiError::Coded {
            code,
            detail: detail.into(),
            detail_fr: None,
            errors: Vec::new(),
        }
    }

    /// The same problem, with its detail in French. (Only a coded problem has a detail of its
    /// own: the other variants are left as they are.)
    #[must_use]
    pub fn with_detail_fr(mut self, detail: impl Into<String>) -> Self {
        if let ApiError::Coded { detail_fr, .. } = &mut self {
            *detail_fr = Some(detail.into());
        }
        self
    }

    /// The same problem, pointing at one more field. (Only a coded problem carries field
    /// errors of its own: the other variants are left as they are.)
    #[must_use]
    pub fn at(mut self, field: FieldError) -> Self {
        if let ApiError::Coded { errors, .. } = &mut self {
            errors.push(field);
        }
        self
    }

    /// A 422 with one field error.
    pub fn invalid(pointer: &str, code: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::body(pointer, code, message)])
    }

    /// A 422 with several field errors.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => one.message.clone(),
            _ => format!("{} fields are invalid", errors.len()),
        };
        ApiError::Coded {
            code: Code::ValidationFailed,
            detail,
            detail_fr: None,
            errors,
        }
    }

    /// A 400 about one query parameter.
    pub fn bad_query(name: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError::new(Code::InvalidParameter, message.clone()).at(FieldError::query(
            name,
            "invalid_parameter",
            message,
        ))
    }

    /// A 400 about one query parameter, said in English and in French.
    pub fn bad_query_fr(
        name: &str,
        message: impl Into<String>,
        message_fr: impl Into<String>,
    ) -> Self {
        let message = message.into();
        ApiError::new(Code::InvalidParameter, message.clone()).at(FieldError::query(
            name,
            "invalid_parameter",
            message,
        )
        .with_message_fr(message_fr))
    }

    /// A 400 about one query parameter that a rule of the domain refuses (a NIR searched for),
    /// with the refusal's sentences.
    pub fn bad_query_refused(name: &str, refusal: &(impl Refusal + ?Sized)) -> Self {
        let message = refusal.to_string();
        ApiError::new(Code::InvalidParameter, message.clone()).at(FieldError::query(
            name,
            refusal.code(),
            message,
        )
        .with_message_fr(refusal.sentence_fr()))
    }

    /// A 400: the body could not be read to its end (the connection broke).
    pub fn unreadable_body() -> Self {
        ApiError::new(Code::MalformedBody, "the request body could not be read")
    }

    /// A domain refusal of the request as a whole, answered with its code's status.
    pub fn refused(refusal: &(impl Refusal + ?Sized)) -> Self {
        Self::from_table(refusal.code(), refusal.to_string()).with_detail_fr(refusal.sentence_fr())
    }

    /// A domain refusal of the value at `pointer` in the body: a 422 `validation_failed`
    /// pointing at it, with the refusal's code.
    pub fn refused_at(pointer: &str, refusal: &(impl Refusal + ?Sized)) -> Self {
        Self::validation(vec![FieldError::refused(pointer, refusal)])
    }

    /// The problem whose code is written `code` (a domain's or the store's): a code missing from
    /// the table is a bug, answered as one (the tests list every refusal's code).
    fn from_table(code: &'static str, detail: String) -> Self {
        match Code::parse(code) {
            Some(code) => ApiError::new(code, detail),
            None => ApiError::internal(Unlisted(code)),
        }
    }

    /// An unexpected failure: logged in full, answered without details.
    pub fn internal(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        ApiError::Internal(Box::new(err))
    }

    /// The problem code; none for a replay, which answers the stored response as it was.
    pub fn code(&self) -> Option<Code> {
        Some(match self {
            ApiError::Coded { code, .. } => *code,
            ApiError::Unauthorized(_) => Code::Unauthorized,
            ApiError::Forbidden => Code::Forbidden,
            ApiError::NotFound => Code::NotFound,
            ApiError::PersonMerged { .. } => Code::PersonMerged,
            ApiError::MethodNotAllowed => Code::MethodNotAllowed,
            ApiError::NotAcceptable => Code::NotAcceptable,
            ApiError::VersionMismatch => Code::VersionMismatch,
            ApiError::PayloadTooLarge { .. } => Code::PayloadTooLarge,
            ApiError::UnsupportedMediaType(_) => Code::UnsupportedMediaType,
            ApiError::PreconditionRequired => Code::PreconditionRequired,
            ApiError::Unavailable => Code::ServiceUnavailable,
            ApiError::TooManyRequests => Code::TooManyRequests,
            ApiError::Internal(_) => Code::InternalError,
            ApiError::Replayed(_) => return None,
        })
    }

    fn field_errors(&self) -> Vec<FieldError> {
        match self {
            ApiError::Coded { errors, .. } => errors.clone(),
            ApiError::PreconditionRequired => vec![
                FieldError::header(
                    "if-match",
                    "missing",
                    "send If-Match with the ETag you read",
                )
                .with_message_fr("envoyez If-Match avec l'ETag que vous avez lu"),
            ],
            _ => Vec::new(),
        }
    }

    /// The problem document, filled with the request's path and id. (A replay is no problem:
    /// its stored response is answered as it was, so it never comes here.)
    pub fn problem(&self, instance: Option<String>, request_id: Option<String>) -> Problem {
        let code = self.code().unwrap_or(Code::InternalError);
        let detail = if code.status().is_server_error() {
            code.title().to_owned()
        } else {
            self.to_string()
        };
        let merged_into = match self {
            ApiError::PersonMerged { merged_into } => Some(*merged_into),
            _ => None,
        };
        Problem {
            instance,
            request_id,
            errors: self.field_errors(),
            merged_into,
            ..Problem::new(code, detail)
        }
    }

    /// The French words of [`ApiError::problem`]: the code's French title; the detail in
    /// French when it is known, else the one field error's French message (when the English
    /// detail is that error's message), the count of invalid fields, or what the code means;
    /// and each field error's French message. A 5xx says only what its code means, as in
    /// English.
    pub fn french(&self) -> FrenchProblem {
        let code = self.code().unwrap_or(Code::InternalError);
        let errors = self.field_errors();
        let messages: Vec<String> = errors.iter().map(FieldError::french_message).collect();
        let detail = match self {
            _ if code.status().is_server_error() => code.detail_fr().to_owned(),
            ApiError::Coded {
                detail_fr: Some(detail),
                ..
            } => detail.clone(),
            ApiError::Coded { detail, .. } => match (errors.as_slice(), messages.as_slice()) {
                ([one], [message]) if one.message == *detail => message.clone(),
                (several, _) if code == Code::ValidationFailed && several.len() > 1 => {
                    french::fields_invalid(several.len())
                }
                _ => code.detail_fr().to_owned(),
            },
            ApiError::PayloadTooLarge { limit } => {
                format!("le corps de la requête dépasse {limit} octets")
            }
            _ => code.detail_fr().to_owned(),
        };
        FrenchProblem {
            title: code.title_fr(),
            detail,
            messages,
        }
    }
}

/// The answer of `error` with a body of its own: the problem document of `error` flattened with
/// members that say more (the pending items of a closure, the persons a new one may duplicate).
/// It is an answer, not an error, so that the work commits it with the audit of what it shows.
pub fn problem_answer(error: &ApiError, body: &impl Serialize) -> Result<HttpResponse, ApiError> {
    let json = serde_json::to_vec(body).map_err(ApiError::internal)?;
    let mut response = HttpResponse::build(error.status_code())
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)))
        .body(json);
    response.extensions_mut().insert(error.french());
    Ok(response)
}

/// A refusal whose code is missing from the table (a bug: the tests list every refusal's).
#[derive(Debug, thiserror::Error)]
#[error("the code {0:?} is not in the table of problem codes")]
struct Unlisted(&'static str);

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Replayed(stored) => crate::idempotency::stored_status(stored),
            _ => self.code().unwrap_or(Code::InternalError).status(),
        }
    }

    /// The body is completed (instance, request id) by the observability middleware, which
    /// knows the request; here we only write the document, in English, and its French words
    /// in the response's extensions, which the middleware swaps in when the request prefers
    /// French.
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
        let mut response = response.body(body);
        response.extensions_mut().insert(self.french());
        response
    }
}
