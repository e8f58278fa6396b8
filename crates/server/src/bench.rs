//! `relais bench seed`: an organisation filled with synthetic cases for measurements (the
//! retention run over a million cases, the lists and statistics of `scripts/bench.sh`).

use std::time::Instant;

use chrono::NaiveDate;
use relais_store::agents::{self, AgentClaims};
use relais_store::bench::{SeedBatch, seed_batch};
use relais_store::crypto::NirVault;
use relais_store::db::{Access, commit};
use relais_store::{Db, organisations};
use serde::Serialize;
use uuid::Uuid;

/// Cases written per transaction.
const BATCH: i64 = 50_000;

/// The workers' names (cycled, numbered when there are more workers than names).
const WORKERS: &[&str] = &[
    "Aurélie Lambert",
    "Karima Haddad",
    "Julie Fontaine",
    "Marc Chevalier",
    "Élodie Garnier",
    "Samia Benali",
    "Céline Perrin",
    "Thomas Robin",
];

/// What a seeding run wrote.
#[derive(Debug, Serialize)]
pub struct Seeded {
    pub organisation: String,
    pub cases: i64,
    /// Persons given a NIR.
    pub nirs: u64,
    pub workers: usize,
    pub seconds: f64,
}

/// Adds `cases` cases (one person each, two in three with a NIR sealed with `vault`) for
/// `workers` workers in the organisation `slug`
/// (created when missing, with the starter catalogue), as of `today`, in transactions of 50,000 cases; then analyses the
/// tables so that plans are those of a database in use. Prints progress on stderr.
pub async fn seed(
    db: &Db,
    vault: &NirVault,
    slug: &str,
    cases: i64,
    workers: usize,
    today: NaiveDate,
) -> anyhow::Result<Seeded> {
    anyhow::ensure!(cases >= 1, "--cases must be at least 1");
    anyhow::ensure!(
        (1..=10_000).contains(&workers),
        "--workers must be from 1 to 10000"
    );
    let started = Instant::now();
    let org = {
        let mut conn = db.pool().acquire().await?;
        organisations::ensure(&mut conn, slug, "CCAS de mesure (données synthétiques)").await?
    };
    let mut tx = db.tenant(org.id, Access::Write).await?;
    let mut ids = Vec::with_capacity(workers);
    for i in 0..workers {
        let subject = format!("bench-worker-{i}");
        let name = match WORKERS[i % WORKERS.len()] {
            name if i < WORKERS.len() => name.to_owned(),
            name => format!("{name} ({})", i / WORKERS.len() + 1),
        };
        let roles = ["worker".to_owned()];
        let resolved = agents::resolve(
            &mut tx,
            org.id,
            &AgentClaims {
                subject: &subject,
                display_name: Some(&name),
                email: None,
                roles: &roles,
            },
        )
        .await?;
        ids.push(resolved.agent.id);
    }
    // Applications need a scheme.
    crate::demo::starter_catalogue(&mut tx, org.id, ids[0]).await?;
    commit(tx).await?;

    // A second run adds to the first: its persons are numbered after those already there, so
    // their NIRs (derived from the number) never collide.
    let existing = {
        let mut tx = db.tenant(org.id, Access::Read).await?;
        let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM cases")
            .fetch_one(&mut *tx)
            .await?;
        commit(tx).await?;
        existing
    };
    let salt = Uuid::now_v7().simple().to_string();
    let end = existing + cases;
    let mut first = existing;
    let mut nirs = 0;
    while first < end {
        let count = BATCH.min(end - first);
        let mut tx = db.tenant(org.id, Access::Write).await?;
        nirs += seed_batch(
            &mut tx,
            SeedBatch {
                org_id: org.id,
                salt: &salt,
                first,
                count,
                today,
            },
            &ids,
            vault,
        )
        .await?;
        commit(tx).await?;
        first += count;
        eprintln!(
            "seeded {} of {cases} cases ({:.0} s)",
            first - existing,
            started.elapsed().as_secs_f64()
        );
    }
    // As the worker would within minutes: the past days' counts of the statistics folded, and
    // the activity ledger.
    let mut tx = db.background().await?;
    relais_store::stats::compact_caseload_counts(&mut tx, today - chrono::Days::new(1)).await?;
    commit(tx).await?;
    let mut tx = db.background().await?;
    relais_store::activity::compact(&mut tx).await?;
    commit(tx).await?;
    let mut conn = db.pool().acquire().await?;
    sqlx::query("ANALYZE").execute(&mut *conn).await?;
    Ok(Seeded {
        organisation: org.slug,
        cases,
        nirs,
        workers,
        seconds: started.elapsed().as_secs_f64(),
    })
}
