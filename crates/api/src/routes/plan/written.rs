//! The written plan of a proposal, as printable HTML or as PDF (content negotiation on
//! `Accept`), in French: filled from the proposal's frozen items, never from the live plan; the
//! applications it lists are those of the case as they stand the day it is printed.

use crate::documents::letterhead::Letterhead;
use actix_web::{HttpRequest, HttpResponse, get, web};
use relais_domain::application::in_written_plan;
use relais_domain::{AuditAction, AuditResource, Party};
use relais_store::applications::funding::{self as store_funding, FundingPlanRecord};
use relais_store::applications::{self as store_applications, ApplicationRecord};
use relais_store::cases::CaseRecord;
use relais_store::db::Tx;
use relais_store::persons::{self, PersonRecord};
use relais_store::proposals::{self as store, ObservationRecord, ProposalRecord};
use uuid::Uuid;

use super::today;
use crate::context::{CaseReadParams, Ctx};
use crate::documents::{
    DocumentReferent, PlanDecision, PlanObservation, PlanPerson, PlanStep, PrintedApplication,
    WrittenPlan, written_plan_html, written_plan_pdf,
};
use crate::error::{ApiError, Problem};
use crate::extract::Query;
use crate::printed::{self, PRINTED, document_response};
use crate::responses::ReadErrors;
use crate::routes::paths::ProposalPath;
use crate::work::case_event;

/// A label as it reads inside a sentence: `Entretien` → `entretien`.
fn lower_first(label: &str) -> String {
    let mut chars = label.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Everything the written plan shows, from the proposal's snapshot.
struct Sources<'a> {
    letterhead: Letterhead,
    case: &'a CaseRecord,
    person: &'a PersonRecord,
    proposal: &'a ProposalRecord,
    observations: &'a [ObservationRecord],
    names: &'a std::collections::HashMap<Uuid, String>,
    referent: Option<DocumentReferent>,
    applications: Vec<PrintedApplication>,
}

/// The applications of the case the written plan printed `today` lists
/// ([`in_written_plan`]) with their funding plans, in three queries whatever their number: those
/// under way first, then the recent decisions, each in the order they were made.
async fn listed_applications(
    tx: &mut Tx,
    case_id: Uuid,
    today: chrono::NaiveDate,
) -> Result<Vec<PrintedApplication>, ApiError> {
    let mut records: Vec<ApplicationRecord> = store_applications::of_case(tx, case_id)
        .await?
        .into_iter()
        .filter(|a| in_written_plan(a.status, a.decided_on, today))
        .collect();
    // Oldest first (ids are time-ordered), then those under way before the decided ones.
    records.sort_by_key(|a| (a.status.is_final(), a.id));
    let ids: Vec<Uuid> = records.iter().map(|a| a.id).collect();
    let plans: Vec<FundingPlanRecord> = if ids.is_empty() {
        Vec::new()
    } else {
        store_funding::for_applications(tx, &ids).await?
    };
    Ok(records
        .iter()
        .map(|a| {
            let plan = plans.iter().find(|p| p.application_id == a.id);
            PrintedApplication::of(a, plan)
        })
        .collect())
}

fn written_plan(s: &Sources<'_>) -> WrittenPlan {
    let steps = |party: Party| -> Vec<PlanStep> {
        s.proposal
            .items
            .iter()
            .filter(|i| i.party == party)
            .map(|i| PlanStep {
                title: i.title.clone(),
                details: i.details.clone(),
                domain: i.domain.label_fr().to_owned(),
                category: i.category.label_fr().to_owned(),
                due_on: Some(i.due_on),
                status: i.status.label_fr().to_owned(),
            })
            .collect()
    };
    WrittenPlan {
        letterhead: s.letterhead.clone(),
        person: PlanPerson {
            first_name: s.person.first_name.clone(),
            last_name: s.person.last_name.clone(),
            birth_date: s.person.birth_date,
        },
        referent: s.referent.clone(),
        document_on: today(),
        proposed_on: s.proposal.created_at.date_naive(),
        proposal_number: s.proposal.number,
        reason: s.case.reason.clone(),
        interventions: steps(Party::Worker),
        preconisations: steps(Party::Person),
        partner_steps: steps(Party::Partner),
        decision: s.proposal.decision.as_ref().map(|d| PlanDecision {
            outcome: d.outcome.label_fr().to_owned(),
            channel: lower_first(d.channel.label_fr()),
            decided_on: d.decided_at.date_naive(),
            notes: d.notes.clone(),
            recorded_by: s.names.get(&d.recorded_by).cloned(),
        }),
        observations: s
            .observations
            .iter()
            .map(|o| PlanObservation {
                text: o.text.clone(),
                observed_on: o.at.date_naive(),
            })
            .collect(),
        content_hash: s.proposal.content_hash.clone(),
        applications: s.applications.clone(),
    }
}

/// The written plan of a proposal, in French: `text/html` (printable; the default, also for
/// `*/*`) or `application/pdf`, as the `Accept` header asks. 406 for any other media type.
///
/// Workers on the case's team and supervisors (403 for other roles, 404 for a case the caller may
/// not see or a proposal it does not have). Filled from the proposal's frozen items, never from the
/// live plan: the organisation, the person, the referent, the worker's interventions, the person's
/// *préconisations* and the partners' steps with their deadlines, the decision and observations,
/// room for signatures, and the content hash. After the steps, the case's applications as they
/// stand today: those under way (preparing to submitted) and those decided in the last three
/// months, each with its status or decision and its funding plan (funders, amounts requested and
/// granted, the remaining gap); withdrawn ones are not listed. Sent with `Cache-Control: private, no-store`. An
/// archived case's plan is printed only with a `reason` (400 `reason_required` without it). Audited
/// as a `download` of `plan.document`.
#[utoipa::path(
    tag = "plan",
    operation_id = "plan_proposal_document",
    params(ProposalPath, CaseReadParams),
    responses(
        (status = 200, description = "The written plan: organisation, person, worker, each party's steps with deadlines, the applications under way with their funding plans, the decision, room for signatures and the content hash",
            content((String = "text/html"), (crate::printed::PdfFile = "application/pdf")),
            headers(("Content-Disposition" = String, description = "PDF only: `inline; filename=\"plan-d-aide-<number>.pdf\"`"), ("Vary" = String))),
        (status = 406, description = "The Accept header allows neither text/html nor application/pdf", body = Problem, content_type = "application/problem+json"),
        ReadErrors
    ),
    security(("bearer" = []))
)]
#[get("/{id}/plan/proposals/{number}/document")]
pub async fn document(
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<ProposalPath>,
    params: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let format = printed::format(&req, &PRINTED)?;
    let (mut work, case) = ctx.case(path.id, params.case_use()).await?;
    let proposal = store::get(&mut work.tx, case.id, path.number).await?;
    let observations = store::observations(&mut work.tx, proposal.id).await?;
    let person = persons::get(&mut work.tx, case.person_id).await?;
    let agents: Vec<Uuid> = case
        .referent_id
        .into_iter()
        .chain(proposal.decision.as_ref().map(|d| d.recorded_by))
        .collect();
    let profiles = relais_store::agents::profiles(&mut work.tx, &agents).await?;
    let names = profiles
        .iter()
        .map(|(id, p)| (*id, p.name.clone()))
        .collect();
    let referent = case
        .referent_id
        .and_then(|id| profiles.get(&id).cloned())
        .map(DocumentReferent::from);
    let applications = listed_applications(&mut work.tx, case.id, today()).await?;
    let letterhead = crate::printed::letterhead(&mut work.tx).await?;
    work.audit(case_event(
        &case,
        AuditAction::Download,
        AuditResource::PlanDocument,
        proposal.id,
    ));

    let plan = written_plan(&Sources {
        letterhead,
        case: &case,
        person: &person,
        proposal: &proposal,
        observations: &observations,
        names: &names,
        referent,
        applications,
    });
    // The work commits the answer, so the PDF is rendered first: one that fails to render
    // records no download.
    let filename = format!("plan-d-aide-{}.pdf", path.number);
    let response =
        document_response(format, plan, written_plan_html, written_plan_pdf, &filename).await?;
    work.commit(response).await
}

#[cfg(test)]
mod tests {
    use relais_domain::DecisionChannel;

    use super::*;

    #[test]
    fn labels_read_inside_a_sentence() {
        assert_eq!(
            lower_first(DecisionChannel::InPerson.label_fr()),
            "entretien"
        );
        assert_eq!(
            lower_first(DecisionChannel::SignedPaper.label_fr()),
            "document papier signé"
        );
        assert_eq!(lower_first(""), "");
    }
}
