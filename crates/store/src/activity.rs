//! The activity report's ledger (migration 33): the counts the database keeps as rows are
//! written, summed over a period for the organisation or some agents, less what the persons who
//! restricted the processing contribute (computed live by the same SQL functions the ledger is
//! kept with: few persons, by index).

use chrono::NaiveDate;
use relais_domain::activity::{Ledger, LedgerSum};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;

/// Whose figures: the whole organisation, or the cases and work of some agents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Organisation,
    Agents(Vec<Uuid>),
}

/// The ledger's agent of the whole organisation (migration 33).
const ORGANISATION: Uuid = Uuid::nil();

/// The ledger of the days `from` to `to` (included) for `scope`, as of `today`, and the names of
/// the schemes and partners it names: two round trips, whatever the period (the ledger's rows
/// from `from` on, and the day-less ones: two ranges of one index, read without the table).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn ledger(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
    scope: &Scope,
) -> Result<Ledger, StoreError> {
    let (agents, whole) = match scope {
        Scope::Organisation => (vec![ORGANISATION], true),
        Scope::Agents(ids) => (ids.clone(), false),
    };
    let rows = sqlx::query!(
        r#"WITH withheld AS (
             SELECT array_agg(DISTINCT r.person_id) AS ids FROM person_restrictions r
              WHERE r.lifted_at IS NULL
           ), counted AS (
             SELECT a.measure, a.dimension, a.day, a.n, a.amount FROM activity_counts a
              WHERE a.referent_id = ANY ($1::uuid[]) AND a.day >= $2
             UNION ALL
             SELECT a.measure, a.dimension, a.day, a.n, a.amount FROM activity_counts a
              WHERE a.referent_id = ANY ($1::uuid[]) AND a.day = '-infinity'
             UNION ALL
             SELECT d.measure, d.dimension, d.day, -d.n, -d.amount
               FROM withheld w CROSS JOIN LATERAL relais_activity_of_persons(w.ids) AS d
              WHERE w.ids IS NOT NULL AND (d.day >= $2 OR d.day = '-infinity')
                AND ($5 OR d.referent_id = ANY ($1::uuid[]))
           )
           SELECT measure AS "measure!", dimension AS "dimension!",
                  coalesce(sum(n) FILTER (WHERE day BETWEEN $2 AND $3), 0)::bigint AS "in_period!",
                  coalesce(sum(n) FILTER (WHERE day > $3), 0)::bigint AS "after_period!",
                  coalesce(sum(n) FILTER (WHERE day >= $2), 0)::bigint AS "since_start!",
                  coalesce(sum(n) FILTER (WHERE day = '-infinity'), 0)::bigint AS "ever!",
                  coalesce(sum(n) FILTER (WHERE day >= $2 AND day <= $3 AND day < $4), 0)::bigint
                      AS "before_today!",
                  coalesce(sum(amount) FILTER (WHERE day BETWEEN $2 AND $3), 0)::bigint
                      AS "amount!"
             FROM counted
            GROUP BY measure, dimension"#,
        &agents,
        from,
        to,
        today,
        whole,
    )
    .fetch_all(&mut *conn)
    .await?;
    let sums: Vec<LedgerSum> = rows
        .into_iter()
        .map(|r| LedgerSum {
            measure: r.measure,
            dimension: r.dimension,
            in_period: r.in_period,
            after_period: r.after_period,
            since_start: r.since_start,
            ever: r.ever,
            before_today: r.before_today,
            amount: r.amount,
        })
        .collect();
    // The schemes and partners the dimensions name (`scheme:<id>`, `partner:<id>`,
    // `destination:<id>`).
    let ids: Vec<Uuid> = sums
        .iter()
        .filter_map(|s| s.dimension.split_once(':'))
        .filter(|(kind, _)| matches!(*kind, "scheme" | "partner" | "destination"))
        .filter_map(|(_, id)| id.parse().ok())
        .collect();
    let names = if ids.is_empty() {
        Vec::new()
    } else {
        sqlx::query!(
            r#"SELECT 'scheme:' || s.id AS "key!", s.name AS "name!" FROM schemes s
                WHERE s.id = ANY ($1::uuid[])
               UNION ALL
               SELECT 'partner:' || p.id, p.name FROM partners p WHERE p.id = ANY ($1::uuid[])"#,
            &ids
        )
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| (r.key, r.name))
        .collect()
    };
    Ok(Ledger::new(sums, names))
}

/// Folds the ledger rows written since the last folding into one row per key
/// (`relais_activity_compact`, migration 33); returns how many rows it removed. Runs as the
/// background role.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn compact(conn: &mut PgConnection) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar!(r#"SELECT relais_activity_compact() AS "folded!""#)
            .fetch_one(conn)
            .await?,
    )
}
