//! Group sessions: one session row, and one `group_session` contact in each case it concerns —
//! held for a case whose person attended, `no_show` (at the session's time) for one who did not.

use chrono::{DateTime, Utc};
use relais_domain::{ContactStatus, attendance_status};
use sqlx::PgConnection;
use uuid::Uuid;

use super::touch_last_contacts;
use crate::StoreError;

/// One case of a group session, and whether its person attended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionCase {
    pub case_id: Uuid,
    pub attended: bool,
}

/// A group session as stored, with the cases it is linked to.
#[derive(Debug, Clone)]
pub struct GroupSessionRecord {
    pub id: Uuid,
    pub topic: String,
    pub place: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub summary: Option<String>,
    pub author_id: Uuid,
    pub created_at: DateTime<Utc>,
    /// In the request's order.
    pub participants: Vec<SessionCase>,
}

/// What a new group session needs.
#[derive(Debug, Clone)]
pub struct NewGroupSession<'a> {
    pub topic: &'a str,
    pub place: Option<&'a str>,
    pub occurred_at: DateTime<Utc>,
    pub summary: Option<&'a str>,
    /// Distinct cases, already checked visible and open to contacts.
    pub participants: &'a [SessionCase],
}

/// Records a held group session and one `group_session` contact per case (each with its
/// timeline event) — held, or `no_show` for a case whose person did not attend — and moves the
/// `last_contact_at` of the attending cases and their persons. Three statements whatever the
/// number of cases.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_group_session(
    conn: &mut PgConnection,
    org_id: Uuid,
    author_id: Uuid,
    new: &NewGroupSession<'_>,
) -> Result<GroupSessionRecord, StoreError> {
    let id = Uuid::now_v7();
    let created_at = sqlx::query_scalar!(
        r#"
        INSERT INTO group_sessions (id, org_id, topic, place, occurred_at, summary, author_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        RETURNING created_at
        "#,
        id,
        org_id,
        new.topic,
        new.place,
        new.occurred_at,
        new.summary,
        author_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let case_ids: Vec<Uuid> = new.participants.iter().map(|p| p.case_id).collect();
    let statuses: Vec<&str> = new
        .participants
        .iter()
        .map(|p| attendance_status(p.attended).code())
        .collect();
    let contact_ids: Vec<Uuid> = new.participants.iter().map(|_| Uuid::now_v7()).collect();
    let event_ids: Vec<Uuid> = new.participants.iter().map(|_| Uuid::now_v7()).collect();
    // A held contact has its time as held; a missed one keeps it as its planned time.
    sqlx::query!(
        r#"
        WITH i AS (
            SELECT *
            FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[])
                AS i(contact_id, case_id, status, event_id)
        ),
        k AS (
            INSERT INTO contacts (id, org_id, case_id, kind, scheduled_at, occurred_at, summary,
                                  author_id, group_session_id, status)
            SELECT i.contact_id, $5, i.case_id, 'group_session',
                   CASE WHEN i.status <> $9 THEN $6::timestamptz END,
                   CASE WHEN i.status = $9 THEN $6::timestamptz END,
                   $7, $8, $10, i.status
            FROM i
            RETURNING id, case_id, kind, status, scheduled_at, occurred_at
        )
        INSERT INTO case_events (id, org_id, case_id, actor_id, kind, data)
        SELECT i.event_id, $5, k.case_id, $8, 'contact_created',
               jsonb_build_object('contact_id', k.id, 'contact_kind', k.kind,
                                  'status', k.status, 'scheduled_at', k.scheduled_at,
                                  'occurred_at', k.occurred_at, 'group_session_id', $10::uuid)
        FROM k
        JOIN i ON i.contact_id = k.id
        "#,
        &contact_ids,
        &case_ids,
        &statuses as &[&str],
        &event_ids,
        org_id,
        new.occurred_at,
        new.summary,
        author_id,
        ContactStatus::Held.code(),
        id
    )
    .execute(&mut *conn)
    .await?;
    let attending: Vec<Uuid> = new
        .participants
        .iter()
        .filter(|p| p.attended)
        .map(|p| p.case_id)
        .collect();
    touch_last_contacts(conn, &attending, new.occurred_at).await?;
    Ok(GroupSessionRecord {
        id,
        topic: new.topic.to_owned(),
        place: new.place.map(str::to_owned),
        occurred_at: new.occurred_at,
        summary: new.summary.map(str::to_owned),
        author_id,
        created_at,
        participants: new.participants.to_vec(),
    })
}
