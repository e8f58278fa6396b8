//! The help plan's items (démarches) of a case: add, list, read, change, remove.
//!
//! The caller must see the case (404 otherwise: workers see their teams' cases, supervisors
//! all); reception, administrators and the DPO get 403. Changes need an open case (409
//! `case_closed` once closed or archived). Every read and write is audited with the case's
//! person, and every change is an event of the case timeline. The handlers live here; the
//! request and response types, the merge of a patch and the list cursor are in `model`; the
//! plan's indicators as the API shows them are in `indicators`.

mod indicators;
pub(crate) mod model;

use actix_web::{HttpResponse, delete, get, patch, post, web};
use relais_domain::case::overdue_day;
use relais_domain::{AuditAction, AuditResource, Permission};
use relais_store::audit::NewAuditEvent;
use relais_store::cases::CaseRecord;
use relais_store::db::Tx;
use relais_store::plan_items::{self, ItemFilter, ItemUpdate, NewPlanItem as StoreNewItem};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::conditional::{IfMatch, created, ok_with_etag};
use crate::context::{CaseReadParams, Ctx};
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, Query, coded_list, coded_param};
use crate::pagination::{Cursor, DuePageParams};
use crate::responses::{CreateErrors, ReadErrors, WriteErrors};
use crate::routes::paths::ItemPath;
use crate::routes::today;
use crate::work::CaseUse;

pub use indicators::{PartyBreakdown, PartyIndicators, PlanIndicators, StatusCounts};
pub use model::{NewPlanItem, PlanItem, PlanItemList, PlanItemPatch};

/// The scheme and the application an item links must exist in the organisation, the
/// application in this case (422 at `/scheme_id` or `/application_id` otherwise).
async fn check_links(
    tx: &mut Tx,
    case_id: Uuid,
    scheme_id: Option<Uuid>,
    application_id: Option<Uuid>,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if let Some(id) = scheme_id {
        match relais_store::schemes::get(tx, id).await {
            Ok(_) => {}
            Err(relais_store::StoreError::NotFound) => errors.push(FieldError::body(
                "/scheme_id",
                "unknown_reference",
                format!("no scheme {id} in the organisation's catalogue"),
            )),
            Err(err) => return Err(err.into()),
        }
    }
    if let Some(id) = application_id
        && !relais_store::applications::exists_in_case(tx, case_id, id).await?
    {
        errors.push(FieldError::body(
            "/application_id",
            "unknown_reference",
            format!("no application {id} in this case"),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

fn item_event(action: AuditAction, case: &CaseRecord, item_id: Uuid) -> NewAuditEvent {
    NewAuditEvent::new(action, AuditResource::PlanItem, item_id).about(case.person_id)
}

fn location(case_id: Uuid, item_id: Uuid) -> String {
    format!("/v1/cases/{case_id}/plan/items/{item_id}")
}

/// Adds a step to a case's plan.
///
/// Workers on the case's team and supervisors (403 for other roles, 404 for a case the caller may
/// not see). The item starts `planned`. Its `party` says who acts (the worker: an intervention; the
/// person: a *préconisation*; a partner) and limits the categories it may have (422
/// `category_not_allowed_for_party`); the title must not be blank and the due date not before the
/// case's opening date; a linked scheme must be in the catalogue and a linked application in this
/// case (422 `unknown_reference`). A closed or archived case answers 409 `case_closed`. Audited as
/// a `create` of `plan_item`; the timeline records it.
#[utoipa::path(
    tag = "plan",
    operation_id = "create_plan_item",
    params(("id" = Uuid, Path, description = "Case id"), crate::responses::IdempotencyKeyHeader),
    request_body = NewPlanItem,
    responses((status = 201, description = "Added, `planned`", body = PlanItem, headers(("Location" = String), ("ETag" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/{id}/plan/items")]
pub async fn create(
    ctx: Ctx,
    id: web::Path<Uuid>,
    body: Json<NewPlanItem>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    let mut errors = Vec::new();
    if !body.category.allowed_for(body.party) {
        errors.push(model::category_mismatch(body.category, body.party));
    }
    let title = model::title(&body.title).map_err(|e| errors.push(e)).ok();
    let details = model::text(body.details.as_deref());
    let (mut work, case) = ctx.case(*id, CaseUse::Plan).await?;
    if body.due_on < case.opened_on {
        errors.push(model::due_before_opening(case.opened_on));
    }
    let Some(title) = title.filter(|_| errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    check_links(&mut work.tx, case.id, body.scheme_id, body.application_id).await?;
    let item = plan_items::create(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        case.id,
        &StoreNewItem {
            party: body.party,
            category: body.category,
            domain: body.domain,
            title: title.as_str(),
            details: details.as_deref(),
            scheme_id: body.scheme_id,
            application_id: body.application_id,
            due_on: body.due_on,
        },
    )
    .await?;
    work.audit(item_event(AuditAction::Create, &case, item.id));
    work.commit(created(
        location(case.id, item.id),
        item.version,
        PlanItem::from_record(item, today()),
    ))
    .await
}

/// Filters of a case's items.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only this party's items.
    #[param(schema_with = crate::schema::party)]
    pub party: Option<String>,
    /// Comma-separated item statuses; every status by default.
    #[param(schema_with = crate::schema::item_status_list)]
    pub status: Option<String>,
    /// `true`: only the overdue items (due date passed, still planned, in progress or
    /// blocked). `false` or absent: no filter.
    pub overdue: Option<bool>,
}

impl ListParams {
    fn filter(&self) -> Result<ItemFilter, ApiError> {
        Ok(ItemFilter {
            party: coded_param("party", "party", self.party.as_deref())?,
            statuses: coded_list("status", "item status", self.status.as_deref())?,
            overdue_on: self.overdue.unwrap_or(false).then(today),
        })
    }
}

/// Lists a case's plan items by due date (then id), with filters.
///
/// Workers on the case's team and supervisors (403 for other roles, 404 for a case the caller may
/// not see). Filter by `party`, by `status` (a comma-separated list) and by `overdue` (due date
/// passed, still planned, in progress or blocked; never on a closed or archived case, whose
/// figures froze at its closure). An archived case's items are read only with a
/// `reason` (400 `reason_required` without it). Audited once as a `read` of `case.plan_items`.
#[utoipa::path(
    tag = "plan",
    operation_id = "list_plan_items",
    params(("id" = Uuid, Path, description = "Case id"), ListParams, DuePageParams, CaseReadParams),
    responses((status = 200, description = "Items, earliest due first", body = PlanItemList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/plan/items")]
pub async fn list(
    ctx: Ctx,
    id: web::Path<Uuid>,
    filter: Query<ListParams>,
    page: Query<DuePageParams>,
    reason: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let mut filter = filter.filter()?;
    let page = page.paging();
    let (limit, after) = (page.limit()?, page.after()?);
    let (mut work, case) = ctx
        .case_list(*id, reason.case_use(), AuditResource::CasePlanItems)
        .await?;
    // A closed case's steps are overdue no more: asking for them finds none.
    let today = overdue_day(case.status(), today());
    if filter.overdue_on.is_some() && today.is_none() {
        return work
            .commit(HttpResponse::Ok().json(PlanItemList {
                items: Vec::new(),
                next_cursor: None,
            }))
            .await;
    }
    filter.overdue_on = filter.overdue_on.and(today);
    let page = plan_items::list(&mut work.tx, case.id, &filter, after, limit).await?;
    let next_cursor = plan_items::next_cursor(&page).as_ref().map(Cursor::encode);
    let items = page
        .items
        .into_iter()
        .map(|r| PlanItem::from_record(r, today))
        .collect();
    work.commit(HttpResponse::Ok().json(PlanItemList { items, next_cursor }))
        .await
}

/// Reads one plan item, with its ETag.
///
/// Workers on the case's team and supervisors (403 for other roles, 404 for a case the caller may
/// not see or an item of another case). An archived case's item is read only with a `reason` (400
/// `reason_required` without it). Audited as a `read` of `plan_item`.
#[utoipa::path(
    tag = "plan",
    operation_id = "read_plan_item",
    params(ItemPath, CaseReadParams),
    responses((status = 200, description = "The item", body = PlanItem, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/plan/items/{item_id}")]
pub async fn read(
    ctx: Ctx,
    path: web::Path<ItemPath>,
    params: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let (mut work, case) = ctx.case(path.id, params.case_use()).await?;
    let item = plan_items::get(&mut work.tx, case.id, path.item_id).await?;
    work.audit(item_event(AuditAction::Read, &case, item.id));
    work.commit(ok_with_etag(
        item.version,
        PlanItem::from_record(item, overdue_day(case.status(), today())),
    ))
    .await
}

/// Changes a plan item: its content, deadline, status, done date or outcome (`If-Match`).
///
/// Workers on the case's team and supervisors; a merge patch. `party` never changes (422
/// `immutable`). Status changes follow the item lifecycle: planned, in progress and blocked move to
/// any other status, done only back to in progress, cancelled only back to planned (409
/// `invalid_item_transition` otherwise). Moving to `done` sets `done_on` to the date given (not in
/// the future) or today; leaving `done` clears it. A patch that changes nothing keeps the version.
/// A closed or archived case answers 409 `case_closed`; `If-Match` is required (428, 412). Audited
/// as an `update` of `plan_item`; the timeline records the fields changed.
#[utoipa::path(
    tag = "plan",
    operation_id = "update_plan_item",
    params(ItemPath, crate::responses::IfMatchHeader),
    request_body = PlanItemPatch,
    responses((status = 200, description = "The item after the change", body = PlanItem, headers(("ETag" = String))), WriteErrors),
    security(("bearer" = []))
)]
#[patch("/{id}/plan/items/{item_id}")]
pub async fn update(
    ctx: Ctx,
    path: web::Path<ItemPath>,
    if_match: IfMatch,
    body: Json<PlanItemPatch>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    let (mut work, case) = ctx.case(path.id, CaseUse::Plan).await?;
    let current = plan_items::get(&mut work.tx, case.id, path.item_id).await?;
    let version = if_match.check(current.version)?;
    let today = today();
    let merged = model::merge(&current, &body, case.opened_on, today)?;
    check_links(
        &mut work.tx,
        case.id,
        merged.scheme_id.filter(|id| current.scheme_id != Some(*id)),
        merged
            .application_id
            .filter(|id| current.application_id != Some(*id)),
    )
    .await?;
    let item = if merged.changed.is_empty() {
        // Nothing differs: no new version, no timeline event.
        current
    } else {
        plan_items::update(
            &mut work.tx,
            work.actor.agent_id,
            case.id,
            path.item_id,
            version,
            &ItemUpdate {
                category: merged.category,
                domain: merged.domain,
                title: &merged.title,
                details: merged.details.as_deref(),
                scheme_id: merged.scheme_id,
                application_id: merged.application_id,
                due_on: merged.due_on,
                status: merged.status,
                done_on: merged.done_on,
                outcome: merged.outcome.as_deref(),
                changed: &merged.changed,
            },
        )
        .await?
    };
    work.audit(item_event(AuditAction::Update, &case, item.id));
    work.commit(ok_with_etag(
        item.version,
        PlanItem::from_record(item, today),
    ))
    .await
}

/// Removes a step from the plan (`If-Match`); proposals already made keep their snapshot.
///
/// Workers on the case's team and supervisors. The item is deleted; the proposals that froze it
/// keep it in their snapshot, so the plan's changes since the last agreement show it as removed. A
/// closed or archived case answers 409 `case_closed`; `If-Match` is required (428, 412). Audited as
/// a `delete` of `plan_item`; the timeline records it.
#[utoipa::path(
    tag = "plan",
    operation_id = "delete_plan_item",
    params(ItemPath, crate::responses::IfMatchHeader),
    responses((status = 204, description = "Removed"), WriteErrors),
    security(("bearer" = []))
)]
#[delete("/{id}/plan/items/{item_id}")]
pub async fn remove(
    ctx: Ctx,
    path: web::Path<ItemPath>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    let (mut work, case) = ctx.case(path.id, CaseUse::Plan).await?;
    let current = plan_items::get(&mut work.tx, case.id, path.item_id).await?;
    let version = if_match.check(current.version)?;
    plan_items::delete(
        &mut work.tx,
        work.actor.agent_id,
        case.id,
        path.item_id,
        version,
    )
    .await?;
    work.audit(item_event(AuditAction::Delete, &case, path.item_id));
    work.commit(HttpResponse::NoContent().finish()).await
}
