//! The OpenAPI 3.1 document: generated from the handlers' annotations and the routes
//! registered through `utoipa-actix-web`, so no route can be missing from it.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{FieldError, Problem};
use crate::routes::deliveries::WebhookDocs;

/// The document's fixed parts; paths are added as routes are registered.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Relais",
        description = "The reference API for accompagnement social: persons, cases, the negotiated \
            help plan, contacts, liaisons and referrals, under professional secrecy.\n\n\
            Errors are RFC 9457 problem documents with a stable `code` and JSON pointers in \
            `errors`. Single resources carry an `ETag`; changes need `If-Match`. Every POST \
            accepts an `Idempotency-Key`.",
        license(name = "AGPL-3.0-or-later")
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&BearerScheme, &WebhookDocs),
    tags(
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "me", description = "The caller and the reference code lists"),
        (name = "persons", description = "Persons supported, their NIR and consents"),
        (name = "cases", description = "Cases (relation d'aide) and their lifecycle"),
        (name = "plan", description = "The help plan (plan d'aide): its steps, their negotiation \
            as numbered proposals with the person's decision and observations, the changes since \
            the last agreement, and the written plan in HTML and PDF"),
        (name = "contacts", description = "Contacts of a case (interviews, calls, visits), planned or held, and group sessions"),
        (name = "documents", description = "Case documents (pièces justificatives): PDF, PNG or JPEG files uploaded as multipart/form-data (10 MiB by default), recognised by their content, kept with their SHA-256; every download is audited"),
        (name = "applications", description = "Applications (dossiers de demande) to a scheme: the supporting documents checklist that completes the application by itself, the lifecycle preparing → complete → under_review → submitted → decided or withdrawn, the social report in versions and the funding plan with its remaining gap"),
        (name = "schemes", description = "The scheme catalogue (dispositifs): eligibility criteria, supporting documents, import and export as JSON (admins); each case matched against it as eligible, to_check or not_eligible"),
        (name = "liaisons", description = "Liaison sheets (fiches de liaison): a hand-over to another institution with only whitelisted content, sent under a legal basis, printed in HTML and PDF"),
        (name = "referrals", description = "Referrals (orientations entrantes) posted by partners with the person's consent: the organisation's inbox, decisions (accepted: a case opens in intake; declined; redirected) and attachments; a partner sees only its own"),
        (name = "audit", description = "The audit log of accesses to personal data"),
        (name = "agenda", description = "The caller's deadlines, as JSON and as a calendar feed"),
        (name = "stats", description = "Aggregates for supervisors; never a person's data"),
        (name = "oauth", description = "Partner access tokens (OAuth 2.0 client credentials) and the service's public signing keys"),
        (name = "partners", description = "Partner organisations (admins): registry, client and webhook secrets shown once and rotatable, the webhook delivery log and redelivery"),
    )
)]
pub struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("A JWT from the organisation's identity provider (or `relais token` in development)."))
                    .build(),
            ),
        );
        // Partners authenticate to the token endpoint with their client credentials, in HTTP
        // Basic or in the form.
        components.add_security_scheme(
            "client_secret_basic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some("A partner's `client_id` and `client_secret` (RFC 6749 §2.3.1), for `POST /v1/oauth/token` only; they may be sent in the form instead."))
                    .build(),
            ),
        );
        // The calendar feed cannot send a header: its secret token is in the URL.
        components.add_security_scheme(
            "agenda_feed_token",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "token",
                "The agent's calendar feed token, from `POST /v1/agenda/feed-token`.",
            ))),
        );
    }
}
