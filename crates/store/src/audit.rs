//! The audit trail: one append-only event per access to personal data.
//!
//! Events are inserted in the caller's transaction, so a change and its event commit
//! together; read transactions commit without waiting for the disk (see [`crate::db::Access`]).

use chrono::{DateTime, Utc};
use relais_domain::{AuditAction, AuditResource};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::code::Code;
use crate::page::{Page, PageRequest};

/// Who acted, as recorded in every event.
#[derive(Debug, Clone)]
pub struct AuditActor<'a> {
    pub org_id: Uuid,
    pub agent_id: Option<Uuid>,
    pub subject: &'a str,
    pub request_id: Option<&'a str>,
}

/// One access to record: what was done to which kind of record, about whom, and why (the
/// reason given to read an archived case or reveal a masked value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    pub action: AuditAction,
    pub resource: AuditResource,
    pub resource_id: Option<Uuid>,
    pub person_id: Option<Uuid>,
    pub reason: Option<String>,
}

impl NewAuditEvent {
    /// `action` on the record `resource_id` of kind `resource`.
    pub fn new(
        action: AuditAction,
        resource: AuditResource,
        resource_id: impl Into<Option<Uuid>>,
    ) -> Self {
        Self {
            action,
            resource,
            resource_id: resource_id.into(),
            person_id: None,
            reason: None,
        }
    }

    /// The person whose data the record is.
    #[must_use]
    pub fn about(mut self, person_id: impl Into<Option<Uuid>>) -> Self {
        self.person_id = person_id.into();
        self
    }

    /// The reason the caller gave, if any.
    #[must_use]
    pub fn because(mut self, reason: Option<&str>) -> Self {
        self.reason = reason.map(str::to_owned);
        self
    }
}

/// A recorded event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditEvent {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_subject: String,
    pub action: AuditAction,
    pub resource_type: AuditResource,
    pub resource_id: Option<Uuid>,
    pub person_id: Option<Uuid>,
    pub reason: Option<String>,
    pub request_id: Option<String>,
}

/// Appends events, all in one statement whatever their number (a list read audits each
/// person it shows).
#[tracing::instrument(level = "debug", skip_all, fields(count = events.len()))]
pub async fn record(
    conn: &mut PgConnection,
    actor: &AuditActor<'_>,
    events: &[NewAuditEvent],
) -> Result<(), StoreError> {
    match events {
        [] => return Ok(()),
        [event] => return record_one(conn, actor, event).await,
        _ => {}
    }
    // Parallel arrays unnested into rows: one static, checked statement for any count.
    let mut ids = Vec::with_capacity(events.len());
    let mut actions = Vec::with_capacity(events.len());
    let mut resource_types = Vec::with_capacity(events.len());
    let mut resource_ids = Vec::with_capacity(events.len());
    let mut person_ids = Vec::with_capacity(events.len());
    let mut reasons = Vec::with_capacity(events.len());
    for event in events {
        ids.push(Uuid::now_v7());
        actions.push(event.action.code().to_owned());
        resource_types.push(event.resource.code().to_owned());
        resource_ids.push(event.resource_id);
        person_ids.push(event.person_id);
        reasons.push(event.reason.clone());
    }
    sqlx::query!(
        r#"
        INSERT INTO audit_events (id, org_id, actor_id, actor_subject, action, resource_type,
                                  resource_id, person_id, reason, request_id)
        SELECT e.id, $1, $2, $3, e.action, e.resource_type, e.resource_id, e.person_id,
               e.reason, $4
        FROM UNNEST($5::uuid[], $6::text[], $7::text[], $8::uuid[], $9::uuid[], $10::text[])
             AS e (id, action, resource_type, resource_id, person_id, reason)
        "#,
        actor.org_id,
        actor.agent_id,
        actor.subject,
        actor.request_id,
        &ids,
        &actions,
        &resource_types,
        &resource_ids as &[Option<Uuid>],
        &person_ids as &[Option<Uuid>],
        &reasons as &[Option<String>],
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The usual case, one event: a plain row costs the database less than unnesting arrays.
async fn record_one(
    conn: &mut PgConnection,
    actor: &AuditActor<'_>,
    event: &NewAuditEvent,
) -> Result<(), StoreError> {
    sqlx::query!(
        r#"
        INSERT INTO audit_events (id, org_id, actor_id, actor_subject, action, resource_type,
                                  resource_id, person_id, reason, request_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        "#,
        Uuid::now_v7(),
        actor.org_id,
        actor.agent_id,
        actor.subject,
        event.action.code(),
        event.resource.code(),
        event.resource_id,
        event.person_id,
        event.reason.as_deref(),
        actor.request_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Filters of `GET /v1/audit-events`.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub person_id: Option<Uuid>,
    /// One kind of event (`access_denied`…).
    pub action: Option<AuditAction>,
    pub actor_id: Option<Uuid>,
    pub actor_subject: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Lists events, newest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    conn: &mut PgConnection,
    filter: &AuditFilter,
    page: PageRequest,
) -> Result<Page<AuditEvent>, StoreError> {
    let rows = sqlx::query_as!(
        AuditEvent,
        r#"
        SELECT id, at, actor_id, actor_subject, action AS "action: Code<AuditAction>",
               resource_type AS "resource_type: Code<AuditResource>", resource_id, person_id,
               reason, request_id
        FROM audit_events
        WHERE ($1::uuid IS NULL OR person_id = $1)
          AND ($2::uuid IS NULL OR actor_id = $2)
          AND ($3::text IS NULL OR actor_subject = $3)
          AND ($4::timestamptz IS NULL OR at >= $4)
          AND ($5::timestamptz IS NULL OR at < $5)
          AND ($6::uuid IS NULL OR id < $6)
          AND ($8::text IS NULL OR action = $8)
        ORDER BY id DESC
        LIMIT $7
        "#,
        filter.person_id,
        filter.actor_id,
        filter.actor_subject.as_deref(),
        filter.from,
        filter.to,
        page.after,
        page.fetch_limit(),
        filter.action.map(|a| a.code())
    )
    .fetch_all(conn)
    .await?;
    Ok(Page::from_rows(rows, page.limit, |e| e.id))
}
