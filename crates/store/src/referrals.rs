//! Referrals posted by partners: the organisation's inbox, the decisions, the expiry sweep, and
//! the queries that find the person a referral is about.
//!
//! Every status change queues its `referral.status_changed` webhook in the caller's transaction
//! ([`decide`] through [`crate::outbox::enqueue`], [`expire_due`] set-based with the same
//! payload), so a change and its notification commit together. Payloads carry ids and statuses
//! only. Callers check the lifecycle (`relais_domain::ReferralStatus::transition`) after
//! [`lock`]; the UPDATE repeats it as a guard, and the table's CHECK constraints as a last one.

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::referral::AttachmentType;
use relais_domain::{
    CaseStatus, ClosureReason, DeclineReason, Domain, InformedChannel, Nir, ReferralStatus,
    Refusal, SupportOutcome, Urgency, WebhookEvent,
};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use crate::StoreError;
use crate::code::{Code, corrupt};
use crate::crypto::NirVault;
use crate::error::single;
use crate::page::{Page, PageRequest};

mod expiry;
mod matching;

pub use expiry::{EXPIRY_BATCH, expire_due};
pub use matching::person_nir_hash;

/// Another organisation of the deployment, where a referral was redirected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRef {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
}

/// An attachment's description (its content is read on its own with [`attachment`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AttachmentMeta {
    pub id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
}

/// A referral as stored. The NIR is only here sealed and masked.
#[derive(Debug, Clone)]
pub struct ReferralRecord {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub status: ReferralStatus,
    pub first_name: String,
    pub last_name: String,
    pub birth_name: Option<String>,
    pub birth_date: NaiveDate,
    pub nir_ciphertext: Option<Vec<u8>>,
    pub nir_masked: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub address_postcode: Option<String>,
    pub address_city: Option<String>,
    pub address_country: Option<String>,
    pub reason: String,
    pub domains: Vec<Domain>,
    pub urgency: Urgency,
    pub referrer_name: String,
    pub referrer_role: Option<String>,
    pub referrer_phone: Option<String>,
    pub referrer_email: Option<String>,
    pub informed_on: NaiveDate,
    pub informed_channel: InformedChannel,
    pub received_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<Uuid>,
    pub decline_reason: Option<DeclineReason>,
    pub decision_message: Option<String>,
    pub redirected_to: Option<OrgRef>,
    pub case_id: Option<Uuid>,
    pub person_id: Option<Uuid>,
    /// Where the support of the case it opened stands (accepted only).
    pub support: Option<SupportOutcome>,
    pub attachments: Vec<AttachmentMeta>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl ReferralRecord {
    /// The NIR in clear, to give it to the person created on acceptance.
    pub fn nir(&self, vault: &NirVault) -> Option<Nir> {
        self.nir_ciphertext
            .as_deref()
            .and_then(|s| vault.decrypt(s))
    }
}

/// An attachment to store: its type was recognised from the content by the caller.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub filename: String,
    pub kind: AttachmentType,
    pub content: Vec<u8>,
}

/// What a new referral records; validated by the caller.
#[derive(Debug, Clone)]
pub struct NewReferral<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub birth_name: Option<&'a str>,
    pub birth_date: NaiveDate,
    pub nir: Option<&'a Nir>,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
    pub address_line1: Option<&'a str>,
    pub address_line2: Option<&'a str>,
    pub address_postcode: Option<&'a str>,
    pub address_city: Option<&'a str>,
    pub address_country: Option<&'a str>,
    pub reason: &'a str,
    pub domains: &'a [Domain],
    pub urgency: Urgency,
    pub referrer_name: &'a str,
    pub referrer_role: Option<&'a str>,
    pub referrer_phone: Option<&'a str>,
    pub referrer_email: Option<&'a str>,
    pub informed_on: NaiveDate,
    pub informed_channel: InformedChannel,
    pub attachments: &'a [NewAttachment],
}

/// Whose referrals a read covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// The organisation's agents: its whole inbox.
    Organisation,
    /// A partner: the referrals it posted, nothing else.
    Partner(Uuid),
}

impl Viewer {
    fn partner(self) -> Option<Uuid> {
        match self {
            Viewer::Organisation => None,
            Viewer::Partner(id) => Some(id),
        }
    }
}

/// The decision taken on a received referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A case was opened for this person.
    Accepted { case_id: Uuid, person_id: Uuid },
    /// Declined, with a reason code.
    Declined(DeclineReason),
    /// Redirected to this other organisation.
    Redirected(Uuid),
}

/// A referral as read: the organisation it was redirected to becomes one [`OrgRef`].
struct Row {
    id: Uuid,
    partner_id: Uuid,
    status: ReferralStatus,
    first_name: String,
    last_name: String,
    birth_name: Option<String>,
    birth_date: NaiveDate,
    nir_ciphertext: Option<Vec<u8>>,
    nir_masked: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    address_line1: Option<String>,
    address_line2: Option<String>,
    address_postcode: Option<String>,
    address_city: Option<String>,
    address_country: Option<String>,
    reason: String,
    domains: Vec<Code<Domain>>,
    urgency: Urgency,
    referrer_name: String,
    referrer_role: Option<String>,
    referrer_phone: Option<String>,
    referrer_email: Option<String>,
    informed_on: NaiveDate,
    informed_channel: InformedChannel,
    received_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    decided_at: Option<DateTime<Utc>>,
    decided_by: Option<Uuid>,
    decline_reason: Option<Code<DeclineReason>>,
    decision_message: Option<String>,
    redirected_to: Option<Uuid>,
    redirected_slug: Option<String>,
    redirected_name: Option<String>,
    case_id: Option<Uuid>,
    person_id: Option<Uuid>,
    case_status: Option<Code<CaseStatus>>,
    case_closure_reason: Option<Code<ClosureReason>>,
    attachments: Json<Vec<AttachmentMeta>>,
    updated_at: DateTime<Utc>,
    version: i32,
}

impl TryFrom<Row> for ReferralRecord {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Self, StoreError> {
        let redirected_to = match (r.redirected_to, r.redirected_slug, r.redirected_name) {
            (Some(id), Some(slug), Some(name)) => Some(OrgRef { id, slug, name }),
            (None, _, _) => None,
            (Some(id), _, _) => return Err(corrupt(format!("organisation {id} vanished"))),
        };
        Ok(Self {
            id: r.id,
            partner_id: r.partner_id,
            status: r.status,
            first_name: r.first_name,
            last_name: r.last_name,
            birth_name: r.birth_name,
            birth_date: r.birth_date,
            nir_ciphertext: r.nir_ciphertext,
            nir_masked: r.nir_masked,
            phone: r.phone,
            email: r.email,
            address_line1: r.address_line1,
            address_line2: r.address_line2,
            address_postcode: r.address_postcode,
            address_city: r.address_city,
            address_country: r.address_country,
            reason: r.reason,
            domains: r.domains.into_iter().map(Code::into_inner).collect(),
            urgency: r.urgency,
            referrer_name: r.referrer_name,
            referrer_role: r.referrer_role,
            referrer_phone: r.referrer_phone,
            referrer_email: r.referrer_email,
            informed_on: r.informed_on,
            informed_channel: r.informed_channel,
            received_at: r.received_at,
            expires_at: r.expires_at,
            decided_at: r.decided_at,
            decided_by: r.decided_by,
            decline_reason: r.decline_reason.map(Code::into_inner),
            decision_message: r.decision_message,
            redirected_to,
            case_id: r.case_id,
            person_id: r.person_id,
            support: r.case_status.map(|status| {
                SupportOutcome::of(
                    status.into_inner(),
                    r.case_closure_reason.map(Code::into_inner),
                )
            }),
            attachments: r.attachments.0,
            updated_at: r.updated_at,
            version: r.version,
        })
    }
}

/// Records a referral of `partner_id` with its attachments: one statement per table. It
/// expires after the organisation's `referral_expiry_days`.
#[tracing::instrument(level = "debug", skip_all, fields(partner_id = %partner_id))]
pub async fn create(
    conn: &mut PgConnection,
    org_id: Uuid,
    partner_id: Uuid,
    new: &NewReferral<'_>,
    vault: &NirVault,
) -> Result<ReferralRecord, StoreError> {
    let id = Uuid::now_v7();
    let (cipher, hash, masked) = match new.nir {
        Some(nir) => (
            Some(vault.encrypt(nir)),
            Some(vault.search_hash(nir)),
            Some(nir.masked()),
        ),
        None => (None, None, None),
    };
    let domains: Vec<String> = new.domains.iter().map(|d| d.code().to_owned()).collect();
    // The partner must be one of the organisation's (row-level security hides the others).
    let inserted = sqlx::query_scalar!(
        r#"
        INSERT INTO referrals (id, org_id, partner_id, first_name, last_name, birth_name,
                               birth_date, nir_ciphertext, nir_hash, nir_masked, phone, email,
                               address_line1, address_line2, address_postcode, address_city,
                               address_country, reason, domains, urgency, referrer_name,
                               referrer_role, referrer_phone, referrer_email, informed_on,
                               informed_channel, consented, expires_at)
        SELECT $1, $2, p.id, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
               $19, $20, $21, $22, $23, $24, $25, $26, true,
               now() + make_interval(days => o.referral_expiry_days)
        FROM partners p
        JOIN organisations o ON o.id = p.org_id
        WHERE p.id = $3 AND p.org_id = $2
        RETURNING id
        "#,
        id,
        org_id,
        partner_id,
        new.first_name,
        new.last_name,
        new.birth_name,
        new.birth_date,
        cipher,
        hash,
        masked,
        new.phone,
        new.email,
        new.address_line1,
        new.address_line2,
        new.address_postcode,
        new.address_city,
        new.address_country,
        new.reason,
        &domains,
        new.urgency.code(),
        new.referrer_name,
        new.referrer_role,
        new.referrer_phone,
        new.referrer_email,
        new.informed_on,
        new.informed_channel.code()
    )
    .fetch_optional(&mut *conn)
    .await?;
    if inserted.is_none() {
        return Err(StoreError::NotFound);
    }
    if !new.attachments.is_empty() {
        insert_attachments(conn, org_id, id, new.attachments).await?;
    }
    // Read back whole: the record describes the attachments the second statement wrote.
    get(conn, id, Viewer::Organisation).await
}

async fn insert_attachments(
    conn: &mut PgConnection,
    org_id: Uuid,
    referral_id: Uuid,
    attachments: &[NewAttachment],
) -> Result<(), StoreError> {
    let mut ids = Vec::with_capacity(attachments.len());
    let mut names = Vec::with_capacity(attachments.len());
    let mut types = Vec::with_capacity(attachments.len());
    let mut sizes = Vec::with_capacity(attachments.len());
    let mut digests = Vec::with_capacity(attachments.len());
    let mut contents = Vec::with_capacity(attachments.len());
    for a in attachments {
        ids.push(Uuid::now_v7());
        names.push(a.filename.clone());
        types.push(a.kind.mime().to_owned());
        sizes.push(i32::try_from(a.content.len()).unwrap_or(i32::MAX));
        digests.push(Sha256::digest(&a.content).to_vec());
        contents.push(a.content.clone());
    }
    sqlx::query!(
        r#"
        INSERT INTO referral_attachments (id, org_id, referral_id, filename, content_type,
                                          size_bytes, sha256, content)
        SELECT a.id, $1, $2, a.filename, a.content_type, a.size_bytes, a.sha256, a.content
        FROM UNNEST($3::uuid[], $4::text[], $5::text[], $6::int4[], $7::bytea[], $8::bytea[])
             AS a (id, filename, content_type, size_bytes, sha256, content)
        "#,
        org_id,
        referral_id,
        &ids,
        &names,
        &types,
        &sizes,
        &digests,
        &contents
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One referral: of the organisation, or of one partner (another's answers `NotFound`).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(
    conn: &mut PgConnection,
    id: Uuid,
    viewer: Viewer,
) -> Result<ReferralRecord, StoreError> {
    single(read(conn, Some(id), &[], viewer, None, 1).await?)
}

/// The referral, locked until the end of the transaction so that two decisions (or a decision
/// and the expiry sweep) queue up instead of racing.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<ReferralRecord, StoreError> {
    sqlx::query_scalar!("SELECT id FROM referrals WHERE id = $1 FOR UPDATE", id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    get(conn, id, Viewer::Organisation).await
}

/// Filters of the inbox.
#[derive(Debug, Clone, Default)]
pub struct ReferralFilter {
    /// Status codes; every status when empty.
    pub statuses: Vec<String>,
}

/// The inbox (or a partner's own referrals), newest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    conn: &mut PgConnection,
    filter: &ReferralFilter,
    viewer: Viewer,
    page: PageRequest,
) -> Result<Page<ReferralRecord>, StoreError> {
    let rows = read(
        conn,
        None,
        &filter.statuses,
        viewer,
        page.after,
        page.fetch_limit(),
    )
    .await?;
    Ok(Page::from_rows(rows, page.limit, |r| r.id))
}

/// The one read of referrals, newest first, with their attachments' descriptions: those the
/// viewer sees, of `statuses` (every status when empty), after the referral `after`, at most
/// `limit` of them, or only the referral `id`.
async fn read(
    conn: &mut PgConnection,
    id: Option<Uuid>,
    statuses: &[String],
    viewer: Viewer,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ReferralRecord>, StoreError> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT r.id, r.partner_id, r.status AS "status: Code<ReferralStatus>", r.first_name,
                  r.last_name, r.birth_name, r.birth_date, r.nir_ciphertext, r.nir_masked,
                  r.phone, r.email, r.address_line1, r.address_line2, r.address_postcode,
                  r.address_city, r.address_country, r.reason,
                  r.domains AS "domains: Vec<Code<Domain>>", r.urgency AS "urgency: Code<Urgency>",
                  r.referrer_name, r.referrer_role, r.referrer_phone, r.referrer_email,
                  r.informed_on, r.informed_channel AS "informed_channel: Code<InformedChannel>",
                  r.received_at, r.expires_at, r.decided_at, r.decided_by,
                  r.decline_reason AS "decline_reason: Code<DeclineReason>", r.decision_message,
                  r.redirected_to, o.slug AS "redirected_slug?", o.name AS "redirected_name?",
                  r.case_id, r.person_id,
                  -- Where the support stands; not for a partner while the person restricted
                  -- the processing of their data (restrictions::active).
                  CASE WHEN $3::uuid IS NULL
                         OR NOT EXISTS (SELECT 1 FROM person_restrictions pr
                                         WHERE pr.person_id = r.person_id
                                           AND pr.lifted_at IS NULL)
                       THEN c.status END AS "case_status?: Code<CaseStatus>",
                  c.closure_reason AS "case_closure_reason?: Code<ClosureReason>",
                  coalesce((SELECT jsonb_agg(jsonb_build_object('id', a.id, 'filename',
                      a.filename, 'content_type', a.content_type, 'size_bytes', a.size_bytes,
                      'sha256', encode(a.sha256, 'hex')) ORDER BY a.id)
                      FROM referral_attachments a WHERE a.referral_id = r.id),
                      '[]'::jsonb) AS "attachments!: Json<Vec<AttachmentMeta>>",
                  r.updated_at, r.version
             FROM referrals r
             LEFT JOIN organisations o ON o.id = r.redirected_to
             LEFT JOIN cases c ON c.id = r.case_id
            WHERE ($1::uuid IS NULL OR r.id = $1)
              AND (cardinality($2::text[]) = 0 OR r.status = ANY($2))
              AND ($3::uuid IS NULL OR r.partner_id = $3)
              AND ($4::uuid IS NULL OR r.id < $4)
            ORDER BY r.id DESC
            LIMIT $5"#,
        id,
        statuses,
        viewer.partner(),
        after,
        limit
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(ReferralRecord::try_from).collect()
}

/// The `data` of a `referral.status_changed` webhook: ids and statuses, never personal data.
pub fn status_changed_data(referral: &ReferralRecord, previous: ReferralStatus) -> Value {
    let mut data = json!({
        "referral_id": referral.id,
        "status": referral.status.code(),
        "previous_status": previous.code(),
    });
    if let Some(case_id) = referral.case_id {
        data["case_id"] = json!(case_id);
    }
    if let Some(org) = &referral.redirected_to {
        data["redirected_to"] = json!({"slug": org.slug, "name": org.name});
    }
    data
}

/// The `data` of a `referral.outcome` webhook: where the support of the referred person stands,
/// nothing else of the case.
pub fn outcome_data(referral_id: Uuid, case_id: Uuid, outcome: SupportOutcome) -> Value {
    let mut data = json!({
        "referral_id": referral_id,
        "case_id": case_id,
        "status": outcome.status.code(),
    });
    if let Some(reason) = outcome.closure_reason {
        data["closure_reason"] = json!(reason.code());
    }
    data
}

/// Tells the partner whose accepted referral opened `case_id` where the support stands now (a
/// `referral.outcome` webhook, in the caller's transaction); nothing when the case came from no
/// referral, or while its person has an active restriction or objection.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn tell_outcome(
    conn: &mut PgConnection,
    org_id: Uuid,
    case_id: Uuid,
    outcome: SupportOutcome,
) -> Result<(), StoreError> {
    let referral = sqlx::query!(
        r#"SELECT id, partner_id, person_id AS "person_id!" FROM referrals
            WHERE case_id = $1 AND status = 'accepted'"#,
        case_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(referral) = referral else {
        return Ok(());
    };
    // Nothing is shared about a person who restricted the processing of their data.
    if !crate::restrictions::active(conn, referral.person_id).await? {
        crate::outbox::enqueue(
            conn,
            org_id,
            referral.partner_id,
            WebhookEvent::ReferralOutcome,
            outcome_data(referral.id, case_id, outcome),
        )
        .await?;
    }
    Ok(())
}

/// Records the decision on a received referral at `expected_version`, and queues its webhook in
/// the same transaction. A decided or expired referral is a conflict (`invalid_transition`).
#[tracing::instrument(level = "debug", skip_all, fields(referral_id = %id))]
pub async fn decide(
    conn: &mut PgConnection,
    org_id: Uuid,
    id: Uuid,
    expected_version: i32,
    decision: Decision,
    message: Option<&str>,
    decided_by: Uuid,
) -> Result<ReferralRecord, StoreError> {
    let (status, reason, redirected, case_id, person_id) = match decision {
        Decision::Accepted { case_id, person_id } => (
            ReferralStatus::Accepted,
            None,
            None,
            Some(case_id),
            Some(person_id),
        ),
        Decision::Declined(reason) => (ReferralStatus::Declined, Some(reason), None, None, None),
        Decision::Redirected(org) => (ReferralStatus::Redirected, None, Some(org), None, None),
    };
    let updated = sqlx::query_scalar!(
        r#"
        UPDATE referrals
        SET status = $3, decided_at = now(), decided_by = $4, decline_reason = $5,
            decision_message = $6, redirected_to = $7, case_id = $8, person_id = $9,
            updated_at = now(), version = version + 1
        WHERE id = $1 AND version = $2 AND status = 'received'
        RETURNING id
        "#,
        id,
        expected_version,
        status.code(),
        decided_by,
        reason.map(DeclineReason::code),
        message,
        redirected,
        case_id,
        person_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    if updated.is_none() {
        let current = get(conn, id, Viewer::Organisation).await?;
        return Err(match current.status.transition(status) {
            Err(err) => StoreError::Conflict {
                code: err.code(),
                message: err.to_string(),
            },
            Ok(_) => StoreError::VersionMismatch,
        });
    }
    // Read back whole: the record names the organisation it was redirected to.
    let referral = get(conn, id, Viewer::Organisation).await?;
    crate::outbox::enqueue(
        conn,
        org_id,
        referral.partner_id,
        WebhookEvent::ReferralStatusChanged,
        status_changed_data(&referral, ReferralStatus::Received),
    )
    .await?;
    Ok(referral)
}

/// An attachment's content.
#[derive(Debug, Clone)]
pub struct AttachmentContent {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// One attachment of a referral of the organisation.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn attachment(
    conn: &mut PgConnection,
    referral_id: Uuid,
    id: Uuid,
) -> Result<AttachmentContent, StoreError> {
    sqlx::query_as!(
        AttachmentContent,
        r#"
        SELECT filename, content_type, content
        FROM referral_attachments
        WHERE id = $1 AND referral_id = $2
        "#,
        id,
        referral_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)
}
