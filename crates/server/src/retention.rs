//! The retention run for the organisations of the database (PROTECTION.md): by the background
//! worker once a day, one replica at a time (the job's lease), and by hand with
//! `relais retention run [--org SLUG] [--as-of YYYY-MM-DD] [--dry-run]`.

use chrono::NaiveDate;
use relais_store::db::{Access, commit};
use relais_store::retention::{self, RunReport};
use relais_store::{Db, organisations};
use serde::Serialize;

/// What a run did (or, dry, would do) for one organisation.
#[derive(Debug, Serialize)]
pub struct OrgRun {
    pub organisation: String,
    /// `false` when another replica held the run's lock: nothing was done.
    pub ran: bool,
    #[serde(flatten)]
    pub report: RunReport,
}

/// Runs the retention of `org` (a slug; every organisation when `None`) on the day `as_of`,
/// each with its own settings, in transactions of at most `batch` records; `dry_run` only
/// reports what would be done. An unknown slug is an error.
pub async fn run(
    db: &Db,
    org: Option<&str>,
    as_of: NaiveDate,
    dry_run: bool,
    batch: u32,
) -> anyhow::Result<Vec<OrgRun>> {
    let orgs = {
        let mut conn = db.pool().acquire().await?;
        match org {
            None => organisations::all(&mut conn).await?,
            Some(slug) => match organisations::find_by_slug(&mut conn, slug).await? {
                Some(found) => vec![found],
                None => anyhow::bail!("no organisation {slug}"),
            },
        }
    };
    let batch = i64::from(batch.max(1));
    let mut runs = Vec::with_capacity(orgs.len());
    for org in orgs {
        let mut tx = db.tenant(org.id, Access::Read).await?;
        let settings = retention::settings(&mut tx).await?.settings;
        let cutoffs = settings.cutoffs(as_of);
        let (ran, report) = if dry_run {
            let report = retention::report(&mut tx, &cutoffs).await?;
            commit(tx).await?;
            (true, report)
        } else {
            commit(tx).await?;
            match retention::run_locked(db, org.id, &cutoffs, batch).await? {
                Some(report) => (true, report),
                None => (false, RunReport::default()),
            }
        };
        if ran && !dry_run {
            tracing::info!(organisation = %org.slug, summary = %report.summary(), "retention run");
        }
        runs.push(OrgRun {
            organisation: org.slug,
            ran,
            report,
        });
    }
    Ok(runs)
}
