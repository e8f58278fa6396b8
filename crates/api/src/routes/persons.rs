//! Persons: search, create, read (NIR masked unless revealed with a reason), correct.

use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::{AuditAction, Coded, InformedChannel, MaritalStatus, Nir, Permission};
use relais_store::audit::NewAuditEvent;
use relais_store::db::{self, Access};
use relais_store::persons::{self, NirChange, PersonData, PersonRecord, PersonSearch};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::conditional::{IfMatch, with_etag};
use crate::context::Ctx;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, Query};
use crate::pagination::{next_cursor, page_request};
use crate::patch::{apply, nullable};
use crate::responses::{CreateErrors, ReadErrors, WriteErrors};

/// A postal address.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Address {
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub line1: Option<String>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub line2: Option<String>,
    #[validate(length(max = 20))]
    #[schema(max_length = 20)]
    #[schema(example = "75011")]
    pub postcode: Option<String>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    #[schema(example = "Paris")]
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    #[validate(length(equal = 2))]
    #[schema(min_length = 2, max_length = 2)]
    #[schema(example = "FR")]
    pub country: Option<String>,
}

/// Changes to an address, merged into the current one (RFC 7396: absent keeps, `null` clears).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressPatch {
    #[serde(default, deserialize_with = "nullable")]
    pub line1: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub line2: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub postcode: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub city: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub country: Option<Option<String>>,
}

/// How and when the person was informed of the processing of their data.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Informed {
    /// The date the person was informed.
    pub at: NaiveDate,
    #[schema(schema_with = crate::schema::informed_channel)]
    pub channel: InformedChannel,
    /// Version of the information notice given.
    #[validate(length(min = 1, max = 50))]
    #[schema(min_length = 1, max_length = 50)]
    #[schema(example = "2026-01")]
    pub notice_version: String,
}

/// A new person.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    #[schema(example = "Éloïse")]
    pub first_name: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    #[schema(example = "Martin")]
    pub last_name: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub birth_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// The NIR (numéro de sécurité sociale), 15 characters with its key; spaces allowed.
    #[schema(example = "2 69 05 49 588 157 80", min_length = 15, max_length = 30)]
    pub nir: Option<String>,
    /// The CAF allocataire number.
    #[validate(length(min = 1, max = 20))]
    #[schema(min_length = 1, max_length = 20)]
    pub caf_number: Option<String>,
    #[schema(schema_with = crate::schema::marital_status_nullable)]
    pub marital_status: Option<MaritalStatus>,
    #[validate(nested)]
    pub address: Option<Address>,
    #[validate(length(min = 3, max = 30))]
    #[schema(min_length = 3, max_length = 30)]
    pub phone: Option<String>,
    #[validate(email, length(max = 254))]
    #[schema(max_length = 254)]
    pub email: Option<String>,
    #[validate(nested)]
    pub informed: Option<Informed>,
}

/// Changes to a person (JSON merge patch: absent keeps, `null` clears).
#[derive(Debug, Deserialize, Validate, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PersonPatch {
    // Required on a person: may be changed, not cleared (`null` is refused).
    #[serde(default, deserialize_with = "not_null")]
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub first_name: Option<String>,
    // Required on a person: may be changed, not cleared (`null` is refused).
    #[serde(default, deserialize_with = "not_null")]
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub last_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 100)]
    pub birth_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub birth_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, min_length = 15, max_length = 30)]
    pub nir: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 20)]
    pub caf_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = crate::schema::marital_status_nullable)]
    pub marital_status: Option<Option<MaritalStatus>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Address>)]
    pub address: Option<Option<AddressPatch>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, min_length = 3, max_length = 30)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 254)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Informed>)]
    pub informed: Option<Option<Informed>>,
}

/// A merge-patch field that may be absent but not `null`: a required field cannot be cleared,
/// and silently keeping it would hide the client's mistake.
fn not_null<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    String::deserialize(deserializer).map(Some)
}

/// A person as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Person {
    pub id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub birth_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// Masked (`"2 69 05 ** *** *** 80"`) unless revealed with `reveal=nir` and a reason.
    pub nir: Option<String>,
    /// Whether `nir` is in clear in this response.
    pub nir_revealed: bool,
    pub caf_number: Option<String>,
    #[schema(schema_with = crate::schema::marital_status_nullable)]
    pub marital_status: Option<String>,
    pub address: Option<Address>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub informed: Option<InformedView>,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The version, also sent as the `ETag`.
    pub version: i32,
}

/// How the person was informed, as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct InformedView {
    pub at: NaiveDate,
    #[schema(schema_with = crate::schema::informed_channel)]
    pub channel: String,
    pub notice_version: Option<String>,
}

impl Person {
    pub(crate) fn masked(record: PersonRecord) -> Self {
        Self::build(record, None)
    }

    fn build(r: PersonRecord, revealed: Option<Nir>) -> Self {
        let has_address = [
            &r.address_line1,
            &r.address_line2,
            &r.address_postcode,
            &r.address_city,
            &r.address_country,
        ]
        .iter()
        .any(|f| f.is_some());
        let informed = match (r.informed_at, r.informed_channel) {
            (Some(at), Some(channel)) => Some(InformedView {
                at,
                channel,
                notice_version: r.informed_notice_version,
            }),
            _ => None,
        };
        Self {
            id: r.id,
            first_name: r.first_name,
            last_name: r.last_name,
            birth_name: r.birth_name,
            birth_date: r.birth_date,
            nir_revealed: revealed.is_some(),
            nir: revealed.map(|n| n.as_str().to_owned()).or(r.nir_masked),
            caf_number: r.caf_number,
            marital_status: r.marital_status,
            address: has_address.then_some(Address {
                line1: r.address_line1,
                line2: r.address_line2,
                postcode: r.address_postcode,
                city: r.address_city,
                country: r.address_country,
            }),
            phone: r.phone,
            email: r.email,
            informed,
            last_contact_at: r.last_contact_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

/// A page of persons.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonList {
    pub items: Vec<Person>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

fn parse_nir(value: &str, pointer: &str) -> Result<Nir, ApiError> {
    Nir::parse(value).map_err(|e| ApiError::invalid(pointer, e.code(), e.to_string()))
}

fn check_birth_date(date: Option<NaiveDate>, pointer: &str, errors: &mut Vec<FieldError>) {
    if let Some(date) = date {
        let today = Utc::now().date_naive();
        let oldest = NaiveDate::from_ymd_opt(1890, 1, 1).unwrap_or(NaiveDate::MIN);
        if date > today || date < oldest {
            errors.push(FieldError::body(
                pointer,
                "out_of_range",
                "the birth date must be in the past, after 1890",
            ));
        }
    }
}

fn check_informed(informed: Option<&Informed>, errors: &mut Vec<FieldError>) {
    if let Some(informed) = informed
        && informed.at > Utc::now().date_naive()
    {
        errors.push(FieldError::body(
            "/informed/at",
            "out_of_range",
            "the information date cannot be in the future",
        ));
    }
}

/// Names made only of spaces pass a length check but say nothing: refuse them.
fn check_not_blank(value: Option<&String>, pointer: &str, errors: &mut Vec<FieldError>) {
    if value.is_some_and(|v| !v.is_empty() && v.trim().is_empty()) {
        errors.push(FieldError::body(pointer, "blank", "must not be blank"));
    }
}

/// Converts a validated request into the store's data; `prefix` is the pointer of the person
/// in the request (`""` here, `"/person"` inside a new case).
pub(crate) fn person_data(input: &NewPerson, prefix: &str) -> Result<PersonData, ApiError> {
    let mut errors = Vec::new();
    check_birth_date(
        input.birth_date,
        &format!("{prefix}/birth_date"),
        &mut errors,
    );
    check_informed(input.informed.as_ref(), &mut errors);
    for (field, value) in [
        ("first_name", Some(&input.first_name)),
        ("last_name", Some(&input.last_name)),
        ("birth_name", input.birth_name.as_ref()),
    ] {
        check_not_blank(value, &format!("{prefix}/{field}"), &mut errors);
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let nir = match input.nir.as_deref() {
        Some(value) => NirChange::Set(parse_nir(value, &format!("{prefix}/nir"))?),
        None => NirChange::Keep,
    };
    let address = input.address.clone().unwrap_or_default();
    Ok(PersonData {
        first_name: input.first_name.trim().to_owned(),
        last_name: input.last_name.trim().to_owned(),
        birth_name: input.birth_name.as_deref().map(|s| s.trim().to_owned()),
        birth_date: input.birth_date,
        nir,
        caf_number: input.caf_number.clone(),
        marital_status: input.marital_status.map(|m| m.code().to_owned()),
        address_line1: address.line1,
        address_line2: address.line2,
        address_postcode: address.postcode,
        address_city: address.city,
        address_country: address.country.map(|c| c.to_ascii_uppercase()),
        phone: input.phone.clone(),
        email: input.email.clone(),
        informed_at: input.informed.as_ref().map(|i| i.at),
        informed_channel: input.informed.as_ref().map(|i| i.channel.code().to_owned()),
        informed_notice_version: input.informed.as_ref().map(|i| i.notice_version.clone()),
    })
}

/// Applies a merge patch to the current person and validates the result with exactly the rules
/// of a creation, so a field can never be stored by PATCH in a form POST refuses.
fn patched(current: PersonRecord, p: &PersonPatch) -> Result<PersonData, ApiError> {
    let address = match &p.address {
        None => Some(Address {
            line1: current.address_line1,
            line2: current.address_line2,
            postcode: current.address_postcode,
            city: current.address_city,
            country: current.address_country,
        }),
        Some(None) => None,
        Some(Some(a)) => Some(Address {
            line1: apply(current.address_line1, a.line1.clone()),
            line2: apply(current.address_line2, a.line2.clone()),
            postcode: apply(current.address_postcode, a.postcode.clone()),
            city: apply(current.address_city, a.city.clone()),
            country: apply(current.address_country, a.country.clone()),
        }),
    };
    let stored_informed = match (current.informed_at, current.informed_channel.as_deref()) {
        (Some(at), Some(channel)) => InformedChannel::parse(channel).map(|channel| Informed {
            at,
            channel,
            notice_version: current.informed_notice_version.clone().unwrap_or_default(),
        }),
        _ => None,
    };
    let merged = NewPerson {
        first_name: p.first_name.clone().unwrap_or(current.first_name),
        last_name: p.last_name.clone().unwrap_or(current.last_name),
        birth_name: apply(current.birth_name, p.birth_name.clone()),
        birth_date: apply(current.birth_date, p.birth_date),
        // The stored NIR was validated when it was written; only a new one is checked.
        nir: p.nir.clone().flatten(),
        caf_number: apply(current.caf_number, p.caf_number.clone()),
        marital_status: apply(
            current
                .marital_status
                .as_deref()
                .and_then(MaritalStatus::parse),
            p.marital_status,
        ),
        address: address.filter(|a| {
            [&a.line1, &a.line2, &a.postcode, &a.city, &a.country]
                .iter()
                .any(|f| f.is_some())
        }),
        phone: apply(current.phone, p.phone.clone()),
        email: apply(current.email, p.email.clone()),
        informed: apply(stored_informed, p.informed.clone()),
    };
    merged
        .validate()
        .map_err(|e| ApiError::validation(crate::extract::validation_errors(&e)))?;
    let mut data = person_data(&merged, "")?;
    data.nir = match &p.nir {
        None => NirChange::Keep,
        Some(None) => NirChange::Clear,
        Some(Some(_)) => data.nir,
    };
    Ok(data)
}

/// Search parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words of the names (first, last or birth name), accent- and case-insensitive.
    #[param(max_length = 200)]
    pub q: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// Exact NIR (with its key; spaces allowed).
    pub nir: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Searches persons by name, birth date or NIR.
#[utoipa::path(
    operation_id = "search_persons",
    tag = "persons",
    params(SearchParams),
    responses((status = 200, description = "Matching persons, newest first", body = PersonList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/persons")]
pub async fn search(ctx: Ctx, params: Query<SearchParams>) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::PersonRead)?;
    let page = page_request(params.limit, params.cursor.as_deref())?;
    let q = params.q.as_deref().unwrap_or("");
    if q.chars().count() > 200 {
        return Err(ApiError::bad_query("q", "q is at most 200 characters"));
    }
    let nir = match params.nir.as_deref() {
        Some(value) => {
            Some(Nir::parse(value).map_err(|e| ApiError::bad_query("nir", e.to_string()))?)
        }
        None => None,
    };
    let criteria = PersonSearch {
        words: relais_domain::text::fold(q)
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        birth_date: params.birth_date,
        nir,
    };
    let (mut tx, actor) = ctx.begin(Access::Read).await?;
    let found = persons::search(&mut tx, &criteria, &ctx.state.vault, page).await?;
    let events: Vec<NewAuditEvent<'_>> = found
        .items
        .iter()
        .map(|p| NewAuditEvent {
            action: AuditAction::Search,
            resource_type: "person",
            resource_id: Some(p.id),
            person_id: Some(p.id),
            reason: None,
        })
        .collect();
    actor.audit(&mut tx, &events).await?;
    db::commit(tx).await?;
    let next_cursor = next_cursor(&found);
    Ok(HttpResponse::Ok().json(PersonList {
        items: found.items.into_iter().map(Person::masked).collect(),
        next_cursor,
    }))
}

/// Creates a person.
#[utoipa::path(
    operation_id = "create_person",
    tag = "persons",
    request_body = NewPerson,
    params(crate::responses::IdempotencyKeyHeader),
    responses((status = 201, description = "Created", body = Person, headers(("Location" = String), ("ETag" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/persons")]
pub async fn create(ctx: Ctx, body: Json<NewPerson>) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::PersonWrite)?;
    let data = person_data(&body, "")?;
    let (mut tx, actor) = ctx.begin(Access::Write).await?;
    let person = persons::create(
        &mut tx,
        actor.org.id,
        actor.agent_id,
        &data,
        &ctx.state.vault,
    )
    .await?;
    actor
        .audit_one(
            &mut tx,
            AuditAction::Create,
            "person",
            Some(person.id),
            Some(person.id),
            None,
        )
        .await?;
    db::commit(tx).await?;
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, format!("/v1/persons/{}", person.id)));
    with_etag(&mut response, person.version);
    Ok(response.json(Person::masked(person)))
}

/// Options of a person read.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadParams {
    /// `nir` to unmask the NIR (worker or supervisor; needs `reason`; audited).
    #[param(pattern = "^nir$")]
    pub reveal: Option<String>,
    /// Why the NIR is needed (5 to 500 characters); recorded in the audit log.
    #[param(min_length = 5, max_length = 500)]
    pub reason: Option<String>,
}

/// Reads a person.
#[utoipa::path(
    operation_id = "read_person",
    tag = "persons",
    params(("id" = Uuid, Path, description = "Person id"), ReadParams),
    responses((status = 200, description = "The person", body = Person, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/persons/{id}")]
pub async fn read(
    ctx: Ctx,
    id: web::Path<Uuid>,
    params: Query<ReadParams>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::PersonRead)?;
    let reveal = match params.reveal.as_deref() {
        None => false,
        Some("nir") => true,
        Some(_) => return Err(ApiError::bad_query("reveal", "reveal accepts only `nir`")),
    };
    let reason = params.reason.as_deref().map(str::trim);
    if reveal {
        ctx.require(Permission::PersonRevealNir)?;
        match reason {
            Some(r) if (5..=500).contains(&r.chars().count()) => {}
            _ => {
                return Err(ApiError::BadRequest {
                    code: "reason_required",
                    detail: "unmasking the NIR needs a reason of 5 to 500 characters".into(),
                    errors: vec![FieldError::query(
                        "reason",
                        "reason_required",
                        "give the reason the NIR is needed",
                    )],
                });
            }
        }
    }
    let (mut tx, actor) = ctx.begin(Access::Read).await?;
    let person = persons::get(&mut tx, *id).await?;
    let mut events = vec![NewAuditEvent {
        action: AuditAction::Read,
        resource_type: "person",
        resource_id: Some(person.id),
        person_id: Some(person.id),
        reason: None,
    }];
    let revealed = if reveal {
        person.nir(&ctx.state.vault)
    } else {
        None
    };
    if reveal && person.nir_ciphertext.is_some() {
        events.push(NewAuditEvent {
            action: AuditAction::Reveal,
            resource_type: "person.nir",
            resource_id: Some(person.id),
            person_id: Some(person.id),
            reason,
        });
    }
    actor.audit(&mut tx, &events).await?;
    db::commit(tx).await?;
    let mut response = HttpResponse::Ok();
    with_etag(&mut response, person.version);
    if reveal {
        response.insert_header((header::CACHE_CONTROL, "no-store"));
    }
    Ok(response.json(Person::build(person, revealed)))
}

/// Corrects a person (JSON merge patch, `If-Match` required).
#[utoipa::path(
    operation_id = "update_person",
    tag = "persons",
    params(("id" = Uuid, Path, description = "Person id"), crate::responses::IfMatchHeader),
    request_body = PersonPatch,
    responses((status = 200, description = "The corrected person", body = Person, headers(("ETag" = String))), WriteErrors),
    security(("bearer" = []))
)]
#[patch("/persons/{id}")]
pub async fn update(
    ctx: Ctx,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<PersonPatch>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::PersonWrite)?;
    let (mut tx, actor) = ctx.begin(Access::Write).await?;
    let current = persons::get(&mut tx, *id).await?;
    let version = if_match.check(current.version)?;
    let data = patched(current, &body)?;
    let person = persons::update(&mut tx, *id, version, &data, &ctx.state.vault).await?;
    actor
        .audit_one(
            &mut tx,
            AuditAction::Update,
            "person",
            Some(person.id),
            Some(person.id),
            None,
        )
        .await?;
    db::commit(tx).await?;
    let mut response = HttpResponse::Ok();
    with_etag(&mut response, person.version);
    Ok(response.json(Person::masked(person)))
}
