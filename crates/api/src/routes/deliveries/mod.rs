//! The webhook delivery log of a partner or of one of the organisation's subscriptions, and
//! manual redelivery: the handlers of both owners share [`list_of`] and [`redeliver_of`].
//!
//! Administrators only (other roles, partners included, get 403). An owner or a delivery of
//! another organisation answers 404. Payloads hold identifiers and statuses only, never personal
//! data, so reading the log is not audited; a redelivery is (`update`, resource type
//! `webhook_delivery`). The payloads and headers partners receive are documented in
//! [`payloads`] (the document's `webhooks` section).

mod model;
mod payloads;

use actix_web::{HttpResponse, get, post, web};
use relais_domain::{AuditAction, AuditResource, Coded, DeliveryStatus, Permission};
use relais_store::audit::NewAuditEvent;
use relais_store::db::{Access, Tx};
use relais_store::webhooks::{self as store, Delivery as DeliveryRecord, Owner};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::ApiError;
use crate::extract::Query;
use crate::pagination::{PageParams, into_views};
use crate::responses::{CreateErrors, ReadErrors};
use crate::routes::paths::DeliveryPath;

pub use model::{
    Delivery, DeliveryAttempt, DeliveryList, SubscriptionDelivery, SubscriptionDeliveryList,
};
pub use payloads::{
    LiaisonAcknowledgedWebhook, LiaisonSentWebhook, LiaisonWebhookData, ReferralOutcomeData,
    ReferralOutcomeWebhook, ReferralStatusChangedData, ReferralStatusChangedWebhook, WebhookDocs,
    WebhookPayload, WebhookRedirectedTo,
};

/// Filters of the delivery log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only deliveries in this status.
    #[param(schema_with = crate::schema::webhook_delivery_status)]
    pub status: Option<String>,
}

impl ListParams {
    fn status(&self) -> Result<Option<DeliveryStatus>, ApiError> {
        match self.status.as_deref() {
            None | Some("") => Ok(None),
            Some(code) => DeliveryStatus::parse(code).map(Some).ok_or_else(|| {
                ApiError::bad_query(
                    "status",
                    format!("unknown status {code:?}: pending, delivered or failed"),
                )
            }),
        }
    }
}

/// The owner must exist in the caller's organisation (404 otherwise).
async fn check_owner(tx: &mut Tx, owner: Owner) -> Result<(), ApiError> {
    if store::owner_exists(tx, owner).await? {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// A page of `owner`'s deliveries, each shown by `view`, in the list `page_of` makes.
pub(crate) async fn list_of<V, L: serde::Serialize>(
    ctx: Ctx,
    owner: Owner,
    params: &ListParams,
    page: &PageParams,
    view: impl Fn(DeliveryRecord) -> V,
    page_of: impl FnOnce(Vec<V>, Option<String>) -> L,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::OrganisationAdmin)?;
    let page = page.request()?;
    let status = params.status()?;
    let mut work = ctx.work(Access::Read).await?;
    check_owner(&mut work.tx, owner).await?;
    let found = store::list_deliveries(&mut work.tx, owner, status, page).await?;
    let (items, next_cursor) = into_views(found, view);
    work.commit(HttpResponse::Ok().json(page_of(items, next_cursor)))
        .await
}

/// Queues `owner`'s delivery `did` again, answered as `view` shows it.
pub(crate) async fn redeliver_of<V: serde::Serialize>(
    ctx: Ctx,
    owner: Owner,
    did: Uuid,
    view: impl FnOnce(DeliveryRecord) -> V,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::OrganisationAdmin)?;
    let mut work = ctx.work(Access::Write).await?;
    check_owner(&mut work.tx, owner).await?;
    let delivery = store::redeliver(&mut work.tx, owner, did).await?;
    work.audit(
        NewAuditEvent::new(AuditAction::Update, AuditResource::WebhookDelivery, did)
            .because(Some("redeliver")),
    );
    work.commit(HttpResponse::Accepted().json(view(delivery)))
        .await
}

/// Lists a partner's webhook deliveries with their attempts, newest first.
///
/// Administrators only (403 for other roles, partners included; 404 for a partner of another
/// organisation). Filter by `status` (`pending`, `delivered`, `failed`). Each delivery has its
/// event, status and every attempt with its answer. Payloads hold identifiers and statuses only,
/// never personal data: reading the log is not audited.
#[utoipa::path(
    tag = "partners",
    operation_id = "list_partner_deliveries",
    params(("id" = Uuid, Path, description = "Partner id"), ListParams, PageParams),
    responses((status = 200, description = "Deliveries, newest first, each with its attempts", body = DeliveryList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/partners/{id}/deliveries")]
pub async fn list(
    ctx: Ctx,
    id: web::Path<Uuid>,
    params: Query<ListParams>,
    page: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    list_of(
        ctx,
        Owner::Partner(*id),
        &params,
        &page,
        Delivery::from,
        |items, next_cursor| DeliveryList { items, next_cursor },
    )
    .await
}

/// Queues a delivery again now, with a new 3-day retry window, whatever its status.
///
/// Administrators only (404 for a partner or delivery of another organisation). A delivered or
/// failed delivery becomes pending again, due now; its earlier attempts stay in the log. A delivery
/// still pending is refused (409 `delivery_pending`): a dispatcher may be sending it. Audited as an
/// `update` of `webhook_delivery` with the reason `redeliver`.
#[utoipa::path(
    tag = "partners",
    operation_id = "redeliver_partner_delivery",
    params(DeliveryPath, crate::responses::IdempotencyKeyHeader),
    responses(
        (status = 202, description = "Queued: the dispatcher delivers it shortly (a disabled partner's deliveries wait until it is enabled)", body = Delivery),
        CreateErrors
    ),
    security(("bearer" = []))
)]
#[post("/partners/{id}/deliveries/{did}/redeliver")]
pub async fn redeliver(ctx: Ctx, path: web::Path<DeliveryPath>) -> Result<HttpResponse, ApiError> {
    redeliver_of(ctx, Owner::Partner(path.id), path.did, Delivery::from).await
}
