//! Contacts of a case (planned, held, cancelled or missed), group sessions ([`sessions`]), and
//! the retention clock they move.
//!
//! Every held contact moves the case's and the person's `last_contact_at` forward
//! ([`touch_last_contact`]) in the caller's transaction, and each contact written is an event
//! of the case timeline — without its summary or private note. A held first interview moves an
//! `intake` case to `assessment` ([`move_to_assessment`]) in the same transaction. A cancelled
//! or missed contact moves nothing: it only leaves the agenda (the database's triggers).

mod sessions;

use chrono::{DateTime, Utc};
use relais_domain::{CaseStatus, ContactKind, ContactStatus};
use sqlx::PgConnection;
use uuid::Uuid;

pub use sessions::{GroupSessionRecord, NewGroupSession, SessionCase, create_group_session};

use crate::StoreError;
use crate::code::Code;
use crate::db::plan_for_values;
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
    pub status: ContactStatus,
    /// Why a cancelled or missed contact did not take place, when given.
    pub outcome_reason: Option<String>,
    /// The group session's topic and place, when the contact belongs to one.
    pub group_session_topic: Option<String>,
    pub group_session_place: Option<String>,
}

impl ContactRecord {
    /// Planned: no outcome recorded yet.
    pub fn is_planned(&self) -> bool {
        self.status.is_planned()
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
    // Held when it has a held time, planned otherwise (the outcome of a planned one comes
    // later, through `record_outcome`).
    let status = if new.occurred_at.is_some() {
        ContactStatus::Held
    } else {
        ContactStatus::Planned
    };
    let id = Uuid::now_v7();
    Ok(sqlx::query_as!(
        ContactRecord,
        r#"
        WITH k AS (
            INSERT INTO contacts (id, org_id, case_id, kind, scheduled_at, occurred_at,
                                  participants, summary, private_note, author_id, outcome,
                                  status)
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
               created_at AS "created_at!", updated_at AS "updated_at!", version AS "version!",
               status AS "status!: Code<ContactStatus>", outcome_reason,
               NULL::text AS "group_session_topic?", NULL::text AS "group_session_place?"
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
        status.code(),
        Uuid::now_v7(),
        serde_json::json!({
            "contact_id": id,
            "contact_kind": new.kind.code(),
            "status": status.code(),
            "scheduled_at": new.scheduled_at,
            "occurred_at": new.occurred_at,
            "group_session_id": null,
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
    single(read(conn, case_id, Some(id), &ContactFilter::default(), None, 1).await?)
}

/// Filters of a case's contact list.
#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    pub kind: Option<ContactKind>,
    /// Only contacts with one of these statuses; empty: every status.
    pub statuses: Vec<ContactStatus>,
}

/// A case's contacts, newest first (held time, else planned time; then id).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    case_id: Uuid,
    filter: &ContactFilter,
    page: PageRequest,
) -> Result<Page<ContactRecord>, StoreError> {
    // Planned for the values: a status filter reads its range of the case's statuses' index.
    plan_for_values(&mut *conn).await?;
    let rows = read(conn, case_id, None, filter, page.after, page.fetch_limit()).await?;
    Ok(Page::from_rows(rows, page.limit, |c| c.id))
}

/// The one read of contacts: a case's, newest first, filtered, after the contact `after`, at
/// most `limit` of them, or only the contact `id`.
async fn read(
    conn: &mut PgConnection,
    case_id: Uuid,
    id: Option<Uuid>,
    filter: &ContactFilter,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ContactRecord>, StoreError> {
    let statuses: Vec<&str> = filter.statuses.iter().map(|s| s.code()).collect();
    Ok(sqlx::query_as!(
        ContactRecord,
        r#"
        SELECT k.id, k.case_id, k.kind AS "kind: Code<ContactKind>", k.scheduled_at,
               k.occurred_at, k.participants, k.summary, k.private_note, k.author_id, k.outcome,
               k.group_session_id, k.created_at, k.updated_at, k.version,
               k.status AS "status: Code<ContactStatus>", k.outcome_reason,
               g.topic AS "group_session_topic?", g.place AS "group_session_place?"
        FROM contacts k
        LEFT JOIN group_sessions g ON g.id = k.group_session_id
        WHERE k.case_id = $1
          AND ($6::uuid IS NULL OR k.id = $6)
          AND ($2::text IS NULL OR k.kind = $2)
          AND (cardinality($3::text[]) = 0 OR k.status = ANY($3))
          AND ($4::uuid IS NULL
               OR (coalesce(k.occurred_at, k.scheduled_at), k.id) < (
                   SELECT coalesce(a.occurred_at, a.scheduled_at), a.id
                   FROM contacts a
                   WHERE a.id = $4 AND a.case_id = $1
               ))
        ORDER BY coalesce(k.occurred_at, k.scheduled_at) DESC, k.id DESC
        LIMIT $5
        "#,
        case_id,
        filter.kind.map(ContactKind::code),
        &statuses as &[&str],
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
    /// `held` once `occurred_at` is set; unchanged otherwise.
    pub status: ContactStatus,
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
                status = $12, updated_at = now(), version = version + 1
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
        SELECT k.id AS "id!", k.case_id AS "case_id!", k.kind AS "kind!: Code<ContactKind>",
               k.scheduled_at, k.occurred_at, k.participants AS "participants!", k.summary,
               k.private_note, k.author_id AS "author_id!", k.outcome, k.group_session_id,
               k.created_at AS "created_at!", k.updated_at AS "updated_at!",
               k.version AS "version!", k.status AS "status!: Code<ContactStatus>",
               k.outcome_reason, g.topic AS "group_session_topic?",
               g.place AS "group_session_place?"
        FROM k
        LEFT JOIN group_sessions g ON g.id = k.group_session_id
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
        actor_id,
        change.status.code()
    )
    .fetch_optional(&mut *conn)
    .await?;
    match written {
        Some(contact) => Ok(contact),
        None => Err(stale_or_missing(conn, Versioned::Contact { case_id, id }).await),
    }
}

/// The outcome of a planned contact, checked by [`relais_domain::ContactOutcome`].
#[derive(Debug, Clone)]
pub struct OutcomeChange<'a> {
    pub status: ContactStatus,
    /// Set for `held` only.
    pub occurred_at: Option<DateTime<Utc>>,
    /// For `cancelled` and `no_show` only.
    pub reason: Option<&'a str>,
    /// `Some`: the new summary (`Some(None)` clears it); `None` keeps it.
    pub summary: Option<Option<&'a str>>,
}

/// Records the outcome of a contact whose version is `expected_version`, with a
/// `contact_outcome` event in the case's timeline (its `reason` the outcome's).
#[tracing::instrument(level = "debug", skip_all, fields(contact_id = %id))]
pub async fn record_outcome(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    case_id: Uuid,
    id: Uuid,
    expected_version: i32,
    change: &OutcomeChange<'_>,
) -> Result<ContactRecord, StoreError> {
    let written = sqlx::query_as!(
        ContactRecord,
        r#"
        WITH k AS (
            UPDATE contacts
            SET status = $4, occurred_at = $5, outcome_reason = $6,
                summary = CASE WHEN $7 THEN $8 ELSE summary END,
                updated_at = now(), version = version + 1
            WHERE id = $1 AND case_id = $2 AND version = $3
            RETURNING *
        ),
        e AS (
            INSERT INTO case_events (id, org_id, case_id, actor_id, kind, reason, data)
            SELECT $9, $10, k.case_id, $11, 'contact_outcome', k.outcome_reason,
                   jsonb_build_object('contact_id', k.id, 'contact_kind', k.kind,
                                      'status', k.status, 'scheduled_at', k.scheduled_at,
                                      'occurred_at', k.occurred_at,
                                      'group_session_id', k.group_session_id)
            FROM k
        )
        SELECT k.id AS "id!", k.case_id AS "case_id!", k.kind AS "kind!: Code<ContactKind>",
               k.scheduled_at, k.occurred_at, k.participants AS "participants!", k.summary,
               k.private_note, k.author_id AS "author_id!", k.outcome, k.group_session_id,
               k.created_at AS "created_at!", k.updated_at AS "updated_at!",
               k.version AS "version!", k.status AS "status!: Code<ContactStatus>",
               k.outcome_reason, g.topic AS "group_session_topic?",
               g.place AS "group_session_place?"
        FROM k
        LEFT JOIN group_sessions g ON g.id = k.group_session_id
        "#,
        id,
        case_id,
        expected_version,
        change.status.code(),
        change.occurred_at,
        change.reason,
        change.summary.is_some(),
        change.summary.flatten(),
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
    touch_last_contacts(conn, &[case_id], at).await
}

/// [`touch_last_contact`] for several cases in one statement.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn touch_last_contacts(
    conn: &mut PgConnection,
    case_ids: &[Uuid],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    if case_ids.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        r#"
        WITH c AS (
            UPDATE cases
            SET last_contact_at = GREATEST(last_contact_at, $2)
            WHERE id = ANY($1)
            RETURNING person_id
        )
        UPDATE persons p
        SET last_contact_at = GREATEST(p.last_contact_at, $2)
        FROM (SELECT DISTINCT person_id FROM c) AS c
        WHERE p.id = c.person_id
        "#,
        case_ids,
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
