//! The demo organisation of the embedded mode: one agent per role, ready to call the API.

use relais_store::agents::{self, AgentClaims};
use relais_store::db::{self, Access};
use relais_store::{Db, organisations};

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

/// Creates the demo organisation and its agents unless they exist.
pub async fn ensure(db: &Db) -> anyhow::Result<()> {
    let mut conn = db.pool().acquire().await?;
    let org = organisations::ensure(&mut conn, DEMO_SLUG, "CCAS de démonstration").await?;
    drop(conn);
    let mut tx = db.tenant(org.id, Access::Write).await?;
    for (role, subject, name) in DEMO_AGENTS {
        let roles = [(*role).to_owned()];
        agents::provision(
            &mut tx,
            org.id,
            &AgentClaims {
                subject,
                display_name: Some(name),
                email: None,
                roles: &roles,
            },
        )
        .await?;
    }
    db::commit(tx).await?;
    Ok(())
}
