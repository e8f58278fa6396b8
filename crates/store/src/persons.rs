//! Persons: identity, contact details, the protected NIR, and consents.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::{
    Civility, ConsentChannel, ConsentScope, Disability, DisabilityRate, DisabilityRecognition,
    InformedChannel, LegalProtection, LegalProtectionKind, MaritalStatus, Nir, PersonTies,
    Representative,
};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::code::Code;
use crate::crypto::NirVault;
use crate::db::plan_for_values;
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
    pub civility: Option<Code<Civility>>,
    pub legal_protection: Option<Code<LegalProtectionKind>>,
    pub representative_name: Option<String>,
    pub representative_organisation: Option<String>,
    pub representative_phone: Option<String>,
    pub representative_email: Option<String>,
    pub disability_recognised: Option<Code<DisabilityRecognition>>,
    pub disability_rate: Option<Code<DisabilityRate>>,
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
    /// When the person was anonymised (purge or erasure), if they were.
    pub anonymised_at: Option<DateTime<Utc>>,
    /// Whether a restriction or an objection of theirs is active (nothing of theirs is shared).
    pub processing_restricted: bool,
    /// The person this record was merged into, if it was (the record is then a tombstone).
    pub merged_into: Option<Uuid>,
}

impl PersonRecord {
    /// The NIR in clear: only for a caller entitled to it, who gave a reason (audited).
    pub fn nir(&self, vault: &NirVault) -> Option<Nir> {
        self.nir_ciphertext
            .as_deref()
            .and_then(|s| vault.decrypt(s))
    }

    /// The legal protection measure, with its representative when one is recorded.
    pub fn legal_protection(&self) -> Option<LegalProtection> {
        let kind = self.legal_protection?.into_inner();
        let representative = Representative {
            name: self.representative_name.clone(),
            organisation: self.representative_organisation.clone(),
            phone: self.representative_phone.clone(),
            email: self.representative_email.clone(),
        };
        let known = representative != Representative::default();
        Some(LegalProtection {
            kind,
            representative: known.then_some(representative),
        })
    }

    /// What is known of the person's disability.
    pub fn disability(&self) -> Option<Disability> {
        Some(Disability {
            recognised: self.disability_recognised?.into_inner(),
            rate: self.disability_rate.map(Code::into_inner),
        })
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
    pub civility: Option<Civility>,
    pub legal_protection: Option<LegalProtection>,
    pub disability: Option<Disability>,
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
pub(crate) type Sealed = Option<(Option<Vec<u8>>, Option<Vec<u8>>, Option<String>)>;

pub(crate) fn seal(change: &NirChange, vault: &NirVault) -> Sealed {
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

/// The columns of the protection measure and the disability, as stored.
pub(crate) struct Columns<'a> {
    pub(crate) civility: Option<&'static str>,
    pub(crate) legal_protection: Option<&'static str>,
    pub(crate) representative: RepresentativeColumns<'a>,
    pub(crate) disability_recognised: Option<&'static str>,
    pub(crate) disability_rate: Option<&'static str>,
}

#[derive(Default)]
pub(crate) struct RepresentativeColumns<'a> {
    pub(crate) name: Option<&'a str>,
    pub(crate) organisation: Option<&'a str>,
    pub(crate) phone: Option<&'a str>,
    pub(crate) email: Option<&'a str>,
}

impl<'a> Columns<'a> {
    pub(crate) fn of(data: &'a PersonData) -> Self {
        let representative = data
            .legal_protection
            .as_ref()
            .and_then(|p| p.representative.as_ref())
            .map(|r| RepresentativeColumns {
                name: r.name.as_deref(),
                organisation: r.organisation.as_deref(),
                phone: r.phone.as_deref(),
                email: r.email.as_deref(),
            })
            .unwrap_or_default();
        Self {
            civility: data.civility.map(Civility::code),
            legal_protection: data.legal_protection.as_ref().map(|p| p.kind.code()),
            representative,
            disability_recognised: data.disability.map(|d| d.recognised.code()),
            disability_rate: data
                .disability
                .and_then(|d| d.rate)
                .map(DisabilityRate::code),
        }
    }
}

pub(crate) fn search_name(data: &PersonData) -> String {
    let mut all = format!("{} {}", data.first_name, data.last_name);
    if let Some(birth) = &data.birth_name {
        all.push(' ');
        all.push_str(birth);
    }
    relais_domain::text::fold(&all)
}

pub(crate) fn duplicate_nir() -> StoreError {
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
    let extra = Columns::of(data);
    sqlx::query_as!(
        PersonRecord,
        r#"
        INSERT INTO persons (id, org_id, created_by, first_name, last_name, birth_name, birth_date,
                             search_name, nir_ciphertext, nir_hash, nir_masked, caf_number,
                             marital_status, address_line1, address_line2, address_postcode,
                             address_city, address_country, phone, email, informed_at,
                             informed_channel, informed_notice_version, civility,
                             legal_protection, representative_name, representative_organisation,
                             representative_phone, representative_email, disability_recognised,
                             disability_rate)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31)
        RETURNING id, first_name, last_name, birth_name, birth_date, nir_ciphertext, nir_masked,
                  caf_number, marital_status AS "marital_status: Code<MaritalStatus>",
                  civility AS "civility: Code<Civility>",
                  legal_protection AS "legal_protection: Code<LegalProtectionKind>",
                  representative_name, representative_organisation,
                  representative_phone, representative_email,
                  disability_recognised AS "disability_recognised: Code<DisabilityRecognition>",
                  disability_rate AS "disability_rate: Code<DisabilityRate>", merged_into,
                  address_line1, address_line2, address_postcode, address_city, address_country,
                  phone, email, informed_at,
                  informed_channel AS "informed_channel: Code<InformedChannel>",
                  informed_notice_version, last_contact_at, created_at, updated_at, version,
                  anonymised_at,
                  EXISTS (SELECT 1 FROM person_restrictions r
                          WHERE r.person_id = persons.id AND r.lifted_at IS NULL)
                      AS "processing_restricted!"
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
        data.informed_notice_version.as_deref(),
        extra.civility,
        extra.legal_protection,
        extra.representative.name,
        extra.representative.organisation,
        extra.representative.phone,
        extra.representative.email,
        extra.disability_recognised,
        extra.disability_rate
    )
    .fetch_one(conn)
    .await
    .map_err(on_constraint("persons_org_nir_key", duplicate_nir))
}

/// Who corrects a person, for the rectification history.
#[derive(Debug, Clone, Copy)]
pub struct Corrector {
    pub org_id: Uuid,
    pub agent_id: Uuid,
}

/// Replaces every writable field of `before` (the person as read in this transaction) when the
/// stored version is still its version, and keeps each changed field's previous value in the
/// rectification history.
#[tracing::instrument(level = "debug", skip_all, fields(person_id = %before.id))]
pub async fn update(
    conn: &mut PgConnection,
    before: &PersonRecord,
    data: &PersonData,
    vault: &NirVault,
    by: Corrector,
) -> Result<PersonRecord, StoreError> {
    let nir_changed = match &data.nir {
        NirChange::Keep => false,
        NirChange::Clear => before.nir_ciphertext.is_some(),
        NirChange::Set(nir) => before.nir(vault).as_ref() != Some(nir),
    };
    let after = replace(conn, before.id, before.version, data, vault).await?;
    record_changes(conn, by, before.id, &changes(before, &after, nir_changed)).await?;
    Ok(after)
}

/// Replaces every writable field when the stored version is `expected_version`.
async fn replace(
    conn: &mut PgConnection,
    id: Uuid,
    expected_version: i32,
    data: &PersonData,
    vault: &NirVault,
) -> Result<PersonRecord, StoreError> {
    let sealed = seal(&data.nir, vault);
    let keep = sealed.is_none();
    let (cipher, hash, masked) = sealed.unwrap_or((None, None, None));
    let extra = Columns::of(data);
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
            civility = $24, legal_protection = $25, representative_name = $26,
            representative_organisation = $27, representative_phone = $28,
            representative_email = $29, disability_recognised = $30, disability_rate = $31,
            updated_at = now(), version = version + 1
        WHERE id = $1 AND version = $2
        RETURNING id, first_name, last_name, birth_name, birth_date, nir_ciphertext, nir_masked,
                  caf_number, marital_status AS "marital_status: Code<MaritalStatus>",
                  civility AS "civility: Code<Civility>",
                  legal_protection AS "legal_protection: Code<LegalProtectionKind>",
                  representative_name, representative_organisation,
                  representative_phone, representative_email,
                  disability_recognised AS "disability_recognised: Code<DisabilityRecognition>",
                  disability_rate AS "disability_rate: Code<DisabilityRate>", merged_into,
                  address_line1, address_line2, address_postcode, address_city, address_country,
                  phone, email, informed_at,
                  informed_channel AS "informed_channel: Code<InformedChannel>",
                  informed_notice_version, last_contact_at, created_at, updated_at, version,
                  anonymised_at,
                  EXISTS (SELECT 1 FROM person_restrictions r
                          WHERE r.person_id = persons.id AND r.lifted_at IS NULL)
                      AS "processing_restricted!"
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
        data.informed_notice_version.as_deref(),
        extra.civility,
        extra.legal_protection,
        extra.representative.name,
        extra.representative.organisation,
        extra.representative.phone,
        extra.representative.email,
        extra.disability_recognised,
        extra.disability_rate
    )
    .fetch_optional(&mut *conn)
    .await
    .map_err(on_constraint("persons_org_nir_key", duplicate_nir))?;
    match updated {
        Some(person) => Ok(person),
        None => Err(stale_or_missing(conn, Versioned::Person(id)).await),
    }
}

/// One change of a person's field, as the rectification history keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// The field as the API names it (`last_name`, `address.city`, `informed.at`).
    pub field: &'static str,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Each identity or contact field of a person as the history shows it: the NIR masked, dates in
/// ISO 8601, codes as codes.
fn shown(r: &PersonRecord) -> [(&'static str, Option<String>); 25] {
    let code = |c: Option<&str>| c.map(str::to_owned);
    [
        ("first_name", Some(r.first_name.clone())),
        ("last_name", Some(r.last_name.clone())),
        ("birth_name", r.birth_name.clone()),
        ("birth_date", r.birth_date.map(|d| d.to_string())),
        ("nir", r.nir_masked.clone()),
        ("caf_number", r.caf_number.clone()),
        (
            "marital_status",
            code(r.marital_status.map(|m| m.into_inner().code())),
        ),
        ("address.line1", r.address_line1.clone()),
        ("address.line2", r.address_line2.clone()),
        ("address.postcode", r.address_postcode.clone()),
        ("address.city", r.address_city.clone()),
        ("address.country", r.address_country.clone()),
        ("phone", r.phone.clone()),
        ("email", r.email.clone()),
        (
            "informed.at",
            r.informed_at
                .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        ),
        (
            "informed.channel",
            code(r.informed_channel.map(|c| c.into_inner().code())),
        ),
        ("informed.notice_version", r.informed_notice_version.clone()),
        ("civility", code(r.civility.map(|c| c.into_inner().code()))),
        (
            "legal_protection.kind",
            code(r.legal_protection.map(|k| k.into_inner().code())),
        ),
        (
            "legal_protection.representative.name",
            r.representative_name.clone(),
        ),
        (
            "legal_protection.representative.organisation",
            r.representative_organisation.clone(),
        ),
        (
            "legal_protection.representative.phone",
            r.representative_phone.clone(),
        ),
        (
            "legal_protection.representative.email",
            r.representative_email.clone(),
        ),
        (
            "disability.recognised",
            code(r.disability_recognised.map(|d| d.into_inner().code())),
        ),
        (
            "disability.rate",
            code(r.disability_rate.map(|d| d.into_inner().code())),
        ),
    ]
}

/// The fields that differ between `before` and `after`; the NIR also when `nir_changed` though
/// both masks read the same.
fn changes(before: &PersonRecord, after: &PersonRecord, nir_changed: bool) -> Vec<FieldChange> {
    shown(before)
        .into_iter()
        .zip(shown(after))
        .filter(|((field, was), (_, is))| was != is || (*field == "nir" && nir_changed))
        .map(|((field, before), (_, after))| FieldChange {
            field,
            before,
            after,
        })
        .collect()
}

/// Appends `changes` to the rectification history, in one statement.
async fn record_changes(
    conn: &mut PgConnection,
    by: Corrector,
    person_id: Uuid,
    changes: &[FieldChange],
) -> Result<(), StoreError> {
    if changes.is_empty() {
        return Ok(());
    }
    // Read newest first, one correction's fields still come in the record's order.
    let mut ids: Vec<Uuid> = changes.iter().map(|_| Uuid::now_v7()).collect();
    ids.reverse();
    let fields: Vec<&str> = changes.iter().map(|c| c.field).collect();
    let befores: Vec<Option<String>> = changes.iter().map(|c| c.before.clone()).collect();
    let afters: Vec<Option<String>> = changes.iter().map(|c| c.after.clone()).collect();
    sqlx::query!(
        r#"
        INSERT INTO person_history (id, org_id, person_id, field, before, after, changed_by)
        SELECT u.id, $1, $2, u.field, u.before, u.after, $3
        FROM UNNEST($4::uuid[], $5::text[], $6::text[], $7::text[]) AS u(id, field, before, after)
        "#,
        by.org_id,
        person_id,
        by.agent_id,
        &ids,
        &fields as &[&str],
        &befores as &[Option<String>],
        &afters as &[Option<String>]
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A change kept in a person's rectification history.
#[derive(Debug, Clone)]
pub struct HistoryRecord {
    pub id: Uuid,
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub changed_at: DateTime<Utc>,
    pub changed_by: Option<Uuid>,
}

/// A person's rectification history, newest first; without the changes of the disability
/// (health data) when `with_health` is false, for a caller who does not see it.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn history(
    conn: &mut PgConnection,
    person_id: Uuid,
    with_health: bool,
    page: PageRequest,
) -> Result<Page<HistoryRecord>, StoreError> {
    let rows = sqlx::query_as!(
        HistoryRecord,
        r#"
        SELECT id, field, before, after, changed_at, changed_by
        FROM person_history
        WHERE person_id = $1 AND ($2::uuid IS NULL OR id < $2)
          AND ($4 OR field NOT LIKE 'disability.%')
        ORDER BY id DESC
        LIMIT $3
        "#,
        person_id,
        page.after,
        page.fetch_limit(),
        with_health
    )
    .fetch_all(conn)
    .await?;
    Ok(Page::from_rows(rows, page.limit, |r| r.id))
}

/// A person's whole rectification history, oldest first (for the right-of-access export).
pub async fn whole_history(
    conn: &mut PgConnection,
    person_id: Uuid,
) -> Result<Vec<HistoryRecord>, StoreError> {
    Ok(sqlx::query_as!(
        HistoryRecord,
        r#"
        SELECT id, field, before, after, changed_at, changed_by
        FROM person_history
        WHERE person_id = $1
        ORDER BY id
        "#,
        person_id
    )
    .fetch_all(conn)
    .await?)
}

/// One person of the current organisation.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<PersonRecord, StoreError> {
    sqlx::query_as!(
        PersonRecord,
        r#"
        SELECT id, first_name, last_name, birth_name, birth_date, nir_ciphertext, nir_masked,
               caf_number, marital_status AS "marital_status: Code<MaritalStatus>",
               civility AS "civility: Code<Civility>",
               legal_protection AS "legal_protection: Code<LegalProtectionKind>",
               representative_name, representative_organisation,
               representative_phone, representative_email,
               disability_recognised AS "disability_recognised: Code<DisabilityRecognition>",
               disability_rate AS "disability_rate: Code<DisabilityRate>", merged_into,
               address_line1, address_line2, address_postcode, address_city, address_country,
               phone, email, informed_at,
               informed_channel AS "informed_channel: Code<InformedChannel>",
               informed_notice_version, last_contact_at, created_at, updated_at, version,
                  anonymised_at,
                  EXISTS (SELECT 1 FROM person_restrictions r
                          WHERE r.person_id = persons.id AND r.lifted_at IS NULL)
                      AS "processing_restricted!"
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
    /// Folded words that must each begin a word of the names.
    pub words: Vec<String>,
    pub birth_date: Option<NaiveDate>,
    pub nir: Option<Nir>,
}

/// How long a word must be for the search to start from the persons whose names have a word
/// beginning so (the index of name words): shorter ones begin too many names for that, and
/// reading the persons newest first finds a page of them sooner.
const INDEXED_WORD_CHARS: usize = 3;

/// Up to how many persons a word may match for the search to start from them: sorting more
/// costs more than reading the persons newest first, where so common a word soon fills a page
/// (measured at a million persons: 37,000 matches sorted in 30 ms, a page read in 4).
const INDEXED_WORD_MATCHES: i64 = 10_000;

/// The same with several words: the persons newest first then fill a page only as fast as the
/// words' combination is common, which two common words need not be (a first and a last name
/// matching 25,000 and 18,000 persons, 450 together: 460 ms read newest first at a million
/// persons), so the rarest word's matches are worth sorting up to more of them.
const INDEXED_WORDS_MATCHES: i64 = 30_000;

/// Searches persons, newest first: every word must begin a word of the names; birth date and
/// NIR exactly. Planned for the values (see [`plan_for_values`]). With a word of three letters
/// or more matching fewer than 10,000 names (30,000 when there are several words), the rarest
/// such word's matches in the index of name words are the candidates, the other words checked on
/// each (a name matching nobody is answered at once); otherwise the persons are read newest first
/// (a common word soon fills a page), where the birth date's or the NIR's index serves when
/// given.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn search(
    conn: &mut PgConnection,
    criteria: &PersonSearch,
    vault: &NirVault,
    page: PageRequest,
) -> Result<Page<PersonRecord>, StoreError> {
    // During a rotation of the NIR key, a NIR not sealed again yet has the previous key's hash.
    let hashes: Option<Vec<Vec<u8>>> = criteria.nir.as_ref().map(|n| vault.search_hashes(n));
    let indexed: Vec<String> = criteria
        .words
        .iter()
        .filter(|w| w.chars().count() >= INDEXED_WORD_CHARS)
        .cloned()
        .collect();
    let most = if criteria.words.len() > 1 {
        INDEXED_WORDS_MATCHES
    } else {
        INDEXED_WORD_MATCHES
    };
    let anchor = rarest_word(&mut *conn, &indexed, most).await?;
    plan_for_values(&mut *conn).await?;
    let rows = match anchor {
        Some(anchor) => {
            sqlx::query_as!(
                PersonRecord,
                r#"
                SELECT p.id, p.first_name, p.last_name, p.birth_name, p.birth_date,
                       p.nir_ciphertext, p.nir_masked, p.caf_number,
                       p.marital_status AS "marital_status: Code<MaritalStatus>",
                       p.civility AS "civility: Code<Civility>",
                       p.legal_protection AS "legal_protection: Code<LegalProtectionKind>",
                       p.representative_name, p.representative_organisation,
                       p.representative_phone, p.representative_email,
                       p.disability_recognised AS "disability_recognised: Code<DisabilityRecognition>",
                       p.disability_rate AS "disability_rate: Code<DisabilityRate>", p.merged_into,
                       p.address_line1, p.address_line2, p.address_postcode, p.address_city,
                       p.address_country, p.phone, p.email, p.informed_at,
                       p.informed_channel AS "informed_channel: Code<InformedChannel>",
                       p.informed_notice_version, p.last_contact_at, p.created_at,
                       p.updated_at, p.version, p.anonymised_at,
                       EXISTS (SELECT 1 FROM person_restrictions r
                               WHERE r.person_id = p.id AND r.lifted_at IS NULL)
                           AS "processing_restricted!"
                FROM (SELECT DISTINCT n.person_id
                      FROM person_name_words n
                      WHERE n.word ^@ $6 AND n.person_id < $4
                      ORDER BY n.person_id DESC) c
                JOIN persons p ON p.id = c.person_id
                WHERE NOT EXISTS (SELECT 1
                                  FROM unnest($1::text[]) AS q (word)
                                  WHERE NOT EXISTS (SELECT 1
                                                    FROM person_name_words o
                                                    WHERE o.person_id = c.person_id
                                                      AND o.word ^@ q.word))
                  AND ($2::date IS NULL OR p.birth_date = $2)
                  AND ($3::bytea[] IS NULL OR p.nir_hash = ANY($3))
                  AND p.merged_into IS NULL
                ORDER BY c.person_id DESC
                LIMIT $5
                "#,
                &criteria.words,
                criteria.birth_date,
                hashes.as_deref(),
                page.after.unwrap_or(Uuid::max()),
                page.fetch_limit(),
                anchor
            )
            .fetch_all(conn)
            .await?
        }
        None => {
            // A word begins the names, or follows a space in them.
            let patterns: Vec<String> = criteria
                .words
                .iter()
                .map(|w| format!("% {}%", escape_like(w)))
                .collect();
            sqlx::query_as!(
                PersonRecord,
                r#"
                SELECT id, first_name, last_name, birth_name, birth_date, nir_ciphertext,
                       nir_masked, caf_number,
                       marital_status AS "marital_status: Code<MaritalStatus>",
                       civility AS "civility: Code<Civility>",
                       legal_protection AS "legal_protection: Code<LegalProtectionKind>",
                       representative_name, representative_organisation,
                       representative_phone, representative_email,
                       disability_recognised AS "disability_recognised: Code<DisabilityRecognition>",
                       disability_rate AS "disability_rate: Code<DisabilityRate>", merged_into,
                       address_line1, address_line2, address_postcode, address_city,
                       address_country, phone, email, informed_at,
                       informed_channel AS "informed_channel: Code<InformedChannel>",
                       informed_notice_version, last_contact_at, created_at, updated_at, version,
                       anonymised_at,
                       EXISTS (SELECT 1 FROM person_restrictions r
                               WHERE r.person_id = persons.id AND r.lifted_at IS NULL)
                           AS "processing_restricted!"
                FROM persons
                WHERE (' ' || search_name) LIKE ALL($1)
                  AND ($2::date IS NULL OR birth_date = $2)
                  AND ($3::bytea[] IS NULL OR nir_hash = ANY($3))
                  AND merged_into IS NULL
                  AND id < $4
                ORDER BY id DESC
                LIMIT $5
                "#,
                &patterns,
                criteria.birth_date,
                hashes.as_deref(),
                page.after.unwrap_or(Uuid::max()),
                page.fetch_limit()
            )
            .fetch_all(conn)
            .await?
        }
    };
    Ok(Page::from_rows(rows, page.limit, |p| p.id))
}

/// Of `words`, the one beginning the fewest name words of the organisation, when that is fewer
/// than `limit`: one round trip, reading at most `limit` entries of the index of name words per
/// word. The words beginning so are a range (the column's collation is "C": they sort between
/// the word and the word followed by the last code point); `^@` would serve the index only for a
/// word known when planning, not for each word of a list.
async fn rarest_word(
    conn: &mut PgConnection,
    words: &[String],
    limit: i64,
) -> Result<Option<String>, StoreError> {
    if words.is_empty() {
        return Ok(None);
    }
    let rarest = sqlx::query!(
        r#"
        SELECT q.word AS "word!",
               (SELECT count(*) FROM (SELECT 1 FROM person_name_words
                                       WHERE word >= q.word AND word < q.word || chr(1114111)
                                       LIMIT $2) AS m) AS "matches!"
        FROM unnest($1::text[]) AS q (word)
        ORDER BY 2, length(q.word) DESC
        LIMIT 1
        "#,
        words,
        limit
    )
    .fetch_optional(conn)
    .await?;
    Ok(rarest.and_then(|r| (r.matches < limit).then_some(r.word)))
}

/// `word` as a literal inside a LIKE pattern (its `%`, `_` and `\\` escaped).
pub(crate) fn escape_like(word: &str) -> String {
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

/// What is known of a person without opening their record: whether a case of theirs is open
/// (neither closed nor archived) and the name of its referent, so that nobody creates a
/// duplicate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    pub open_case: bool,
    pub referent_name: Option<String>,
}

/// An agent's sight of a person: their ties to the person (need to know) and what is known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sight {
    pub ties: PersonTies,
    pub known: Known,
    /// The record this one was merged into, when it is a merged duplicate's tombstone.
    pub merged_into: Option<Uuid>,
}

/// The sight `agent_id` has of each of the persons `ids` of the organisation (those absent from
/// the answer do not exist in it), in one query driven by the primary key and the cases' person
/// index.
#[tracing::instrument(level = "debug", skip(conn, ids))]
pub async fn sights(
    conn: &mut PgConnection,
    ids: &[Uuid],
    agent_id: Uuid,
) -> Result<HashMap<Uuid, Sight>, StoreError> {
    let rows = sqlx::query!(
        r#"
        SELECT p.id,
               COALESCE(p.created_by = $2, false)
                   AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.person_id = p.id)
                   AS "created_without_case!",
               EXISTS (
                   SELECT 1
                   FROM cases c
                   JOIN case_team t ON t.case_id = c.id AND t.agent_id = $2
                   WHERE c.person_id = p.id AND c.status <> 'archived'
               ) AS "on_team!",
               open.id IS NOT NULL AS "open_case!",
               open.referent_name AS "referent_name?",
               p.merged_into
        FROM persons p
        LEFT JOIN LATERAL (
            SELECT c.id, a.display_name AS referent_name
            FROM cases c
            LEFT JOIN agents a ON a.id = c.referent_id
            WHERE c.person_id = p.id AND c.status NOT IN ('closed', 'archived')
            ORDER BY c.id DESC
            LIMIT 1
        ) open ON true
        WHERE p.id = ANY($1)
        "#,
        ids,
        agent_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let sight = Sight {
                ties: PersonTies {
                    on_team: r.on_team,
                    created_without_case: r.created_without_case,
                },
                known: Known {
                    open_case: r.open_case,
                    referent_name: r.referent_name,
                },
                merged_into: r.merged_into,
            };
            (r.id, sight)
        })
        .collect())
}

/// The sight `agent_id` has of the person `id`; `None` when no such person is in the
/// organisation.
pub async fn sight(
    conn: &mut PgConnection,
    id: Uuid,
    agent_id: Uuid,
) -> Result<Option<Sight>, StoreError> {
    Ok(sights(conn, &[id], agent_id).await?.remove(&id))
}

/// How many NIRs one pass of a rotation sealed again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Rows read (persons, then referrals).
    pub scanned: u64,
    /// NIRs sealed again with the current key.
    pub resealed: u64,
}

/// The rows sealed with the previous key, sealed and hashed again: (ids, ciphertexts, hashes).
type SealedAgain = (Vec<Uuid>, Vec<Vec<u8>>, Vec<Vec<u8>>);

fn sealed_again(vault: &NirVault, rows: impl Iterator<Item = (Uuid, Vec<u8>)>) -> SealedAgain {
    let mut again: SealedAgain = (Vec::new(), Vec::new(), Vec::new());
    for (id, sealed) in rows {
        if let Some(nir) = vault.sealed_with_previous(&sealed) {
            again.0.push(id);
            again.1.push(vault.encrypt(&nir));
            again.2.push(vault.search_hash(&nir));
        }
    }
    again
}

/// Seals again with the current key, and hashes again, the NIRs of at most `limit` persons of
/// the organisation after `after` (by id) that were sealed with the previous key; the last id
/// read, to continue from, with the counts. Nothing to do when no previous key is configured.
pub async fn reseal_persons(
    conn: &mut PgConnection,
    vault: &NirVault,
    after: Option<Uuid>,
    limit: i64,
) -> Result<(Option<Uuid>, Resealed), StoreError> {
    let rows = sqlx::query!(
        r#"
        SELECT id, nir_ciphertext AS "nir_ciphertext!" FROM persons
        WHERE nir_ciphertext IS NOT NULL AND ($1::uuid IS NULL OR id > $1)
        ORDER BY id
        LIMIT $2
        "#,
        after,
        limit
    )
    .fetch_all(&mut *conn)
    .await?;
    let last = rows.last().map(|r| r.id);
    let scanned = rows.len();
    let (ids, ciphers, hashes) =
        sealed_again(vault, rows.into_iter().map(|r| (r.id, r.nir_ciphertext)));
    if !ids.is_empty() {
        sqlx::query!(
            r#"
            UPDATE persons p SET nir_ciphertext = u.cipher, nir_hash = u.hash
            FROM UNNEST($1::uuid[], $2::bytea[], $3::bytea[]) AS u(id, cipher, hash)
            WHERE p.id = u.id
            "#,
            &ids,
            &ciphers,
            &hashes
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok((
        last,
        Resealed {
            scanned: u64::try_from(scanned).unwrap_or(0),
            resealed: u64::try_from(ids.len()).unwrap_or(0),
        },
    ))
}

/// The same for the NIRs of referrals (given by partners).
pub async fn reseal_referrals(
    conn: &mut PgConnection,
    vault: &NirVault,
    after: Option<Uuid>,
    limit: i64,
) -> Result<(Option<Uuid>, Resealed), StoreError> {
    let rows = sqlx::query!(
        r#"
        SELECT id, nir_ciphertext AS "nir_ciphertext!" FROM referrals
        WHERE nir_ciphertext IS NOT NULL AND ($1::uuid IS NULL OR id > $1)
        ORDER BY id
        LIMIT $2
        "#,
        after,
        limit
    )
    .fetch_all(&mut *conn)
    .await?;
    let last = rows.last().map(|r| r.id);
    let scanned = rows.len();
    let (ids, ciphers, hashes) =
        sealed_again(vault, rows.into_iter().map(|r| (r.id, r.nir_ciphertext)));
    if !ids.is_empty() {
        sqlx::query!(
            r#"
            UPDATE referrals r SET nir_ciphertext = u.cipher, nir_hash = u.hash
            FROM UNNEST($1::uuid[], $2::bytea[], $3::bytea[]) AS u(id, cipher, hash)
            WHERE r.id = u.id
            "#,
            &ids,
            &ciphers,
            &hashes
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok((
        last,
        Resealed {
            scanned: u64::try_from(scanned).unwrap_or(0),
            resealed: u64::try_from(ids.len()).unwrap_or(0),
        },
    ))
}
