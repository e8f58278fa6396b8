//! The demo organisation of the embedded mode: one agent per role, ready to call the API, and
//! the starter catalogue of schemes, so scheme matches work from the first run.

use relais_store::agents::{self, AgentClaims};
use relais_store::db::{self, Access};
use relais_store::{Db, organisations, schemes};

/// The demo organisation's slug (fixed: scripts rely on it).
pub const DEMO_SLUG: &str = "demo";

/// The demo agents: (role, subject, display name).
pub const DEMO_AGENTS: &[(&str, &str, &str)] = &[
    (
        "worker",
        "alice",
        "Alice Martin, assistante de service social",
    ),
    (
        "supervisor",
        "sophie",
        "Sophie Bernard, responsable de service",
    ),
    ("reception", "rachid", "Rachid Benali, accueil"),
    ("admin", "adele", "Adèle Durand, administratrice"),
    (
        "dpo",
        "dominique",
        "Dominique Petit, déléguée à la protection des données",
    ),
];

/// The starter catalogue shipped in `data/schemes/`.
pub const STARTER_CATALOGUE: &str = include_str!("../../../data/schemes/starter-catalogue.json");

/// Creates the demo organisation and its agents unless they exist, and imports the starter
/// catalogue when the organisation has no scheme yet (never over an admin's edits).
pub async fn ensure(db: &Db) -> anyhow::Result<()> {
    let mut conn = db.pool().acquire().await?;
    let org = organisations::ensure(&mut conn, DEMO_SLUG, "CCAS de démonstration").await?;
    drop(conn);
    let mut tx = db.tenant(org.id, Access::Write).await?;
    let mut admin_id = None;
    for (role, subject, name) in DEMO_AGENTS {
        let roles = [(*role).to_owned()];
        let agent = agents::resolve(
            &mut tx,
            org.id,
            &AgentClaims {
                subject,
                display_name: Some(name),
                email: None,
                roles: &roles,
            },
        )
        .await?
        .agent;
        if *role == "admin" {
            admin_id = Some(agent.id);
        }
    }
    if let Some(admin_id) = admin_id {
        starter_catalogue(&mut tx, org.id, admin_id).await?;
    }
    db::commit(tx).await?;
    Ok(())
}

/// Imports the starter catalogue as `by` when the organisation has no scheme yet (never over
/// an admin's edits).
pub async fn starter_catalogue(
    tx: &mut db::Tx,
    org_id: uuid::Uuid,
    by: uuid::Uuid,
) -> anyhow::Result<()> {
    if schemes::any(tx).await? {
        return Ok(());
    }
    let today = chrono::Utc::now().date_naive();
    let starter = relais_api::routes::schemes::parse_catalogue(STARTER_CATALOGUE, today)
        .map_err(|e| anyhow::anyhow!("the starter catalogue is invalid: {e}"))?;
    schemes::import(tx, org_id, by, &starter).await?;
    Ok(())
}
