//! The right-of-access export (RGPD art. 15): everything held on a person, for the dpo, as JSON,
//! as a French document the person can read (HTML or PDF), or as a ZIP archive of both with
//! every stored document of the person.
//!
//! The NIR is in clear (it is the person's own data; the reveal is audited); the workers' private
//! notes are included only when the DPO asks (`include_private_notes=true`). Archived cases are
//! included.

use std::io::Write as _;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Datelike, Timelike, Utc};
use relais_domain::{AuditAction, AuditResource, Permission};
use relais_store::audit::NewAuditEvent;
use relais_store::db::Access;
use relais_store::export::{self, CaseExport, ExportReferral, StoredFile};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::Ctx;
use crate::documents::access::AccessRecord;
use crate::documents::sheet::{self, Sheet};
use crate::error::{ApiError, Problem};
use crate::extract::Query;
use crate::printed::{self, Format, PdfFile, ZipFile, off_thread};
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
    /// notes included), `liaisons`, `applications` (checklist, social reports, funding plan),
    /// `documents` (metadata) and `letters` (as sent).
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

/// The formats of the export, JSON first (the default).
const FORMATS: [Format; 4] = [Format::Json, Format::Html, Format::Pdf, Format::Zip];

/// Exports everything held on a person (right of access; dpo).
///
/// Only the `dpo` may call it (RGPD art. 15, right of access). The format follows `Accept`:
/// - `application/json` (the default, also for `*/*`): the identity record with the NIR in
///   clear, the consents, the rectification history, every case of the person (archived ones
///   included) with its timeline, assessment, plan items, proposals, contacts, liaisons,
///   applications, document metadata and letters, the partners' referrals linked to the person
///   (NIR masked), the household, the budget, and every audit event about the person;
/// - `text/html` and `application/pdf`: the same content as a French document the person can
///   read — labels instead of codes, names instead of ids, dates in words — in the sections
///   Identité, Situation, Accompagnements, Plan d'aide, Entretiens, Demandes, Partages et
///   orientations, Consentements, Historique des rectifications and Accès à votre dossier (who
///   read or changed what, and when);
/// - `application/zip`: the JSON, the PDF, and every stored file of the person (the documents of
///   their cases under `documents/`, the attachments of their referrals under `orientations/`).
///
/// The workers' private notes of the contacts are included only with
/// `include_private_notes=true` (the DPO decides, case by case). Sent with `Cache-Control:
/// no-store`. Audited as an `export` of `person.export`, and, when the person has a NIR, as a
/// `reveal` of `person.nir`. 404 for an unknown person; 406 for an `Accept` allowing none of the
/// four formats.
#[utoipa::path(
    tag = "persons",
    operation_id = "export_person",
    params(("id" = Uuid, Path, description = "Person id"), ExportParams),
    responses(
        (status = 200, description = "The export: JSON (as an attachment), a readable French document (HTML or PDF), or a ZIP archive of the JSON, the PDF and the stored documents",
         content((PersonExport = "application/json"), (String = "text/html"), (PdfFile = "application/pdf"), (ZipFile = "application/zip")),
         headers(("Content-Disposition" = String, description = "JSON, PDF and ZIP: `attachment; filename=\"relais-export-<id>.<json|pdf|zip>\"`"), ("Cache-Control" = String), ("Vary" = String))),
        (status = 406, description = "The Accept header allows none of application/json, text/html, application/pdf and application/zip", body = Problem, content_type = "application/problem+json"),
        ReadErrors
    ),
    security(("bearer" = []))
)]
#[get("/{id}/export")]
pub async fn export_person(
    ctx: Ctx,
    req: HttpRequest,
    id: web::Path<Uuid>,
    params: Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::PersonExport)?;
    let format = printed::format(&req, &FORMATS)?;
    let private_notes = params.include_private_notes.unwrap_or(false);
    let mut work = ctx.work(Access::Read).await?;
    if let Some(merged_into) = relais_store::merge::merged_into(&mut work.tx, *id).await? {
        return Err(ApiError::PersonMerged { merged_into });
    }
    let mut data = export::person(&mut work.tx, *id).await?;
    if !private_notes {
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
    let made_at = Utc::now();

    // The readable document, for every format but JSON.
    let readable = if format == Format::Json {
        None
    } else {
        let [agents, partners, schemes] = referenced(&data);
        let names = export::names(&mut work.tx, &agents, &partners, &schemes).await?;
        let letterhead = printed::letterhead(&mut work.tx).await?;
        Some(
            AccessRecord {
                letterhead: &letterhead,
                made_at,
                data: &data,
                nir: nir.as_ref().map(|n| n.as_str()),
                private_notes,
                names: &names,
            }
            .sheet(),
        )
    };
    let files = if format == Format::Zip {
        export::files(&mut work.tx, person_id).await?
    } else {
        Vec::new()
    };

    let mut person = Person::masked(data.person);
    if let Some(nir) = nir {
        person.nir = Some(nir.as_str().to_owned());
        person.nir_revealed = true;
    }
    let body = PersonExport {
        exported_at: made_at,
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
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::VARY, "Accept"));
    let attachment = |extension: &str| {
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"relais-export-{person_id}.{extension}\""),
        )
    };
    // The work commits the answer, so the documents are rendered first: an export that fails to
    // render records nothing.
    let response = match (format, readable) {
        (Format::Html, Some(sheet)) => response
            .content_type("text/html; charset=utf-8")
            .body(sheet::html(&sheet)),
        (Format::Pdf, Some(sheet)) => {
            let pdf = off_thread(move || sheet::pdf(&sheet).map_err(ApiError::internal)).await?;
            response
                .content_type("application/pdf")
                .insert_header(attachment("pdf"))
                .body(pdf)
        }
        (Format::Zip, Some(sheet)) => {
            let json = serde_json::to_vec_pretty(&body).map_err(ApiError::internal)?;
            let archive =
                off_thread(move || archive(person_id, made_at, &json, &sheet, &files)).await?;
            response
                .content_type("application/zip")
                .insert_header(attachment("zip"))
                .body(archive)
        }
        _ => response.insert_header(attachment("json")).json(body),
    };
    work.commit(response).await
}

/// The ids of the agents, partners and schemes the export refers to, each once.
fn referenced(data: &export::PersonExport) -> [Vec<Uuid>; 3] {
    let mut agents: Vec<Uuid> = data
        .audit_events
        .iter()
        .filter_map(|e| e.actor_id)
        .collect();
    agents.extend(data.history.iter().filter_map(|h| h.changed_by));
    let mut partners: Vec<Uuid> = data.referrals.iter().map(|r| r.partner_id).collect();
    let mut schemes = Vec::new();
    for case in &data.cases {
        agents.extend(case.case.referent_id);
        agents.extend(case.contacts.iter().map(|c| c.author_id));
        partners.extend(
            case.liaisons
                .iter()
                .filter_map(|l| l.destination_partner_id),
        );
        schemes.extend(
            case.applications
                .iter()
                .filter_map(|a| a["scheme_id"].as_str()?.parse::<Uuid>().ok()),
        );
    }
    for ids in [&mut agents, &mut partners, &mut schemes] {
        ids.sort_unstable();
        ids.dedup();
    }
    [agents, partners, schemes]
}

/// The ZIP archive: the JSON export, the readable PDF, and every stored file of the person.
fn archive(
    person_id: Uuid,
    made_at: DateTime<Utc>,
    json: &[u8],
    sheet: &Sheet,
    files: &[StoredFile],
) -> Result<Vec<u8>, ApiError> {
    let pdf = sheet::pdf(sheet).map_err(ApiError::internal)?;
    let zip_error = |e: zip::result::ZipError| ApiError::internal(e);
    let stamp = zip::DateTime::from_date_and_time(
        u16::try_from(made_at.year()).unwrap_or(1980),
        u8::try_from(made_at.month()).unwrap_or(1),
        u8::try_from(made_at.day()).unwrap_or(1),
        u8::try_from(made_at.hour()).unwrap_or(0),
        u8::try_from(made_at.minute()).unwrap_or(0),
        u8::try_from(made_at.second()).unwrap_or(0),
    )
    .unwrap_or_default();
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(stamp);
    // PDF and images are compressed already.
    let stored = deflated.compression_method(zip::CompressionMethod::Stored);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut add = |name: String, options, bytes: &[u8]| -> Result<(), ApiError> {
        zip.start_file(name, options).map_err(zip_error)?;
        zip.write_all(bytes).map_err(ApiError::internal)
    };
    add(format!("relais-export-{person_id}.json"), deflated, json)?;
    add(format!("relais-export-{person_id}.pdf"), stored, &pdf)?;
    for file in files {
        add(
            format!("{}/{}-{}", file.folder, file.id, file.filename),
            stored,
            &file.content,
        )?;
    }
    Ok(zip.finish().map_err(zip_error)?.into_inner())
}
