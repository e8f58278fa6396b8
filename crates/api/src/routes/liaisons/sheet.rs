//! The liaison sheet as printable HTML or as PDF (content negotiation on `Accept`), in French,
//! filled with the chosen content only.
//!
//! Each source is read only when its content code was chosen: the assessment for the situation
//! and health, the plan for the steps, the referent for their contact, the NIR only when `nir`
//! was chosen under a basis that allows it. Contacts (and their private notes) are never read
//! here. Health details — the health domain of the assessment and the health steps of the
//! plan — are left out unless `health` was chosen.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::Utc;
use relais_domain::{AuditAction, Domain, ItemStatus, LiaisonContent};
use relais_store::assessments;
use relais_store::audit::NewAuditEvent;
use relais_store::db::{self, Access};
use relais_store::liaisons::{self as store, Destination};
use relais_store::persons;
use relais_store::plan_items::{self, PlanItemRecord};
use uuid::Uuid;

use super::{event, printed};
use crate::context::Ctx;
use crate::documents::liaison::{
    LiaisonSheet, SheetContact, SheetDestination, SheetDomain, SheetIdentity, SheetReferent,
    SheetStep, html, pdf,
};
use crate::error::{ApiError, Problem};
use crate::responses::ReadErrors;
use crate::routes::plan::written::{Format, negotiate};

fn step(item: &PlanItemRecord) -> SheetStep {
    SheetStep {
        title: item.title.clone(),
        domain: item.domain.label_fr().to_owned(),
        party: item.party.label_fr().to_owned(),
        due_on: item.due_on,
        done_on: item.done_on,
    }
}

/// The liaison sheet, in French: `text/html` (printable; the default, also for `*/*`) or
/// `application/pdf` after the `Accept` header. 406 for any other media type.
#[utoipa::path(
    tag = "liaisons",
    operation_id = "liaison_document",
    params(
        ("id" = Uuid, Path, description = "Case id"),
        ("lid" = Uuid, Path, description = "Liaison id"),
        ("Accept" = Option<String>, Header, description = "`text/html` (default) or `application/pdf`")
    ),
    responses(
        (status = 200, description = "The liaison sheet: destination, purpose, legal basis and date, and only the content chosen from the whitelist",
            content((String = "text/html"), (crate::routes::plan::written::PdfFile = "application/pdf")),
            headers(("Content-Disposition" = String, description = "PDF only: `inline; filename=\"fiche-de-liaison.pdf\"`"), ("Vary" = String))),
        (status = 406, description = "The Accept header allows neither text/html nor application/pdf", body = Problem, content_type = "application/problem+json"),
        ReadErrors
    ),
    security(("bearer" = []))
)]
#[get("/cases/{id}/liaisons/{lid}/document")]
pub async fn document(
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    ctx.require_case_read()?;
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    let format = negotiate(accept).ok_or(ApiError::NotAcceptable)?;
    let (case_id, liaison_id) = path.into_inner();
    let (mut tx, actor) = ctx.begin(Access::Read).await?;
    let case = actor.visible_case(&mut tx, case_id).await?;
    let liaison = store::get(&mut tx, case.id, liaison_id).await?;
    let chosen = |c: LiaisonContent| printed(&liaison, c);
    let with_health = chosen(LiaisonContent::Health);

    let person = persons::get(&mut tx, case.person_id).await?;
    let assessment = if chosen(LiaisonContent::SituationByDomain) || with_health {
        Some(assessments::get(&mut tx, case.id).await?)
    } else {
        None
    };
    let items = if chosen(LiaisonContent::ActionsDone) || chosen(LiaisonContent::StepsPending) {
        plan_items::all_for_case(&mut tx, case.id).await?
    } else {
        Vec::new()
    };
    let referent = if chosen(LiaisonContent::ReferentContact) {
        Some(match case.referent_id {
            Some(id) => store::agent_contact(&mut tx, id).await?,
            None => None,
        })
    } else {
        None
    };
    let consent_given_on = match liaison.consent_id {
        Some(id) => store::person_consent(&mut tx, case.person_id, id)
            .await?
            .map(|c| c.given_at),
        None => None,
    };
    let nir = if chosen(LiaisonContent::Nir) {
        Some(person.nir(&ctx.state.vault).map(|n| n.as_str().to_owned()))
    } else {
        None
    };
    let mut events = vec![event(AuditAction::Share, liaison.id, &case)];
    if matches!(nir, Some(Some(_))) {
        events.push(NewAuditEvent {
            action: AuditAction::Reveal,
            resource_type: "person.nir",
            resource_id: Some(person.id),
            person_id: Some(person.id),
            reason: Some("fiche de liaison"),
        });
    }
    actor.audit(&mut tx, &events).await?;
    db::commit(tx).await?;

    let domains = |keep: &dyn Fn(Domain) -> bool| -> Vec<SheetDomain> {
        assessment
            .iter()
            .flat_map(|a| a.domains.iter())
            .filter(|d| keep(d.entry.domain))
            .map(|d| SheetDomain {
                domain: d.entry.domain.label_fr().to_owned(),
                situation: d.entry.situation.clone(),
                needs_action: d.entry.needs_action.label_fr().to_owned(),
            })
            .collect()
    };
    // Health steps are health details too.
    let shown = |i: &&PlanItemRecord| with_health || i.domain != Domain::Health;
    let sheet = LiaisonSheet {
        organisation: actor.org.name.clone(),
        document_on: Utc::now().date_naive(),
        destination: match &liaison.destination {
            Destination::Partner(id) => SheetDestination::Partner(id.to_string()),
            Destination::Named { name, contact } => SheetDestination::Named {
                name: name.clone(),
                contact: contact.clone(),
            },
        },
        purpose: liaison.purpose.clone(),
        legal_basis: liaison.legal_basis.label_fr().to_owned(),
        consent_given_on,
        status: liaison.status.label_fr().to_owned(),
        sent_on: liaison.sent_at.map(|t| t.date_naive()),
        identity: chosen(LiaisonContent::Identity).then(|| SheetIdentity {
            first_name: person.first_name.clone(),
            last_name: person.last_name.clone(),
            birth_name: person.birth_name.clone(),
            birth_date: person.birth_date,
        }),
        nir,
        contact: chosen(LiaisonContent::ContactPreferences).then(|| SheetContact {
            phone: person.phone.clone(),
            email: person.email.clone(),
        }),
        situation: chosen(LiaisonContent::SituationByDomain)
            .then(|| domains(&|d| with_health || d != Domain::Health)),
        health: (with_health && !chosen(LiaisonContent::SituationByDomain))
            .then(|| domains(&|d| d == Domain::Health)),
        reason: chosen(LiaisonContent::Reason).then(|| case.reason.clone()),
        actions_done: chosen(LiaisonContent::ActionsDone).then(|| {
            items
                .iter()
                .filter(shown)
                .filter(|i| i.status == ItemStatus::Done)
                .map(step)
                .collect()
        }),
        steps_pending: chosen(LiaisonContent::StepsPending).then(|| {
            items
                .iter()
                .filter(shown)
                .filter(|i| {
                    matches!(
                        i.status,
                        ItemStatus::Planned | ItemStatus::InProgress | ItemStatus::Blocked
                    )
                })
                .map(step)
                .collect()
        }),
        referent: referent.map(|r| {
            r.map(|r| SheetReferent {
                name: r.name,
                email: r.email,
            })
        }),
        // Documents arrive with a later issue: none can be attached yet.
        documents: chosen(LiaisonContent::Documents).then(Vec::new),
    };

    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::VARY, "Accept"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"));
    Ok(match format {
        Format::Html => response
            .content_type("text/html; charset=utf-8")
            .body(html(&sheet)),
        Format::Pdf => {
            let bytes = web::block(move || pdf(&sheet))
                .await
                .map_err(ApiError::internal)?
                .map_err(ApiError::internal)?;
            response
                .content_type("application/pdf")
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    "inline; filename=\"fiche-de-liaison.pdf\"",
                ))
                .body(bytes)
        }
    })
}
