//! The OpenAPI 3.1 document: generated from the handlers' annotations and the routes
//! registered through `utoipa-actix-web`, so no route can be missing from it.

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, Schema};
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
            `errors`; their `title`, `detail` and messages are in French when `Accept-Language` \
            prefers `fr` (`Content-Language` says which), the codes never change. Single resources carry an `ETag`; changes need `If-Match`. Every POST \
            accepts an `Idempotency-Key`.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
        contact(name = "The Relais maintainers", url = "https://example.invalid/relais")
    ),
    servers(
        (url = "/", description = "The server answering this document"),
        (url = "http://127.0.0.1:8080", description = "Development: `cargo run --bin relais`")
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&BearerScheme, &WebhookDocs, &CodeLists),
    tags(
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "me", description = "The caller, their own profile and the reference code lists"),
        (name = "agents", description = "The organisation's agents: directory, absences covered \
            by a delegate"),
        (name = "persons", description = "Persons supported, their NIR and consents"),
        (name = "cases", description = "Cases (relation d'aide) and their lifecycle"),
        (name = "imports", description = "An existing caseload entered from a file (CSV or NDJSON): persons and cases in one transaction, with a per-row report and a dry run"),
        (name = "plan", description = "The help plan (plan d'aide): its steps, their negotiation \
            as numbered proposals with the person's decision and observations, the changes since \
            the last agreement, and the written plan in HTML and PDF"),
        (name = "contacts", description = "Contacts of a case (interviews, calls, visits), planned or held, and group sessions"),
        (name = "documents", description = "Case documents (pièces justificatives): PDF, PNG or JPEG files uploaded as multipart/form-data (10 MiB by default), recognised by their content, kept with their SHA-256; every download is audited"),
        (name = "applications", description = "Applications (dossiers de demande) to a scheme: the supporting documents checklist that completes the application by itself, the lifecycle preparing → complete → under_review → submitted → decided or withdrawn, the social report in versions and the funding plan with its remaining gap"),
        (name = "schemes", description = "The scheme catalogue (dispositifs): eligibility criteria, supporting documents, import and export as JSON (admins); each case matched against it as eligible, to_check or not_eligible"),
        (name = "letters", description = "Letters (courriers): the organisation's templates, written in a sandboxed template language with merge fields (administrators; a French starter set to begin with), and the letters of a case written from them, stored as sent and printed in HTML and PDF"),
        (name = "liaisons", description = "Liaison sheets (fiches de liaison): a hand-over to another institution with only whitelisted content, sent under a legal basis, printed in HTML and PDF"),
        (name = "referrals", description = "Referrals (orientations entrantes) posted by partners with the person's consent: the organisation's inbox, decisions (accepted: a case opens in intake; declined; redirected) and attachments; a partner sees only its own"),
        (name = "events", description = "The organisation's events: what happened to its cases, referrals, liaisons and applications, as identifiers, codes and dates, read in order from the change feed with a durable cursor, or delivered to the organisation's webhook subscriptions (admins: secret shown once and rotatable, delivery log and redelivery)"),
        (name = "audit", description = "The audit log of accesses to personal data"),
        (name = "organisation", description = "The organisation's letterhead: its profile (name, address, phone, e-mail, website) and logo, printed at the top of every document"),
        (name = "retention", description = "Retention of personal data: the organisation's periods (administrators, DPO) and the DPO's report of what a retention run on a day would archive, anonymise and erase"),
        (name = "agenda", description = "The caller's deadlines, as JSON and as a calendar feed"),
        (name = "stats", description = "Aggregates for supervisors; never a person's data"),
        (name = "oauth", description = "Partner access tokens (OAuth 2.0 client credentials) and the service's public signing keys"),
        (name = "partners", description = "Partner organisations (admins): registry, client and webhook secrets shown once and rotatable, the webhook delivery log and redelivery"),
    )
)]
pub struct ApiDoc;

/// An operation on its way out (docs/versioning.md): marked `deprecated` in the document, with
/// the dates in `x-deprecated-on` and `x-sunset-on` and its successor in the description; every
/// answer carries `Deprecation`, `Sunset` and a `Link` to the changelog
/// ([`crate::conventions`]).
#[derive(Debug, Clone, Copy)]
pub struct Deprecation {
    pub method: &'static str,
    pub path: &'static str,
    /// From when it is deprecated (`YYYY-MM-DD`, the changelog's announcement).
    pub deprecated_on: &'static str,
    /// After when it may be removed (`YYYY-MM-DD`): at least six months later.
    pub sunset_on: &'static str,
    /// What to use instead, for the description.
    pub instead: &'static str,
}

/// Every deprecated operation of this build. None of `/v1` is deprecated today.
pub const DEPRECATIONS: &[Deprecation] = &[];

/// Where the changelog announces deprecations, for the `Link` of their answers.
pub const DEPRECATION_LINK: &str = "CHANGELOG.md";

/// Marks each of `deprecations` in `document` (an operation it does not have is a bug: the
/// tests check every entry).
pub fn deprecate(document: &mut utoipa::openapi::OpenApi, deprecations: &[Deprecation]) {
    for d in deprecations {
        let Some(item) = document.paths.paths.get_mut(d.path) else {
            continue;
        };
        let operation = match d.method {
            "GET" => item.get.as_mut(),
            "POST" => item.post.as_mut(),
            "PUT" => item.put.as_mut(),
            "PATCH" => item.patch.as_mut(),
            "DELETE" => item.delete.as_mut(),
            _ => None,
        };
        let Some(operation) = operation else { continue };
        operation.deprecated = Some(utoipa::openapi::Deprecated::True);
        let extensions = operation.extensions.get_or_insert_with(Default::default);
        extensions.insert("x-deprecated-on".to_owned(), d.deprecated_on.into());
        extensions.insert("x-sunset-on".to_owned(), d.sunset_on.into());
        let note = format!(
            "**Deprecated** since {}, may be removed after {}: {}",
            d.deprecated_on, d.sunset_on, d.instead
        );
        operation.description = Some(match operation.description.take() {
            Some(description) => format!("{note}\n\n{description}"),
            None => note,
        });
    }
}

/// What every operation shares, added once the routes have given the document its paths:
///
/// - `security: []` on an operation that declares none (health, metrics, the public keys): it
///   takes no credentials;
/// - a `400` on every operation that does not document one: a query parameter it does not
///   declare is refused ([`crate::conventions`]);
/// - the headers every answer carries: `X-Request-Id` on each, `Idempotent-Replayed` on a
///   `POST`'s successes, `Retry-After` on a `503` and a `429`, and the `RateLimit-*` headers on
///   the successes and the `429` of a rate-limited operation (all but the probes and the
///   metrics), which also documents its `429`;
/// - a NUL character is refused in every text, of a body or a query ([`crate::extract`]): a
///   string without a format, a pattern or a list of values says so with a pattern.
pub fn finish(document: &mut utoipa::openapi::OpenApi) {
    deprecate(document, DEPRECATIONS);
    for (path, item) in document.paths.paths.iter_mut() {
        let limited = !crate::rate_limit::EXEMPT.contains(&path.as_str());
        let operations = [
            (&mut item.get, false),
            (&mut item.put, false),
            (&mut item.post, true),
            (&mut item.delete, false),
            (&mut item.patch, false),
        ];
        for (operation, is_post) in operations {
            let Some(operation) = operation else { continue };
            operation.security.get_or_insert_with(Vec::new);
            for parameter in operation.parameters.iter_mut().flatten() {
                if let Some(schema) = parameter.schema.as_mut() {
                    forbid_nul(schema);
                }
            }
            if let Some(body) = operation.request_body.as_mut() {
                for content in body.content.values_mut() {
                    if let Some(schema) = content.schema.as_mut() {
                        forbid_nul(schema);
                    }
                }
            }
            let responses = &mut operation.responses.responses;
            if !responses.contains_key("400") {
                responses.insert("400".to_owned(), RefOr::T(bad_parameter()));
            }
            if limited && !responses.contains_key("429") {
                responses.insert("429".to_owned(), RefOr::T(too_many_requests()));
            }
            for (status, response) in responses.iter_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                let mut add = |name: &str, schema: &str| {
                    response.headers.entry(name.to_owned()).or_insert_with(|| {
                        HeaderBuilder::new()
                            .schema(Ref::from_schema_name(schema))
                            .build()
                    });
                };
                add("X-Request-Id", "RequestId");
                if is_post && status.starts_with('2') {
                    add("Idempotent-Replayed", "IdempotentReplayed");
                }
                if status == "503" || status == "429" {
                    add("Retry-After", "RetryAfter");
                }
                // On the successes and the 429 (the other refusals carry them too, unsaid).
                if limited && (status.starts_with('2') || status == "429") {
                    add("RateLimit-Limit", "RateLimitLimit");
                    add("RateLimit-Remaining", "RateLimitRemaining");
                    add("RateLimit-Reset", "RateLimitReset");
                }
            }
        }
    }
    // The headers' schemas, described once.
    let components = document.components.get_or_insert_with(Default::default);
    for (name, schema) in [
        (
            "RequestId",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(
                    "`X-Request-Id`: the request's id, the one it sent or a new one. Quote it when \
                 reporting a problem: the operator's log has the details under it.",
                )),
        ),
        (
            "IdempotentReplayed",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["true"]))
                .description(Some(
                    "`Idempotent-Replayed: true`: this is the stored answer to an earlier \
                     request with the same `Idempotency-Key`, not a new operation.",
                )),
        ),
        (
            "RetryAfter",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .description(Some("`Retry-After`: seconds to wait before retrying.")),
        ),
        (
            "RateLimitLimit",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .description(Some(
                    "`RateLimit-Limit`: the requests the client may make at once (its budget \
                     when full; it refills continuously, `RELAIS_RATE_LIMIT_PER_MINUTE` a \
                     minute). The client is the token's subject, or the address of a request \
                     without a valid token.",
                )),
        ),
        (
            "RateLimitRemaining",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .description(Some(
                    "`RateLimit-Remaining`: the requests left in the client's budget after this \
                     one.",
                )),
        ),
        (
            "RateLimitReset",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .description(Some(
                    "`RateLimit-Reset`: seconds until the client's budget is full again (on a \
                     `429`, until the next request is allowed).",
                )),
        ),
    ] {
        components
            .schemas
            .insert(name.to_owned(), RefOr::T(Schema::Object(schema.build())));
    }
    // utoipa closes a struct that denies unknown fields, not the variants of such an enum.
    for name in CLOSED_VARIANTS {
        if let Some(RefOr::T(Schema::OneOf(one_of))) = components.schemas.get_mut(*name) {
            for item in &mut one_of.items {
                if let RefOr::T(Schema::Object(variant)) = item {
                    variant.additional_properties = Some(Box::new(
                        utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
                    ));
                }
            }
        }
    }
    for (name, rules) in rules_across_fields() {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) {
            add_rules(object, rules);
        }
    }
    crate::links::add(document);
    let Some(components) = document.components.as_mut() else {
        return;
    };
    // Problem documents are written by the server and may echo what was refused (a pointer to
    // a key holding a NUL): no pattern there.
    components
        .schemas
        .iter_mut()
        .filter(|(name, _)| !["Problem", "FieldError"].contains(&name.as_str()))
        .for_each(|(_, schema)| forbid_nul(schema));
}

/// Request schemas whose fields come in two alternative groups: each lists the fields it
/// requires (not null) and those it refuses (absent or null), and exactly one holds. A rule
/// across fields that the derive attributes cannot state.
const ALTERNATIVES: &[(&str, Alternative, Alternative)] = &[
    (
        "NewContact",
        (&["scheduled_at"], &["occurred_at"]),
        (&["occurred_at"], &["scheduled_at"]),
    ),
    (
        "NewCase",
        (&["person_id"], &["person"]),
        (&["person"], &["person_id"]),
    ),
    (
        "NewGroupSession",
        (&["participants"], &["case_ids"]),
        (&["case_ids"], &["participants"]),
    ),
    (
        "DestinationInput",
        (&["partner_id"], &["name", "contact"]),
        (&["name", "contact"], &["partner_id"]),
    ),
];

/// `(required, refused)`: fields that must be given (not null), fields that must not be.
type Alternative = (&'static [&'static str], &'static [&'static str]);

/// The schema of an [`Alternative`]: its fields required and not null, the others null.
fn branch((required, refused): Alternative) -> serde_json::Value {
    let mut properties = serde_json::Map::new();
    for field in required {
        properties.insert(
            (*field).to_owned(),
            serde_json::json!({"not": {"type": "null"}}),
        );
    }
    for field in refused {
        properties.insert((*field).to_owned(), serde_json::json!({"type": "null"}));
    }
    serde_json::json!({"required": required, "properties": properties})
}

/// Adds rules (schemas every value must also match) beside `object`'s properties, as `allOf`.
/// utoipa's `Object` has no field for it; its extensions are written flat into the schema, so
/// it goes there, as the one key (extensions are a hash map: one key keeps the document's
/// bytes stable). The rules are written with `if`/`then`/`else`, which validators apply and
/// client generators leave alone (a `oneOf` beside the properties would turn a generated model
/// into a union of variants).
fn add_rules(object: &mut utoipa::openapi::schema::Object, rules: Vec<serde_json::Value>) {
    let extensions = object.extensions.get_or_insert_with(Default::default);
    let all_of = extensions
        .entry("allOf".to_owned())
        .or_insert_with(|| serde_json::Value::Array(Vec::new()));
    if let serde_json::Value::Array(all_of) = all_of {
        all_of.extend(rules);
    }
}

/// `first` holds when its first required field is given, `second` otherwise.
fn alternatives(first: Alternative, second: Alternative) -> serde_json::Value {
    let field = first.0[0];
    serde_json::json!({
        "if": {"required": [field], "properties": {field: {"not": {"type": "null"}}}},
        "then": branch(first),
        "else": branch(second),
    })
}

/// A request schema whose fields depend on the value of one of them (`on`): for each value,
/// the fields it requires (not null) and those it refuses (absent or null). The handler that
/// checks the rule reads the same table, so the document and the check cannot drift apart.
pub struct Variants {
    pub schema: &'static str,
    pub on: &'static str,
    /// `(value, required, refused)`.
    pub cases: &'static [(
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
    )],
}

/// What a value of [`Variants::on`] asks of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Required,
    Refused,
}

impl Variants {
    /// The fields `value` requires or refuses.
    pub fn rules(&self, value: &str) -> impl Iterator<Item = (&'static str, Rule)> {
        self.cases
            .iter()
            .filter(move |(v, _, _)| *v == value)
            .flat_map(|(_, required, refused)| {
                let required = required.iter().map(|f| (*f, Rule::Required));
                required.chain(refused.iter().map(|f| (*f, Rule::Refused)))
            })
    }

    /// The values that do not refuse `field`.
    pub fn allowing(&self, field: &'static str) -> impl Iterator<Item = &'static str> {
        self.cases
            .iter()
            .filter(move |(_, _, refused)| !refused.contains(&field))
            .map(|(value, _, _)| *value)
    }

    /// The schemas stating the table: for each value with a rule, `if` the field has it,
    /// `then` its fields are given or null.
    fn rules_schemas(&self) -> Vec<serde_json::Value> {
        self.cases
            .iter()
            .filter(|(_, required, refused)| !required.is_empty() || !refused.is_empty())
            .map(|(value, required, refused)| {
                serde_json::json!({
                    "if": {"required": [self.on], "properties": {self.on: {"const": value}}},
                    "then": branch((required, refused)),
                })
            })
            .collect()
    }
}

/// Enums published as a `oneOf` of inline objects whose Rust type denies unknown fields
/// (`#[serde(deny_unknown_fields)]`), as the criteria's parser does.
const CLOSED_VARIANTS: &[&str] = &["CriterionSchema"];

/// Rules across fields built from the domain's own tables: the schema they go on and the
/// schemas every value must also match.
type RulesOf = fn() -> (&'static str, Vec<serde_json::Value>);
const RULES: &[RulesOf] = &[
    crate::routes::plan_items::model::category_rules,
    crate::routes::liaisons::model::legal_basis_rules,
    crate::routes::contacts::outcome_rules,
];

/// Every rule across fields of the document, by schema: [`ALTERNATIVES`], [`RULES`] and
/// [`VARIANTS`].
fn rules_across_fields() -> impl Iterator<Item = (&'static str, Vec<serde_json::Value>)> {
    let alternatives = ALTERNATIVES
        .iter()
        .map(|(name, first, second)| (*name, vec![alternatives(*first, *second)]));
    let variants = VARIANTS
        .iter()
        .map(|variants| (variants.schema, variants.rules_schemas()));
    alternatives
        .chain(RULES.iter().map(|rules| rules()))
        .chain(variants)
}

/// The request schemas with [`Variants`].
const VARIANTS: &[&Variants] = &[
    &crate::routes::referrals::decision::OUTCOME_FIELDS,
    &crate::routes::assessment::NEEDS_ACTION_FIELDS,
    &crate::routes::cases::model::TRANSITION_FIELDS,
    &crate::routes::applications::funding::FUNDER_FIELDS,
    &crate::routes::contacts::OUTCOME_FIELDS,
];

/// Any text but one holding a NUL character (U+0000).
pub const NO_NUL: &str = "^[^\\u0000]*$";

/// Adds [`NO_NUL`] to every free text of `schema` (a string without format, pattern or list of
/// values), through its properties, items and alternatives.
fn forbid_nul(schema: &mut RefOr<Schema>) {
    use utoipa::openapi::schema::{AdditionalProperties, ArrayItems, SchemaType};
    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::Object(object) => {
            let text = match &object.schema_type {
                SchemaType::Type(Type::String) => true,
                SchemaType::Array(types) => types.contains(&Type::String),
                _ => false,
            };
            if text
                && object.pattern.is_none()
                && object.format.is_none()
                && object.enum_values.is_none()
            {
                object.pattern = Some(NO_NUL.to_owned());
            }
            object.properties.values_mut().for_each(forbid_nul);
            if let Some(AdditionalProperties::RefOr(values)) =
                object.additional_properties.as_deref_mut()
            {
                forbid_nul(values);
            }
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                forbid_nul(items);
            }
        }
        Schema::OneOf(one_of) => one_of.items.iter_mut().for_each(forbid_nul),
        Schema::AllOf(all_of) => all_of.items.iter_mut().for_each(forbid_nul),
        Schema::AnyOf(any_of) => any_of.items.iter_mut().for_each(forbid_nul),
        _ => {}
    }
}

/// The `400` of a query parameter the operation does not declare.
/// The `429` of a rate-limited operation.
fn too_many_requests() -> utoipa::openapi::Response {
    problem_response(
        "`too_many_requests`: the client spent its budget of requests; retry after \
         `Retry-After` seconds",
    )
}

/// The `400` of an operation that documents none.
fn bad_parameter() -> utoipa::openapi::Response {
    problem_response("A query parameter this operation does not declare (or an invalid one)")
}

/// A refusal answered as `application/problem+json`.
fn problem_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// Every code list of the domain as a named component (see [`crate::schema`]).
struct CodeLists;

impl Modify for CodeLists {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.schemas.extend(crate::schema::components());
        // The activity report's indicators: what each counts, in the list itself.
        let indicators = crate::schema::component_name::<relais_domain::activity::Indicator>();
        if let Some(utoipa::openapi::RefOr::T(utoipa::openapi::Schema::Object(list))) =
            components.schemas.get_mut(&indicators)
        {
            list.description = Some(format!(
                "A figure of the activity report (GET /v1/stats/activity), with the unit of its \
                 value and what it counts:\n\n{}",
                crate::routes::stats::indicators_table()
            ));
        }
        components.schemas.insert(
            crate::schema::PLAN_ITEM_FIELD.to_owned(),
            crate::schema::plan_item_field_component(),
        );
    }
}

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

#[cfg(test)]
mod rules_across_fields {
    //! The tables that state rules across fields must name fields and values the document has.

    fn schemas() -> serde_json::Value {
        serde_json::to_value(crate::document()).expect("the document")["components"]["schemas"]
            .clone()
    }

    #[test]
    fn variants_cover_every_value_of_their_field_and_name_its_fields() {
        let schemas = schemas();
        for variants in super::VARIANTS {
            let schema = &schemas[variants.schema];
            let on = &schema["properties"][variants.on];
            let list = on["$ref"]
                .as_str()
                .expect("a coded field")
                .trim_start_matches("#/components/schemas/");
            let mut values: Vec<&str> = schemas[list]["enum"]
                .as_array()
                .expect("a list")
                .iter()
                .filter_map(|v| v.as_str())
                .collect();
            let mut covered: Vec<&str> = variants.cases.iter().map(|(v, _, _)| *v).collect();
            values.sort_unstable();
            covered.sort_unstable();
            assert_eq!(values, covered, "{}", variants.schema);
            for (_, required, refused) in variants.cases {
                for field in required.iter().chain(refused.iter()) {
                    assert!(
                        schema["properties"][*field].is_object(),
                        "{}.{field}",
                        variants.schema
                    );
                }
            }
            assert!(schema["allOf"].is_array(), "{}", variants.schema);
        }
    }

    #[test]
    fn alternatives_name_fields_of_their_schema() {
        let schemas = schemas();
        for (name, first, second) in super::ALTERNATIVES {
            for (required, refused) in [first, second] {
                for field in required.iter().chain(refused.iter()) {
                    assert!(
                        schemas[*name]["properties"][*field].is_object(),
                        "{name}.{field}"
                    );
                }
            }
            assert!(schemas[*name]["allOf"][0]["if"].is_object(), "{name}");
        }
    }
}

#[cfg(test)]
mod schema_names {
    //! Two Rust types published under one schema name would silently share one component (the
    //! last registered wins), and a client generated from the document would send the wrong
    //! body to one of the two operations. These tests read the crate's sources for every type
    //! deriving `ToSchema` and the name it is published under.

    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use syn::visit::Visit;

    /// The schema names of the types deriving `ToSchema` in `source`, with their Rust names.
    fn published(source: &str) -> Vec<(String, String)> {
        struct Finder(Vec<(String, String)>);
        impl Finder {
            fn item(&mut self, attrs: &[syn::Attribute], ident: &syn::Ident) {
                let derives_schema = attrs.iter().any(|attr| {
                    attr.path().is_ident("derive")
                        && attr
                            .parse_args_with(
                                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
                            )
                            .is_ok_and(|paths| {
                                paths.iter().any(|path| {
                                    path.segments.last().is_some_and(|s| s.ident == "ToSchema")
                                })
                            })
                });
                if !derives_schema {
                    return;
                }
                // `#[schema(as = path::Name)]` publishes under the path's last segment.
                let renamed = attrs
                    .iter()
                    .filter(|attr| attr.path().is_ident("schema"))
                    .find_map(|attr| {
                        let mut name = None;
                        let _ = attr.parse_nested_meta(|meta| {
                            if meta.path.is_ident("as") {
                                let path: syn::Path = meta.value()?.parse()?;
                                name = path.segments.last().map(|s| s.ident.to_string());
                            } else if meta.input.peek(syn::Token![=]) {
                                meta.value()?.parse::<syn::Expr>()?;
                            } else if meta.input.peek(syn::token::Paren) {
                                meta.parse_nested_meta(|_| Ok(()))?;
                            }
                            Ok(())
                        });
                        name
                    });
                let rust = ident.to_string();
                self.0.push((renamed.unwrap_or_else(|| rust.clone()), rust));
            }
        }
        impl<'ast> Visit<'ast> for Finder {
            fn visit_item_struct(&mut self, item: &'ast syn::ItemStruct) {
                self.item(&item.attrs, &item.ident);
            }
            fn visit_item_enum(&mut self, item: &'ast syn::ItemEnum) {
                self.item(&item.attrs, &item.ident);
            }
        }
        let file = syn::parse_file(source).expect("the crate's sources parse");
        let mut finder = Finder(Vec::new());
        finder.visit_file(&file);
        finder.0
    }

    /// The types deriving `ToSchema` in each `(file, source)`: (schema name, `file: RustName`).
    fn types(sources: &[(String, String)]) -> Vec<(String, String)> {
        sources
            .iter()
            .flat_map(|(file, source)| {
                published(source)
                    .into_iter()
                    .map(move |(name, rust)| (name, format!("{file}: {rust}")))
            })
            .collect()
    }

    /// Every schema name published more than once: name → where each is published.
    fn collisions(published: Vec<(String, String)>) -> BTreeMap<String, Vec<String>> {
        let mut by_name = BTreeMap::<String, Vec<String>>::new();
        for (name, origin) in published {
            by_name.entry(name).or_default().push(origin);
        }
        by_name.retain(|_, origins| origins.len() > 1);
        by_name
    }

    fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("a source directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                rust_files(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }

    #[test]
    fn every_schema_name_is_published_by_one_type() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        rust_files(&root.join("src"), &mut files);
        let sources: Vec<(String, String)> = files
            .iter()
            .map(|path| {
                let shown = path
                    .strip_prefix(root)
                    .unwrap_or(path)
                    .display()
                    .to_string();
                (
                    shown,
                    std::fs::read_to_string(path).expect("a readable source"),
                )
            })
            .collect();
        let mut published = types(&sources);
        assert!(published.len() > 100, "the finder sees the crate's schemas");
        // The domain's code lists are components too (`crate::schema`).
        published.extend(
            crate::schema::components()
                .into_iter()
                .map(|(name, _)| (name, "the domain's code lists".to_owned())),
        );
        let collisions = collisions(published);
        assert!(
            collisions.is_empty(),
            "schema names published by several types (rename one, or `#[schema(as = …)]`): \
             {collisions:#?}"
        );
    }

    #[test]
    fn a_collision_is_found_across_files_and_through_a_rename() {
        let plan = r#"
            /// The plan's.
            #[derive(Debug, Deserialize, ToSchema)]
            #[schema(example = json!({"outcome": "accepted"}))]
            pub struct NewDecision { pub outcome: String }
        "#;
        let referrals = r#"
            mod model {
                #[derive(utoipa::ToSchema)]
                #[schema(as = referrals::NewDecision, title = "x")]
                pub struct ReferralDecision { pub message: String }
                #[derive(Debug)]
                pub struct NotPublished;
            }
        "#;
        let sources = [
            ("plan.rs".to_owned(), plan.to_owned()),
            ("referrals.rs".to_owned(), referrals.to_owned()),
        ];
        let found = collisions(types(&sources));
        assert_eq!(
            found.get("NewDecision"),
            Some(&vec![
                "plan.rs: NewDecision".to_owned(),
                "referrals.rs: ReferralDecision".to_owned()
            ])
        );
        assert_eq!(found.len(), 1);
    }
}
