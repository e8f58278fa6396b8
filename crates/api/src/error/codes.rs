//! The one table of problem codes: every `code` the API answers with, its HTTP status and its
//! title.
//!
//! A handler never chooses a status: it names a [`Code`] (or returns a domain refusal, whose
//! code is looked up here) and the status and title follow. Codes are stable: clients match on
//! them, so a code is never renamed or given another status; new ones are added here. The codes
//! of the field errors inside a problem (`errors[].code`: `too_long`, `nir_wrong_key`…) are
//! another list: they qualify one value, under a problem such as `validation_failed`.

use actix_web::http::StatusCode;

/// Declares [`Code`] from its table: `Variant = "code", STATUS, "Title";`.
macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $status:ident, $title:literal;)*) => {
        /// A problem code of the API, with its status and title (see the module's table).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($(#[$doc])* $variant,)*
        }

        impl Code {
            /// Every code, in the table's order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The `snake_case` code, as in the problem's `code` and at the end of its `type`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// The HTTP status every problem with this code has.
            pub const fn status(self) -> StatusCode {
                match self {
                    $(Code::$variant => StatusCode::$status,)*
                }
            }

            /// The problem's `title`: the same for every occurrence of the code.
            pub const fn title(self) -> &'static str {
                match self {
                    $(Code::$variant => $title,)*
                }
            }

            /// The code written `code`, if the table has it.
            pub fn parse(code: &str) -> Option<Code> {
                match code {
                    $($code => Some(Code::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

codes! {
    // The request is malformed.
    /// The body could not be read to its end.
    MalformedBody = "malformed_body", BAD_REQUEST, "Bad request";
    /// The body is not JSON (or has something after the value).
    MalformedJson = "malformed_json", BAD_REQUEST, "Bad request";
    /// The body has a field the resource does not have (typos never drop data silently).
    UnknownField = "unknown_field", BAD_REQUEST, "Bad request";
    /// A query parameter is unknown or invalid.
    InvalidParameter = "invalid_parameter", BAD_REQUEST, "Bad request";
    /// A path parameter is not an identifier.
    InvalidPathParameter = "invalid_path_parameter", BAD_REQUEST, "Bad request";
    /// The `Idempotency-Key` header is not 1 to 255 visible ASCII characters.
    InvalidIdempotencyKey = "invalid_idempotency_key", BAD_REQUEST, "Bad request";
    /// A partner's `POST` has no `Idempotency-Key`.
    IdempotencyKeyRequired = "idempotency_key_required", BAD_REQUEST, "Bad request";
    /// A read that is audited with its reason (an archived case, an unmasked NIR) has none.
    ReasonRequired = "reason_required", BAD_REQUEST, "Bad request";
    /// OAuth token request: a parameter is missing, repeated or malformed (RFC 6749 §5.2).
    InvalidRequest = "invalid_request", BAD_REQUEST, "Bad request";
    /// OAuth token request: a grant other than `client_credentials`.
    UnsupportedGrantType = "unsupported_grant_type", BAD_REQUEST, "Bad request";

    // Who is asking.
    /// No valid bearer token.
    Unauthorized = "unauthorized", UNAUTHORIZED, "Unauthorized";
    /// OAuth token request: the client's authentication failed.
    InvalidClient = "invalid_client", UNAUTHORIZED, "Unauthorized";
    /// The caller's role does not allow this.
    Forbidden = "forbidden", FORBIDDEN, "Forbidden";
    /// No such record in the caller's organisation (or no such route).
    NotFound = "not_found", NOT_FOUND, "Not found";
    /// The path exists, not with this method.
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED, "Method not allowed";
    /// The `Accept` header allows none of the resource's media types.
    NotAcceptable = "not_acceptable", NOT_ACCEPTABLE, "Not acceptable";

    // Conflicts with the current state of things; the request may succeed once it changes.
    /// Another request with this `Idempotency-Key` is still being processed.
    IdempotencyKeyInFlight = "idempotency_key_in_flight", CONFLICT, "Conflict";
    /// The case is archived: read-only.
    CaseArchived = "case_archived", CONFLICT, "Conflict";
    /// The case (or its assessment, its plan) is closed: reopen it first.
    CaseClosed = "case_closed", CONFLICT, "Conflict";
    /// The case is not closed, and this needs a closed case (a post-closure review).
    CaseNotClosed = "case_not_closed", CONFLICT, "Conflict";
    /// The case's status does not allow this yet (a plan proposed during intake).
    InvalidCaseStatus = "invalid_case_status", CONFLICT, "Conflict";
    /// The lifecycle of the case (or the referral) has no such arrow.
    InvalidTransition = "invalid_transition", CONFLICT, "Conflict";
    /// Planning needs an assessment with a domain needing action.
    AssessmentNeedsAction = "assessment_needs_action", CONFLICT, "Conflict";
    /// An active case needs a plan proposal the person accepted.
    AcceptedProposalRequired = "accepted_proposal_required", CONFLICT, "Conflict";
    /// Only the retention job archives a case.
    SystemOnly = "system_only", CONFLICT, "Conflict";
    /// Closing over pending plan items needs `force`; the items come with the problem.
    PendingPlanItems = "pending_plan_items", CONFLICT, "Conflict";
    /// A closed case takes only some kinds of contact.
    ContactKindNotAllowedWhenClosed = "contact_kind_not_allowed_when_closed", CONFLICT, "Conflict";
    /// A plan item's lifecycle has no such arrow.
    InvalidItemTransition = "invalid_item_transition", CONFLICT, "Conflict";
    /// The plan has no item to propose.
    EmptyPlan = "empty_plan", CONFLICT, "Conflict";
    /// The proposal already has its answer.
    AlreadyDecided = "already_decided", CONFLICT, "Conflict";
    /// A later proposal replaced this one.
    Superseded = "superseded", CONFLICT, "Conflict";
    /// A person with this NIR already exists in the organisation.
    DuplicateNir = "duplicate_nir", CONFLICT, "Conflict";
    /// Several persons match the referral's person: the decision must name one.
    AmbiguousPerson = "ambiguous_person", CONFLICT, "Conflict";
    /// The consent was already withdrawn.
    ConsentAlreadyWithdrawn = "consent_already_withdrawn", CONFLICT, "Conflict";
    /// A liaison's lifecycle has no such arrow.
    InvalidLiaisonTransition = "invalid_liaison_transition", CONFLICT, "Conflict";
    /// The partner a liaison is addressed to is disabled.
    PartnerDisabled = "partner_disabled", CONFLICT, "Conflict";
    /// Sending: the person was not informed of how their data is processed and shared.
    PersonNotInformed = "person_not_informed", CONFLICT, "Conflict";
    /// Sending: the legal basis is consent, and no consent is attached.
    ConsentMissing = "consent_missing", CONFLICT, "Conflict";
    /// Sending: the person withdrew the consent the liaison relies on.
    ConsentWithdrawn = "consent_withdrawn", CONFLICT, "Conflict";
    /// Sending: the consent does not cover this destination.
    ConsentScopeMismatch = "consent_scope_mismatch", CONFLICT, "Conflict";
    /// Sending: the NIR is shared only under a legal obligation.
    NirNotAllowed = "nir_not_allowed", CONFLICT, "Conflict";
    /// Sending: health details are shared only with consent or under shared secrecy.
    HealthNotAllowed = "health_not_allowed", CONFLICT, "Conflict";
    /// A partner reads a liaison sheet that may no longer be shared.
    NoLongerShared = "no_longer_shared", CONFLICT, "Conflict";
    /// The case already has an application to this scheme in progress.
    ApplicationInProgress = "application_in_progress", CONFLICT, "Conflict";
    /// A decided or withdrawn application's checklist and social report are frozen.
    ApplicationFinal = "application_final", CONFLICT, "Conflict";
    /// An application's lifecycle has no such arrow.
    InvalidApplicationTransition = "invalid_application_transition", CONFLICT, "Conflict";
    /// The application still lacks required documents.
    ApplicationIncomplete = "application_incomplete", CONFLICT, "Conflict";
    /// The checklist already has a line with this document code.
    DuplicateDocumentCode = "duplicate_document_code", CONFLICT, "Conflict";
    /// The document is too large to be stored.
    DocumentTooLarge = "document_too_large", CONFLICT, "Conflict";
    /// Another scheme of the organisation has this name.
    SchemeNameTaken = "scheme_name_taken", CONFLICT, "Conflict";
    /// An organisation with this slug already exists.
    OrganisationExists = "organisation_exists", CONFLICT, "Conflict";
    /// The webhook delivery is still pending: it cannot be retried yet.
    DeliveryPending = "delivery_pending", CONFLICT, "Conflict";

    // Preconditions and the form of the body.
    /// `If-Match` does not match the current `ETag`.
    VersionMismatch = "version_mismatch", PRECONDITION_FAILED, "Precondition failed";
    /// The body is larger than the limit.
    PayloadTooLarge = "payload_too_large", PAYLOAD_TOO_LARGE, "Payload too large";
    /// The `Content-Type` is not one the operation reads.
    UnsupportedMediaType = "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, "Unsupported media type";
    /// Values are invalid: `errors` points at each one, with its own code.
    ValidationFailed = "validation_failed", UNPROCESSABLE_ENTITY, "Validation failed";
    /// The `Idempotency-Key` was used with another request.
    IdempotencyKeyReused = "idempotency_key_reused", UNPROCESSABLE_ENTITY, "Validation failed";
    /// A change needs `If-Match` with the `ETag` that was read.
    PreconditionRequired = "precondition_required", PRECONDITION_REQUIRED, "Precondition required";

    // The service.
    /// An unexpected failure; the log has the details, with the request id.
    InternalError = "internal_error", INTERNAL_SERVER_ERROR, "Internal server error";
    /// The database cannot be reached; retry (`Retry-After`).
    ServiceUnavailable = "service_unavailable", SERVICE_UNAVAILABLE, "Service unavailable";
    /// No signing key is configured: the service issues no partner tokens.
    PartnerTokensUnavailable = "partner_tokens_unavailable", SERVICE_UNAVAILABLE, "Service unavailable";
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_code_is_listed_once() {
        let mut seen = HashSet::new();
        for code in Code::ALL {
            assert!(
                seen.insert(code.as_str()),
                "{} is listed twice",
                code.as_str()
            );
        }
    }

    #[test]
    fn every_code_is_snake_case_and_named_like_its_variant() {
        for code in Code::ALL {
            let text = code.as_str();
            assert!(
                !text.is_empty()
                    && text.starts_with(|c: char| c.is_ascii_lowercase())
                    && !text.ends_with('_')
                    && !text.contains("__")
                    && text.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{text} is not snake_case"
            );
            let mut snake = String::new();
            for c in format!("{code:?}").chars() {
                if c.is_ascii_uppercase() && !snake.is_empty() {
                    snake.push('_');
                }
                snake.push(c.to_ascii_lowercase());
            }
            assert_eq!(
                snake, text,
                "the variant {code:?} is not named like its code"
            );
        }
    }

    #[test]
    fn every_code_has_an_error_status_and_a_title() {
        for code in Code::ALL {
            assert!(
                code.status().is_client_error() || code.status().is_server_error(),
                "{} has the status {}",
                code.as_str(),
                code.status()
            );
            assert!(
                !code.title().trim().is_empty(),
                "{} has no title",
                code.as_str()
            );
        }
    }

    #[test]
    fn every_code_is_parsed_back_and_nothing_else_is() {
        for code in Code::ALL {
            assert_eq!(Code::parse(code.as_str()), Some(*code));
        }
        for unknown in ["", "Not_found", "not found", "conflict", "replayed"] {
            assert_eq!(Code::parse(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn the_title_is_the_one_of_its_status_class_as_clients_have_always_read_it() {
        // Titles were given by status before the table; they stay so until a change of them
        // is decided for its own sake (clients may show them).
        for code in Code::ALL {
            let expected = match code.status().as_u16() {
                400 => "Bad request",
                401 => "Unauthorized",
                409 => "Conflict",
                412 => "Precondition failed",
                422 => "Validation failed",
                503 => "Service unavailable",
                _ => continue,
            };
            assert_eq!(code.title(), expected, "{}", code.as_str());
        }
    }
}
