//! The demo organisation of the embedded mode: one agent per role, ready to call the API, and
//! the starter catalogue of schemes, so scheme matches work from the first run.

use relais_domain::Civility;
use relais_store::agents::{self, AgentClaims, ProfileUpdate};
use relais_store::db::{self, Access};
use relais_store::{Db, organisations, profiles, schemes};

/// The demo organisation's slug (fixed: scripts rely on it).
pub const DEMO_SLUG: &str = "demo";

/// A demo agent: their role, subject and the profile documents print.
pub struct DemoAgent {
    pub role: &'static str,
    pub subject: &'static str,
    pub name: &'static str,
    pub job_title: &'static str,
    pub civility: Civility,
}

/// The demo agents, one per role.
pub const DEMO_AGENTS: &[DemoAgent] = &[
    DemoAgent {
        role: "worker",
        subject: "alice",
        name: "Alice Martin",
        job_title: "Assistante de service social",
        civility: Civility::Mme,
    },
    DemoAgent {
        role: "supervisor",
        subject: "sophie",
        name: "Sophie Bernard",
        job_title: "Responsable du service social",
        civility: Civility::Mme,
    },
    DemoAgent {
        role: "reception",
        subject: "rachid",
        name: "Rachid Benali",
        job_title: "Agent d'accueil",
        civility: Civility::M,
    },
    DemoAgent {
        role: "admin",
        subject: "adele",
        name: "Adèle Durand",
        job_title: "Administratrice",
        civility: Civility::Mme,
    },
    DemoAgent {
        role: "dpo",
        subject: "dominique",
        name: "Dominique Petit",
        job_title: "Déléguée à la protection des données",
        civility: Civility::Mme,
    },
];

impl DemoAgent {
    /// The agent's e-mail at the demo organisation.
    pub fn email(&self) -> String {
        format!("{}@ccas-demo.example", self.subject)
    }
}

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
    for demo in DEMO_AGENTS {
        let roles = [demo.role.to_owned()];
        let agent = agents::resolve(
            &mut tx,
            org.id,
            &AgentClaims {
                subject: demo.subject,
                display_name: Some(demo.name),
                email: None,
                roles: &roles,
            },
        )
        .await?
        .agent;
        // The profile is written once; an agent's own later changes stay.
        let stored = agents::get(&mut tx, agent.id).await?;
        if stored.job_title.is_none() {
            let email = demo.email();
            let profile = ProfileUpdate {
                display_name: Some(demo.name),
                job_title: Some(demo.job_title),
                civility: Some(demo.civility),
                email: Some(&email),
                phone: Some("04 72 00 00 00"),
            };
            agents::update_profile(&mut tx, agent.id, stored.version, &profile).await?;
        }
        if demo.role == "admin" {
            admin_id = Some(agent.id);
        }
    }
    if let Some(admin_id) = admin_id {
        starter_catalogue(&mut tx, org.id, admin_id).await?;
        letterhead(&mut tx, org.id, admin_id).await?;
    }
    db::commit(tx).await?;
    Ok(())
}

/// Writes the demo organisation's letterhead once (never over an admin's edits), so that the
/// documents it prints show one.
async fn letterhead(tx: &mut db::Tx, org_id: uuid::Uuid, by: uuid::Uuid) -> anyhow::Result<()> {
    let (current, _) = profiles::profile(tx).await?;
    if current.version > 0 {
        return Ok(());
    }
    let profile = profiles::Profile {
        name: "CCAS de démonstration".to_owned(),
        address_lines: vec![
            "Hôtel de ville".to_owned(),
            "1 place de la République".to_owned(),
        ],
        postcode: Some("69000".to_owned()),
        city: Some("Lyon".to_owned()),
        phone: Some("04 72 00 00 00".to_owned()),
        email: Some("accueil@ccas-demo.example".to_owned()),
        website: Some("https://ccas-demo.example".to_owned()),
    };
    profiles::put_profile(tx, org_id, Some(0), &profile, by).await?;
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
