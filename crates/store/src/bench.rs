//! Synthetic data for measurements (`relais bench seed`): persons with French names, their
//! cases at every stage, with team, assessment, plan, contacts, applications and audit events,
//! written set-based (`generate_series`), a batch of cases per statement, through the
//! application role so that every constraint and policy holds.
//!
//! Ids are derived from the run's salt and the case's number, so one statement can refer to
//! what another wrote without reading it back. The number leads them (where a version-7 UUID
//! has its time), so that, like the application's time-ordered ids, they follow the order in
//! which the rows were written: lists read newest first then read the table in its physical
//! order, as they do in production (random ids made the planner scan whole tables instead).

use chrono::{Datelike, Days, NaiveDate};
use relais_domain::nir::Nir;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::crypto::NirVault;

/// The birth date of the seeded person number `g`: from 1940 to 2005 (as the SQL computes it).
fn birth_date(g: i64) -> NaiveDate {
    let days = u64::try_from(g.saturating_mul(7919).rem_euclid(23741)).unwrap_or(0);
    NaiveDate::from_ymd_opt(1940, 1, 1)
        .and_then(|d| d.checked_add_days(Days::new(days)))
        .unwrap_or_default()
}

/// A valid NIR for the seeded person number `g`, born on `born`: its sex, year and month of
/// birth, a department of metropolitan France from 21 to 90, and `g` itself in the commune and
/// order digits, so that no two persons of a run share one (up to 70 million persons).
pub fn synthetic_nir(g: i64, born: NaiveDate) -> Option<Nir> {
    let sex = 1 + g.rem_euclid(2);
    let department = 21 + (g / 1_000_000).rem_euclid(70);
    let thirteen = format!(
        "{sex}{:02}{:02}{department:02}{:06}",
        born.year().rem_euclid(100),
        born.month(),
        g.rem_euclid(1_000_000)
    );
    let number: u64 = thirteen.parse().ok()?;
    Nir::parse(&format!("{thirteen}{:02}", 97 - number % 97)).ok()
}

/// One batch: cases `first .. first + count` of a seeding run.
#[derive(Debug, Clone, Copy)]
pub struct SeedBatch<'a> {
    pub org_id: Uuid,
    /// Distinguishes the ids of one run from another's.
    pub salt: &'a str,
    pub first: i64,
    pub count: i64,
    /// The day the data is seeded as of: open cases started before it, closed ones ended
    /// from one to about five years before it.
    pub today: NaiveDate,
}

/// Writes one batch of persons and cases, with everything a case holds, for the `workers`
/// (referents, authors); two persons in three get a NIR sealed with `vault`. Needs a
/// transaction bound to the organisation. Answers how many NIRs it wrote.
///
/// One case in two is closed, 13 to 62 months before `today` (so a retention run archives
/// most of them and anonymises their persons), one in ten of those with a granted
/// application; the others are open at every stage.
#[tracing::instrument(level = "debug", skip(conn, workers, vault))]
pub async fn seed_batch(
    conn: &mut PgConnection,
    batch: SeedBatch<'_>,
    workers: &[Uuid],
    vault: &NirVault,
) -> Result<u64, StoreError> {
    let SeedBatch {
        org_id,
        salt,
        first,
        count,
        today,
    } = batch;
    let last = first + count - 1;
    let scheme = scheme_of(&mut *conn, org_id).await?;
    // The persons: names, birth dates from 1940 to 2005, an address in the Lyon area.
    sqlx::query!(
        r#"
        WITH names AS (
            SELECT g,
                   (ARRAY['Camille','Léa','Manon','Chloé','Inès','Sarah','Emma','Jade','Louise',
                          'Zoé','Nathalie','Sandrine','Isabelle','Sylvie','Monique','Françoise',
                          'Hélène','Fatima','Aïcha','Yasmine','Lucas','Hugo','Thomas','Nicolas',
                          'Julien','Mohamed','Karim','Mamadou','Jean','Pierre','Michel','Alain',
                          'Éric','Stéphane','Kévin','Théo','Noé','Gaël','Loïc','Jérôme'])
                       [1 + (hashint8(g) & 1023) % 40] AS first_name,
                   (ARRAY['Martin','Bernard','Dubois','Thomas','Robert','Richard','Petit',
                          'Durand','Leroy','Moreau','Simon','Laurent','Lefèvre','Michel',
                          'Garcia','David','Bertrand','Roux','Vincent','Fournier','Morel',
                          'Girard','André','Lefebvre','Mercier','Dupont','Lambert','Bonnet',
                          'François','Martinez','Legrand','Garnier','Faure','Rousseau','Blanc',
                          'Guérin','Muller','Henry','Roussel','Nicolas','Perrin','Morin',
                          'Mathieu','Clément','Gauthier','Dumont','Lopez','Fontaine',
                          'Chevalier','Robin','Benali','Diallo','Nguyen','Traoré','Haddad'])
                       [1 + ((hashint8(g) >> 10) & 1023) % 55] AS last_name,
                   (hashint8(g) >> 20) & 1023 AS town
              FROM generate_series($3::bigint, $4::bigint) AS g
        )
        INSERT INTO persons (id, org_id, first_name, last_name, birth_date, search_name,
                             address_line1, address_postcode, address_city, address_country,
                             phone, informed_at, informed_channel, informed_notice_version,
                             created_at, updated_at)
        SELECT (lpad(to_hex(g), 12, '0') || '7' || substr(md5($2 || ':p:' || g), 1, 3) || '8' || substr(md5($2 || ':p:' || g), 4, 15))::uuid, $1, first_name, last_name,
               DATE '1940-01-01' + (g * 7919 % 23741)::int,
               btrim(translate(lower(first_name || ' ' || last_name),
                               'éèêëàâäîïôöùûüç''-', 'eeeeaaaiioouuuc  ')),
               (1 + g % 180) || ' rue ' || (ARRAY['Paul Bert','de la République','Victor Hugo',
                   'Jean Jaurès','des Lilas','Anatole France','Pasteur','du Dauphiné'])
                   [1 + town % 8],
               (ARRAY['69003','69100','69200','69800','69500','69120','69140','69150'])
                   [1 + town % 8],
               (ARRAY['Lyon','Villeurbanne','Vénissieux','Saint-Priest','Bron',
                      'Vaulx-en-Velin','Rillieux-la-Pape','Décines-Charpieu'])[1 + town % 8],
               'fr', '06 ' || lpad((g % 100000000)::text, 8, '0'),
               $5::date - 400 - (g % 1500)::int, 'in_person', '2024-01',
               ($5::date - 400 - (g % 1500)::int)::timestamptz,
               ($5::date - 400 - (g % 1500)::int)::timestamptz
          FROM names
        "#,
        org_id,
        salt,
        first,
        last,
        today,
    )
    .execute(&mut *conn)
    .await?;
    // Two persons in three have a NIR, sealed and hashed as the application does.
    let mut numbers = Vec::new();
    let mut sealed = Vec::new();
    let mut hashes = Vec::new();
    let mut masks = Vec::new();
    for g in (first..=last).filter(|g| g % 3 != 0) {
        let Some(nir) = synthetic_nir(g, birth_date(g)) else {
            continue;
        };
        numbers.push(g);
        sealed.push(vault.encrypt(&nir));
        hashes.push(vault.search_hash(&nir));
        masks.push(nir.masked());
    }
    let nirs = sqlx::query!(
        r#"
        UPDATE persons p
        SET nir_ciphertext = u.sealed, nir_hash = u.hash, nir_masked = u.masked
        FROM UNNEST($2::bigint[], $3::bytea[], $4::bytea[], $5::text[])
             AS u (g, sealed, hash, masked)
        WHERE p.id = (lpad(to_hex(u.g), 12, '0') || '7' || substr(md5($1 || ':p:' || u.g), 1, 3) || '8' || substr(md5($1 || ':p:' || u.g), 4, 15))::uuid
        "#,
        salt,
        &numbers,
        &sealed,
        &hashes,
        &masks
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    // The cases: even numbers closed 13 to 62 months ago, the others open at each stage.
    sqlx::query!(
        r#"
        WITH c AS (
            SELECT g, g % 2 = 0 AS closed,
                   CASE WHEN g % 2 = 0 THEN $5::date - 400 - (g % 1500)::int
                        ELSE $5::date - (g % 170)::int END AS opened,
                   ($6::uuid[])[1 + g % cardinality($6::uuid[])] AS referent
              FROM generate_series($3::bigint, $4::bigint) AS g
        )
        INSERT INTO cases (id, org_id, person_id, status, reason, origin, referent_id,
                           opened_on, target_end_on, closed_on, closure_reason, review_due_on,
                           last_contact_at, created_at, created_by, updated_at)
        SELECT (lpad(to_hex(g), 12, '0') || '7' || substr(md5($2 || ':c:' || g), 1, 3) || '8' || substr(md5($2 || ':c:' || g), 4, 15))::uuid, $1, (lpad(to_hex(g), 12, '0') || '7' || substr(md5($2 || ':p:' || g), 1, 3) || '8' || substr(md5($2 || ':p:' || g), 4, 15))::uuid,
               CASE WHEN closed THEN 'closed'
                    ELSE (ARRAY['intake','assessment','planning','active','active'])
                         [1 + (g / 2) % 5] END,
               (ARRAY['Impayés de loyer','Demande d''aide alimentaire','Ouverture des droits au RSA',
                      'Difficultés budgétaires','Recherche de logement','Perte d''emploi',
                      'Séparation et relogement','Accès aux soins','Surendettement',
                      'Isolement d''une personne âgée'])[1 + g % 10],
               (ARRAY['self','partner_referral','internal'])[1 + g % 3],
               referent, opened, opened + 183,
               CASE WHEN closed THEN opened + 150 END,
               CASE WHEN closed THEN (ARRAY['goals_met','goals_met','person_withdrew',
                                            'unreachable'])[1 + (g / 2) % 4] END,
               CASE WHEN closed THEN opened + 178 END,
               (CASE WHEN closed THEN opened + 150 ELSE opened END)::timestamptz
                   + interval '10 hours',
               opened::timestamptz, referent, opened::timestamptz
          FROM c
        "#,
        org_id,
        salt,
        first,
        last,
        today,
        workers,
    )
    .execute(&mut *conn)
    .await?;
    // The team, the assessment (housing, finances) and three plan items per case.
    sqlx::query!(
        r#"
        WITH c AS (
            SELECT id, referent_id, opened_on, closed_on FROM cases
             WHERE id IN (SELECT (lpad(to_hex(g), 12, '0') || '7' || substr(md5($2 || ':c:' || g), 1, 3) || '8' || substr(md5($2 || ':c:' || g), 4, 15))::uuid
                            FROM generate_series($3::bigint, $4::bigint) AS g)
        ), team AS (
            INSERT INTO case_team (case_id, agent_id, org_id)
            SELECT id, referent_id, $1 FROM c
        ), assessed AS (
            INSERT INTO assessment_domains (case_id, org_id, domain, situation, needs_action,
                                            priority, assessed_by, assessed_at)
            SELECT id, $1, d.domain, d.situation, 'yes', d.priority, referent_id,
                   (opened_on + 14)::timestamptz
              FROM c, (VALUES
                ('housing', 'Loyer de 620 € pour un T3 ; trois mois d''impayés, un commandement de payer reçu.', 'high'),
                ('finances', 'Ressources : RSA et allocations familiales ; reste à vivre de 4 € par jour.', 'medium')
              ) AS d (domain, situation, priority)
        )
        INSERT INTO plan_items (id, org_id, case_id, party, category, domain, title, details,
                                due_on, status, done_on, created_at, created_by, updated_at,
                                updated_by)
        SELECT gen_random_uuid(), $1, id, i.party, i.category, i.domain, i.title, i.details,
               COALESCE(closed_on - 30, $5::date + 20) + i.offset_days,
               CASE WHEN closed_on IS NULL THEN 'planned' ELSE 'done' END,
               CASE WHEN closed_on IS NOT NULL THEN closed_on - 35 + i.offset_days END,
               (opened_on + 30)::timestamptz, referent_id, (opened_on + 30)::timestamptz,
               referent_id
          FROM c, (VALUES
            ('worker', 'orientation', 'housing', 'Constituer le dossier FSL maintien',
             'Avec la quittance et l''avis d''échéance du bailleur.', 0),
            ('person', 'paperwork', 'finances', 'Rassembler les trois derniers relevés de compte',
             NULL, 5),
            ('worker', 'correspondence', 'housing', 'Écrire au bailleur pour un plan d''apurement',
             NULL, 10)
          ) AS i (party, category, domain, title, details, offset_days)
        "#,
        org_id,
        salt,
        first,
        last,
        today,
    )
    .execute(&mut *conn)
    .await?;
    // Two contacts per case, an application for one closed case in ten, two audit events.
    sqlx::query!(
        r#"
        WITH c AS (
            SELECT k.id, k.person_id, k.referent_id, k.opened_on, k.closed_on, g
              FROM generate_series($3::bigint, $4::bigint) AS g
              JOIN cases k ON k.id = (lpad(to_hex(g), 12, '0') || '7' || substr(md5($2 || ':c:' || g), 1, 3) || '8' || substr(md5($2 || ':c:' || g), 4, 15))::uuid
        ), contacted AS (
            INSERT INTO contacts (id, org_id, case_id, kind, occurred_at, status, participants,
                                  summary, author_id, created_at, updated_at)
            SELECT gen_random_uuid(), $1, id, k.kind,
                   (opened_on + k.offset_days)::timestamptz + interval '9 hours 30 minutes',
                   'held', '{}', k.summary, referent_id,
                   (opened_on + k.offset_days)::timestamptz + interval '11 hours',
                   (opened_on + k.offset_days)::timestamptz + interval '11 hours'
              FROM c, (VALUES
                ('first_interview', 0, 'Premier entretien : recueil des informations, situation de logement et ressources.'),
                ('interview', 14, 'Point sur les démarches : dossier FSL en cours, relevés de compte apportés.')
              ) AS k (kind, offset_days, summary)
             WHERE opened_on + k.offset_days <= $5::date
        ), applied AS (
            INSERT INTO applications (id, org_id, case_id, scheme_id, status, submitted_on,
                                      submitted_to, decision, decided_on, amount_granted_cents,
                                      status_changed_at, created_at, created_by, updated_at,
                                      updated_by)
            SELECT gen_random_uuid(), $1, id, $6, 'decided', closed_on - 60,
                   'Commission FSL du Rhône', 'granted', closed_on - 40, 80000,
                   (closed_on - 40)::timestamptz, (opened_on + 30)::timestamptz, referent_id,
                   (closed_on - 40)::timestamptz, referent_id
              FROM c
             WHERE $6::uuid IS NOT NULL AND closed_on IS NOT NULL AND g % 20 = 0
        )
        INSERT INTO audit_events (id, org_id, at, actor_id, actor_subject, action,
                                  resource_type, resource_id, person_id)
        SELECT gen_random_uuid(), $1, (opened_on + e.offset_days)::timestamptz
                   + interval '9 hours', referent_id, 'bench-worker', e.action, e.resource,
               CASE e.resource WHEN 'case' THEN id ELSE person_id END, person_id
          FROM c, (VALUES ('create', 'person', 0), ('create', 'case', 0), ('read', 'case', 14))
                  AS e (action, resource, offset_days)
        "#,
        org_id,
        salt,
        first,
        last,
        today,
        scheme,
    )
    .execute(&mut *conn)
    .await?;
    Ok(nirs)
}

/// A scheme of the organisation for the seeded applications, if it has one.
async fn scheme_of(conn: &mut PgConnection, org_id: Uuid) -> Result<Option<Uuid>, StoreError> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM schemes WHERE org_id = $1 ORDER BY id LIMIT 1",
        org_id
    )
    .fetch_optional(conn)
    .await?)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn synthetic_nirs_are_valid_distinct_and_tell_the_birth_date() {
        let mut seen = HashSet::new();
        for g in (0..300_000).chain([999_999, 1_000_000, 69_999_999]) {
            let born = birth_date(g);
            let nir = synthetic_nir(g, born).unwrap_or_else(|| panic!("no NIR for {g}"));
            let text = nir.as_str().to_owned();
            assert_eq!(&text[1..3], format!("{:02}", born.year() % 100), "{text}");
            assert_eq!(&text[3..5], format!("{:02}", born.month()), "{text}");
            assert!(seen.insert(text), "a NIR given twice, at {g}");
        }
    }

    #[test]
    fn birth_dates_run_from_1940_to_2005() {
        for g in [0, 1, 2, 12_345, 999_999] {
            let year = birth_date(g).year();
            assert!((1940..=2005).contains(&year), "{g}: {year}");
        }
    }
}
