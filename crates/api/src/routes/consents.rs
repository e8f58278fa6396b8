//! A person's consents: recorded with scope, channel and collector; withdrawn, never deleted.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use relais_domain::{AuditAction, AuditResource, ConsentChannel, ConsentScope, PersonPart};
use relais_store::Code;
use relais_store::audit::NewAuditEvent;
use relais_store::persons::{self, ConsentRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::context::Ctx;
use crate::error::ApiError;
use crate::extract::Json;
use crate::responses::{CreateErrors, ReadErrors};
use crate::routes::view_from;

/// A consent to record.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"scope": "share_with_partners", "channel": "signed_paper", "given_at": "2026-11-20T10:30:00Z"}))]
pub struct NewConsent {
    #[schema(schema_with = crate::schema::consent_scope)]
    pub scope: ConsentScope,
    #[schema(schema_with = crate::schema::consent_channel)]
    pub channel: ConsentChannel,
    /// When the person gave it (not in the future); a bare date is the start of that day.
    #[serde(deserialize_with = "crate::instant::timestamp_or_date")]
    #[schema(schema_with = crate::instant::schema)]
    pub given_at: DateTime<Utc>,
}

/// How a consent is withdrawn.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"channel": "phone"}))]
pub struct Withdrawal {
    #[schema(schema_with = crate::schema::consent_channel)]
    pub channel: ConsentChannel,
}

/// A consent.
#[derive(Debug, Serialize, ToSchema)]
pub struct Consent {
    pub id: Uuid,
    pub person_id: Uuid,
    #[schema(schema_with = crate::schema::consent_scope)]
    pub scope: ConsentScope,
    #[schema(schema_with = crate::schema::consent_channel)]
    pub channel: ConsentChannel,
    /// The agent who collected it.
    pub collected_by: Uuid,
    pub given_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    #[schema(schema_with = crate::schema::consent_channel_nullable)]
    pub withdrawal_channel: Option<ConsentChannel>,
    /// True until withdrawn.
    pub active: bool,
}

view_from!(ConsentRecord as r => Consent {
    id, person_id, scope, channel, collected_by, given_at, withdrawn_at;
    active: r.withdrawn_at.is_none(),
    withdrawal_channel: r.withdrawal_channel.map(Code::into_inner),
});

/// The consents of a person.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentList {
    pub items: Vec<Consent>,
    /// Always null: a person has a handful of consents.
    pub next_cursor: Option<String>,
}

/// Lists a person's consents.
///
/// Reception, workers and supervisors; a worker only on a person whose record they see (404 and an
/// `access_denied` of `person.consents` otherwise). Every consent of the person, withdrawn ones included
/// (`active: false`, with when and how it was withdrawn), oldest first, in one page. 404 for an
/// unknown person. Audited as a `read` of `person.consents`.
#[utoipa::path(
    tag = "persons",
    operation_id = "list_consents",
    params(("id" = Uuid, Path, description = "Person id")),
    responses((status = 200, description = "Consents, oldest first", body = ConsentList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/consents")]
pub async fn list(ctx: Ctx, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let (mut work, _) = ctx
        .person(*id, PersonPart::ReadConsents, AuditResource::PersonConsents)
        .await?;
    let items = persons::consents(&mut work.tx, *id).await?;
    work.audit(
        NewAuditEvent::new(AuditAction::Read, AuditResource::PersonConsents, *id).about(*id),
    );
    work.commit(HttpResponse::Ok().json(ConsentList {
        items: items.into_iter().map(Consent::from).collect(),
        next_cursor: None,
    }))
    .await
}

/// Records a consent.
///
/// Reception, workers and supervisors; a worker only on a person whose record they see (404 and an
/// `access_denied` of `person.consents` otherwise). The scope says what the person consents to (processing of
/// their data, sharing with the partners or with one named institution, being contacted by e-mail
/// or text message), the channel how it was collected; the caller is recorded as its collector.
/// `given_at` cannot be in the future (422). A liaison sent under the legal basis `consent` cites
/// one of these. Audited as a `create` of `consent`.
#[utoipa::path(
    tag = "persons",
    operation_id = "create_consent",
    params(("id" = Uuid, Path, description = "Person id"), crate::responses::IdempotencyKeyHeader),
    request_body = NewConsent,
    responses((status = 201, description = "Recorded", body = Consent, headers(("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/{id}/consents")]
pub async fn create(
    ctx: Ctx,
    id: web::Path<Uuid>,
    body: Json<NewConsent>,
) -> Result<HttpResponse, ApiError> {
    let (mut work, _) = ctx
        .person(
            *id,
            PersonPart::WriteConsents,
            AuditResource::PersonConsents,
        )
        .await?;
    if !relais_domain::clock::has_happened(body.given_at, Utc::now()) {
        return Err(ApiError::invalid(
            "/given_at",
            "out_of_range",
            "a consent cannot be given in the future",
        ));
    }
    let consent = persons::add_consent(
        &mut work.tx,
        work.actor.org.id,
        *id,
        body.scope,
        body.channel,
        work.actor.agent_id,
        body.given_at,
    )
    .await?;
    work.audit(
        NewAuditEvent::new(AuditAction::Create, AuditResource::Consent, consent.id).about(*id),
    );
    work.commit(
        HttpResponse::Created()
            .insert_header((
                header::LOCATION,
                format!("/v1/persons/{}/consents/{}", id, consent.id),
            ))
            .json(Consent::from(consent)),
    )
    .await
}

/// Withdraws a consent (it stays in the record, withdrawn).
///
/// Reception, workers and supervisors; a worker only on a person whose record they see (404 and an
/// `access_denied` of `person.consents` otherwise). The consent is kept, with the time and channel of its
/// withdrawal, and no longer counts as active; no `If-Match` is needed. A second withdrawal is a
/// 409 `consent_already_withdrawn`; an unknown consent, or one of another person, is a 404. Audited
/// as an `update` of `consent`.
#[utoipa::path(
    tag = "persons",
    operation_id = "withdraw_consent",
    params(("id" = Uuid, Path, description = "Person id"), ("cid" = Uuid, Path, description = "Consent id"), crate::responses::IdempotencyKeyHeader),
    request_body = Withdrawal,
    responses((status = 200, description = "Withdrawn", body = Consent), CreateErrors),
    security(("bearer" = []))
)]
#[post("/{id}/consents/{cid}/withdrawal")]
pub async fn withdraw(
    ctx: Ctx,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<Withdrawal>,
) -> Result<HttpResponse, ApiError> {
    let (person_id, consent_id) = path.into_inner();
    let (mut work, _) = ctx
        .person(
            person_id,
            PersonPart::WriteConsents,
            AuditResource::PersonConsents,
        )
        .await?;
    let consent =
        persons::withdraw_consent(&mut work.tx, person_id, consent_id, body.channel).await?;
    work.audit(
        NewAuditEvent::new(AuditAction::Update, AuditResource::Consent, consent.id)
            .about(person_id),
    );
    work.commit(HttpResponse::Ok().json(Consent::from(consent)))
        .await
}
