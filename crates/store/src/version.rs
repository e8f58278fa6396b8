//! Optimistic concurrency: why a write guarded by a version touched no row.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;

/// A row whose writes are guarded by its version, by its key.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Versioned {
    Person(Uuid),
    Case(Uuid),
    PlanItem { case_id: Uuid, id: Uuid },
    Contact { case_id: Uuid, id: Uuid },
    Partner(Uuid),
    WebhookSubscription(Uuid),
    Scheme(Uuid),
    Agent(Uuid),
    LetterTemplate(Uuid),
}

/// After a write guarded by a version matched no row: [`StoreError::VersionMismatch`] when the
/// row exists (its version moved on), [`StoreError::NotFound`] when it does not (row-level
/// security hides another organisation's). One statement for every table: only the branch of
/// the named table runs.
pub(crate) async fn stale_or_missing(conn: &mut PgConnection, row: Versioned) -> StoreError {
    let (table, id, case_id) = match row {
        Versioned::Person(id) => ("persons", id, None),
        Versioned::Case(id) => ("cases", id, None),
        Versioned::PlanItem { case_id, id } => ("plan_items", id, Some(case_id)),
        Versioned::Contact { case_id, id } => ("contacts", id, Some(case_id)),
        Versioned::Partner(id) => ("partners", id, None),
        Versioned::WebhookSubscription(id) => ("webhook_subscriptions", id, None),
        Versioned::Scheme(id) => ("schemes", id, None),
        Versioned::Agent(id) => ("agents", id, None),
        Versioned::LetterTemplate(id) => ("letter_templates", id, None),
    };
    let exists = sqlx::query_scalar!(
        r#"
        SELECT CASE $1::text
                   WHEN 'persons' THEN EXISTS (SELECT 1 FROM persons WHERE id = $2)
                   WHEN 'cases' THEN EXISTS (SELECT 1 FROM cases WHERE id = $2)
                   WHEN 'plan_items'
                       THEN EXISTS (SELECT 1 FROM plan_items WHERE id = $2 AND case_id = $3)
                   WHEN 'contacts'
                       THEN EXISTS (SELECT 1 FROM contacts WHERE id = $2 AND case_id = $3)
                   WHEN 'partners' THEN EXISTS (SELECT 1 FROM partners WHERE id = $2)
                   WHEN 'webhook_subscriptions'
                       THEN EXISTS (SELECT 1 FROM webhook_subscriptions
                                     WHERE id = $2 AND deleted_at IS NULL)
                   WHEN 'schemes' THEN EXISTS (SELECT 1 FROM schemes WHERE id = $2)
                   WHEN 'agents' THEN EXISTS (SELECT 1 FROM agents WHERE id = $2)
                   WHEN 'letter_templates'
                       THEN EXISTS (SELECT 1 FROM letter_templates WHERE id = $2)
                   ELSE false
               END AS "exists!"
        "#,
        table,
        id,
        case_id
    )
    .fetch_one(conn)
    .await;
    match exists {
        Ok(true) => StoreError::VersionMismatch,
        Ok(false) => StoreError::NotFound,
        Err(err) => err.into(),
    }
}
