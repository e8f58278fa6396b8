//! What every request shares: the database, the verifier, the NIR vault, metrics, settings.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{HttpRequest, web};
use relais_store::crypto::NirVault;
use relais_store::organisations::{self, Organisation};
use relais_store::{Db, StoreError};

use crate::auth::Authenticator;
use crate::error::ApiError;
use crate::oauth::OAuthSettings;
use crate::observability::Metrics;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Largest JSON body accepted, in bytes.
    pub json_limit: usize,
    /// Accept webhook targets on loopback (development only; see `webhook_target`).
    pub webhooks_allow_loopback: bool,
    /// Largest uploaded file (a case document), in bytes; 1 to
    /// `relais_domain::document::MAX_UPLOAD_LIMIT`.
    pub upload_limit: usize,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            json_limit: 1024 * 1024,
            webhooks_allow_loopback: false,
            upload_limit: relais_domain::document::DEFAULT_UPLOAD_LIMIT,
        }
    }
}

/// The application state, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub auth: Arc<Authenticator>,
    pub vault: NirVault,
    pub metrics: Arc<Metrics>,
    pub settings: ApiSettings,
    /// Partner tokens: the service's signing keys, issuer and lifetime.
    pub oauth: OAuthSettings,
    orgs: Arc<OrgCache>,
}

impl AppState {
    /// Assembles the state.
    pub fn new(db: Db, auth: Authenticator, vault: NirVault, settings: ApiSettings) -> Self {
        Self {
            db,
            auth: Arc::new(auth),
            vault,
            metrics: Arc::new(Metrics::new()),
            settings,
            oauth: OAuthSettings::default(),
            orgs: Arc::new(OrgCache::default()),
        }
    }

    /// The same state issuing partner tokens with these settings.
    pub fn with_oauth(mut self, oauth: OAuthSettings) -> Self {
        self.oauth = oauth;
        self
    }

    /// The state registered on the app.
    pub fn of(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
        req.app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| ApiError::internal(std::io::Error::other("application state missing")))
    }

    /// The organisation named by a token, from a short-lived cache.
    pub async fn organisation(&self, slug: &str) -> Result<Option<Organisation>, StoreError> {
        if let Some(org) = self.orgs.get(slug) {
            return Ok(Some(org));
        }
        let mut conn = self.db.pool().acquire().await?;
        let org = organisations::find_by_slug(&mut conn, slug).await?;
        if let Some(org) = &org {
            self.orgs.put(org.clone());
        }
        Ok(org)
    }
}

/// Organisations change rarely: their settings are cached for a minute.
#[derive(Default)]
struct OrgCache {
    entries: Mutex<HashMap<String, (Instant, Organisation)>>,
}

const ORG_TTL: Duration = Duration::from_secs(60);

impl OrgCache {
    fn get(&self, slug: &str) -> Option<Organisation> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(slug)
            .filter(|(at, _)| at.elapsed() < ORG_TTL)
            .map(|(_, org)| org.clone())
    }

    fn put(&self, org: Organisation) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(org.slug.clone(), (Instant::now(), org));
        }
    }
}
