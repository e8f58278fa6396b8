//! The NIR of a person a referral's decider names, to check it against the referral's. Finding
//! the person otherwise is `crate::duplicates`' (by NIR, or by names and birth date).

use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;

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
