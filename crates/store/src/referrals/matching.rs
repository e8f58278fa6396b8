//! Finding the person a referral is about among the organisation's persons: by NIR (exact, by
//! keyed hash), or by names and birth date; the rule that chooses is
//! `relais_domain::referral::match_person`.

use chrono::NaiveDate;
use relais_domain::Nir;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::crypto::NirVault;

/// The person of the organisation with this NIR, if any (exact match by keyed hash).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn person_with_nir(
    conn: &mut PgConnection,
    nir: &Nir,
    vault: &NirVault,
) -> Result<Option<Uuid>, StoreError> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM persons WHERE nir_hash = $1",
        vault.search_hash(nir)
    )
    .fetch_optional(conn)
    .await?)
}

/// A person who may be the one a referral names: same birth date, names to compare.
#[derive(Debug, Clone)]
pub struct NameCandidate {
    pub id: Uuid,
    pub first_name: String,
    pub last_name: String,
}

/// Persons born on `birth_date` whose folded names start with `folded_first_name`, leaving out
/// those whose NIR is known and differs from `nir` (another person, whatever the names). The
/// caller compares the names exactly (`relais_domain::referral::same_names`).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn name_candidates(
    conn: &mut PgConnection,
    birth_date: NaiveDate,
    folded_first_name: &str,
    nir: Option<&Nir>,
    vault: &NirVault,
) -> Result<Vec<NameCandidate>, StoreError> {
    let pattern = format!("{} %", escape_like(folded_first_name));
    let hash = nir.map(|n| vault.search_hash(n));
    Ok(sqlx::query_as!(
        NameCandidate,
        r#"
        SELECT id, first_name, last_name
        FROM persons
        WHERE birth_date = $1
          AND search_name LIKE $2
          AND ($3::bytea IS NULL OR nir_hash IS NULL OR nir_hash = $3)
        ORDER BY id
        LIMIT 50
        "#,
        birth_date,
        pattern,
        hash
    )
    .fetch_all(conn)
    .await?)
}

/// The keyed hash of a person's NIR: `None` when no such person, `Some(None)` without a NIR.
pub async fn person_nir_hash(
    conn: &mut PgConnection,
    person_id: Uuid,
) -> Result<Option<Option<Vec<u8>>>, StoreError> {
    Ok(
        sqlx::query_scalar!("SELECT nir_hash FROM persons WHERE id = $1", person_id)
            .fetch_optional(conn)
            .await?,
    )
}

fn escape_like(word: &str) -> String {
    word.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
