//! The negotiated plan of a case: the plan view (items, indicators, changes since the last
//! agreement), proposals with the person's decision and observations, and the written plan.
//!
//! The caller must see the case (404 otherwise: workers see their teams' cases, supervisors
//! all); reception, administrators and the DPO get 403. Every read and write is audited with
//! the case's person. The plan view is here; proposals, decisions and observations are in
//! `proposals`, the written plan in `written`, and the request and response types in `model`.

mod model;
mod proposals;
pub(crate) mod written;

use actix_web::{HttpResponse, get, web};
use relais_domain::case::{figures_day, overdue_day};
use relais_domain::{AuditAction, AuditResource};
use relais_store::{plan_items, proposals as store};
use uuid::Uuid;

use crate::context::{CaseReadParams, Ctx};
use crate::error::ApiError;
use crate::extract::Query;
use crate::responses::ReadErrors;
use crate::routes::plan_items::PlanItem;
use crate::routes::today;
use crate::work::case_event;

pub use model::{
    LastAgreement, NewObservation, NewPlanDecision, NewProposal, PlanChanges, PlanFieldChange,
    PlanItemChange, PlanItemRef, PlanView, PlanViewIndicators, Proposal, ProposalDecision,
    ProposalItem, ProposalList, ProposalObservation, ProposalSummary,
};
pub use proposals::{create, decide, list, observe, read};
pub use written::document;

/// The plan of a case: its items, its indicators, and what changed since the last agreement.
///
/// Workers on the case's team and supervisors (403 for reception, admin, dpo and partners, 404 for
/// a case the caller may not see). Every item by due date with the plan's indicators, the last
/// proposal the person accepted (number, date, content hash), the items added, removed or changed
/// since, and `needs_new_agreement` when the plan has items and none was ever accepted, or changed
/// since in more than its progress. An archived case's plan is read only with a `reason` (400
/// `reason_required` without it). Audited as a `read` of `plan`.
///
/// Reads the case, its items and its last agreement in one statement each, whatever the
/// number of items.
#[utoipa::path(
    tag = "plan",
    operation_id = "read_plan",
    params(("id" = Uuid, Path, description = "Case id"), CaseReadParams),
    responses((status = 200, description = "The plan", body = PlanView), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/plan")]
pub async fn view(
    ctx: Ctx,
    id: web::Path<Uuid>,
    params: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let (mut work, case) = ctx.case(*id, params.case_use()).await?;
    let items = plan_items::all_for_case(&mut work.tx, case.id).await?;
    let agreement = store::last_agreement(&mut work.tx, case.id).await?;
    work.audit(case_event(
        &case,
        AuditAction::Read,
        AuditResource::Plan,
        case.id,
    ));

    let today = today();
    let facts: Vec<_> = items.iter().map(|i| i.facts()).collect();
    let current: Vec<_> = items.iter().map(store::snapshot).collect();
    let changes = agreement
        .as_ref()
        .map(|a| relais_domain::diff(&a.items, &current));
    let needs_new_agreement = match &changes {
        Some(changes) => changes.calls_for_agreement(),
        None => !items.is_empty(),
    };
    // A closed case's figures freeze at its closure: no step of it is overdue any more.
    let end = figures_day(case.status(), case.closed_on, today);
    let indicators = PlanViewIndicators {
        plan: relais_domain::indicators(&facts, overdue_day(case.status(), today)).into(),
        days_open: (end - case.opened_on).num_days(),
        target_days: (case.target_end_on - case.opened_on).num_days(),
        days_to_agreement: agreement
            .as_ref()
            .map(|a| (a.first_accepted_at.date_naive() - case.opened_on).num_days()),
    };
    work.commit(
        HttpResponse::Ok().json(PlanView {
            case_id: case.id,
            items: items
                .into_iter()
                .map(|i| PlanItem::from_record(i, overdue_day(case.status(), today)))
                .collect(),
            indicators,
            last_agreement: agreement.map(|a| LastAgreement {
                number: a.number,
                decided_at: a.decided_at,
                content_hash: a.content_hash,
            }),
            changes_since_agreement: changes.map(PlanChanges::from),
            needs_new_agreement,
        }),
    )
    .await
}
