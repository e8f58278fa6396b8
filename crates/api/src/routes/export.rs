//! The right-of-access export (RGPD art. 15): everything held on a person, for the dpo.
//!
//! The NIR is in clear (it is the person's own data; the reveal is audited); the workers' private
//! notes are included only when the DPO asks (`include_private_notes=true`). Archived cases are
//! included.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use relais_domain::{AuditAction, AuditResource, Permission};
use relais_store::audit::NewAuditEvent;
use relais_store::db::Access;
use relais_store::export::{self, CaseExport, ExportReferral};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::ApiError;
use crate::extract::Query;
use crate::responses::ReadErrors;
use crate::routes::audit::AuditEvent;
use crate::routes::consents::Consent;
use crate::routes::persons::{FieldChange, Person};

/// Options of the export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// Include the workers' private notes of the contacts (the DPO decides, case by case);
    /// left out by default.
    pub include_private_notes: Option<bool>,
}

/// Everything held on a person.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonExport {
    /// When the export was made.
    pub exported_at: DateTime<Utc>,
    /// The identity record, NIR in clear.
    pub person: Person,
    pub consents: Vec<Consent>,
    /// The rectification history of identity and contact fields, oldest first (NIR masked).
    pub history: Vec<FieldChange>,
    /// The person's cases, oldest first, each with its `timeline`, `assessment` (domains),
    /// `plan_items`, `proposals` (with decision and `observations`), `contacts` (private
    /// notes included), `liaisons`, `applications` (checklist, social reports, funding plan) and
    /// `documents` (metadata).
    #[schema(value_type = Vec<crate::routes::export_schema::ExportedCase>)]
    pub cases: Vec<CaseExport>,
    /// The partners' referrals linked to the person (accepted ones), as posted, the NIR
    /// masked, with the decision.
    #[schema(value_type = Vec<crate::routes::export_schema::ExportedReferral>)]
    pub referrals: Vec<ExportReferral>,
    /// The household (housing, employment, members) as stored, or null.
    #[schema(value_type = Option<crate::routes::export_schema::ExportedHousehold>)]
    pub household: Option<serde_json::Value>,
    /// The budget and its lines as stored, or null.
    #[schema(value_type = Option<crate::routes::export_schema::ExportedBudget>)]
    pub budget: Option<serde_json::Value>,
    /// Every recorded access to the person's data (who read, changed or exported it).
    pub audit_events: Vec<AuditEvent>,
}

/// Exports everything held on a person (right of access; dpo).
///
/// Only the `dpo` may call it (RGPD art. 15, right of access). The JSON, sent as an attachment with
/// `Cache-Control: no-store`, has the identity record with the NIR in clear, the consents, the
/// rectification history, every case of the person (archived ones included) with its timeline,
/// assessment, plan items, proposals, contacts (the workers' private notes only with
/// `include_private_notes=true`: the DPO decides, case by case), liaisons, applications and
/// document metadata, the partners' referrals linked to the person (NIR masked), the household, the budget, and every
/// audit event about the person. Audited as an `export` of `person.export`, and, when the person
/// has a NIR, as a `reveal` of `person.nir`. 404 for an unknown person.
#[utoipa::path(
    tag = "persons",
    operation_id = "export_person",
    params(("id" = Uuid, Path, description = "Person id"), ExportParams),
    responses(
        (status = 200, description = "The export, as an attachment", body = PersonExport,
         headers(("Content-Disposition" = String), ("Cache-Control" = String))),
        ReadErrors
    ),
    security(("bearer" = []))
)]
#[get("/{id}/export")]
pub async fn export_person(
    ctx: Ctx,
    id: web::Path<Uuid>,
    params: Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::PersonExport)?;
    let mut work = ctx.work(Access::Read).await?;
    let mut data = export::person(&mut work.tx, *id).await?;
    if !params.include_private_notes.unwrap_or(false) {
        for case in &mut data.cases {
            for contact in &mut case.contacts {
                contact.private_note = None;
            }
        }
    }
    let person_id = data.person.id;
    let nir = data.person.nir(&ctx.state.vault);
    work.audit(
        NewAuditEvent::new(AuditAction::Export, AuditResource::PersonExport, person_id)
            .about(person_id),
    );
    if nir.is_some() {
        work.audit(
            NewAuditEvent::new(AuditAction::Reveal, AuditResource::PersonNir, person_id)
                .about(person_id)
                .because(Some("right of access export")),
        );
    }

    let mut person = Person::masked(data.person);
    if let Some(nir) = nir {
        person.nir = Some(nir.as_str().to_owned());
        person.nir_revealed = true;
    }
    let body = PersonExport {
        exported_at: Utc::now(),
        person,
        consents: data.consents.into_iter().map(Consent::from).collect(),
        history: data.history.into_iter().map(FieldChange::from).collect(),
        cases: data.cases,
        referrals: data.referrals,
        household: data.household,
        budget: data.budget,
        audit_events: data
            .audit_events
            .into_iter()
            .map(AuditEvent::from)
            .collect(),
    };
    work.commit(
        HttpResponse::Ok()
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"relais-export-{person_id}.json\""),
            ))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(body),
    )
    .await
}
