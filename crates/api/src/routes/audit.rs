//! The audit log, for the data protection officer.

use actix_web::{HttpResponse, get};
use chrono::{DateTime, Utc};
use relais_domain::{AuditAction, Permission};
use relais_store::audit::{self, AuditEvent as Record, AuditFilter};
use relais_store::db::Access;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::ApiError;
use crate::extract::{Query, coded_param, parse_uuid_param};
use crate::pagination::{PageParams, into_views};
use crate::responses::ReadErrors;
use crate::routes::view_from;

/// One access to personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    /// The token subject of the actor.
    pub actor_subject: String,
    #[schema(schema_with = crate::schema::audit_action)]
    pub action: AuditAction,
    /// `person`, `person.nir`, `case`, `case.timeline`, `consent`…
    pub resource_type: String,
    pub resource_id: Option<Uuid>,
    pub person_id: Option<Uuid>,
    pub reason: Option<String>,
    pub request_id: Option<String>,
}

view_from!(Record as r => AuditEvent {
    id, at, actor_id, actor_subject, action, resource_id, person_id, reason, request_id;
    resource_type: r.resource_type.code().to_owned(),
});

/// A page of audit events.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventList {
    pub items: Vec<AuditEvent>,
    pub next_cursor: Option<String>,
}

/// Filters of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// The person's id.
    #[param(value_type = Option<Uuid>)]
    pub person_id: Option<String>,
    /// The actor: an agent id, or a token subject.
    pub actor: Option<String>,
    /// One kind of event, e.g. `access_denied` (the refused accesses).
    #[param(schema_with = crate::schema::audit_action)]
    pub action: Option<String>,
    /// From this instant (inclusive, RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Until this instant (exclusive, RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

/// The audit log, newest first (dpo only).
///
/// Only the *délégué à la protection des données* (`dpo`) may read it. Each event is one access to
/// personal data: who (`actor_id`, `actor_subject`), what (`action`, `resource_type`,
/// `resource_id`), about which person, with the reason given when one was needed and the request
/// id. Filter by `person_id`, by `actor` (an agent id or a token subject), by `action` (e.g.
/// `access_denied`: the accesses refused to agents whose role or need to know did not allow
/// them) and by a `from`/`to` window (`to` must be after `from`, else 400). Reading the log is
/// not itself audited.
#[utoipa::path(
    tag = "audit",
    operation_id = "list_audit_events",
    params(AuditParams, PageParams),
    responses((status = 200, description = "Events, newest first", body = AuditEventList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/audit-events")]
pub async fn list(
    ctx: Ctx,
    params: Query<AuditParams>,
    page: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::AuditRead)?;
    let page = page.request()?;
    if let (Some(from), Some(to)) = (params.from, params.to)
        && from >= to
    {
        return Err(ApiError::bad_query("to", "to must be after from"));
    }
    let (actor_id, actor_subject) = match params.actor.as_deref() {
        None => (None, None),
        Some(value) => match Uuid::parse_str(value) {
            Ok(id) => (Some(id), None),
            Err(_) if !value.is_empty() && value.len() <= 255 => (None, Some(value.to_owned())),
            Err(_) => {
                return Err(ApiError::bad_query(
                    "actor",
                    "actor is an agent id or a token subject",
                ));
            }
        },
    };
    let filter = AuditFilter {
        action: coded_param("action", "audit action", params.action.as_deref())?,
        person_id: params
            .person_id
            .as_deref()
            .map(|v| parse_uuid_param("person_id", v))
            .transpose()?,
        actor_id,
        actor_subject,
        from: params.from,
        to: params.to,
    };
    let mut work = ctx.work(Access::Read).await?;
    let events = audit::list(&mut work.tx, &filter, page).await?;
    let (items, next_cursor) = into_views(events, AuditEvent::from);
    work.commit(HttpResponse::Ok().json(AuditEventList { items, next_cursor }))
        .await
}
