//! Importing an existing caseload: persons and cases written in bulk, a bounded number of
//! statements whatever the number of rows (`POST /v1/imports/cases`).
//!
//! What a case's creation writes is the same as [`crate::cases::create`]: the case in `intake`,
//! its team (the referent in it), and its `created` timeline event; the triggers on `cases` and
//! `case_team` (caseload counts, agenda) are statement-level with transition tables, so they see
//! every imported case at once as they see one. A person is written with the same columns as
//! [`crate::persons::create`] (the NIR sealed, the search name folded); the name-words trigger
//! runs for each row. The rows are validated by the caller beforehand, with the rules of the
//! single creations.

use chrono::NaiveDate;
use relais_domain::{CaseOrigin, CaseStatus, InformedChannel, MaritalStatus};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::crypto::NirVault;
use crate::error::on_constraint;
use crate::persons::{Columns, PersonData, duplicate_nir, seal, search_name};

/// An agent named by e-mail in a file.
#[derive(Debug, Clone)]
pub struct AgentByEmail {
    /// The address, lowercased.
    pub email: String,
    pub id: Uuid,
    pub active: bool,
}

/// The agents of the organisation whose e-mail (compared without case) is one of `emails`, in
/// one round trip. An address may name several agents: the caller decides.
#[tracing::instrument(level = "debug", skip_all, fields(emails = emails.len()))]
pub async fn agents_by_email(
    conn: &mut PgConnection,
    emails: &[String],
) -> Result<Vec<AgentByEmail>, StoreError> {
    let lowered: Vec<String> = emails.iter().map(|e| e.trim().to_lowercase()).collect();
    let rows = sqlx::query!(
        r#"
        SELECT id, lower(email) AS "email!", active
        FROM agents
        WHERE email IS NOT NULL AND lower(email) = ANY($1)
        ORDER BY id
        "#,
        &lowered
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AgentByEmail {
            email: r.email,
            id: r.id,
            active: r.active,
        })
        .collect())
}

/// Creates the persons of `data`, in one statement; their ids in the same order.
#[tracing::instrument(level = "debug", skip_all, fields(persons = data.len()))]
pub async fn create_persons(
    conn: &mut PgConnection,
    org_id: Uuid,
    created_by: Uuid,
    data: &[&PersonData],
    vault: &NirVault,
) -> Result<Vec<Uuid>, StoreError> {
    if data.is_empty() {
        return Ok(Vec::new());
    }
    let n = data.len();
    let ids: Vec<Uuid> = (0..n).map(|_| Uuid::now_v7()).collect();
    let mut c = PersonColumns::with_capacity(n);
    for d in data {
        let (cipher, hash, masked) = seal(&d.nir, vault).unwrap_or((None, None, None));
        let extra = Columns::of(d);
        c.first_name.push(d.first_name.clone());
        c.last_name.push(d.last_name.clone());
        c.birth_name.push(d.birth_name.clone());
        c.birth_date.push(d.birth_date);
        c.search_name.push(search_name(d));
        c.nir_ciphertext.push(cipher);
        c.nir_hash.push(hash);
        c.nir_masked.push(masked);
        c.caf_number.push(d.caf_number.clone());
        c.marital_status
            .push(d.marital_status.map(|m| MaritalStatus::code(m).to_owned()));
        c.address_line1.push(d.address_line1.clone());
        c.address_line2.push(d.address_line2.clone());
        c.address_postcode.push(d.address_postcode.clone());
        c.address_city.push(d.address_city.clone());
        c.address_country.push(d.address_country.clone());
        c.phone.push(d.phone.clone());
        c.email.push(d.email.clone());
        c.informed_at.push(d.informed_at);
        c.informed_channel.push(
            d.informed_channel
                .map(|i| InformedChannel::code(i).to_owned()),
        );
        c.informed_notice_version
            .push(d.informed_notice_version.clone());
        c.civility.push(extra.civility.map(str::to_owned));
        c.legal_protection
            .push(extra.legal_protection.map(str::to_owned));
        c.representative_name
            .push(extra.representative.name.map(str::to_owned));
        c.representative_organisation
            .push(extra.representative.organisation.map(str::to_owned));
        c.representative_phone
            .push(extra.representative.phone.map(str::to_owned));
        c.representative_email
            .push(extra.representative.email.map(str::to_owned));
        c.disability_recognised
            .push(extra.disability_recognised.map(str::to_owned));
        c.disability_rate
            .push(extra.disability_rate.map(str::to_owned));
    }
    sqlx::query!(
        r#"
        INSERT INTO persons (id, org_id, created_by, first_name, last_name, birth_name, birth_date,
                             search_name, nir_ciphertext, nir_hash, nir_masked, caf_number,
                             marital_status, address_line1, address_line2, address_postcode,
                             address_city, address_country, phone, email, informed_at,
                             informed_channel, informed_notice_version, civility,
                             legal_protection, representative_name, representative_organisation,
                             representative_phone, representative_email, disability_recognised,
                             disability_rate)
        SELECT p.id, $1, $2, p.first_name, p.last_name, p.birth_name, p.birth_date,
               p.search_name, p.nir_ciphertext, p.nir_hash, p.nir_masked, p.caf_number,
               p.marital_status, p.address_line1, p.address_line2, p.address_postcode,
               p.address_city, p.address_country, p.phone, p.email, p.informed_at,
               p.informed_channel, p.informed_notice_version, p.civility,
               p.legal_protection, p.representative_name, p.representative_organisation,
               p.representative_phone, p.representative_email, p.disability_recognised,
               p.disability_rate
        FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::date[], $8::text[],
                    $9::bytea[], $10::bytea[], $11::text[], $12::text[], $13::text[],
                    $14::text[], $15::text[], $16::text[], $17::text[], $18::text[],
                    $19::text[], $20::text[], $21::timestamptz[], $22::text[], $23::text[],
                    $24::text[], $25::text[], $26::text[], $27::text[], $28::text[],
                    $29::text[], $30::text[], $31::text[])
             AS p (id, first_name, last_name, birth_name, birth_date, search_name,
                   nir_ciphertext, nir_hash, nir_masked, caf_number, marital_status,
                   address_line1, address_line2, address_postcode, address_city,
                   address_country, phone, email, informed_at, informed_channel,
                   informed_notice_version, civility, legal_protection, representative_name,
                   representative_organisation, representative_phone, representative_email,
                   disability_recognised, disability_rate)
        "#,
        org_id,
        created_by,
        &ids,
        &c.first_name,
        &c.last_name,
        &c.birth_name as &[Option<String>],
        &c.birth_date as &[Option<NaiveDate>],
        &c.search_name,
        &c.nir_ciphertext as &[Option<Vec<u8>>],
        &c.nir_hash as &[Option<Vec<u8>>],
        &c.nir_masked as &[Option<String>],
        &c.caf_number as &[Option<String>],
        &c.marital_status as &[Option<String>],
        &c.address_line1 as &[Option<String>],
        &c.address_line2 as &[Option<String>],
        &c.address_postcode as &[Option<String>],
        &c.address_city as &[Option<String>],
        &c.address_country as &[Option<String>],
        &c.phone as &[Option<String>],
        &c.email as &[Option<String>],
        &c.informed_at as &[Option<chrono::DateTime<chrono::Utc>>],
        &c.informed_channel as &[Option<String>],
        &c.informed_notice_version as &[Option<String>],
        &c.civility as &[Option<String>],
        &c.legal_protection as &[Option<String>],
        &c.representative_name as &[Option<String>],
        &c.representative_organisation as &[Option<String>],
        &c.representative_phone as &[Option<String>],
        &c.representative_email as &[Option<String>],
        &c.disability_recognised as &[Option<String>],
        &c.disability_rate as &[Option<String>]
    )
    .execute(conn)
    .await
    .map_err(on_constraint("persons_org_nir_key", duplicate_nir))?;
    Ok(ids)
}

/// The persons' columns, one array each.
#[derive(Default)]
struct PersonColumns {
    first_name: Vec<String>,
    last_name: Vec<String>,
    birth_name: Vec<Option<String>>,
    birth_date: Vec<Option<NaiveDate>>,
    search_name: Vec<String>,
    nir_ciphertext: Vec<Option<Vec<u8>>>,
    nir_hash: Vec<Option<Vec<u8>>>,
    nir_masked: Vec<Option<String>>,
    caf_number: Vec<Option<String>>,
    marital_status: Vec<Option<String>>,
    address_line1: Vec<Option<String>>,
    address_line2: Vec<Option<String>>,
    address_postcode: Vec<Option<String>>,
    address_city: Vec<Option<String>>,
    address_country: Vec<Option<String>>,
    phone: Vec<Option<String>>,
    email: Vec<Option<String>>,
    informed_at: Vec<Option<chrono::DateTime<chrono::Utc>>>,
    informed_channel: Vec<Option<String>>,
    informed_notice_version: Vec<Option<String>>,
    civility: Vec<Option<String>>,
    legal_protection: Vec<Option<String>>,
    representative_name: Vec<Option<String>>,
    representative_organisation: Vec<Option<String>>,
    representative_phone: Vec<Option<String>>,
    representative_email: Vec<Option<String>>,
    disability_recognised: Vec<Option<String>>,
    disability_rate: Vec<Option<String>>,
}

impl PersonColumns {
    fn with_capacity(n: usize) -> Self {
        let mut c = Self::default();
        c.first_name.reserve(n);
        c.last_name.reserve(n);
        c.search_name.reserve(n);
        c
    }
}

/// A case to open, its person and referent already checked by the caller.
#[derive(Debug, Clone)]
pub struct ImportedCase {
    pub person_id: Uuid,
    pub reason: String,
    pub origin: CaseOrigin,
    pub referent_id: Option<Uuid>,
    pub opened_on: NaiveDate,
    pub target_end_on: NaiveDate,
}

/// Opens the cases of `new` in `intake`, each with its team (its referent) and its `created`
/// timeline event, as [`crate::cases::create`] does, in one statement; their ids in the same
/// order.
#[tracing::instrument(level = "debug", skip_all, fields(cases = new.len()))]
pub async fn create_cases(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    new: &[ImportedCase],
) -> Result<Vec<Uuid>, StoreError> {
    if new.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = new.iter().map(|_| Uuid::now_v7()).collect();
    let event_ids: Vec<Uuid> = new.iter().map(|_| Uuid::now_v7()).collect();
    let person_ids: Vec<Uuid> = new.iter().map(|c| c.person_id).collect();
    let reasons: Vec<String> = new.iter().map(|c| c.reason.clone()).collect();
    let origins: Vec<String> = new.iter().map(|c| c.origin.code().to_owned()).collect();
    let referents: Vec<Option<Uuid>> = new.iter().map(|c| c.referent_id).collect();
    let opened: Vec<NaiveDate> = new.iter().map(|c| c.opened_on).collect();
    let targets: Vec<NaiveDate> = new.iter().map(|c| c.target_end_on).collect();
    // The team of an imported case is its referent, when it has one.
    let (team_cases, team_agents): (Vec<Uuid>, Vec<Uuid>) = ids
        .iter()
        .zip(&referents)
        .filter_map(|(case, referent)| referent.map(|r| (*case, r)))
        .unzip();
    let written = sqlx::query_scalar!(
        r#"
        WITH c AS (
            INSERT INTO cases (id, org_id, person_id, status, reason, origin, referent_id,
                               opened_on, target_end_on, created_by)
            SELECT n.id, $1, n.person_id, $11, n.reason, n.origin, n.referent_id, n.opened_on,
                   n.target_end_on, $2
            FROM unnest($3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::uuid[], $8::date[],
                        $9::date[])
                 AS n (id, person_id, reason, origin, referent_id, opened_on, target_end_on)
            RETURNING id
        ),
        t AS (
            INSERT INTO case_team (case_id, agent_id, org_id)
            SELECT c.id, m.agent_id, $1
            FROM unnest($12::uuid[], $13::uuid[]) AS m (case_id, agent_id)
            JOIN c ON c.id = m.case_id
        ),
        e AS (
            INSERT INTO case_events (id, org_id, case_id, actor_id, kind, to_status)
            SELECT v.event_id, $1, c.id, $2, 'created', $11
            FROM unnest($3::uuid[], $10::uuid[]) AS v (case_id, event_id)
            JOIN c ON c.id = v.case_id
        )
        SELECT count(*) AS "count!" FROM c
        "#,
        org_id,
        actor_id,
        &ids,
        &person_ids,
        &reasons,
        &origins,
        &referents as &[Option<Uuid>],
        &opened,
        &targets,
        &event_ids,
        CaseStatus::Intake.code(),
        &team_cases,
        &team_agents
    )
    .fetch_one(&mut *conn)
    .await?;
    debug_assert_eq!(usize::try_from(written).ok(), Some(new.len()));
    Ok(ids)
}
