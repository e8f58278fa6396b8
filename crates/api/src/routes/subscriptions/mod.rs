//! The organisation's webhook subscriptions: a URL of its own systems (an intranet, a data
//! warehouse) that receives the events of the types it chose, signed like the partners'
//! webhooks and delivered from the same outbox, with the same SSRF guard, delivery log and
//! redelivery.
//!
//! Administrators only (other roles get 403; a subscription of another organisation answers
//! 404). The signing secret is answered once, at creation and at rotation, with
//! `Cache-Control: no-store`, and never again: the database holds the salt its key is derived
//! from. Every write is audited (`create`, `update` or `delete`, resource type
//! `webhook_subscription`, no person); reads are not (a subscription describes a system, not a
//! person, and its deliveries carry identifiers, codes and dates only).

mod model;

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use relais_domain::{AuditAction, AuditResource, Permission};
use relais_store::audit::NewAuditEvent;
use relais_store::db::Access;
use relais_store::subscriptions::{self as store, SubscriptionRecord};
use relais_store::webhooks::Owner;
use uuid::Uuid;

use crate::conditional::{IfMatch, ok_with_etag, showing_secret};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::extract::{Json, Query};
use crate::pagination::{PageParams, into_views};
use crate::responses::{CreateErrors, ReadErrors, WriteErrors};
use crate::routes::deliveries::{self, ListParams, SubscriptionDelivery, SubscriptionDeliveryList};
use crate::routes::paths::SubscriptionDeliveryPath;
use crate::work::Work;

pub use model::{
    CreatedWebhookSubscription, NewWebhookSubscription, WebhookSubscription,
    WebhookSubscriptionList, WebhookSubscriptionPatch,
};

fn location(id: Uuid) -> String {
    format!("/v1/webhook-subscriptions/{id}")
}

/// The audit event of a write to the subscription `id` (about no person).
fn write_event(action: AuditAction, id: Uuid) -> NewAuditEvent {
    NewAuditEvent::new(action, AuditResource::WebhookSubscription, id)
}

/// An answer that shows the signing secret: never cached, never kept for an idempotent replay.
fn with_secret(
    builder: &mut actix_web::HttpResponseBuilder,
    subscription: SubscriptionRecord,
    secret: &str,
) -> HttpResponse {
    let version = subscription.version;
    showing_secret(
        builder,
        version,
        CreatedWebhookSubscription {
            subscription: subscription.into(),
            secret: secret.to_owned(),
        },
    )
}

/// Opens an administrator's change of the subscription `id`: the work, the subscription, and
/// the version `If-Match` allows writing against.
async fn change(
    ctx: &Ctx,
    id: Uuid,
    if_match: IfMatch,
) -> Result<(Work, SubscriptionRecord, i32), ApiError> {
    ctx.require(Permission::OrganisationAdmin)?;
    let mut work = ctx.work(Access::Write).await?;
    let current = store::get(&mut work.tx, id).await?;
    let version = if_match.check(current.version)?;
    Ok((work, current, version))
}

/// Lists the organisation's webhook subscriptions, oldest first.
///
/// Administrators only. Secrets are never shown. Not audited.
#[utoipa::path(
    tag = "events",
    operation_id = "list_webhook_subscriptions",
    params(PageParams),
    responses((status = 200, description = "Subscriptions, oldest first", body = WebhookSubscriptionList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/webhook-subscriptions")]
pub async fn list(ctx: Ctx, page: Query<PageParams>) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::OrganisationAdmin)?;
    let page = page.request()?;
    let mut work = ctx.work(Access::Read).await?;
    let found = store::list(&mut work.tx, page).await?;
    let (items, next_cursor) = into_views(found, WebhookSubscription::from);
    work.commit(HttpResponse::Ok().json(WebhookSubscriptionList { items, next_cursor }))
        .await
}

/// Reads a webhook subscription.
///
/// Administrators only; a deleted subscription answers 404. Not audited.
#[utoipa::path(
    tag = "events",
    operation_id = "read_webhook_subscription",
    params(("id" = Uuid, Path, description = "Subscription id")),
    responses((status = 200, description = "The subscription", body = WebhookSubscription, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/webhook-subscriptions/{id}")]
pub async fn read(ctx: Ctx, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::OrganisationAdmin)?;
    let mut work = ctx.work(Access::Read).await?;
    let subscription = store::get(&mut work.tx, *id).await?;
    let version = subscription.version;
    work.commit(ok_with_etag(
        version,
        WebhookSubscription::from(subscription),
    ))
    .await
}

/// Subscribes a URL of the organisation's systems to some event types; answers its signing
/// secret, once.
///
/// Administrators only. The URL must be `https` on a public address, without credentials or
/// fragment (422 at `/url`); `events` names at least one event type, each once (422 at
/// `/events/{i}`). From the commit on, every event of those types is queued for it in the
/// transaction that records the event, and delivered signed per Standard Webhooks (the
/// document's `webhooks` section, entries `organisation.*`). The answer carries the signing
/// secret, shown this once with `Cache-Control: no-store` and not kept for an
/// `Idempotency-Key` replay. Audited as a `create` of `webhook_subscription`.
#[utoipa::path(
    tag = "events",
    operation_id = "create_webhook_subscription",
    params(crate::responses::IdempotencyKeyHeader),
    request_body = NewWebhookSubscription,
    responses(
        (status = 201, description = "The subscription and its signing secret, shown this once (`Cache-Control: no-store`)", body = CreatedWebhookSubscription, headers(("Location" = String), ("ETag" = String))),
        CreateErrors
    ),
    security(("bearer" = []))
)]
#[post("/webhook-subscriptions")]
pub async fn create(
    ctx: Ctx,
    body: Json<NewWebhookSubscription>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::OrganisationAdmin)?;
    let data = model::subscription_data(&body, true, ctx.state.settings.webhooks_allow_loopback)?;
    let mut work = ctx.work(Access::Write).await?;
    let (subscription, secret) = store::create(
        &mut work.tx,
        &ctx.state.vault,
        work.actor.org.id,
        work.actor.agent_id,
        &data,
    )
    .await?;
    work.audit(write_event(AuditAction::Create, subscription.id));
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, location(subscription.id)));
    work.commit(with_secret(&mut response, subscription, secret.expose()))
        .await
}

/// Changes a subscription: its URL, its event types, its description, or enabled.
///
/// Administrators only; a merge patch (absent keeps, `null` clears the description), checked as
/// a creation (422). `enabled: false` queues nothing more for it; what is already queued waits
/// until it is enabled again. The events of other types stop being queued from the commit on.
/// `If-Match` is required (428, 412). Audited as an `update` of `webhook_subscription`.
#[utoipa::path(
    tag = "events",
    operation_id = "update_webhook_subscription",
    params(("id" = Uuid, Path, description = "Subscription id"), crate::responses::IfMatchHeader),
    request_body = WebhookSubscriptionPatch,
    responses((status = 200, description = "The changed subscription", body = WebhookSubscription, headers(("ETag" = String))), WriteErrors),
    security(("bearer" = []))
)]
#[patch("/webhook-subscriptions/{id}")]
pub async fn update(
    ctx: Ctx,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<WebhookSubscriptionPatch>,
) -> Result<HttpResponse, ApiError> {
    let (mut work, current, version) = change(&ctx, *id, if_match).await?;
    let data = model::patched(&current, &body, ctx.state.settings.webhooks_allow_loopback)?;
    let changed = store::update(&mut work.tx, current.id, version, &data).await?;
    work.audit(write_event(AuditAction::Update, changed.id));
    let version = changed.version;
    work.commit(ok_with_etag(version, WebhookSubscription::from(changed)))
        .await
}

/// Issues a new signing secret, answered once; every attempt from now on is signed with it.
///
/// Administrators only; no body, `If-Match` required (428, 412). The new secret is answered once,
/// with `Cache-Control: no-store`, and not kept for an `Idempotency-Key` replay; retries of
/// messages queued earlier are signed with it too. Audited as an `update` of
/// `webhook_subscription` with the reason `secret rotated`.
#[utoipa::path(
    tag = "events",
    operation_id = "rotate_webhook_subscription_secret",
    params(
        ("id" = Uuid, Path, description = "Subscription id"),
        crate::responses::IfMatchHeader,
        crate::responses::IdempotencyKeyHeader
    ),
    responses(
        (status = 200, description = "The subscription and its new signing secret, shown this once (`Cache-Control: no-store`)", body = CreatedWebhookSubscription, headers(("ETag" = String))),
        WriteErrors
    ),
    security(("bearer" = []))
)]
#[post("/webhook-subscriptions/{id}/secret")]
pub async fn rotate_secret(
    ctx: Ctx,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (mut work, current, version) = change(&ctx, *id, if_match).await?;
    let (subscription, secret) =
        store::rotate_secret(&mut work.tx, &ctx.state.vault, current.id, version).await?;
    work.audit(write_event(AuditAction::Update, subscription.id).because(Some("secret rotated")));
    work.commit(with_secret(
        &mut HttpResponse::Ok(),
        subscription,
        secret.expose(),
    ))
    .await
}

/// Deletes a subscription: nothing more is queued or delivered to it.
///
/// Administrators only; `If-Match` required (428, 412). Its deliveries still pending are given up
/// (`failed`); the subscription answers 404 from now on. Audited as a `delete` of
/// `webhook_subscription`.
#[utoipa::path(
    tag = "events",
    operation_id = "delete_webhook_subscription",
    params(("id" = Uuid, Path, description = "Subscription id"), crate::responses::IfMatchHeader),
    responses((status = 204, description = "Deleted"), WriteErrors),
    security(("bearer" = []))
)]
#[delete("/webhook-subscriptions/{id}")]
pub async fn remove(
    ctx: Ctx,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (mut work, current, version) = change(&ctx, *id, if_match).await?;
    store::delete(&mut work.tx, current.id, version, work.actor.agent_id).await?;
    work.audit(write_event(AuditAction::Delete, current.id));
    work.commit(HttpResponse::NoContent().finish()).await
}

/// Lists a subscription's deliveries with their attempts, newest first.
///
/// Administrators only (404 for a subscription of another organisation or deleted). Filter by
/// `status` (`pending`, `delivered`, `failed`). Payloads hold identifiers, codes and dates only:
/// reading the log is not audited.
#[utoipa::path(
    tag = "events",
    operation_id = "list_webhook_subscription_deliveries",
    params(("id" = Uuid, Path, description = "Subscription id"), ListParams, PageParams),
    responses((status = 200, description = "Deliveries, newest first, each with its attempts", body = SubscriptionDeliveryList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/webhook-subscriptions/{id}/deliveries")]
pub async fn list_deliveries(
    ctx: Ctx,
    id: web::Path<Uuid>,
    params: Query<ListParams>,
    page: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    deliveries::list_of(
        ctx,
        Owner::Subscription(*id),
        &params,
        &page,
        SubscriptionDelivery::from,
        |items, next_cursor| SubscriptionDeliveryList { items, next_cursor },
    )
    .await
}

/// Queues a subscription's delivery again now, with a new 3-day retry window.
///
/// Administrators only (404 for a subscription or delivery of another organisation). A delivered
/// or failed delivery becomes pending again, due now; its earlier attempts stay in the log. A
/// delivery still pending is refused (409 `delivery_pending`). Audited as an `update` of
/// `webhook_delivery` with the reason `redeliver`.
#[utoipa::path(
    tag = "events",
    operation_id = "redeliver_webhook_subscription_delivery",
    params(SubscriptionDeliveryPath, crate::responses::IdempotencyKeyHeader),
    responses(
        (status = 202, description = "Queued: the dispatcher delivers it shortly (a disabled subscription's deliveries wait until it is enabled)", body = SubscriptionDelivery),
        CreateErrors
    ),
    security(("bearer" = []))
)]
#[post("/webhook-subscriptions/{id}/deliveries/{did}/redeliver")]
pub async fn redeliver(
    ctx: Ctx,
    path: web::Path<SubscriptionDeliveryPath>,
) -> Result<HttpResponse, ApiError> {
    deliveries::redeliver_of(
        ctx,
        Owner::Subscription(path.id),
        path.did,
        SubscriptionDelivery::from,
    )
    .await
}
