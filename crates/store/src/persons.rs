//! Persons: identity, contact details, the protected NIR, and consents.

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::{ConsentChannel, ConsentScope, InformedChannel, MaritalStatus, Nir};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::code::Code;
use crate::crypto::NirVault;
use crate::error::on_constraint;
use crate::page::{Page, PageRequest};
use crate::version::{Versioned, stale_or_missing};

/// A person as stored. The NIR is only here sealed; see [`PersonRecord::nir`].
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonRecord {
    pub id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub birth_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub nir_ciphertext: Option<Vec<u8>>,
    pub nir_masked: Option<String>,
    pub caf_number: Option<String>,
    pub marital_status: Option<Code<MaritalStatus>>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub address_postcode: Option<String>,
    pub address_city: Option<String>,
    pub address_country: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub informed_at: Option<DateTime<Utc>>,
    pub informed_channel: Option<Code<InformedChannel>>,
    pub informed_notice_version: Option<String>,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl PersonRecord {
    /// The NIR in clear: only for a caller entitled to it, who gave a reason (audited).
    pub fn nir(&self, vault: &NirVault) -> Option<Nir> {
        self.nir_ciphertext
            .as_deref()
            .and_then(|s| vault.decrypt(s))
    }
}

/// Every writable field of a person, already validated by the caller.
#[derive(Debug, Clone, Default)]
pub struct PersonData {
    pub first_name: String,
    pub last_name: String,
    pub birth_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub nir: NirChange,
    pub caf_number: Option<String>,
    pub marital_status: Option<MaritalStatus>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub address_postcode: Option<String>,
    pub address_city: Option<String>,
    pub address_country: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub informed_at: Option<DateTime<Utc>>,
    pub informed_channel: Option<InformedChannel>,
    pub informed_notice_version: Option<String>,
}

/// What to do with the stored NIR.
#[derive(Debug, Clone, Default)]
pub enum NirChange {
    #[default]
    Keep,
    Clear,
    Set(Nir),
}

/// The sealed columns of a NIR change: (ciphertext, hash, masked), or `None` to keep them.
type Sealed = Option<(Option<Vec<u8>>, Option<Vec<u8>>, Option<String>)>;

fn seal(change: &NirChange, vault: &NirVault) -> Sealed {
    match change {
        NirChange::Keep => None,
        NirChange::Clear => Some((None, None, None)),
        NirChange::Set(nir) => Some((
            Some(vault.encrypt(nir)),
            Some(vault.search_hash(nir)),
            Some(nir.masked()),
        )),
    }
}

fn search_name(data: &PersonData) -> String {
    let mut all = format!("{} {}", data.first_name, data.last_name);
    if let Some(birth) = &data.birth_name {
        all.push(' ');
        all.push_str(birth);
    }
    relais_domain::text::fold(&all)
}

fn duplicate_nir() -> StoreError {
    StoreError::Conflict {
        code: "duplicate_nir",
        message: "a person with this NIR already exists in the organisation".into(),
    }
}

/// Creates a person.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    conn: &mut PgConnection,
    org_id: Uuid,
    created_by: Uuid,
    data: &PersonData,
    vault: &NirVault,
) -> Result<PersonRecord, StoreError> {
    let (cipher, hash, masked) = seal(&data.nir, vault).unwrap_or((None, None, None));
    sqlx::query_as!(
        PersonRecord,
        r#"
        INSERT INTO persons (id, org_id, created_by, first_name, last_name, birth_name, birth_date,
                             search_name, nir_ciphertext, nir_hash, nir_masked, caf_number,
                             marital_status, address_line1, address_line2, address_postcode,
                             address_city, address_country, phone, email, informed_at,
                             informed_channel, informed_notice_version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                $18, $19, $20, $21, $22, $23)
        RETURNING id, first_name, last_name, birth_name, birth_date, nir_ciphertext, nir_masked,
                  caf_number, marital_status AS "marital_status: Code<MaritalStatus>",
                  address_line1, address_line2, address_postcode, address_city, address_country,
                  phone, email, informed_at,
                  informed_channel AS "informed_channel: Code<InformedChannel>",
                  informed_notice_version, last_contact_at, created_at, updated_at, version
        "#,
        Uuid::now_v7(),
        org_id,
        created_by,
        &data.first_name,
        &data.last_name,
        data.birth_name.as_deref(),
        data.birth_date,
        search_name(data),
        cipher,
        hash,
        masked,
        data.caf_number.as_deref(),
        data.marital_status.map(MaritalStatus::code),
        data.address_line1.as_deref(),
        data.address_line2.as_deref(),
        data.address_postcode.as_deref(),
        data.address_city.as_deref(),
        data.address_country.as_deref(),
        data.phone.as_deref(),
        data.email.as_deref(),
        data.informed_at,
        data.informed_channel.map(InformedChannel::code),
        data.informed_notice_version.as_deref()
    )
    .fetch_one(conn)
    .await
    .map_err(on_constraint("persons_org_nir_key", duplicate_nir))
}

/// Replaces every writable field when the stored version is `expected_version`.
#[tracing::instrument(level = "debug", skip_all, fields(person_id = %id))]
pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    expected_version: i32,
    data: &PersonData,
    vault: &NirVault,
) -> Result<PersonRecord, StoreError> {
    let sealed = seal(&data.nir, vault);
    let keep = sealed.is_none();
    let (cipher, hash, masked) = sealed.unwrap_or((None, None, None));
    let updated = sqlx::query_as!(
        PersonRecord,
        r#"
        UPDATE persons
        SET first_name = $3, last_name = $4, birth_name = $5, birth_date = $6, search_name = $7,
            nir_ciphertext = CASE WHEN $8 THEN nir_ciphertext ELSE $9 END,
            nir_hash = CASE WHEN $8 THEN nir_hash ELSE $10 END,
            nir_masked = CASE WHEN $8 THEN nir_masked ELSE $11 END,
            caf_number = $12, marital_status = $13, address_line1 = $14, address_line2 = $15,
            address_postcode = $16, address_city = $17, address_country = $18, phone = $19,
            email = $20, informed_at = $21, informed_channel = $22, informed_notice_version = $23,
            updated_at = now(), version = version + 1
        WHERE id = $1 AND version = $2
        RETURNING id, first_name, last_name, birth_name, birth_date, nir_ciphertext, nir_masked,
                  caf_number, marital_status AS "marital_status: Code<MaritalStatus>",
                  address_line1, address_line2, address_postcode, address_city, address_country,
                  phone, email, informed_at,
                  informed_channel AS "informed_channel: Code<InformedChannel>",
                  informed_notice_version, last_contact_at, created_at, updated_at, version
        "#,
        id,
        expected_version,
        &data.first_name,
        &data.last_name,
        data.birth_name.as_deref(),
        data.birth_date,
        search_name(data),
        keep,
        cipher,
        hash,
        masked,
        data.caf_number.as_deref(),
        data.marital_status.map(MaritalStatus::code),
        data.address_line1.as_deref(),
        data.address_line2.as_deref(),
        data.address_postcode.as_deref(),
        data.address_city.as_deref(),
        data.address_country.as_deref(),
        data.phone.as_deref(),
        data.email.as_deref(),
        data.informed_at,
        data.informed_channel.map(InformedChannel::code),
        data.informed_notice_version.as_deref()
    )
    .fetch_optional(&mut *conn)
    .await
    .map_err(on_constraint("persons_org_nir_key", duplicate_nir))?;
    match updated {
        Some(person) => Ok(person),
        None => Err(stale_or_missing(conn, Versioned::Person(id)).await),
    }
}

/// One person of the current organisation.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<PersonRecord, StoreError> {
    sqlx::query_as!(
        PersonRecord,
        r#"
        SELECT id, first_name, last_name, birth_name, birth_date, nir_ciphertext, nir_masked,
               caf_number, marital_status AS "marital_status: Code<MaritalStatus>",
               address_line1, address_line2, address_postcode, address_city, address_country,
               phone, email, informed_at,
               informed_channel AS "informed_channel: Code<InformedChannel>",
               informed_notice_version, last_contact_at, created_at, updated_at, version
        FROM persons
        WHERE id = $1
        "#,
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)
}

/// Search criteria; all given criteria must match.
#[derive(Debug, Clone, Default)]
pub struct PersonSearch {
    /// Folded words that must each appear in the names.
    pub words: Vec<String>,
    pub birth_date: Option<NaiveDate>,
    pub nir: Option<Nir>,
}

/// Searches persons, newest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn search(
    conn: &mut PgConnection,
    criteria: &PersonSearch,
    vault: &NirVault,
    page: PageRequest,
) -> Result<Page<PersonRecord>, StoreError> {
    let patterns: Vec<String> = criteria
        .words
        .iter()
        .map(|w| format!("%{}%", escape_like(w)))
        .collect();
    let hash = criteria.nir.as_ref().map(|n| vault.search_hash(n));
    let rows = sqlx::query_as!(
        PersonRecord,
        r#"
        SELECT id, first_name, last_name, birth_name, birth_date, nir_ciphertext, nir_masked,
               caf_number, marital_status AS "marital_status: Code<MaritalStatus>",
               address_line1, address_line2, address_postcode, address_city, address_country,
               phone, email, informed_at,
               informed_channel AS "informed_channel: Code<InformedChannel>",
               informed_notice_version, last_contact_at, created_at, updated_at, version
        FROM persons
        WHERE search_name LIKE ALL($1)
          AND ($2::date IS NULL OR birth_date = $2)
          AND ($3::bytea IS NULL OR nir_hash = $3)
          AND ($4::uuid IS NULL OR id < $4)
        ORDER BY id DESC
        LIMIT $5
        "#,
        &patterns,
        criteria.birth_date,
        hash,
        page.after,
        page.fetch_limit()
    )
    .fetch_all(conn)
    .await?;
    Ok(Page::from_rows(rows, page.limit, |p| p.id))
}

fn escape_like(word: &str) -> String {
    word.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// A consent as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConsentRecord {
    pub id: Uuid,
    pub person_id: Uuid,
    pub scope: ConsentScope,
    pub channel: ConsentChannel,
    pub collected_by: Uuid,
    pub given_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawal_channel: Option<Code<ConsentChannel>>,
    pub created_at: DateTime<Utc>,
    pub version: i32,
}

/// Records a consent given by the person.
#[tracing::instrument(level = "debug", skip_all, fields(person_id = %person_id))]
pub async fn add_consent(
    conn: &mut PgConnection,
    org_id: Uuid,
    person_id: Uuid,
    scope: ConsentScope,
    channel: ConsentChannel,
    collected_by: Uuid,
    given_at: DateTime<Utc>,
) -> Result<ConsentRecord, StoreError> {
    Ok(sqlx::query_as!(
        ConsentRecord,
        r#"
        INSERT INTO consents (id, org_id, person_id, scope, channel, collected_by, given_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        RETURNING id, person_id, scope AS "scope: Code<ConsentScope>",
                  channel AS "channel: Code<ConsentChannel>", collected_by, given_at,
                  withdrawn_at, withdrawal_channel AS "withdrawal_channel: Code<ConsentChannel>",
                  created_at, version
        "#,
        Uuid::now_v7(),
        org_id,
        person_id,
        scope.code(),
        channel.code(),
        collected_by,
        given_at
    )
    .fetch_one(conn)
    .await?)
}

/// The person's consents, oldest first (a person has a handful), or only `consent_id`.
async fn read_consents(
    conn: &mut PgConnection,
    person_id: Uuid,
    consent_id: Option<Uuid>,
) -> Result<Vec<ConsentRecord>, StoreError> {
    Ok(sqlx::query_as!(
        ConsentRecord,
        r#"
        SELECT id, person_id, scope AS "scope: Code<ConsentScope>",
               channel AS "channel: Code<ConsentChannel>", collected_by, given_at, withdrawn_at,
               withdrawal_channel AS "withdrawal_channel: Code<ConsentChannel>", created_at,
               version
        FROM consents
        WHERE person_id = $1 AND ($2::uuid IS NULL OR id = $2)
        ORDER BY id
        "#,
        person_id,
        consent_id
    )
    .fetch_all(conn)
    .await?)
}

/// The person's consents, oldest first.
pub async fn consents(
    conn: &mut PgConnection,
    person_id: Uuid,
) -> Result<Vec<ConsentRecord>, StoreError> {
    read_consents(conn, person_id, None).await
}

/// A consent of the person, if it exists in the organisation (withdrawn or not).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn consent(
    conn: &mut PgConnection,
    person_id: Uuid,
    consent_id: Uuid,
) -> Result<Option<ConsentRecord>, StoreError> {
    Ok(read_consents(conn, person_id, Some(consent_id))
        .await?
        .pop())
}

/// Withdraws a consent; withdrawing twice is a conflict (`consent_already_withdrawn`).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn withdraw_consent(
    conn: &mut PgConnection,
    person_id: Uuid,
    consent_id: Uuid,
    channel: ConsentChannel,
) -> Result<ConsentRecord, StoreError> {
    let updated = sqlx::query_as!(
        ConsentRecord,
        r#"
        UPDATE consents
        SET withdrawn_at = now(), withdrawal_channel = $3, version = version + 1
        WHERE id = $1 AND person_id = $2 AND withdrawn_at IS NULL
        RETURNING id, person_id, scope AS "scope: Code<ConsentScope>",
                  channel AS "channel: Code<ConsentChannel>", collected_by, given_at,
                  withdrawn_at, withdrawal_channel AS "withdrawal_channel: Code<ConsentChannel>",
                  created_at, version
        "#,
        consent_id,
        person_id,
        channel.code()
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(consent) = updated {
        return Ok(consent);
    }
    Err(match consent(conn, person_id, consent_id).await? {
        Some(_) => StoreError::Conflict {
            code: "consent_already_withdrawn",
            message: "this consent was already withdrawn".into(),
        },
        None => StoreError::NotFound,
    })
}
