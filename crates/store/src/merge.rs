//! Merging two records of the same person: the duplicate's rows move to the kept record, each
//! empty field of the kept record takes the duplicate's value, and the duplicate becomes a
//! tombstone (`merged_into`) with no personal data left. The rules are those of
//! `relais_domain::merge`; every statement here is set-based, so that a merge costs a bounded
//! number of round trips however many cases, consents or lines the duplicate has.

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::{NirMerge, SituationMerge, situation_merge};
use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::persons::Corrector;

/// The tables of a household's content beside its head row, keyed by (person_id, …, position).
pub const HOUSEHOLD_PARTS: &[&str] = &["household_members"];

/// The tables of a budget's content beside its head row, keyed by (person_id, …, position): one
/// more table of the budget (its debts) is one more name here.
pub const BUDGET_PARTS: &[&str] = &["budget_lines", "budget_debts"];

/// A person's record as a merge reads it, under lock: every identity and contact field, the
/// migration-30 ones included, with the sealed NIR.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MergeRecord {
    pub id: Uuid,
    pub version: i32,
    pub merged_into: Option<Uuid>,
    pub anonymised: bool,
    pub first_name: String,
    pub last_name: String,
    pub birth_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub nir_ciphertext: Option<Vec<u8>>,
    pub nir_hash: Option<Vec<u8>>,
    pub nir_masked: Option<String>,
    pub caf_number: Option<String>,
    pub marital_status: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub address_postcode: Option<String>,
    pub address_city: Option<String>,
    pub address_country: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub informed_at: Option<DateTime<Utc>>,
    pub informed_channel: Option<String>,
    pub informed_notice_version: Option<String>,
    pub civility: Option<String>,
    pub legal_protection: Option<String>,
    pub representative_name: Option<String>,
    pub representative_organisation: Option<String>,
    pub representative_phone: Option<String>,
    pub representative_email: Option<String>,
    pub disability_recognised: Option<String>,
    pub disability_rate: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl MergeRecord {
    /// Each identity or contact field as the rectification history shows it (the NIR masked,
    /// dates in ISO 8601, codes as codes), under the names the API gives them.
    fn shown(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("first_name", Some(self.first_name.clone())),
            ("last_name", Some(self.last_name.clone())),
            ("birth_name", self.birth_name.clone()),
            ("birth_date", self.birth_date.map(|d| d.to_string())),
            ("nir", self.nir_masked.clone()),
            ("caf_number", self.caf_number.clone()),
            ("marital_status", self.marital_status.clone()),
            ("address.line1", self.address_line1.clone()),
            ("address.line2", self.address_line2.clone()),
            ("address.postcode", self.address_postcode.clone()),
            ("address.city", self.address_city.clone()),
            ("address.country", self.address_country.clone()),
            ("phone", self.phone.clone()),
            ("email", self.email.clone()),
            (
                "informed.at",
                self.informed_at
                    .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            ),
            ("informed.channel", self.informed_channel.clone()),
            (
                "informed.notice_version",
                self.informed_notice_version.clone(),
            ),
            ("civility", self.civility.clone()),
            ("legal_protection.kind", self.legal_protection.clone()),
            (
                "legal_protection.representative.name",
                self.representative_name.clone(),
            ),
            (
                "legal_protection.representative.organisation",
                self.representative_organisation.clone(),
            ),
            (
                "legal_protection.representative.phone",
                self.representative_phone.clone(),
            ),
            (
                "legal_protection.representative.email",
                self.representative_email.clone(),
            ),
            ("disability.recognised", self.disability_recognised.clone()),
            ("disability.rate", self.disability_rate.clone()),
        ]
    }

    /// The record as it was, as one JSON document (the NIR masked): what the kept record's
    /// history keeps of a duplicate whose tombstone keeps nothing.
    fn identity(&self) -> Value {
        let mut doc = serde_json::Map::new();
        doc.insert("id".into(), json!(self.id));
        for (field, value) in self.shown() {
            doc.insert(field.into(), json!(value));
        }
        doc.insert(
            "created_at".into(),
            json!(
                self.created_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        );
        Value::Object(doc)
    }
}

/// The record the person `id` was merged into, if they were (and are in the organisation).
pub async fn merged_into(conn: &mut PgConnection, id: Uuid) -> Result<Option<Uuid>, StoreError> {
    Ok(
        sqlx::query_scalar!("SELECT merged_into FROM persons WHERE id = $1", id)
            .fetch_optional(conn)
            .await?
            .flatten(),
    )
}

/// Locks both records, in id order (the order every merge locks in, so that two merges naming
/// the same records cannot cross), and reads them. Those absent are not in the organisation.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn lock(conn: &mut PgConnection, ids: [Uuid; 2]) -> Result<Vec<MergeRecord>, StoreError> {
    Ok(sqlx::query_as!(
        MergeRecord,
        r#"
        SELECT id, version, merged_into, anonymised_at IS NOT NULL AS "anonymised!",
               first_name, last_name, birth_name, birth_date, nir_ciphertext, nir_hash,
               nir_masked, caf_number, marital_status, address_line1, address_line2,
               address_postcode, address_city, address_country, phone, email, informed_at,
               informed_channel, informed_notice_version, civility, legal_protection,
               representative_name, representative_organisation, representative_phone,
               representative_email, disability_recognised, disability_rate, created_at
        FROM persons
        WHERE id = ANY($1)
        ORDER BY id
        FOR UPDATE
        "#,
        &ids[..]
    )
    .fetch_all(conn)
    .await?)
}

/// What a merge did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub cases: i64,
    pub consents: i64,
    pub referrals: i64,
    pub restrictions: i64,
    /// Changes of the duplicate's rectification history now on the kept record.
    pub history: i64,
    /// The kept record's fields filled from the duplicate's (the API's names).
    pub filled: Vec<&'static str>,
    pub household: SituationMerge,
    pub budget: SituationMerge,
}

/// Merges `duplicate` into `kept` (both read by [`lock`] in this transaction, the merge allowed
/// by `relais_domain::check_merge`, which said what becomes of the NIR), in a bounded number of
/// statements; records it in the kept record's rectification history as `by`.
#[tracing::instrument(level = "debug", skip_all, fields(person_id = %kept.id, duplicate_id = %duplicate.id))]
pub async fn merge(
    conn: &mut PgConnection,
    kept: &MergeRecord,
    duplicate: &MergeRecord,
    nir: NirMerge,
    by: Corrector,
) -> Result<Merged, StoreError> {
    let nir_moves = nir == NirMerge::Moves;
    if nir_moves {
        // The NIR is unique in the organisation: the duplicate lets go of it first.
        sqlx::query!(
            r#"
            UPDATE persons SET nir_ciphertext = NULL, nir_hash = NULL, nir_masked = NULL
            WHERE id = $1
            "#,
            duplicate.id
        )
        .execute(&mut *conn)
        .await?;
    }
    let after = fill(conn, kept, duplicate, nir_moves).await?;
    bury(conn, kept.id, duplicate.id).await?;
    let moved = sqlx::query!(
        r#"
        WITH locked AS (
            SELECT id FROM cases WHERE person_id = $2 ORDER BY id FOR UPDATE
        ), cases_moved AS (
            UPDATE cases c SET person_id = $1, updated_at = now(), version = c.version + 1
            FROM locked WHERE c.id = locked.id
            RETURNING c.id
        ), consents_moved AS (
            UPDATE consents SET person_id = $1 WHERE person_id = $2 RETURNING id
        ), referrals_moved AS (
            UPDATE referrals SET person_id = $1 WHERE person_id = $2 RETURNING id
        ), restrictions_moved AS (
            UPDATE person_restrictions SET person_id = $1 WHERE person_id = $2 RETURNING id
        )
        SELECT (SELECT count(*) FROM cases_moved) AS "cases!",
               (SELECT count(*) FROM consents_moved) AS "consents!",
               (SELECT count(*) FROM referrals_moved) AS "referrals!",
               (SELECT count(*) FROM restrictions_moved) AS "restrictions!",
               relais_move_person_history($2, $1) AS "history!"
        "#,
        kept.id,
        duplicate.id
    )
    .fetch_one(&mut *conn)
    .await?;
    let (household, household_doc) = merge_household(conn, kept.id, duplicate.id, by).await?;
    let (budget, budget_doc) = merge_budget(conn, kept.id, duplicate.id, by).await?;

    let filled: Vec<(&'static str, Option<String>)> = kept
        .shown()
        .into_iter()
        .zip(after.shown())
        .filter(|((_, was), (_, is))| was != is)
        .map(|((field, _), (_, is))| (field, is))
        .collect();
    let mut entries: Vec<(&str, Option<String>, Option<String>)> = vec![(
        "merge.duplicate",
        Some(duplicate.identity().to_string()),
        Some(kept.id.to_string()),
    )];
    for (field, outcome, doc) in [
        ("merge.household", household, household_doc),
        ("merge.budget", budget, budget_doc),
    ] {
        // Taken: the kept record had none (`after`); not taken: the kept record's stays, the
        // duplicate's is kept here (`before`).
        match (outcome, doc) {
            (SituationMerge::Moves, Some(doc)) => {
                entries.push((field, None, Some(doc.to_string())))
            }
            (SituationMerge::Recorded, Some(doc)) => {
                entries.push((field, Some(doc.to_string()), None));
            }
            _ => {}
        }
    }
    entries.extend(
        filled
            .iter()
            .map(|(field, value)| (*field, None, value.clone())),
    );
    record(conn, by, kept.id, &entries).await?;
    Ok(Merged {
        cases: moved.cases,
        consents: moved.consents,
        referrals: moved.referrals,
        restrictions: moved.restrictions,
        history: moved.history,
        filled: filled.into_iter().map(|(field, _)| field).collect(),
        household,
        budget,
    })
}

/// Fills each empty field of `kept` with the duplicate's value (the richer value): a field set
/// on both keeps the kept record's. The address, the information of the person, the legal
/// protection with its representative and the disability with its rate each move as a whole,
/// never mixed; the last contact is the later of both. The NIR is the duplicate's when
/// `nir_moves` (already taken off the duplicate). Answers the kept record as it became.
async fn fill(
    conn: &mut PgConnection,
    kept: &MergeRecord,
    duplicate: &MergeRecord,
    nir_moves: bool,
) -> Result<MergeRecord, StoreError> {
    let birth_name = kept.birth_name.as_ref().or(duplicate.birth_name.as_ref());
    let mut names = format!("{} {}", kept.first_name, kept.last_name);
    if let Some(birth) = birth_name {
        names.push(' ');
        names.push_str(birth);
    }
    let search_name = relais_domain::text::fold(&names);
    Ok(sqlx::query_as!(
        MergeRecord,
        r#"
        UPDATE persons k
        SET birth_name = COALESCE(k.birth_name, d.birth_name),
            birth_date = COALESCE(k.birth_date, d.birth_date),
            search_name = $3,
            nir_ciphertext = CASE WHEN $4 THEN $5 ELSE k.nir_ciphertext END,
            nir_hash = CASE WHEN $4 THEN $6 ELSE k.nir_hash END,
            nir_masked = CASE WHEN $4 THEN $7 ELSE k.nir_masked END,
            caf_number = COALESCE(k.caf_number, d.caf_number),
            marital_status = COALESCE(k.marital_status, d.marital_status),
            address_line1 = CASE WHEN num_nonnulls(k.address_line1, k.address_line2,
                                                   k.address_postcode, k.address_city,
                                                   k.address_country) > 0
                                 THEN k.address_line1 ELSE d.address_line1 END,
            address_line2 = CASE WHEN num_nonnulls(k.address_line1, k.address_line2,
                                                   k.address_postcode, k.address_city,
                                                   k.address_country) > 0
                                 THEN k.address_line2 ELSE d.address_line2 END,
            address_postcode = CASE WHEN num_nonnulls(k.address_line1, k.address_line2,
                                                      k.address_postcode, k.address_city,
                                                      k.address_country) > 0
                                    THEN k.address_postcode ELSE d.address_postcode END,
            address_city = CASE WHEN num_nonnulls(k.address_line1, k.address_line2,
                                                  k.address_postcode, k.address_city,
                                                  k.address_country) > 0
                                THEN k.address_city ELSE d.address_city END,
            address_country = CASE WHEN num_nonnulls(k.address_line1, k.address_line2,
                                                     k.address_postcode, k.address_city,
                                                     k.address_country) > 0
                                   THEN k.address_country ELSE d.address_country END,
            phone = COALESCE(k.phone, d.phone),
            email = COALESCE(k.email, d.email),
            informed_at = CASE WHEN num_nonnulls(k.informed_at, k.informed_channel,
                                                 k.informed_notice_version) > 0
                               THEN k.informed_at ELSE d.informed_at END,
            informed_channel = CASE WHEN num_nonnulls(k.informed_at, k.informed_channel,
                                                      k.informed_notice_version) > 0
                                    THEN k.informed_channel ELSE d.informed_channel END,
            informed_notice_version = CASE WHEN num_nonnulls(k.informed_at, k.informed_channel,
                                                             k.informed_notice_version) > 0
                                           THEN k.informed_notice_version
                                           ELSE d.informed_notice_version END,
            last_contact_at = GREATEST(k.last_contact_at, d.last_contact_at),
            civility = COALESCE(k.civility, d.civility),
            legal_protection = COALESCE(k.legal_protection, d.legal_protection),
            -- The representative goes with the measure: the duplicate's when the kept record has
            -- no measure, or the same measure with no representative.
            representative_name = CASE
                WHEN k.legal_protection IS NULL
                     OR (k.legal_protection = d.legal_protection
                         AND num_nonnulls(k.representative_name, k.representative_organisation,
                                          k.representative_phone, k.representative_email) = 0)
                THEN d.representative_name ELSE k.representative_name END,
            representative_organisation = CASE
                WHEN k.legal_protection IS NULL
                     OR (k.legal_protection = d.legal_protection
                         AND num_nonnulls(k.representative_name, k.representative_organisation,
                                          k.representative_phone, k.representative_email) = 0)
                THEN d.representative_organisation ELSE k.representative_organisation END,
            representative_phone = CASE
                WHEN k.legal_protection IS NULL
                     OR (k.legal_protection = d.legal_protection
                         AND num_nonnulls(k.representative_name, k.representative_organisation,
                                          k.representative_phone, k.representative_email) = 0)
                THEN d.representative_phone ELSE k.representative_phone END,
            representative_email = CASE
                WHEN k.legal_protection IS NULL
                     OR (k.legal_protection = d.legal_protection
                         AND num_nonnulls(k.representative_name, k.representative_organisation,
                                          k.representative_phone, k.representative_email) = 0)
                THEN d.representative_email ELSE k.representative_email END,
            -- The rate goes with the recognition.
            disability_recognised = COALESCE(k.disability_recognised, d.disability_recognised),
            disability_rate = CASE
                WHEN k.disability_recognised IS NULL THEN d.disability_rate
                WHEN k.disability_recognised = 'yes' AND d.disability_recognised = 'yes'
                THEN COALESCE(k.disability_rate, d.disability_rate)
                ELSE k.disability_rate END,
            updated_at = now(),
            version = k.version + 1
        FROM persons d
        WHERE k.id = $1 AND d.id = $2
        RETURNING k.id, k.version, k.merged_into, k.anonymised_at IS NOT NULL AS "anonymised!",
                  k.first_name, k.last_name, k.birth_name, k.birth_date, k.nir_ciphertext,
                  k.nir_hash, k.nir_masked, k.caf_number, k.marital_status, k.address_line1,
                  k.address_line2, k.address_postcode, k.address_city, k.address_country,
                  k.phone, k.email, k.informed_at, k.informed_channel,
                  k.informed_notice_version, k.civility, k.legal_protection,
                  k.representative_name, k.representative_organisation,
                  k.representative_phone, k.representative_email, k.disability_recognised,
                  k.disability_rate, k.created_at
        "#,
        kept.id,
        duplicate.id,
        search_name,
        nir_moves,
        duplicate.nir_ciphertext.as_deref(),
        duplicate.nir_hash.as_deref(),
        duplicate.nir_masked.as_deref()
    )
    .fetch_one(conn)
    .await?)
}

/// Makes the duplicate a tombstone pointing at the kept record: no name, birth date, NIR,
/// contact detail, protection or disability is left on it (its identity as it was is in the
/// kept record's history); records merged into it earlier now point at the kept record too, so
/// that `merged_into` always names a live record. The search's index of name words forgets it
/// (its names are empty).
async fn bury(conn: &mut PgConnection, kept: Uuid, duplicate: Uuid) -> Result<(), StoreError> {
    sqlx::query!(
        r#"
        WITH earlier AS (
            UPDATE persons SET merged_into = $1, updated_at = now(), version = version + 1
            WHERE merged_into = $2
        )
        UPDATE persons
        SET first_name = 'Personne', last_name = 'fusionnée', birth_name = NULL,
            birth_date = NULL, search_name = '', nir_ciphertext = NULL, nir_hash = NULL,
            nir_masked = NULL, caf_number = NULL, marital_status = NULL, address_line1 = NULL,
            address_line2 = NULL, address_postcode = NULL, address_city = NULL,
            address_country = NULL, phone = NULL, email = NULL, informed_at = NULL,
            informed_channel = NULL, informed_notice_version = NULL, last_contact_at = NULL,
            civility = NULL, legal_protection = NULL, representative_name = NULL,
            representative_organisation = NULL, representative_phone = NULL,
            representative_email = NULL, disability_recognised = NULL, disability_rate = NULL,
            merged_into = $1, merged_at = now(), updated_at = now(), version = version + 1
        WHERE id = $2
        "#,
        kept,
        duplicate
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The household: moved as a whole to a kept record without one; beside the kept record's, the
/// duplicate's is taken off the tombstone and answered as the document to keep in the history.
async fn merge_household(
    conn: &mut PgConnection,
    kept: Uuid,
    duplicate: Uuid,
    by: Corrector,
) -> Result<(SituationMerge, Option<Value>), StoreError> {
    // The head rows are locked first: a replacement of either household waits for the merge,
    // and then finds its version changed.
    let heads = sqlx::query!(
        r#"
        SELECT person_id, housing, employment,
               relais_person_rows($2, person_id, 'read') AS "rows!"
        FROM households
        WHERE person_id = ANY($1)
        ORDER BY person_id
        FOR UPDATE
        "#,
        &[kept, duplicate][..],
        HOUSEHOLD_PARTS as &[&str]
    )
    .fetch_all(&mut *conn)
    .await?;
    let has = |id: Uuid| {
        heads
            .iter()
            .find(|h| h.person_id == id)
            .is_some_and(|h| h.housing.is_some() || h.employment.is_some() || h.rows != json!({}))
    };
    let outcome = situation_merge(has(kept), has(duplicate));
    let Some(head) = heads.iter().find(|h| h.person_id == duplicate) else {
        return Ok((outcome, None));
    };
    let doc = json!({
        "housing": head.housing,
        "employment": head.employment,
        "members": head.rows.get("household_members").cloned().unwrap_or(json!([])),
    });
    match outcome {
        SituationMerge::Nothing => return Ok((outcome, None)),
        SituationMerge::Moves => {
            sqlx::query!(
                r#"
                INSERT INTO households (person_id, org_id, housing, employment, version,
                                        updated_by)
                SELECT $1, org_id, housing, employment, 1, $3
                FROM households WHERE person_id = $2
                ON CONFLICT (person_id) DO UPDATE
                SET housing = EXCLUDED.housing, employment = EXCLUDED.employment,
                    version = households.version + 1, updated_at = now(),
                    updated_by = EXCLUDED.updated_by
                "#,
                kept,
                duplicate,
                by.agent_id
            )
            .execute(&mut *conn)
            .await?;
            hand_rows(conn, HOUSEHOLD_PARTS, duplicate, Some(kept)).await?;
        }
        SituationMerge::Recorded => {
            hand_rows(conn, HOUSEHOLD_PARTS, duplicate, None).await?;
        }
    }
    // The tombstone's head keeps no content, and a replacement that waited finds it changed.
    sqlx::query!(
        r#"
        UPDATE households
        SET housing = NULL, employment = NULL, version = version + 1, updated_at = now(),
            updated_by = $2
        WHERE person_id = $1
        "#,
        duplicate,
        by.agent_id
    )
    .execute(&mut *conn)
    .await?;
    Ok((outcome, Some(doc)))
}

/// Moves the duplicate's rows of the tables `parts` to `kept`, or drops them without one (their
/// content was kept in the history), in one round trip.
async fn hand_rows(
    conn: &mut PgConnection,
    parts: &[&str],
    duplicate: Uuid,
    kept: Option<Uuid>,
) -> Result<(), StoreError> {
    let action = if kept.is_some() { "move" } else { "drop" };
    sqlx::query!(
        r#"SELECT relais_person_rows($1, $2, $3, $4) AS "rows!""#,
        parts as &[&str],
        duplicate,
        action,
        kept
    )
    .fetch_one(conn)
    .await?;
    Ok(())
}

/// The budget: the same as the household, its content being the rows of [`BUDGET_PARTS`].
async fn merge_budget(
    conn: &mut PgConnection,
    kept: Uuid,
    duplicate: Uuid,
    by: Corrector,
) -> Result<(SituationMerge, Option<Value>), StoreError> {
    let heads = sqlx::query!(
        r#"
        SELECT person_id, relais_person_rows($2, person_id, 'read') AS "rows!"
        FROM budgets
        WHERE person_id = ANY($1)
        ORDER BY person_id
        FOR UPDATE
        "#,
        &[kept, duplicate][..],
        BUDGET_PARTS as &[&str]
    )
    .fetch_all(&mut *conn)
    .await?;
    let has = |id: Uuid| {
        heads
            .iter()
            .find(|h| h.person_id == id)
            .is_some_and(|h| h.rows != json!({}))
    };
    let outcome = situation_merge(has(kept), has(duplicate));
    let Some(head) = heads.iter().find(|h| h.person_id == duplicate) else {
        return Ok((outcome, None));
    };
    let doc = head.rows.clone();
    match outcome {
        SituationMerge::Nothing => return Ok((outcome, None)),
        SituationMerge::Moves => {
            sqlx::query!(
                r#"
                INSERT INTO budgets (person_id, org_id, version, updated_by)
                SELECT $1, org_id, 1, $3 FROM budgets WHERE person_id = $2
                ON CONFLICT (person_id) DO UPDATE
                SET version = budgets.version + 1, updated_at = now(),
                    updated_by = EXCLUDED.updated_by
                "#,
                kept,
                duplicate,
                by.agent_id
            )
            .execute(&mut *conn)
            .await?;
            hand_rows(conn, BUDGET_PARTS, duplicate, Some(kept)).await?;
        }
        SituationMerge::Recorded => {
            hand_rows(conn, BUDGET_PARTS, duplicate, None).await?;
        }
    }
    sqlx::query!(
        r#"
        UPDATE budgets SET version = version + 1, updated_at = now(), updated_by = $2
        WHERE person_id = $1
        "#,
        duplicate,
        by.agent_id
    )
    .execute(&mut *conn)
    .await?;
    Ok((outcome, Some(doc)))
}

/// Appends the merge's entries to the kept record's rectification history, in one statement;
/// read newest first, they come in the order given.
async fn record(
    conn: &mut PgConnection,
    by: Corrector,
    person_id: Uuid,
    entries: &[(&str, Option<String>, Option<String>)],
) -> Result<(), StoreError> {
    let mut ids: Vec<Uuid> = entries.iter().map(|_| Uuid::now_v7()).collect();
    ids.reverse();
    let fields: Vec<&str> = entries.iter().map(|e| e.0).collect();
    let befores: Vec<Option<String>> = entries.iter().map(|e| e.1.clone()).collect();
    let afters: Vec<Option<String>> = entries.iter().map(|e| e.2.clone()).collect();
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
