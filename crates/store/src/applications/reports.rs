//! The social report (rapport de situation sociale) of an application: append-only versions
//! numbered 1, 2, 3… with their author and date. The caller locks the application first, so two
//! new versions never take the same number; each adds a `social_report_written` timeline event
//! (its number, never its text).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::page::{Page, PageRequest};

/// One version of a social report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocialReportRecord {
    pub id: Uuid,
    pub application_id: Uuid,
    pub version_no: i32,
    pub text: String,
    pub author_id: Uuid,
    pub created_at: DateTime<Utc>,
}

/// Who wrote the latest version of a report, and when (no text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestReport {
    pub application_id: Uuid,
    pub version_no: i32,
    pub author_id: Uuid,
    pub created_at: DateTime<Utc>,
}

/// Writes the next version of a locked application's social report, with its timeline event.
#[tracing::instrument(level = "debug", skip_all, fields(application_id = %application_id))]
pub async fn add(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    case_id: Uuid,
    application_id: Uuid,
    text: &str,
) -> Result<SocialReportRecord, StoreError> {
    let id = Uuid::now_v7();
    let written = sqlx::query!(
        r#"WITH r AS (INSERT INTO social_reports (id, org_id, application_id, version_no, text,
           author_id) SELECT $1, $2, $3, coalesce(max(version_no), 0) + 1, $4, $5 FROM
           social_reports WHERE application_id = $3 RETURNING version_no, created_at), e AS (INSERT INTO
           case_events (id, org_id, case_id, actor_id, kind, data) SELECT $6, $2, $7, $5,
           'social_report_written', jsonb_build_object('application_id', $3::uuid,
           'version_no', r.version_no) FROM r) SELECT version_no AS "version_no!", created_at AS
           "created_at!" FROM r"#,
        id,
        org_id,
        application_id,
        text,
        actor_id,
        Uuid::now_v7(),
        case_id
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(SocialReportRecord {
        id,
        application_id,
        version_no: written.version_no,
        text: text.to_owned(),
        author_id: actor_id,
        created_at: written.created_at,
    })
}

/// The versions of an application's social report, newest first; the page's cursor is the id
/// of the last version.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    application_id: Uuid,
    page: PageRequest,
) -> Result<Page<SocialReportRecord>, StoreError> {
    let rows = sqlx::query_as!(
        SocialReportRecord,
        r#"
        SELECT id, application_id, version_no, text, author_id, created_at
        FROM social_reports
        WHERE application_id = $1
          AND ($2::uuid IS NULL
               OR version_no < (SELECT version_no FROM social_reports WHERE id = $2))
        ORDER BY version_no DESC
        LIMIT $3
        "#,
        application_id,
        page.after,
        page.fetch_limit()
    )
    .fetch_all(conn)
    .await?;
    Ok(Page::from_rows(rows, page.limit, |r| r.id))
}

/// One version of an application's social report.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(
    conn: &mut PgConnection,
    application_id: Uuid,
    version_no: i32,
) -> Result<SocialReportRecord, StoreError> {
    sqlx::query_as!(
        SocialReportRecord,
        r#"
        SELECT id, application_id, version_no, text, author_id, created_at
        FROM social_reports
        WHERE application_id = $1 AND version_no = $2
        "#,
        application_id,
        version_no
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)
}

/// The latest version's number, author and date of several applications' reports.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn latest(
    conn: &mut PgConnection,
    application_ids: &[Uuid],
) -> Result<Vec<LatestReport>, StoreError> {
    Ok(sqlx::query_as!(
        LatestReport,
        r#"
        SELECT DISTINCT ON (application_id) application_id, version_no, author_id, created_at
        FROM social_reports
        WHERE application_id = ANY($1)
        ORDER BY application_id, version_no DESC
        "#,
        application_ids
    )
    .fetch_all(conn)
    .await?)
}
