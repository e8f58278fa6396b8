//! Who may already be a person about to be created, imported or linked to a referral: the
//! organisation's persons with the same NIR, or born the same day with a name in common, sifted
//! by the domain's rule (`relais_domain::person::likeness`). Merged and anonymised records are
//! never candidates.

use chrono::NaiveDate;
use relais_domain::Nir;
use relais_domain::person::{Identity, Likeness, NirComparison, likeness};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::crypto::NirVault;
use crate::persons::escape_like;

/// A person sought among those of the organisation.
#[derive(Debug, Clone)]
pub struct Sought<'a> {
    pub identity: Identity<'a>,
    pub nir: Option<&'a Nir>,
}

/// A person of the organisation who may be the one sought.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub birth_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub likeness: Likeness,
}

/// The candidates of each person of `sought`, in the same order, in one round trip: a
/// candidate shares the NIR, or the birth date and (as a whole word of the names) the first
/// name, before the domain's rule sifts them. Each lookup is served by the index of the NIR or
/// of the birth date.
#[tracing::instrument(level = "debug", skip_all, fields(sought = sought.len()))]
pub async fn candidates(
    conn: &mut PgConnection,
    sought: &[Sought<'_>],
    vault: &NirVault,
) -> Result<Vec<Vec<Candidate>>, StoreError> {
    let mut dated: (Vec<i64>, Vec<NaiveDate>, Vec<String>) = Default::default();
    let mut numbered: (Vec<i64>, Vec<Vec<u8>>) = Default::default();
    let mut hashes: Vec<Vec<Vec<u8>>> = Vec::with_capacity(sought.len());
    for (i, s) in (0_i64..).zip(sought) {
        if let Some(date) = s.identity.birth_date {
            dated.0.push(i);
            dated.1.push(date);
            dated.2.push(format!(
                "% {} %",
                escape_like(&relais_domain::text::fold(s.identity.first_name))
            ));
        }
        let own = s.nir.map(|n| vault.search_hashes(n)).unwrap_or_default();
        for hash in &own {
            numbered.0.push(i);
            numbered.1.push(hash.clone());
        }
        hashes.push(own);
    }
    let rows = sqlx::query!(
        r#"
        SELECT s.i AS "i!", p.id AS "id!", p.first_name AS "first_name!",
               p.last_name AS "last_name!", p.birth_name, p.birth_date, p.nir_hash
        FROM unnest($1::int8[], $2::date[], $3::text[]) AS s (i, birth_date, pattern)
        JOIN persons p ON p.birth_date = s.birth_date
                      AND (' ' || p.search_name || ' ') LIKE s.pattern
        WHERE p.merged_into IS NULL AND p.anonymised_at IS NULL
        UNION
        SELECT s.i, p.id, p.first_name, p.last_name, p.birth_name, p.birth_date, p.nir_hash
        FROM unnest($4::int8[], $5::bytea[]) AS s (i, hash)
        JOIN persons p ON p.nir_hash = s.hash
        WHERE p.merged_into IS NULL AND p.anonymised_at IS NULL
        ORDER BY 1, 2
        "#,
        &dated.0,
        &dated.1,
        &dated.2,
        &numbered.0,
        &numbered.1
    )
    .fetch_all(conn)
    .await?;
    let mut found: Vec<Vec<Candidate>> = vec![Vec::new(); sought.len()];
    for row in rows {
        let Some(i) = usize::try_from(row.i).ok().filter(|i| *i < sought.len()) else {
            continue;
        };
        let nirs = match (&row.nir_hash, hashes[i].is_empty()) {
            (Some(hash), false) if hashes[i].contains(hash) => NirComparison::Same,
            (Some(_), false) => NirComparison::Different,
            _ => NirComparison::Unknown,
        };
        let candidate = Identity {
            first_name: &row.first_name,
            last_name: &row.last_name,
            birth_name: row.birth_name.as_deref(),
            birth_date: row.birth_date,
        };
        if let Some(likeness) = likeness(&sought[i].identity, &candidate, nirs) {
            found[i].push(Candidate {
                id: row.id,
                first_name: row.first_name,
                last_name: row.last_name,
                birth_name: row.birth_name,
                birth_date: row.birth_date,
                likeness,
            });
        }
    }
    Ok(found)
}
