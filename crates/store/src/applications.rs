//! Applications (dossiers de demande) of a case to a scheme: created with their checklist,
//! listed, read, locked before a change, moved through their lifecycle, corrected. Every
//! creation and status change writes its event in the case timeline in the same statement
//! (`application_created`, `application_status_changed` — with `automatic: true` when the
//! checklist moved it).
//!
//! Callers check that the case is visible and writable and apply the rules of
//! `relais_domain::application` first; the table's CHECK constraints repeat what each status
//! carries as a last guard. A change to the application or its parts starts with [`lock`], so
//! two changes of one application queue up instead of racing (the checklist's completeness, the
//! social report's numbering). The checklist, the funding plan and the social reports are in
//! the submodules.

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::application::{Decision, StatusChange};
use relais_domain::{ApplicationDecision, ApplicationStatus, DocumentProvider};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::code::Code;
use crate::error::{on_constraint, single};
use crate::page::{Page, PageRequest};

pub mod checklist;
pub mod funding;
pub mod reports;

/// An application as stored, with its scheme's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRecord {
    pub id: Uuid,
    pub case_id: Uuid,
    pub scheme_id: Uuid,
    /// The scheme's current name in the catalogue.
    pub scheme_name: String,
    pub status: ApplicationStatus,
    pub notes: Option<String>,
    pub submitted_on: Option<NaiveDate>,
    pub submitted_to: Option<String>,
    pub decision: Option<Code<ApplicationDecision>>,
    pub decided_on: Option<NaiveDate>,
    pub amount_granted_cents: Option<i64>,
    pub decision_reason: Option<String>,
    pub withdrawn_on: Option<NaiveDate>,
    pub withdrawal_reason: Option<String>,
    pub status_changed_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Uuid,
    pub version: i32,
}

/// A line of the checklist to write (copied from the scheme, or added by the worker).
#[derive(Debug, Clone)]
pub struct NewChecklistLine<'a> {
    pub code: &'a str,
    pub label: &'a str,
    pub required: bool,
    pub provider: DocumentProvider,
}

/// What a new application needs; its status follows its checklist (`complete` when no line is
/// required, `preparing` otherwise: every line starts `requested`).
#[derive(Debug, Clone)]
pub struct NewApplication<'a> {
    pub scheme_id: Uuid,
    pub notes: Option<&'a str>,
    pub documents: &'a [NewChecklistLine<'a>],
}

/// Creates an application of a case with its checklist and its `application_created` timeline
/// event.
///
/// # Errors
/// [`StoreError::Conflict`] `application_in_progress` when the case already has an application
/// to this scheme that is neither decided nor withdrawn.
#[tracing::instrument(level = "debug", skip_all, fields(case_id = %case_id))]
pub async fn create(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    case_id: Uuid,
    new: &NewApplication<'_>,
) -> Result<ApplicationRecord, StoreError> {
    let id = Uuid::now_v7();
    let status = ApplicationStatus::Preparing.settle(!new.documents.iter().any(|d| d.required));
    // One statement writes the application and its timeline event, and answers what the
    // database set and the scheme's name.
    let written = sqlx::query!(
        r#"
        WITH a AS (
            INSERT INTO applications (id, org_id, case_id, scheme_id, status, notes, created_by,
                                      updated_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
            RETURNING case_id, scheme_id, status_changed_at, created_at, updated_at, version
        ),
        e AS (
            INSERT INTO case_events (id, org_id, case_id, actor_id, kind, to_status, data)
            SELECT $8, $2, a.case_id, $7, 'application_created', $5, $9
            FROM a
        )
        SELECT s.name AS scheme_name, a.status_changed_at AS "status_changed_at!",
               a.created_at AS "created_at!", a.updated_at AS "updated_at!",
               a.version AS "version!"
        FROM a
        JOIN schemes s ON s.id = a.scheme_id
        "#,
        id,
        org_id,
        case_id,
        new.scheme_id,
        status.code(),
        new.notes,
        actor_id,
        Uuid::now_v7(),
        serde_json::json!({"application_id": id, "scheme_id": new.scheme_id})
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(on_constraint("applications_in_progress_key", || {
        StoreError::Conflict {
            code: "application_in_progress",
            message: "the case already has an application to this scheme in progress (decide or \
                      withdraw it first)"
                .into(),
        }
    }))?;
    checklist::insert_all(conn, org_id, actor_id, id, new.documents).await?;
    Ok(ApplicationRecord {
        id,
        case_id,
        scheme_id: new.scheme_id,
        scheme_name: written.scheme_name,
        status,
        notes: new.notes.map(str::to_owned),
        submitted_on: None,
        submitted_to: None,
        decision: None,
        decided_on: None,
        amount_granted_cents: None,
        decision_reason: None,
        withdrawn_on: None,
        withdrawal_reason: None,
        status_changed_at: written.status_changed_at,
        created_at: written.created_at,
        created_by: actor_id,
        updated_at: written.updated_at,
        updated_by: actor_id,
        version: written.version,
    })
}

/// One application of a case.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(
    conn: &mut PgConnection,
    case_id: Uuid,
    id: Uuid,
) -> Result<ApplicationRecord, StoreError> {
    single(read(conn, case_id, Some(id), None, None, Some(1)).await?)
}

/// One application of a case, locked until the transaction ends: every change to it or to its
/// parts (checklist, funding plan, social reports) starts here.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn lock(
    conn: &mut PgConnection,
    case_id: Uuid,
    id: Uuid,
) -> Result<ApplicationRecord, StoreError> {
    sqlx::query_scalar!(
        "SELECT id FROM applications WHERE id = $1 AND case_id = $2 FOR NO KEY UPDATE",
        id,
        case_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    get(conn, case_id, id).await
}

/// Whether `id` is an application of the case `case_id` (of the organisation), e.g. to check a
/// plan item's link.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn exists_in_case(
    conn: &mut PgConnection,
    case_id: Uuid,
    id: Uuid,
) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM applications WHERE id = $1 AND case_id = $2) AS "exists!""#,
        id,
        case_id
    )
    .fetch_one(conn)
    .await?)
}

/// A case's applications, newest first.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    case_id: Uuid,
    status: Option<ApplicationStatus>,
    page: PageRequest,
) -> Result<Page<ApplicationRecord>, StoreError> {
    let rows = read(
        conn,
        case_id,
        None,
        status,
        page.after,
        Some(page.fetch_limit()),
    )
    .await?;
    Ok(Page::from_rows(rows, page.limit, |r| r.id))
}

/// Every application of a case, newest first, in one query (a case has a handful: one in
/// progress per scheme), e.g. for a document that lists them.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn of_case(
    conn: &mut PgConnection,
    case_id: Uuid,
) -> Result<Vec<ApplicationRecord>, StoreError> {
    read(conn, case_id, None, None, None, None).await
}

/// The one read of applications: a case's, newest first, of one status, after the application
/// `after`, at most `limit` of them (`None`: all), or only the application `id`.
async fn read(
    conn: &mut PgConnection,
    case_id: Uuid,
    id: Option<Uuid>,
    status: Option<ApplicationStatus>,
    after: Option<Uuid>,
    limit: Option<i64>,
) -> Result<Vec<ApplicationRecord>, StoreError> {
    Ok(sqlx::query_as!(
        ApplicationRecord,
        r#"
        SELECT a.id, a.case_id, a.scheme_id, s.name AS scheme_name,
               a.status AS "status: Code<ApplicationStatus>", a.notes, a.submitted_on,
               a.submitted_to, a.decision AS "decision: Code<ApplicationDecision>",
               a.decided_on, a.amount_granted_cents, a.decision_reason, a.withdrawn_on,
               a.withdrawal_reason, a.status_changed_at, a.created_at, a.created_by,
               a.updated_at, a.updated_by, a.version
        FROM applications a
        JOIN schemes s ON s.id = a.scheme_id
        WHERE a.case_id = $1
          AND ($2::uuid IS NULL OR a.id = $2)
          AND ($3::text IS NULL OR a.status = $3)
          AND ($4::uuid IS NULL OR a.id < $4)
        ORDER BY a.id DESC
        LIMIT $5
        "#,
        case_id,
        id,
        status.map(ApplicationStatus::code),
        after,
        limit
    )
    .fetch_all(conn)
    .await?)
}

/// The columns a status change writes.
#[derive(Default)]
struct StatusColumns<'a> {
    submitted_on: Option<NaiveDate>,
    submitted_to: Option<&'a str>,
    decision: Option<ApplicationDecision>,
    decided_on: Option<NaiveDate>,
    amount_granted_cents: Option<i64>,
    decision_reason: Option<&'a str>,
    withdrawn_on: Option<NaiveDate>,
    withdrawal_reason: Option<&'a str>,
}

impl<'a> StatusColumns<'a> {
    /// The current columns with the change's applied.
    fn after(current: &'a ApplicationRecord, change: &'a StatusChange) -> Self {
        let mut columns = Self {
            submitted_on: current.submitted_on,
            submitted_to: current.submitted_to.as_deref(),
            decision: current.decision.map(Code::into_inner),
            decided_on: current.decided_on,
            amount_granted_cents: current.amount_granted_cents,
            decision_reason: current.decision_reason.as_deref(),
            withdrawn_on: current.withdrawn_on,
            withdrawal_reason: current.withdrawal_reason.as_deref(),
        };
        match change {
            StatusChange::UnderReview => {}
            StatusChange::Submitted { on, to } => {
                columns.submitted_on = Some(*on);
                columns.submitted_to = Some(to);
            }
            StatusChange::Decided(decision) => columns.set_decision(decision),
            StatusChange::Withdrawn { on, reason } => {
                columns.withdrawn_on = Some(*on);
                columns.withdrawal_reason = reason.as_deref();
            }
        }
        columns
    }

    fn set_decision(&mut self, d: &'a Decision) {
        self.decision = Some(d.decision);
        self.decided_on = Some(d.decided_on);
        self.amount_granted_cents = d.amount_granted_cents;
        self.decision_reason = d.reason.as_deref();
    }
}

/// Moves a locked application to the status of `change` at `expected_version`, with its
/// `application_status_changed` timeline event (the reason given, if any).
///
/// # Errors
/// [`StoreError::VersionMismatch`] when the application changed meanwhile.
#[tracing::instrument(level = "debug", skip_all, fields(application_id = %current.id))]
pub async fn change_status(
    conn: &mut PgConnection,
    actor_id: Uuid,
    current: &ApplicationRecord,
    expected_version: i32,
    change: &StatusChange,
) -> Result<ApplicationRecord, StoreError> {
    let c = StatusColumns::after(current, change);
    let to = change.status();
    let reason = match change {
        StatusChange::Decided(d) => d.reason.as_deref(),
        StatusChange::Withdrawn { reason, .. } => reason.as_deref(),
        StatusChange::UnderReview | StatusChange::Submitted { .. } => None,
    };
    let mut data = serde_json::json!({"application_id": current.id});
    if let StatusChange::Decided(d) = change {
        data["decision"] = d.decision.code().into();
    }
    write_status(
        conn,
        actor_id,
        current,
        expected_version,
        to,
        &c,
        reason,
        data,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn write_status(
    conn: &mut PgConnection,
    actor_id: Uuid,
    current: &ApplicationRecord,
    expected_version: i32,
    to: ApplicationStatus,
    c: &StatusColumns<'_>,
    reason: Option<&str>,
    data: serde_json::Value,
) -> Result<ApplicationRecord, StoreError> {
    // The statement answers what the database set; the rest is what it wrote, or as read.
    let written = sqlx::query!(
        r#"
        WITH u AS (
            UPDATE applications
            SET status = $4, submitted_on = $5, submitted_to = $6, decision = $7, decided_on = $8,
                amount_granted_cents = $9, decision_reason = $10, withdrawn_on = $11,
                withdrawal_reason = $12, status_changed_at = now(), updated_at = now(),
                updated_by = $13, version = version + 1
            WHERE id = $1 AND case_id = $2 AND version = $3
            RETURNING org_id, case_id, status_changed_at, updated_at, version
        ),
        e AS (
            INSERT INTO case_events (id, org_id, case_id, actor_id, kind, from_status,
                                     to_status, reason, data)
            SELECT $14, u.org_id, u.case_id, $13, 'application_status_changed', $15, $4, $16,
                   $17
            FROM u
        )
        SELECT status_changed_at AS "status_changed_at!", updated_at AS "updated_at!",
               version AS "version!"
        FROM u
        "#,
        current.id,
        current.case_id,
        expected_version,
        to.code(),
        c.submitted_on,
        c.submitted_to,
        c.decision.map(ApplicationDecision::code),
        c.decided_on,
        c.amount_granted_cents,
        c.decision_reason,
        c.withdrawn_on,
        c.withdrawal_reason,
        actor_id,
        Uuid::now_v7(),
        current.status.code(),
        reason,
        data
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::VersionMismatch)?;
    Ok(ApplicationRecord {
        status: to,
        submitted_on: c.submitted_on,
        submitted_to: c.submitted_to.map(str::to_owned),
        decision: c.decision.map(Code),
        decided_on: c.decided_on,
        amount_granted_cents: c.amount_granted_cents,
        decision_reason: c.decision_reason.map(str::to_owned),
        withdrawn_on: c.withdrawn_on,
        withdrawal_reason: c.withdrawal_reason.map(str::to_owned),
        status_changed_at: written.status_changed_at,
        updated_at: written.updated_at,
        updated_by: actor_id,
        version: written.version,
        ..current.clone()
    })
}

/// Brings a locked application's status in line with its checklist
/// (`ApplicationStatus::settle`): when the status moves, a new version with an
/// `application_status_changed` event marked `automatic`. Answers the application as it is
/// afterwards.
#[tracing::instrument(level = "debug", skip_all, fields(application_id = %current.id))]
pub async fn settle(
    conn: &mut PgConnection,
    actor_id: Uuid,
    current: ApplicationRecord,
) -> Result<ApplicationRecord, StoreError> {
    let missing = checklist::missing_required(conn, current.id).await?;
    let next = current.status.settle(missing == 0);
    if next == current.status {
        return Ok(current);
    }
    let data = serde_json::json!({
        "application_id": current.id,
        "automatic": true,
        "missing_required": missing,
    });
    // Only statuses before submission settle, and they carry none of these columns.
    write_status(
        conn,
        actor_id,
        &current,
        current.version,
        next,
        &StatusColumns::default(),
        None,
        data,
    )
    .await
}

/// The whole new state of an application's editable fields after a `PATCH`, merged and
/// checked by the caller.
#[derive(Debug, Clone)]
pub struct ApplicationUpdate<'a> {
    pub notes: Option<&'a str>,
    pub submitted_on: Option<NaiveDate>,
    pub submitted_to: Option<&'a str>,
    pub decision: Option<&'a Decision>,
}

/// Writes an application's corrected fields at `expected_version` (notes; the submission and
/// the decision of an application that has them).
///
/// # Errors
/// [`StoreError::VersionMismatch`] when the application changed meanwhile.
#[tracing::instrument(level = "debug", skip_all, fields(application_id = %current.id))]
pub async fn update(
    conn: &mut PgConnection,
    actor_id: Uuid,
    current: &ApplicationRecord,
    expected_version: i32,
    change: &ApplicationUpdate<'_>,
) -> Result<ApplicationRecord, StoreError> {
    let decision = change.decision;
    // The statement answers what the database set; the rest is what it wrote, or as read.
    let written = sqlx::query!(
        r#"
        UPDATE applications
        SET notes = $4, submitted_on = $5, submitted_to = $6, decision = $7, decided_on = $8,
            amount_granted_cents = $9, decision_reason = $10, updated_at = now(), updated_by = $11,
            version = version + 1
        WHERE id = $1 AND case_id = $2 AND version = $3
        RETURNING updated_at, version
        "#,
        current.id,
        current.case_id,
        expected_version,
        change.notes,
        change.submitted_on,
        change.submitted_to,
        decision.map(|d| d.decision.code()),
        decision.map(|d| d.decided_on),
        decision.and_then(|d| d.amount_granted_cents),
        decision.and_then(|d| d.reason.as_deref()),
        actor_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::VersionMismatch)?;
    Ok(ApplicationRecord {
        notes: change.notes.map(str::to_owned),
        submitted_on: change.submitted_on,
        submitted_to: change.submitted_to.map(str::to_owned),
        decision: decision.map(|d| Code(d.decision)),
        decided_on: decision.map(|d| d.decided_on),
        amount_granted_cents: decision.and_then(|d| d.amount_granted_cents),
        decision_reason: decision.and_then(|d| d.reason.clone()),
        updated_at: written.updated_at,
        updated_by: actor_id,
        version: written.version,
        ..current.clone()
    })
}
