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
use crate::code::{Code, corrupt};
use crate::error::single;
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

/// A liaison as stored.
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

/// A liaison as read: the destination's columns become one [`Destination`].
struct Row {
    id: Uuid,
    case_id: Uuid,
    person_id: Uuid,
    destination_partner_id: Option<Uuid>,
    destination_partner_name: Option<String>,
    destination_name: Option<String>,
    destination_contact: Option<String>,
    purpose: String,
    content: Vec<Code<LiaisonContent>>,
    legal_basis: LegalBasis,
    consent_id: Option<Uuid>,
    status: LiaisonStatus,
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
            content: r.content.into_iter().map(Code::into_inner).collect(),
            legal_basis: r.legal_basis,
            consent_id: r.consent_id,
            status: r.status,
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
#[tracing::instrument(level = "debug", skip_all, fields(case_id = %case_id))]
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
    let content: Vec<&str> = new.content.iter().map(|c| c.code()).collect();
    // One statement writes the liaison and its timeline event, and answers what the database
    // set and what the liaison's case and partner say.
    let written = sqlx::query!(
        r#"
        WITH l AS (
            INSERT INTO liaisons (id, org_id, case_id, destination_partner_id, destination_name,
                                  destination_contact, purpose, content, legal_basis, consent_id,
                                  created_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            RETURNING case_id, destination_partner_id, status, created_at, updated_at, version
        ),
        e AS (
            INSERT INTO case_events (id, org_id, case_id, actor_id, kind, data)
            SELECT $12, $2, l.case_id, $11, 'liaison_created', $13
            FROM l
        )
        SELECT c.person_id, p.name AS "partner_name?",
               l.status AS "status!: Code<LiaisonStatus>", l.created_at AS "created_at!",
               l.updated_at AS "updated_at!", l.version AS "version!"
        FROM l
        JOIN cases c ON c.id = l.case_id
        LEFT JOIN partners p ON p.id = l.destination_partner_id
        "#,
        id,
        org_id,
        case_id,
        partner,
        name,
        contact,
        new.purpose,
        &content as &[&str],
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
    .fetch_one(conn)
    .await?;
    Ok(LiaisonRecord {
        id,
        case_id,
        person_id: written.person_id,
        destination: new.destination.clone(),
        partner_name: written.partner_name,
        purpose: new.purpose.to_owned(),
        content: new.content.to_vec(),
        legal_basis: new.legal_basis,
        consent_id: new.consent_id,
        status: written.status.into_inner(),
        sent_at: None,
        sent_by: None,
        answered_at: None,
        answered_by: None,
        answer_message: None,
        created_at: written.created_at,
        created_by: actor_id,
        updated_at: written.updated_at,
        version: written.version,
    })
}

/// Which liaisons a read answers; every given filter applies.
#[derive(Debug, Clone, Copy, Default)]
struct Filter {
    /// Only this liaison.
    id: Option<Uuid>,
    /// Only this case's.
    case_id: Option<Uuid>,
    /// Only those addressed to this partner that have left draft (what it received).
    partner_id: Option<Uuid>,
    status: Option<LiaisonStatus>,
    /// Only those before this one (the previous page's last).
    after: Option<Uuid>,
    limit: i64,
}

impl Filter {
    /// The liaison `id`, if the case `case_id` has it, or if the partner `partner_id` received
    /// it.
    fn one(id: Uuid, case_id: Option<Uuid>, partner_id: Option<Uuid>) -> Self {
        Self {
            id: Some(id),
            case_id,
            partner_id,
            limit: 1,
            ..Self::default()
        }
    }
}

/// The one read of liaisons, newest first, with the person of their case and the name of the
/// partner they are addressed to. Each path is driven by an index: the primary key for one
/// liaison, the case's or the partner's index for a list.
async fn read(conn: &mut PgConnection, filter: Filter) -> Result<Vec<LiaisonRecord>, StoreError> {
    let rows = sqlx::query_as!(
        Row,
        r#"
        SELECT l.id, l.case_id, c.person_id, l.destination_partner_id,
               p.name AS "destination_partner_name?", l.destination_name, l.destination_contact,
               l.purpose, l.content AS "content: Vec<Code<LiaisonContent>>",
               l.legal_basis AS "legal_basis: Code<LegalBasis>", l.consent_id,
               l.status AS "status: Code<LiaisonStatus>", l.sent_at, l.sent_by, l.answered_at,
               l.answered_by, l.answer_message, l.created_at, l.created_by, l.updated_at,
               l.version
        FROM liaisons l
        JOIN cases c ON c.id = l.case_id
        LEFT JOIN partners p ON p.id = l.destination_partner_id
        WHERE ($1::uuid IS NULL OR l.id = $1)
          AND ($2::uuid IS NULL OR l.case_id = $2)
          AND ($3::uuid IS NULL OR (l.destination_partner_id = $3 AND l.status <> 'draft'))
          AND ($4::text IS NULL OR l.status = $4)
          AND ($5::uuid IS NULL OR l.id < $5)
        ORDER BY l.id DESC
        LIMIT $6
        "#,
        filter.id,
        filter.case_id,
        filter.partner_id,
        filter.status.map(LiaisonStatus::code),
        filter.after,
        filter.limit
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(LiaisonRecord::try_from).collect()
}

/// The one liaison `filter` names, or `NotFound`.
async fn read_one(conn: &mut PgConnection, filter: Filter) -> Result<LiaisonRecord, StoreError> {
    single(read(conn, filter).await?)
}

/// Locks the liaison row until the transaction ends, then reads it as `filter` sees it: two
/// changes of one liaison queue up instead of racing.
async fn lock_one(conn: &mut PgConnection, filter: Filter) -> Result<LiaisonRecord, StoreError> {
    sqlx::query_scalar!(
        "SELECT id FROM liaisons WHERE id = $1 FOR NO KEY UPDATE",
        filter.id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    read_one(conn, filter).await
}

/// A page of liaisons as `filter` selects them.
async fn page(
    conn: &mut PgConnection,
    filter: Filter,
    page: PageRequest,
) -> Result<Page<LiaisonRecord>, StoreError> {
    let filter = Filter {
        after: page.after,
        limit: page.fetch_limit(),
        ..filter
    };
    Ok(Page::from_rows(
        read(conn, filter).await?,
        page.limit,
        |l| l.id,
    ))
}

/// One liaison of a case.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(
    conn: &mut PgConnection,
    case_id: Uuid,
    id: Uuid,
) -> Result<LiaisonRecord, StoreError> {
    read_one(conn, Filter::one(id, Some(case_id), None)).await
}

/// One liaison of a case, locked until the transaction ends (before changing its status).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn lock(
    conn: &mut PgConnection,
    case_id: Uuid,
    id: Uuid,
) -> Result<LiaisonRecord, StoreError> {
    lock_one(conn, Filter::one(id, Some(case_id), None)).await
}

/// A case's liaisons, newest first.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    case_id: Uuid,
    page_request: PageRequest,
) -> Result<Page<LiaisonRecord>, StoreError> {
    let filter = Filter {
        case_id: Some(case_id),
        ..Filter::default()
    };
    page(conn, filter, page_request).await
}

/// Moves a liaison (read with [`lock`], at `expected_version`) to `to`, which the caller
/// checked against the lifecycle, with its timeline event. `sent` records who sent it and
/// when; `acknowledged` and `declined` record the answer, who recorded it (the worker, or the
/// partner's own agent row) and the destination's `message`, if any (ignored otherwise).
///
/// # Errors
/// [`StoreError::VersionMismatch`] when the version moved on.
#[tracing::instrument(level = "debug", skip(conn))]
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
    // The statement answers the columns it changed; the others stay as read.
    let written = sqlx::query!(
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
            RETURNING case_id, sent_at, sent_by, answered_at, answered_by, answer_message,
                      updated_at, version
        ),
        e AS (
            INSERT INTO case_events (id, org_id, case_id, actor_id, kind, data)
            SELECT $6, $7, l.case_id, $5, $8, $9
            FROM l
        )
        SELECT sent_at, sent_by, answered_at, answered_by, answer_message,
               updated_at AS "updated_at!", version AS "version!"
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
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::VersionMismatch)?;
    Ok(LiaisonRecord {
        status: to,
        sent_at: written.sent_at,
        sent_by: written.sent_by,
        answered_at: written.answered_at,
        answered_by: written.answered_by,
        answer_message: written.answer_message,
        updated_at: written.updated_at,
        version: written.version,
        ..current.clone()
    })
}

/// Whether a partner of the organisation is enabled; `None` when there is no such partner
/// (another organisation's partners are invisible).
#[tracing::instrument(level = "debug", skip(conn))]
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
