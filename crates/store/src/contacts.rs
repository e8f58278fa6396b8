//! Contacts of a case (planned or held), group sessions, and the retention clock they move.
//!
//! Every held contact moves the case's and the person's `last_contact_at` forward
//! ([`touch_last_contact`]) in the caller's transaction, and each contact written is an event
//! of the case timeline — without its summary or private note. A held first interview moves an
//! `intake` case to `assessment` ([`move_to_assessment`]) in the same transaction.

use chrono::{DateTime, Utc};
use relais_domain::{CaseStatus, ContactKind};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::code::Code;
use crate::error::single;
use crate::page::{Page, PageRequest};
use crate::version::{Versioned, stale_or_missing};

/// A contact as stored. The API shows `private_note` to its author only.
#[derive(Debug, Clone)]
pub struct ContactRecord {
    pub id: Uuid,
    pub case_id: Uuid,
    pub kind: ContactKind,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub participants: Vec<String>,
    pub summary: Option<String>,
    pub private_note: Option<String>,
    pub author_id: Uuid,
    pub outcome: Option<String>,
    pub group_session_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl ContactRecord {
    /// Planned: no `occurred_at` yet.
    pub fn is_planned(&self) -> bool {
        self.occurred_at.is_none()
    }
}

/// What a new contact needs; exactly one of the two times is set.
#[derive(Debug, Clone)]
pub struct NewContact<'a> {
    pub kind: ContactKind,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub participants: &'a [String],
    pub summary: Option<&'a str>,
    pub private_note: Option<&'a str>,
    pub outcome: Option<&'a str>,
}

/// Records a contact of a case, with its timeline event (no summary, no note).
#[tracing::instrument(level = "debug", skip_all, fields(case_id = %case_id))]
pub async fn create(
    conn: &mut PgConnection,
    org_id: Uuid,
    author_id: Uuid,
    case_id: Uuid,
    new: &NewContact<'_>,
) -> Result<ContactRecord, StoreError> {
    insert(conn, org_id, author_id, case_id, new, None).await
}

/// Writes a contact and its timeline event in one statement, and answers it as written.
async fn insert(
    conn: &mut PgConnection,
    org_id: Uuid,
    author_id: Uuid,
    case_id: Uuid,
    new: &NewContact<'_>,
    group_session_id: Option<Uuid>,
) -> Result<ContactRecord, StoreError> {
    let id = Uuid::now_v7();
    Ok(sqlx::query_as!(
        ContactRecord,
        r#"
        WITH k AS (
            INSERT INTO contacts (id, org_id, case_id, kind, scheduled_at, occurred_at,
                                  participants, summary, private_note, author_id, outcome,
                                  group_session_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            RETURNING *
        ),
        e AS (
            INSERT INTO case_events (id, org_id, case_id, actor_id, kind, data)
            SELECT $13, $2, k.case_id, $10, 'contact_created', $14
            FROM k
        )
        SELECT id AS "id!", case_id AS "case_id!", kind AS "kind!: Code<ContactKind>",
               scheduled_at, occurred_at, participants AS "participants!", summary,
               private_note, author_id AS "author_id!", outcome, group_session_id,
               created_at AS "created_at!", updated_at AS "updated_at!", version AS "version!"
        FROM k
        "#,
        id,
        org_id,
        case_id,
        new.kind.code(),
        new.scheduled_at,
        new.occurred_at,
        new.participants,
        new.summary,
        new.private_note,
        author_id,
        new.outcome,
        group_session_id,
        Uuid::now_v7(),
        serde_json::json!({
            "contact_id": id,
            "contact_kind": new.kind.code(),
            "scheduled_at": new.scheduled_at,
            "occurred_at": new.occurred_at,
            "group_session_id": group_session_id,
        })
    )
    .fetch_one(conn)
    .await?)
}

/// One contact of a case.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(
    conn: &mut PgConnection,
    case_id: Uuid,
    id: Uuid,
) -> Result<ContactRecord, StoreError> {
    single(read(conn, case_id, Some(id), ContactFilter::default(), None, 1).await?)
}

/// Filters of a case's contact list.
#[derive(Debug, Clone, Copy, Default)]
pub struct ContactFilter {
    pub kind: Option<ContactKind>,
    /// `Some(true)`: planned only; `Some(false)`: held only.
    pub planned: Option<bool>,
}

/// A case's contacts, newest first (held time, else planned time; then id).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    case_id: Uuid,
    filter: ContactFilter,
    page: PageRequest,
) -> Result<Page<ContactRecord>, StoreError> {
    let rows = read(conn, case_id, None, filter, page.after, page.fetch_limit()).await?;
    Ok(Page::from_rows(rows, page.limit, |c| c.id))
}

/// The one read of contacts: a case's, newest first, filtered, after the contact `after`, at
/// most `limit` of them, or only the contact `id`.
async fn read(
    conn: &mut PgConnection,
    case_id: Uuid,
    id: Option<Uuid>,
    filter: ContactFilter,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ContactRecord>, StoreError> {
    Ok(sqlx::query_as!(
        ContactRecord,
        r#"
        SELECT id, case_id, kind AS "kind: Code<ContactKind>", scheduled_at, occurred_at,
               participants, summary, private_note, author_id, outcome, group_session_id,
               created_at, updated_at, version
        FROM contacts k
        WHERE case_id = $1
          AND ($6::uuid IS NULL OR id = $6)
          AND ($2::text IS NULL OR kind = $2)
          AND ($3::bool IS NULL OR (occurred_at IS NULL) = $3)
          AND ($4::uuid IS NULL
               OR (coalesce(occurred_at, scheduled_at), id) < (
                   SELECT coalesce(a.occurred_at, a.scheduled_at), a.id
                   FROM contacts a
                   WHERE a.id = $4 AND a.case_id = $1
               ))
        ORDER BY coalesce(occurred_at, scheduled_at) DESC, id DESC
        LIMIT $5
        "#,
        case_id,
        filter.kind.map(ContactKind::code),
        filter.planned,
        after,
        limit,
        id
    )
    .fetch_all(conn)
    .await?)
}

/// A contact's state after a `PATCH` (every field given, merged by the caller).
#[derive(Debug, Clone)]
pub struct ContactUpdate<'a> {
    pub occurred_at: Option<DateTime<Utc>>,
    pub participants: &'a [String],
    pub summary: Option<&'a str>,
    pub private_note: Option<&'a str>,
    pub outcome: Option<&'a str>,
}

/// Writes a contact's new state when its version is `expected_version`, with a timeline event.
#[tracing::instrument(level = "debug", skip_all, fields(contact_id = %id))]
pub async fn update(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    case_id: Uuid,
    id: Uuid,
    expected_version: i32,
    change: &ContactUpdate<'_>,
) -> Result<ContactRecord, StoreError> {
    // One statement writes the contact and its timeline event, and answers it as written.
    let written = sqlx::query_as!(
        ContactRecord,
        r#"
        WITH k AS (
            UPDATE contacts
            SET occurred_at = $4, participants = $5, summary = $6, private_note = $7, outcome = $8,
                updated_at = now(), version = version + 1
            WHERE id = $1 AND case_id = $2 AND version = $3
            RETURNING *
        ),
        e AS (
            INSERT INTO case_events (id, org_id, case_id, actor_id, kind, data)
            SELECT $9, $10, k.case_id, $11, 'contact_updated',
                   jsonb_build_object('contact_id', k.id, 'contact_kind', k.kind,
                                      'occurred_at', k.occurred_at)
            FROM k
        )
        SELECT id AS "id!", case_id AS "case_id!", kind AS "kind!: Code<ContactKind>",
               scheduled_at, occurred_at, participants AS "participants!", summary,
               private_note, author_id AS "author_id!", outcome, group_session_id,
               created_at AS "created_at!", updated_at AS "updated_at!", version AS "version!"
        FROM k
        "#,
        id,
        case_id,
        expected_version,
        change.occurred_at,
        change.participants,
        change.summary,
        change.private_note,
        change.outcome,
        Uuid::now_v7(),
        org_id,
        actor_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    match written {
        Some(contact) => Ok(contact),
        None => Err(stale_or_missing(conn, Versioned::Contact { case_id, id }).await),
    }
}

/// Moves the case's and the person's `last_contact_at` forward to `at` (never back): the
/// retention clock counts from the latest held contact.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn touch_last_contact(
    conn: &mut PgConnection,
    case_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query!(
        r#"
        WITH c AS (
            UPDATE cases
            SET last_contact_at = GREATEST(last_contact_at, $2)
            WHERE id = $1
            RETURNING person_id
        )
        UPDATE persons p
        SET last_contact_at = GREATEST(p.last_contact_at, $2)
        FROM c
        WHERE p.id = c.person_id
        "#,
        case_id,
        at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves an `intake` case to `assessment` after its first interview was held, with the
/// transition event in its timeline. `to` comes from
/// [`relais_domain::status_after_held`] (the case state machine). Does nothing when the case
/// has already left `intake` (a concurrent change).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn move_to_assessment(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    case_id: Uuid,
    contact_id: Uuid,
    to: CaseStatus,
) -> Result<(), StoreError> {
    sqlx::query!(
        r#"
        WITH c AS (
            UPDATE cases
            SET status = $2, updated_at = now(), version = version + 1
            WHERE id = $1 AND status = 'intake'
            RETURNING id
        )
        INSERT INTO case_events (id, org_id, case_id, actor_id, kind, from_status, to_status,
                                 reason, data)
        SELECT $3, $4, c.id, $5, 'transition', 'intake', $2, 'Premier entretien tenu',
               jsonb_build_object('contact_id', $6::uuid)
        FROM c
        "#,
        case_id,
        to.code(),
        Uuid::now_v7(),
        org_id,
        actor_id,
        contact_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A group session as stored, with the cases it is linked to.
#[derive(Debug, Clone)]
pub struct GroupSessionRecord {
    pub id: Uuid,
    pub topic: String,
    pub occurred_at: DateTime<Utc>,
    pub summary: Option<String>,
    pub author_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub case_ids: Vec<Uuid>,
}

/// What a new group session needs.
#[derive(Debug, Clone)]
pub struct NewGroupSession<'a> {
    pub topic: &'a str,
    pub occurred_at: DateTime<Utc>,
    pub summary: Option<&'a str>,
    /// Distinct cases, already checked visible and open to contacts.
    pub case_ids: &'a [Uuid],
}

/// Records a held group session and one `group_session` contact per case (each with its
/// timeline event), and moves each case's and person's `last_contact_at`.
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
        INSERT INTO group_sessions (id, org_id, topic, occurred_at, summary, author_id)
        VALUES ($1, $2, $3, $4, $5, $6)
        RETURNING created_at
        "#,
        id,
        org_id,
        new.topic,
        new.occurred_at,
        new.summary,
        author_id
    )
    .fetch_one(&mut *conn)
    .await?;
    for &case_id in new.case_ids {
        let contact = NewContact {
            kind: ContactKind::GroupSession,
            scheduled_at: None,
            occurred_at: Some(new.occurred_at),
            participants: &[],
            summary: new.summary,
            private_note: None,
            outcome: None,
        };
        insert(conn, org_id, author_id, case_id, &contact, Some(id)).await?;
        touch_last_contact(conn, case_id, new.occurred_at).await?;
    }
    Ok(GroupSessionRecord {
        id,
        topic: new.topic.to_owned(),
        occurred_at: new.occurred_at,
        summary: new.summary.map(str::to_owned),
        author_id,
        created_at,
        case_ids: new.case_ids.to_vec(),
    })
}
