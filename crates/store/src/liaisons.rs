//! Liaison sheets of a case: created as drafts, sent once, then acknowledged or declined by the
//! destination. Every write adds its event to the case timeline in the same statement
//! (`liaison_created`, `liaison_sent`, `liaison_acknowledged`, `liaison_declined`); the events
//! name the liaison and its destination, never the content shared.
//!
//! Callers check that the case is visible, and apply the sharing rule
//! (`relais_domain::liaison::check_send`) and the lifecycle before calling [`change_status`];
//! the table's CHECK constraints repeat the destination, consent and date rules as a last guard.
//! The liaison is read back with [`get`] (or [`lock`] before a change, so two sends of one
//! liaison queue up instead of racing). The partner's view — only the liaisons addressed to
//! it that have left draft — is in [`received`].

use chrono::{DateTime, Utc};
use relais_domain::{LegalBasis, LiaisonContent, LiaisonStatus};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::code::{corrupt, decode};
use crate::page::{Page, PageRequest};
pub use crate::persons::consent as person_consent;

pub mod received;

/// Where a liaison goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A registered partner of the organisation (the caller checks it exists and is enabled
    /// when the liaison is prepared; the foreign key is the last guard).
    Partner(Uuid),
    /// An institution named on the sheet, with a contact (a person, a phone, an address).
    Named { name: String, contact: String },
}

/// A liaison as stored, with its codes parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiaisonRecord {
    pub id: Uuid,
    pub case_id: Uuid,
    /// The person of the case (for audit events).
    pub person_id: Uuid,
    pub destination: Destination,
    /// The registered partner's name, when the destination is one.
    pub partner_name: Option<String>,
    pub purpose: String,
    pub content: Vec<LiaisonContent>,
    pub legal_basis: LegalBasis,
    pub consent_id: Option<Uuid>,
    pub status: LiaisonStatus,
    pub sent_at: Option<DateTime<Utc>>,
    pub sent_by: Option<Uuid>,
    /// When the destination's answer (acknowledged or declined) was recorded.
    pub answered_at: Option<DateTime<Utc>>,
    pub answered_by: Option<Uuid>,
    /// What the destination wrote with its answer, if anything.
    pub answer_message: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl LiaisonRecord {
    /// The registered partner the liaison is addressed to, if any.
    pub fn partner_id(&self) -> Option<Uuid> {
        match self.destination {
            Destination::Partner(id) => Some(id),
            Destination::Named { .. } => None,
        }
    }

    /// Whether `content` was chosen for this liaison.
    pub fn shares(&self, content: LiaisonContent) -> bool {
        self.content.contains(&content)
    }
}

/// What a new liaison records; validated by the caller.
#[derive(Debug, Clone)]
pub struct NewLiaison<'a> {
    pub destination: &'a Destination,
    pub purpose: &'a str,
    pub content: &'a [LiaisonContent],
    pub legal_basis: LegalBasis,
    pub consent_id: Option<Uuid>,
}

pub(crate) struct Row {
    id: Uuid,
    case_id: Uuid,
    person_id: Uuid,
    destination_partner_id: Option<Uuid>,
    destination_partner_name: Option<String>,
    destination_name: Option<String>,
    destination_contact: Option<String>,
    purpose: String,
    content: Vec<String>,
    legal_basis: String,
    consent_id: Option<Uuid>,
    status: String,
    sent_at: Option<DateTime<Utc>>,
    sent_by: Option<Uuid>,
    answered_at: Option<DateTime<Utc>>,
    answered_by: Option<Uuid>,
    answer_message: Option<String>,
    created_at: DateTime<Utc>,
    created_by: Uuid,
    updated_at: DateTime<Utc>,
    version: i32,
}

impl TryFrom<Row> for LiaisonRecord {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Self, StoreError> {
        let destination = match (r.destination_partner_id, r.destination_name) {
            (Some(partner), _) => Destination::Partner(partner),
            (None, Some(name)) => Destination::Named {
                name,
                contact: r.destination_contact.unwrap_or_default(),
            },
            (None, None) => return Err(corrupt(format!("liaison {} has no destination", r.id))),
        };
        Ok(Self {
            id: r.id,
            case_id: r.case_id,
            person_id: r.person_id,
            destination,
            partner_name: r.destination_partner_name,
            purpose: r.purpose,
            content: r
                .content
                .iter()
                .map(|c| decode(c))
                .collect::<Result<_, _>>()?,
            legal_basis: decode(&r.legal_basis)?,
            consent_id: r.consent_id,
            status: decode(&r.status)?,
            sent_at: r.sent_at,
            sent_by: r.sent_by,
            answered_at: r.answered_at,
            answered_by: r.answered_by,
            answer_message: r.answer_message,
            created_at: r.created_at,
            created_by: r.created_by,
            updated_at: r.updated_at,
            version: r.version,
        })
    }
}

fn destination_json(destination: &Destination) -> serde_json::Value {
    match destination {
        Destination::Partner(id) => serde_json::json!({"partner_id": id}),
        Destination::Named { name, .. } => serde_json::json!({"name": name}),
    }
}

/// Creates a draft liaison of a case, with its `liaison_created` timeline event.
#[tracing::instrument(skip_all, fields(case_id = %case_id))]
pub async fn create(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    case_id: Uuid,
    new: &NewLiaison<'_>,
) -> Result<LiaisonRecord, StoreError> {
    let id = Uuid::now_v7();
    let (partner, name, contact) = match new.destination {
        Destination::Partner(p) => (Some(*p), None, None),
        Destination::Named { name, contact } => (None, Some(name.as_str()), Some(contact.as_str())),
    };
    let content: Vec<String> = new.content.iter().map(|c| c.code().to_owned()).collect();
    sqlx::query!(
        r#"
        WITH l AS (
            INSERT INTO liaisons (id, org_id, case_id, destination_partner_id, destination_name,
                                  destination_contact, purpose, content, legal_basis, consent_id,
                                  created_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            RETURNING case_id
        )
        INSERT INTO case_events (id, org_id, case_id, actor_id, kind, data)
        SELECT $12, $2, l.case_id, $11, 'liaison_created', $13
        FROM l
        "#,
        id,
        org_id,
        case_id,
        partner,
        name,
        contact,
        new.purpose,
        &content,
        new.legal_basis.code(),
        new.consent_id,
        actor_id,
        Uuid::now_v7(),
        serde_json::json!({
            "liaison_id": id,
            "destination": destination_json(new.destination),
            "legal_basis": new.legal_basis.code(),
        })
    )
    .execute(&mut *conn)
    .await?;
    get(conn, case_id, id).await
}

/// One liaison of a case.
#[tracing::instrument(skip(conn))]
pub async fn get(
    conn: &mut PgConnection,
    case_id: Uuid,
    id: Uuid,
) -> Result<LiaisonRecord, StoreError> {
    sqlx::query_as!(
        Row,
        r#"
        SELECT l.id, l.case_id, c.person_id, l.destination_partner_id,
               p.name AS "destination_partner_name?", l.destination_name, l.destination_contact,
               l.purpose, l.content, l.legal_basis, l.consent_id, l.status, l.sent_at, l.sent_by,
               l.answered_at, l.answered_by, l.answer_message, l.created_at, l.created_by,
               l.updated_at, l.version
        FROM liaisons l
        JOIN cases c ON c.id = l.case_id
        LEFT JOIN partners p ON p.id = l.destination_partner_id
        WHERE l.id = $1 AND l.case_id = $2
        "#,
        id,
        case_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?
    .try_into()
}

/// One liaison of a case, locked until the transaction ends (before changing its status).
#[tracing::instrument(skip(conn))]
pub async fn lock(
    conn: &mut PgConnection,
    case_id: Uuid,
    id: Uuid,
) -> Result<LiaisonRecord, StoreError> {
    sqlx::query_as!(
        Row,
        r#"
        SELECT l.id, l.case_id, c.person_id, l.destination_partner_id,
               p.name AS "destination_partner_name?", l.destination_name, l.destination_contact,
               l.purpose, l.content, l.legal_basis, l.consent_id, l.status, l.sent_at, l.sent_by,
               l.answered_at, l.answered_by, l.answer_message, l.created_at, l.created_by,
               l.updated_at, l.version
        FROM liaisons l
        JOIN cases c ON c.id = l.case_id
        LEFT JOIN partners p ON p.id = l.destination_partner_id
        WHERE l.id = $1 AND l.case_id = $2
        FOR NO KEY UPDATE OF l
        "#,
        id,
        case_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?
    .try_into()
}

/// A case's liaisons, newest first.
#[tracing::instrument(skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    case_id: Uuid,
    page: PageRequest,
) -> Result<Page<LiaisonRecord>, StoreError> {
    let rows = sqlx::query_as!(
        Row,
        r#"
        SELECT l.id, l.case_id, c.person_id, l.destination_partner_id,
               p.name AS "destination_partner_name?", l.destination_name, l.destination_contact,
               l.purpose, l.content, l.legal_basis, l.consent_id, l.status, l.sent_at, l.sent_by,
               l.answered_at, l.answered_by, l.answer_message, l.created_at, l.created_by,
               l.updated_at, l.version
        FROM liaisons l
        JOIN cases c ON c.id = l.case_id
        LEFT JOIN partners p ON p.id = l.destination_partner_id
        WHERE l.case_id = $1 AND ($2::uuid IS NULL OR l.id < $2)
        ORDER BY l.id DESC
        LIMIT $3
        "#,
        case_id,
        page.after,
        page.fetch_limit()
    )
    .fetch_all(conn)
    .await?;
    let records = rows
        .into_iter()
        .map(LiaisonRecord::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(records, page.limit, |l| l.id))
}

/// Moves a liaison (read with [`lock`], at `expected_version`) to `to`, which the caller
/// checked against the lifecycle, with its timeline event. `sent` records who sent it and
/// when; `acknowledged` and `declined` record the answer, who recorded it (the worker, or the
/// partner's own agent row) and the destination's `message`, if any (ignored otherwise).
///
/// # Errors
/// [`StoreError::VersionMismatch`] when the version moved on.
#[tracing::instrument(skip(conn))]
pub async fn change_status(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    current: &LiaisonRecord,
    expected_version: i32,
    to: LiaisonStatus,
    message: Option<&str>,
) -> Result<LiaisonRecord, StoreError> {
    let kind = format!("liaison_{}", to.code());
    let updated = sqlx::query_scalar!(
        r#"
        WITH l AS (
            UPDATE liaisons
            SET status = $4,
                sent_at = CASE WHEN $4 = 'sent' THEN now() ELSE sent_at END,
                sent_by = CASE WHEN $4 = 'sent' THEN $5 ELSE sent_by END,
                answered_at = CASE WHEN $4 IN ('acknowledged', 'declined') THEN now()
                                   ELSE answered_at END,
                answered_by = CASE WHEN $4 IN ('acknowledged', 'declined') THEN $5
                                   ELSE answered_by END,
                answer_message = CASE WHEN $4 IN ('acknowledged', 'declined') THEN $10
                                      ELSE answer_message END,
                updated_at = now(),
                version = version + 1
            WHERE id = $1 AND case_id = $2 AND version = $3
            RETURNING id, case_id
        ),
        e AS (
            INSERT INTO case_events (id, org_id, case_id, actor_id, kind, data)
            SELECT $6, $7, l.case_id, $5, $8, $9
            FROM l
        )
        SELECT id AS "id!"
        FROM l
        "#,
        current.id,
        current.case_id,
        expected_version,
        to.code(),
        actor_id,
        Uuid::now_v7(),
        org_id,
        kind,
        serde_json::json!({
            "liaison_id": current.id,
            "destination": destination_json(&current.destination),
            "from": current.status.code(),
            "to": to.code(),
        }),
        message
    )
    .fetch_optional(&mut *conn)
    .await?;
    if updated.is_none() {
        return Err(StoreError::VersionMismatch);
    }
    get(conn, current.case_id, current.id).await
}

/// Whether a partner of the organisation is enabled; `None` when there is no such partner
/// (another organisation's partners are invisible).
#[tracing::instrument(skip(conn))]
pub async fn partner_enabled(
    conn: &mut PgConnection,
    partner_id: Uuid,
) -> Result<Option<bool>, StoreError> {
    Ok(
        sqlx::query_scalar!("SELECT enabled FROM partners WHERE id = $1", partner_id)
            .fetch_optional(conn)
            .await?,
    )
}

/// How to reach an agent, as printed on a liaison sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentContact {
    /// The display name, or the subject when there is none.
    pub name: String,
    pub email: Option<String>,
}

/// The name and email of an agent of the organisation, if it exists.
#[tracing::instrument(skip(conn))]
pub async fn agent_contact(
    conn: &mut PgConnection,
    agent_id: Uuid,
) -> Result<Option<AgentContact>, StoreError> {
    let row = sqlx::query!(
        r#"
        SELECT COALESCE(NULLIF(btrim(display_name), ''), subject) AS "name!", email
        FROM agents
        WHERE id = $1
        "#,
        agent_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| AgentContact {
        name: r.name,
        email: r.email,
    }))
}
