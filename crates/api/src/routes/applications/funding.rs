//! The funding plan (plan de financement) of an application: the need and its funders, read
//! with its totals and replaced whole (`If-Match`: `"0"` before the first plan, `*` whatever
//! the version). It stays editable after the decision: other funders often answer later.

use actix_web::{HttpResponse, get, put, web};
use relais_domain::application::{self, check_funding_plan};
use relais_domain::{AuditAction, AuditResource, FunderStatus, Permission};
use relais_store::applications::funding as store_funding;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::model::{FundingPlan, invalid};
use super::on_application;
use crate::conditional::{IfMatch, ok_with_etag};
use crate::context::{CaseReadParams, Ctx};
use crate::error::ApiError;
use crate::extract::{Json, Query};
use crate::responses::{ReadErrors, WriteErrors};
use crate::routes::paths::ApplicationPath;
use crate::work::{CaseUse, case_event};

/// The audit resource type of a funding plan.
const RESOURCE: AuditResource = AuditResource::ApplicationFundingPlan;

/// What a funder's status asks of `granted_cents` (`relais_domain`'s funding plan rules),
/// stated in the document on `status`.
pub const FUNDER_FIELDS: crate::openapi::Variants = crate::openapi::Variants {
    schema: "FunderInput",
    on: "status",
    cases: &[
        ("requested", &[], &["granted_cents"]),
        ("granted", &[], &[]),
        ("partially_granted", &["granted_cents"], &[]),
        ("refused", &[], &["granted_cents"]),
    ],
};

/// A funder asked to cover part of the need.
// `Serialize` only because the list's length rule echoes the value in its error.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FunderInput {
    /// Unique within the plan (case and surrounding spaces aside).
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "Fonds de solidarité logement"
    )]
    pub name: String,
    #[validate(range(min = 1, max = 1_000_000_000))]
    #[schema(minimum = 1, maximum = 1_000_000_000, example = 80000)]
    pub requested_cents: i64,
    #[schema(schema_with = crate::schema::funder_status)]
    pub status: FunderStatus,
    /// `granted`: the amount requested (may be left out); `partially_granted`: less than the
    /// amount requested (required); otherwise absent.
    #[validate(range(min = 1, max = 1_000_000_000))]
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub granted_cents: Option<i64>,
}

/// The whole funding plan: the need and at most 20 funders, in the order to show them.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "need_cents": 150000,
    "funders": [
        {"name": "Fonds de solidarité logement", "requested_cents": 80000, "status": "granted"},
        {"name": "CCAS — secours d'urgence", "requested_cents": 40000, "status": "partially_granted", "granted_cents": 25000},
        {"name": "Caisse de retraite complémentaire", "requested_cents": 30000, "status": "requested"}
    ]
}))]
pub struct FundingPlanReplacement {
    /// What the plan must cover, in cents.
    #[validate(range(min = 1, max = 1_000_000_000))]
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub need_cents: i64,
    #[validate(length(max = 20), nested)]
    #[schema(max_items = 20)]
    pub funders: Vec<FunderInput>,
}

/// Reads an application's funding plan with its totals and remaining gap (404 before one is
/// written).
///
/// Workers on the case's team and supervisors (403 for reception, admin, dpo and partners, 404 for
/// a case the caller may not see or an application of another case). The need, each funder with the
/// amount requested and granted, the totals and the remaining gap (need minus grants, 0 once
/// covered). An archived case's funding plans are read only with a `reason` (400 `reason_required`
/// without it). Audited as a `read` of `application.funding_plan`.
#[utoipa::path(
    tag = "applications",
    operation_id = "read_funding_plan",
    params(ApplicationPath, CaseReadParams),
    responses((status = 200, description = "The funding plan", body = FundingPlan, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/applications/{app_id}/funding-plan")]
pub async fn read_funding_plan(
    ctx: Ctx,
    path: web::Path<ApplicationPath>,
    params: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let (mut work, case, application) =
        on_application(&ctx, path.id, path.app_id, params.case_use()).await?;
    let plan = store_funding::get(&mut work.tx, application.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    work.audit(case_event(
        &case,
        AuditAction::Read,
        RESOURCE,
        application.id,
    ));
    work.commit(ok_with_etag(plan.version, FundingPlan::from(plan)))
        .await
}

/// Replaces an application's funding plan (`If-Match`: `"0"` before the first one); answers it
/// with its totals and the remaining gap.
///
/// Workers on the case's team and supervisors. The whole plan is written: a need of 1 cent to 10
/// million euros, at most 20 funders, each named once, a `granted` funder granting what was
/// requested, a `partially_granted` one less (its amount required), the others no amount (422
/// pointing at each problem). It stays editable once the application is decided or withdrawn: other funders often
/// answer later. `If-Match` carries the version read; `"0"` or `*` writes the first plan (428
/// without it, 412 when stale). An archived case answers 409 `case_archived`. Audited as an
/// `update` of `application.funding_plan`.
#[utoipa::path(
    tag = "applications",
    operation_id = "replace_funding_plan",
    params(ApplicationPath, crate::responses::IfMatchHeader),
    request_body = FundingPlanReplacement,
    responses((status = 200, description = "The funding plan as replaced, with its gap", body = FundingPlan, headers(("ETag" = String))), WriteErrors),
    security(("bearer" = []))
)]
#[put("/{id}/applications/{app_id}/funding-plan")]
pub async fn replace_funding_plan(
    ctx: Ctx,
    path: web::Path<ApplicationPath>,
    if_match: IfMatch,
    body: Json<FundingPlanReplacement>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    let inputs: Vec<application::FunderInput<'_>> = body
        .funders
        .iter()
        .map(|f| application::FunderInput {
            name: &f.name,
            requested_cents: f.requested_cents,
            status: f.status,
            granted_cents: f.granted_cents,
        })
        .collect();
    let funders = check_funding_plan(body.need_cents, &inputs).map_err(invalid)?;
    let (mut work, case, application) =
        on_application(&ctx, path.id, path.app_id, CaseUse::Write).await?;
    let plan = store_funding::replace(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        application.id,
        if_match.expected(),
        body.need_cents,
        &funders,
    )
    .await?;
    work.audit(case_event(
        &case,
        AuditAction::Update,
        RESOURCE,
        application.id,
    ));
    work.commit(ok_with_etag(plan.version, FundingPlan::from(plan)))
        .await
}
