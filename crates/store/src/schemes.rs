//! The scheme catalogue (dispositifs) of an organisation.
//!
//! Schemes are created ([`create`]), changed at a version ([`update`]), listed ([`list`],
//! [`list_active`]) and moved as a whole: [`import`] upserts a batch by name in one statement,
//! [`export`] reads them all. Their criteria and required documents are stored as JSON arrays
//! written from the domain types and read back through them (`relais_domain::eligibility`,
//! `relais_domain::scheme`), so a stored criterion is always a valid one.
//!
//! A scheme holds no personal data: reading the catalogue is not audited. [`person_facts`]
//! reads what the criteria compare of a person (the caller audits the matching).

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::scheme::{RequiredDocument, documents_json};
use relais_domain::{
    Criterion, Disability, DisabilityRate, DisabilityRecognition, Domain, LegalProtectionKind,
};
use serde_json::Value;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use crate::StoreError;
use crate::code::{Code, decode};
use crate::error::{on_constraint, single};
use crate::page::{Page, PageRequest};
use crate::version::{Versioned, stale_or_missing};

/// A scheme as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemeRecord {
    pub id: Uuid,
    pub name: String,
    pub domain: Domain,
    /// The body that grants it (CAF, conseil départemental, CCAS…).
    pub provider: String,
    pub description: Option<String>,
    pub criteria: Vec<Criterion>,
    /// The supporting documents, in order; codes are unique within the scheme.
    pub required_documents: Vec<RequiredDocument>,
    pub usual_processing_days: Option<i32>,
    pub source_url: Option<String>,
    pub figures_read_on: Option<NaiveDate>,
    pub notes: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Uuid,
    pub version: i32,
}

/// What an administrator sets on a scheme; the domain types hold valid criteria and
/// documents, the caller checks the lengths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemeData {
    pub name: String,
    pub domain: Domain,
    pub provider: String,
    pub description: Option<String>,
    pub criteria: Vec<Criterion>,
    pub required_documents: Vec<RequiredDocument>,
    pub usual_processing_days: Option<i32>,
    pub source_url: Option<String>,
    pub figures_read_on: Option<NaiveDate>,
    pub notes: Option<String>,
    pub active: bool,
}

impl SchemeRecord {
    /// The record's editable fields, to merge a change into or to export.
    pub fn data(&self) -> SchemeData {
        SchemeData {
            name: self.name.clone(),
            domain: self.domain,
            provider: self.provider.clone(),
            description: self.description.clone(),
            criteria: self.criteria.clone(),
            required_documents: self.required_documents.clone(),
            usual_processing_days: self.usual_processing_days,
            source_url: self.source_url.clone(),
            figures_read_on: self.figures_read_on,
            notes: self.notes.clone(),
            active: self.active,
        }
    }
}

/// What an import did: schemes created, changed, and found identical (left untouched).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportCounts {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
}

/// The row as read: its JSON columns hold the domain types.
struct Row {
    id: Uuid,
    name: String,
    domain: Domain,
    provider: String,
    description: Option<String>,
    criteria: Json<Vec<Criterion>>,
    required_documents: Json<Vec<RequiredDocument>>,
    usual_processing_days: Option<i32>,
    source_url: Option<String>,
    figures_read_on: Option<NaiveDate>,
    notes: Option<String>,
    active: bool,
    created_at: DateTime<Utc>,
    created_by: Uuid,
    updated_at: DateTime<Utc>,
    updated_by: Uuid,
    version: i32,
}

impl From<Row> for SchemeRecord {
    fn from(r: Row) -> Self {
        SchemeRecord {
            id: r.id,
            name: r.name,
            domain: r.domain,
            provider: r.provider,
            description: r.description,
            criteria: r.criteria.0,
            required_documents: r.required_documents.0,
            usual_processing_days: r.usual_processing_days,
            source_url: r.source_url,
            figures_read_on: r.figures_read_on,
            notes: r.notes,
            active: r.active,
            created_at: r.created_at,
            created_by: r.created_by,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
            version: r.version,
        }
    }
}

fn criteria_json(criteria: &[Criterion]) -> Value {
    Value::Array(criteria.iter().map(Criterion::to_json).collect())
}

fn name_taken() -> StoreError {
    StoreError::Conflict {
        code: "scheme_name_taken",
        message: "another scheme of the organisation has this name".into(),
    }
}

/// Adds a scheme to the organisation's catalogue.
///
/// # Errors
/// `Conflict` (`scheme_name_taken`) when the name is already used in the organisation.
#[tracing::instrument(level = "debug", skip(conn, data))]
pub async fn create(
    conn: &mut PgConnection,
    org_id: Uuid,
    created_by: Uuid,
    data: &SchemeData,
) -> Result<SchemeRecord, StoreError> {
    let row = sqlx::query_as!(
        Row,
        r#"
        INSERT INTO schemes (id, org_id, name, domain, provider, description, criteria,
                             required_documents, usual_processing_days, source_url, figures_read_on,
                             notes, active, created_by, updated_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)
        RETURNING id, name, domain AS "domain: Code<Domain>", provider, description,
                  criteria AS "criteria: _", required_documents AS "required_documents: _",
                  usual_processing_days, source_url, figures_read_on, notes, active, created_at,
                  created_by, updated_at, updated_by, version
        "#,
        Uuid::now_v7(),
        org_id,
        data.name,
        data.domain.code(),
        data.provider,
        data.description,
        criteria_json(&data.criteria),
        documents_json(&data.required_documents),
        data.usual_processing_days,
        data.source_url,
        data.figures_read_on,
        data.notes,
        data.active,
        created_by,
    )
    .fetch_one(conn)
    .await
    .map_err(on_constraint("schemes_org_name_key", name_taken))?;
    Ok(row.into())
}

/// One scheme of the organisation (active or not).
///
/// # Errors
/// `NotFound` when it does not exist in the organisation.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<SchemeRecord, StoreError> {
    let only = Read {
        id: Some(id),
        limit: Some(1),
        ..Read::default()
    };
    single(read(conn, only).await?)
}

/// Filters of the catalogue list.
#[derive(Debug, Clone, Copy, Default)]
pub struct SchemeFilter {
    pub active: Option<bool>,
    pub domain: Option<Domain>,
}

/// The organisation's schemes, oldest first (by id), filtered.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    filter: SchemeFilter,
    page: PageRequest,
) -> Result<Page<SchemeRecord>, StoreError> {
    let filtered = Read {
        filter,
        after: page.after,
        limit: Some(page.fetch_limit()),
        ..Read::default()
    };
    Ok(Page::from_rows(
        read(conn, filtered).await?,
        page.limit,
        |s| s.id,
    ))
}

/// Whether the organisation's catalogue has any scheme (active or not).
pub async fn any(conn: &mut PgConnection) -> Result<bool, StoreError> {
    Ok(
        sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM schemes) AS "any!""#)
            .fetch_one(conn)
            .await?,
    )
}

/// Every active scheme of the organisation, by name: what a case is matched against.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn list_active(conn: &mut PgConnection) -> Result<Vec<SchemeRecord>, StoreError> {
    let active = Read {
        filter: SchemeFilter {
            active: Some(true),
            domain: None,
        },
        by_name: true,
        ..Read::default()
    };
    read(conn, active).await
}

/// Every scheme of the organisation, oldest first: the catalogue to export.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn export(conn: &mut PgConnection) -> Result<Vec<SchemeRecord>, StoreError> {
    read(conn, Read::default()).await
}

/// Which schemes a read answers, and in which order.
#[derive(Debug, Clone, Copy, Default)]
struct Read {
    /// Only this scheme.
    id: Option<Uuid>,
    filter: SchemeFilter,
    /// Only those after this one, by id.
    after: Option<Uuid>,
    /// By name (then id) rather than by id.
    by_name: bool,
    /// All of them when `None`.
    limit: Option<i64>,
}

/// The one read of the catalogue.
async fn read(conn: &mut PgConnection, read: Read) -> Result<Vec<SchemeRecord>, StoreError> {
    let rows = sqlx::query_as!(
        Row,
        r#"
        SELECT id, name, domain AS "domain: Code<Domain>", provider, description,
               criteria AS "criteria: _", required_documents AS "required_documents: _",
               usual_processing_days, source_url, figures_read_on, notes, active, created_at,
               created_by, updated_at, updated_by, version
        FROM schemes
        WHERE ($1::uuid IS NULL OR id = $1)
          AND ($2::boolean IS NULL OR active = $2)
          AND ($3::text IS NULL OR domain = $3)
          AND ($4::uuid IS NULL OR id > $4)
        ORDER BY CASE WHEN $5 THEN name END, id
        LIMIT $6
        "#,
        read.id,
        read.filter.active,
        read.filter.domain.map(Domain::code),
        read.after,
        read.by_name,
        read.limit
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(SchemeRecord::from).collect())
}

/// Replaces a scheme's editable fields, at `expected_version`.
///
/// # Errors
/// `VersionMismatch` when the version moved on, `NotFound`, `Conflict` (`scheme_name_taken`).
#[tracing::instrument(level = "debug", skip(conn, data))]
pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    expected_version: i32,
    updated_by: Uuid,
    data: &SchemeData,
) -> Result<SchemeRecord, StoreError> {
    let updated = sqlx::query_as!(
        Row,
        r#"
        UPDATE schemes
        SET name = $3, domain = $4, provider = $5, description = $6, criteria = $7,
            required_documents = $8, usual_processing_days = $9, source_url = $10,
            figures_read_on = $11, notes = $12, active = $13, updated_by = $14, updated_at = now(),
            version = version + 1
        WHERE id = $1 AND version = $2
        RETURNING id, name, domain AS "domain: Code<Domain>", provider, description,
                  criteria AS "criteria: _", required_documents AS "required_documents: _",
                  usual_processing_days, source_url, figures_read_on, notes, active, created_at,
                  created_by, updated_at, updated_by, version
        "#,
        id,
        expected_version,
        data.name,
        data.domain.code(),
        data.provider,
        data.description,
        criteria_json(&data.criteria),
        documents_json(&data.required_documents),
        data.usual_processing_days,
        data.source_url,
        data.figures_read_on,
        data.notes,
        data.active,
        updated_by,
    )
    .fetch_optional(&mut *conn)
    .await
    .map_err(on_constraint("schemes_org_name_key", name_taken))?;
    match updated {
        Some(row) => Ok(row.into()),
        None => Err(stale_or_missing(conn, Versioned::Scheme(id)).await),
    }
}

/// Imports a batch of schemes in one statement: a scheme whose name exists in the organisation
/// is replaced (its version grows) unless identical, the others are created. The names of the
/// batch must be distinct (the caller checks).
#[tracing::instrument(level = "debug", skip(conn, schemes), fields(count = schemes.len()))]
pub async fn import(
    conn: &mut PgConnection,
    org_id: Uuid,
    agent_id: Uuid,
    schemes: &[SchemeData],
) -> Result<ImportCounts, StoreError> {
    let total = u32::try_from(schemes.len()).unwrap_or(u32::MAX);
    if schemes.is_empty() {
        return Ok(ImportCounts {
            created: 0,
            updated: 0,
            unchanged: 0,
        });
    }
    let ids: Vec<Uuid> = schemes.iter().map(|_| Uuid::now_v7()).collect();
    let names: Vec<String> = schemes.iter().map(|s| s.name.clone()).collect();
    let domains: Vec<String> = schemes.iter().map(|s| s.domain.code().to_owned()).collect();
    let providers: Vec<String> = schemes.iter().map(|s| s.provider.clone()).collect();
    let descriptions: Vec<Option<String>> = schemes.iter().map(|s| s.description.clone()).collect();
    let criteria: Vec<Value> = schemes.iter().map(|s| criteria_json(&s.criteria)).collect();
    let documents: Vec<Value> = schemes
        .iter()
        .map(|s| documents_json(&s.required_documents))
        .collect();
    let days: Vec<Option<i32>> = schemes.iter().map(|s| s.usual_processing_days).collect();
    let sources: Vec<Option<String>> = schemes.iter().map(|s| s.source_url.clone()).collect();
    let read_on: Vec<Option<NaiveDate>> = schemes.iter().map(|s| s.figures_read_on).collect();
    let notes: Vec<Option<String>> = schemes.iter().map(|s| s.notes.clone()).collect();
    let active: Vec<bool> = schemes.iter().map(|s| s.active).collect();
    // `xmax = 0` tells a fresh row from an updated one; identical rows are not touched, so
    // they are not returned.
    let inserted: Vec<bool> = sqlx::query_scalar!(
        r#"
        INSERT INTO schemes AS s (id, org_id, name, domain, provider, description, criteria,
                                  required_documents, usual_processing_days, source_url,
                                  figures_read_on, notes, active, created_by, updated_by)
        SELECT x.id, $1, x.name, x.domain, x.provider, x.description, x.criteria,
               x.required_documents, x.days, x.source_url, x.read_on, x.notes, x.active, $2, $2
        FROM UNNEST($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[],
                    $9::jsonb[], $10::int4[], $11::text[], $12::date[], $13::text[], $14::bool[])
             AS x(id, name, domain, provider, description, criteria, required_documents, days,
                  source_url, read_on, notes, active)
        ON CONFLICT (org_id, name) DO UPDATE
        SET domain = EXCLUDED.domain,
            provider = EXCLUDED.provider,
            description = EXCLUDED.description,
            criteria = EXCLUDED.criteria,
            required_documents = EXCLUDED.required_documents,
            usual_processing_days = EXCLUDED.usual_processing_days,
            source_url = EXCLUDED.source_url,
            figures_read_on = EXCLUDED.figures_read_on,
            notes = EXCLUDED.notes,
            active = EXCLUDED.active,
            updated_by = EXCLUDED.updated_by,
            updated_at = now(),
            version = s.version + 1
        WHERE (s.domain, s.provider, s.description, s.criteria, s.required_documents,
               s.usual_processing_days, s.source_url, s.figures_read_on, s.notes, s.active)
              IS DISTINCT FROM
              (EXCLUDED.domain, EXCLUDED.provider, EXCLUDED.description, EXCLUDED.criteria,
               EXCLUDED.required_documents, EXCLUDED.usual_processing_days, EXCLUDED.source_url,
               EXCLUDED.figures_read_on, EXCLUDED.notes, EXCLUDED.active)
        RETURNING (s.xmax = 0) AS "inserted!"
        "#,
        org_id,
        agent_id,
        &ids,
        &names,
        &domains,
        &providers,
        &descriptions as &[Option<String>],
        &criteria,
        &documents,
        &days as &[Option<i32>],
        &sources as &[Option<String>],
        &read_on as &[Option<NaiveDate>],
        &notes as &[Option<String>],
        &active,
    )
    .fetch_all(conn)
    .await?;
    let created = u32::try_from(inserted.iter().filter(|i| **i).count()).unwrap_or(u32::MAX);
    let updated = u32::try_from(inserted.len()).unwrap_or(u32::MAX) - created;
    Ok(ImportCounts {
        created,
        updated,
        unchanged: total.saturating_sub(created + updated),
    })
}

/// What the eligibility criteria read of a person, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonFacts {
    pub birth_date: Option<NaiveDate>,
    pub address_postcode: Option<String>,
    /// The recognition of a disability and its rate; `None` when nothing is recorded.
    pub disability: Option<Disability>,
    /// The legal protection measure; `None` when none is recorded (not proof there is none).
    pub legal_protection: Option<LegalProtectionKind>,
}

/// The facts of a person the caller may see (check first) that the criteria compare, in one
/// query.
///
/// Only these columns: the matching needs no more of the record (no NIR to decrypt, no contact
/// details read).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn person_facts(
    conn: &mut PgConnection,
    person_id: Uuid,
) -> Result<PersonFacts, StoreError> {
    let row = sqlx::query!(
        r#"
        SELECT birth_date, address_postcode, disability_recognised, disability_rate,
               legal_protection
        FROM persons
        WHERE id = $1
        "#,
        person_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    let disability = match row.disability_recognised.as_deref() {
        Some(recognised) => Some(Disability {
            recognised: decode::<DisabilityRecognition>(recognised)?,
            rate: row
                .disability_rate
                .as_deref()
                .map(decode::<DisabilityRate>)
                .transpose()?,
        }),
        None => None,
    };
    Ok(PersonFacts {
        birth_date: row.birth_date,
        address_postcode: row.address_postcode,
        disability,
        legal_protection: row
            .legal_protection
            .as_deref()
            .map(decode::<LegalProtectionKind>)
            .transpose()?,
    })
}
