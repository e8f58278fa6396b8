//! The assessment of a case: per domain, the situation, the need for action and its priority,
//! with who assessed it and when.
//!
//! An assessment is replaced whole ([`replace`]) under its own version, which starts at 0 (no
//! assessment yet) and grows with each replacement. The case row is locked first, by every
//! writer here and by the lifecycle's guard ([`domains_needing_action`]), so a transition to
//! `planning` never counts domains a concurrent replacement is changing.

use chrono::{DateTime, Utc};
use relais_domain::assessment::{self, DomainAssessment};
use relais_domain::{CaseStatus, Domain, NeedsAction, Priority};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::code::Code;

/// One assessed domain as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessedDomain {
    /// What the worker wrote.
    pub entry: DomainAssessment,
    /// The agent who last changed this domain's content.
    pub assessed_by: Option<Uuid>,
    /// When its content last changed.
    pub assessed_at: DateTime<Utc>,
}

/// A case's assessment; `version` 0 means none was written yet (and `domains` is empty).
#[derive(Debug, Clone)]
pub struct AssessmentRecord {
    pub case_id: Uuid,
    /// In reference order of the domains.
    pub domains: Vec<AssessedDomain>,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<Uuid>,
    pub version: i32,
}

/// A domain as read: what the worker wrote becomes one [`DomainAssessment`].
struct DomainRow {
    domain: Domain,
    situation: String,
    needs_action: NeedsAction,
    priority: Option<Code<Priority>>,
    assessed_by: Option<Uuid>,
    assessed_at: DateTime<Utc>,
}

impl From<DomainRow> for AssessedDomain {
    fn from(r: DomainRow) -> Self {
        AssessedDomain {
            entry: DomainAssessment {
                domain: r.domain,
                situation: r.situation,
                needs_action: r.needs_action,
                priority: r.priority.map(Code::into_inner),
            },
            assessed_by: r.assessed_by,
            assessed_at: r.assessed_at,
        }
    }
}

/// The domains as written, in reference order.
fn in_order(rows: Vec<DomainRow>) -> Vec<AssessedDomain> {
    let mut domains: Vec<AssessedDomain> = rows.into_iter().map(AssessedDomain::from).collect();
    domains.sort_by_key(|d| assessment::domain_rank(d.entry.domain));
    domains
}

async fn domains(
    conn: &mut PgConnection,
    case_id: Uuid,
) -> Result<Vec<AssessedDomain>, StoreError> {
    let rows = sqlx::query_as!(
        DomainRow,
        r#"
        SELECT domain AS "domain: Code<Domain>", situation,
               needs_action AS "needs_action: Code<NeedsAction>",
               priority AS "priority: Code<Priority>", assessed_by, assessed_at
        FROM assessment_domains
        WHERE case_id = $1
        "#,
        case_id
    )
    .fetch_all(conn)
    .await?;
    Ok(in_order(rows))
}

/// The assessment of a case the caller was allowed to see (check with `cases::get` first);
/// an empty one at version 0 when none was written yet.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(conn: &mut PgConnection, case_id: Uuid) -> Result<AssessmentRecord, StoreError> {
    let head = sqlx::query!(
        "SELECT version, updated_at, updated_by FROM case_assessments WHERE case_id = $1",
        case_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(head) = head else {
        return Ok(AssessmentRecord {
            case_id,
            domains: Vec::new(),
            updated_at: None,
            updated_by: None,
            version: 0,
        });
    };
    Ok(AssessmentRecord {
        case_id,
        domains: domains(conn, case_id).await?,
        updated_at: Some(head.updated_at),
        updated_by: head.updated_by,
        version: head.version,
    })
}

/// Replaces the whole assessment of an open case, when its version is `expected_version`
/// (`None`: whatever it is), and records an `assessment_updated` event in the case timeline.
///
/// Entries must have passed [`relais_domain::assessment::check`]. An entry identical to the
/// stored one of its domain keeps its `assessed_by`/`assessed_at`; a new or changed one is
/// assessed by `actor_id` now; domains left out are removed.
///
/// # Errors
/// `NotFound` for no such case; `Conflict { code: "case_closed" }` when it is closed or
/// archived; `VersionMismatch` when the version moved on.
#[tracing::instrument(level = "debug", skip_all, fields(case_id = %case_id, entries = entries.len()))]
pub async fn replace(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    case_id: Uuid,
    expected_version: Option<i32>,
    entries: &[DomainAssessment],
) -> Result<AssessmentRecord, StoreError> {
    // The case first, as the lifecycle does: a transition waits for this replacement.
    let status = sqlx::query_scalar!(
        r#"SELECT status AS "status: Code<CaseStatus>" FROM cases WHERE id = $1 FOR SHARE"#,
        case_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    if !status.is_open() {
        return Err(StoreError::Conflict {
            code: "case_closed",
            message: format!("the case is {status}: its assessment can no longer change"),
        });
    }
    // One statement checks the version and bumps it (the first replacement inserts the row).
    let written = sqlx::query!(
        r#"
        INSERT INTO case_assessments AS a (case_id, org_id, version, updated_at, updated_by)
        SELECT $1, $2, 1, now(), $3
        WHERE coalesce($4, 0) = 0 OR EXISTS (SELECT 1 FROM case_assessments WHERE case_id = $1)
        ON CONFLICT (case_id) DO UPDATE
        SET version = a.version + 1, updated_at = now(), updated_by = EXCLUDED.updated_by
        WHERE a.version = coalesce($4, a.version)
        RETURNING version, updated_at
        "#,
        case_id,
        org_id,
        actor_id,
        expected_version
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::VersionMismatch)?;

    let before = domains(conn, case_id).await?;
    let before_entries: Vec<DomainAssessment> = before.iter().map(|d| d.entry.clone()).collect();
    let mut codes = Vec::with_capacity(entries.len());
    let mut situations = Vec::with_capacity(entries.len());
    let mut needs = Vec::with_capacity(entries.len());
    let mut priorities: Vec<Option<String>> = Vec::with_capacity(entries.len());
    let mut assessors = Vec::with_capacity(entries.len());
    let mut assessed_at: Vec<Option<DateTime<Utc>>> = Vec::with_capacity(entries.len());
    let mut assessed = Vec::new();
    for entry in entries {
        let kept = assessment::unchanged(&before_entries, entry)
            .then(|| before.iter().find(|b| b.entry.domain == entry.domain))
            .flatten();
        match kept {
            Some(old) => {
                assessors.push(old.assessed_by);
                assessed_at.push(Some(old.assessed_at));
            }
            None => {
                assessors.push(Some(actor_id));
                assessed_at.push(None);
                assessed.push(entry.domain.code());
            }
        }
        codes.push(entry.domain.code().to_owned());
        situations.push(entry.situation.clone());
        needs.push(entry.needs_action.code().to_owned());
        priorities.push(entry.priority.map(|p| p.code().to_owned()));
    }
    let removed: Vec<&str> = before
        .iter()
        .map(|b| b.entry.domain)
        .filter(|d| !entries.iter().any(|e| e.domain == *d))
        .map(Domain::code)
        .collect();
    let mut needing: Vec<Domain> = entries
        .iter()
        .filter(|e| e.needs_action == NeedsAction::Yes)
        .map(|e| e.domain)
        .collect();
    needing.sort_by_key(|d| assessment::domain_rank(*d));

    sqlx::query!("DELETE FROM assessment_domains WHERE case_id = $1", case_id)
        .execute(&mut *conn)
        .await?;
    let rows = sqlx::query_as!(
        DomainRow,
        r#"
        INSERT INTO assessment_domains (case_id, org_id, domain, situation, needs_action, priority,
                                        assessed_by, assessed_at)
        SELECT $1, $2, n.domain, n.situation, n.needs_action, n.priority, n.assessed_by,
               coalesce(n.assessed_at, now())
        FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::timestamptz[])
             AS n(domain, situation, needs_action, priority, assessed_by, assessed_at)
        RETURNING domain AS "domain: Code<Domain>", situation,
                  needs_action AS "needs_action: Code<NeedsAction>",
                  priority AS "priority: Code<Priority>", assessed_by, assessed_at
        "#,
        case_id,
        org_id,
        &codes,
        &situations,
        &needs,
        &priorities as &[Option<String>],
        &assessors as &[Option<Uuid>],
        &assessed_at as &[Option<DateTime<Utc>>]
    )
    .fetch_all(&mut *conn)
    .await?;
    record_event(
        conn, org_id, actor_id, case_id, &needing, &assessed, &removed,
    )
    .await?;
    Ok(AssessmentRecord {
        case_id,
        domains: in_order(rows),
        updated_at: Some(written.updated_at),
        updated_by: Some(actor_id),
        version: written.version,
    })
}

/// Adds the `assessment_updated` event to the case timeline: the domains needing action after
/// the change, those (re)assessed by it and those removed.
async fn record_event(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    case_id: Uuid,
    needing: &[Domain],
    assessed: &[&str],
    removed: &[&str],
) -> Result<(), StoreError> {
    let needing: Vec<&str> = needing.iter().map(|d| d.code()).collect();
    sqlx::query!(
        r#"
        INSERT INTO case_events (id, org_id, case_id, actor_id, kind, data)
        VALUES ($1, $2, $3, $4, 'assessment_updated', $5)
        "#,
        Uuid::now_v7(),
        org_id,
        case_id,
        actor_id,
        serde_json::json!({
            "domains_needing_action": needing,
            "assessed": assessed,
            "removed": removed,
        })
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// How many domains of the case's assessment need action, for the lifecycle's guard.
///
/// Locks the case row first (as [`replace`] does), so the count cannot change before the
/// caller's transition commits.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn domains_needing_action(
    conn: &mut PgConnection,
    case_id: Uuid,
) -> Result<usize, StoreError> {
    sqlx::query_scalar!(
        "SELECT id FROM cases WHERE id = $1 FOR NO KEY UPDATE",
        case_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    // A statement of its own: it sees what a replacement we waited for committed.
    let domains = domains(conn, case_id).await?;
    Ok(assessment::domains_needing_action(
        domains.iter().map(|d| d.entry.needs_action),
    ))
}
