//! Changes to an application itself: corrections (`PATCH`: notes, the submission once
//! submitted, the decision once decided) and the lifecycle's transitions, both with `If-Match`.

use actix_web::{HttpResponse, patch, post, web};
use chrono::NaiveDate;
use relais_domain::application::{
    ApplicationFacts, Decision, DecisionInput, FieldProblem, TransitionRequest, check_decision,
    check_submission, optional_text,
};
use relais_domain::{ApplicationStatus, AuditAction, Permission};
use relais_store::Code;
use relais_store::applications::{self as store, ApplicationRecord, ApplicationUpdate, checklist};

use super::model::{self, Application, ApplicationPatch, ApplicationTransition};
use super::{RESOURCE, on_application, today, view};
use crate::conditional::{IfMatch, ok_with_etag};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::extract::Json;
use crate::responses::WriteErrors;
use crate::routes::paths::ApplicationPath;
use crate::work::{CaseUse, case_event};

/// The editable fields of `current` with `patch` merged in and checked.
struct Merged {
    notes: Option<String>,
    submitted_on: Option<NaiveDate>,
    submitted_to: Option<String>,
    decision: Option<Decision>,
    changed: bool,
}

fn merge(current: &ApplicationRecord, patch: &ApplicationPatch) -> Result<Merged, ApiError> {
    let mut problems = Vec::new();
    let notes = match &patch.notes {
        None => current.notes.clone(),
        Some(value) => optional_text(value.as_deref(), "notes", 5000)
            .map_err(|p| problems.push(p))
            .ok()
            .flatten(),
    };
    let touches_submission = patch.submitted_on.is_some() || patch.submitted_to.is_some();
    let touches_decision = patch.decision.is_some()
        || patch.decided_on.is_some()
        || patch.amount_granted_cents.is_some()
        || patch.decision_reason.is_some();
    let mut not_allowed = |fields: &[(&str, bool)], why: &str| {
        for (field, given) in fields {
            if *given {
                problems.push(FieldProblem {
                    pointer: format!("/{field}"),
                    code: "not_allowed",
                    message: why.to_owned(),
                });
            }
        }
    };
    if touches_submission && current.submitted_on.is_none() {
        not_allowed(
            &[
                ("submitted_on", patch.submitted_on.is_some()),
                ("submitted_to", patch.submitted_to.is_some()),
            ],
            "the application has not been submitted (use a transition to `submitted`)",
        );
    }
    if touches_decision && current.status != ApplicationStatus::Decided {
        not_allowed(
            &[
                ("decision", patch.decision.is_some()),
                ("decided_on", patch.decided_on.is_some()),
                ("amount_granted_cents", patch.amount_granted_cents.is_some()),
                ("decision_reason", patch.decision_reason.is_some()),
            ],
            "the application is not decided (use a transition to `decided`)",
        );
    }
    if !problems.is_empty() {
        return Err(model::invalid(problems));
    }
    let today = today();
    let (submitted_on, submitted_to) = if touches_submission {
        let (on, to) = check_submission(
            patch.submitted_on.or(current.submitted_on),
            patch
                .submitted_to
                .as_deref()
                .or(current.submitted_to.as_deref()),
            today,
        )
        .map_err(model::invalid)?;
        (Some(on), Some(to))
    } else {
        (current.submitted_on, current.submitted_to.clone())
    };
    let decision = if current.status == ApplicationStatus::Decided {
        let reason = match &patch.decision_reason {
            None => current.decision_reason.as_deref(),
            Some(value) => value.as_deref(),
        };
        let checked = check_decision(
            &DecisionInput {
                decision: patch.decision.or(current.decision.map(Code::into_inner)),
                decided_on: patch.decided_on.or(current.decided_on),
                amount_granted_cents: crate::patch::apply(
                    current.amount_granted_cents,
                    patch.amount_granted_cents,
                ),
                reason,
            },
            submitted_on,
            today,
        )
        .map_err(|problems| {
            // The decision's reason is `decision_reason` on the application.
            model::invalid(
                problems
                    .into_iter()
                    .map(|mut p| {
                        if p.pointer == "/reason" {
                            p.pointer = "/decision_reason".into();
                        }
                        p
                    })
                    .collect(),
            )
        })?;
        Some(checked)
    } else {
        None
    };
    let changed = notes != current.notes
        || submitted_on != current.submitted_on
        || submitted_to != current.submitted_to
        || decision.as_ref().is_some_and(|d| {
            Some(d.decision) != current.decision.map(Code::into_inner)
                || Some(d.decided_on) != current.decided_on
                || d.amount_granted_cents != current.amount_granted_cents
                || d.reason != current.decision_reason
        });
    Ok(Merged {
        notes,
        submitted_on,
        submitted_to,
        decision,
        changed,
    })
}

/// Corrects an application: notes, the submission once submitted, the decision once decided
/// (`If-Match`).
///
/// Workers on the case's team and supervisors; a merge patch. `notes` may change at any time;
/// `submitted_on` and `submitted_to` only once the application was submitted, and the decision's
/// fields (`decision`, `decided_on`, `amount_granted_cents`, `decision_reason`) only once it is
/// decided, checked again as a whole (422 `not_allowed` or the field's own code otherwise). Status
/// changes go through the transitions. A patch that changes nothing keeps the version. An archived
/// case answers 409 `case_archived`; `If-Match` is required (428, 412). Audited as an `update` of
/// `application`.
#[utoipa::path(
    tag = "applications",
    operation_id = "update_application",
    params(ApplicationPath, crate::responses::IfMatchHeader),
    request_body = ApplicationPatch,
    responses((status = 200, description = "The application after the change", body = Application, headers(("ETag" = String))), WriteErrors),
    security(("bearer" = []))
)]
#[patch("/{id}/applications/{app_id}")]
pub async fn update(
    ctx: Ctx,
    path: web::Path<ApplicationPath>,
    if_match: IfMatch,
    body: Json<ApplicationPatch>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    let (mut work, case, current) =
        on_application(&ctx, path.id, path.app_id, CaseUse::Write).await?;
    let version = if_match.check(current.version)?;
    let merged = merge(&current, &body)?;
    let application = if merged.changed {
        store::update(
            &mut work.tx,
            work.actor.agent_id,
            &current,
            version,
            &ApplicationUpdate {
                notes: merged.notes.as_deref(),
                submitted_on: merged.submitted_on,
                submitted_to: merged.submitted_to.as_deref(),
                decision: merged.decision.as_ref(),
            },
        )
        .await?
    } else {
        // Nothing differs: no new version.
        current
    };
    work.audit(case_event(
        &case,
        AuditAction::Update,
        RESOURCE,
        application.id,
    ));
    let version = application.version;
    let body = view(&mut work.tx, application).await?;
    work.commit(ok_with_etag(version, body)).await
}

/// Moves an application through its lifecycle: `under_review`, `submitted`, `decided` or
/// `withdrawn` (`If-Match`).
///
/// Workers on the case's team and supervisors. `preparing` and `complete` follow the checklist and
/// are never asked for (422 `automatic_status` at `/to`); `under_review` needs a complete checklist
/// (409 `application_incomplete`); `submitted` needs `submitted_on` (not in the future) and
/// `submitted_to`; `decided` needs `decision` and `decided_on` (not before the submission, not in
/// the future), an amount for a grant and a `reason` for a refusal; `withdrawn` takes an optional
/// `reason`. A field the target does not take, or a missing one, is a 422; an arrow the lifecycle
/// lacks is a 409 `invalid_application_transition`. An archived case answers 409 `case_archived`;
/// `If-Match` is required (428, 412). Audited as a `transition` of `application`; the timeline
/// records it.
#[utoipa::path(
    tag = "applications",
    operation_id = "transition_application",
    params(ApplicationPath, crate::responses::IfMatchHeader, crate::responses::IdempotencyKeyHeader),
    request_body = ApplicationTransition,
    responses((status = 200, description = "The application in its new status", body = Application, headers(("ETag" = String))), WriteErrors),
    security(("bearer" = []))
)]
#[post("/{id}/applications/{app_id}/transitions")]
pub async fn transition(
    ctx: Ctx,
    path: web::Path<ApplicationPath>,
    if_match: IfMatch,
    body: Json<ApplicationTransition>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    let (mut work, case, current) =
        on_application(&ctx, path.id, path.app_id, CaseUse::Write).await?;
    let version = if_match.check(current.version)?;
    let facts = ApplicationFacts {
        missing_required: checklist::missing_required(&mut work.tx, current.id).await?,
        submitted_on: current.submitted_on,
        today: today(),
    };
    let request = TransitionRequest {
        to: body.to,
        submitted_on: body.submitted_on,
        submitted_to: body.submitted_to.as_deref(),
        decision: body.decision,
        decided_on: body.decided_on,
        amount_granted_cents: body.amount_granted_cents,
        reason: body.reason.as_deref(),
    };
    let change = current.status.transition(&request, &facts)?;
    let application = store::change_status(
        &mut work.tx,
        work.actor.agent_id,
        &current,
        version,
        &change,
    )
    .await?;
    work.audit(case_event(
        &case,
        AuditAction::Transition,
        RESOURCE,
        application.id,
    ));
    let version = application.version;
    let body = view(&mut work.tx, application).await?;
    work.commit(ok_with_etag(version, body)).await
}
