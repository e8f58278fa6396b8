//! What every request shares: the database, the verifier, the NIR vault, metrics, settings.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use uuid::Uuid;

use actix_web::{HttpRequest, web};
use quick_cache::Equivalent;
use relais_store::agents::AgentClaims;
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
    /// The origins whose browser pages may call the API (CORS), each canonical
    /// ([`crate::cors::parse_origin`]); none by default.
    pub cors_origins: Vec<String>,
    /// Counts below this are suppressed in statistics (1 disables).
    pub stats_min_count: u32,
    /// The budgets of requests per client.
    pub rate_limits: crate::rate_limit::RateLimitSettings,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            json_limit: 1024 * 1024,
            webhooks_allow_loopback: false,
            upload_limit: relais_domain::document::DEFAULT_UPLOAD_LIMIT,
            cors_origins: Vec::new(),
            stats_min_count: relais_domain::statistics::DEFAULT_MIN_COUNT,
            rate_limits: crate::rate_limit::RateLimitSettings::default(),
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
    /// Callers resolved lately, whose agent row the next requests need not read.
    pub callers: Arc<Callers>,
    /// The clients' budgets of requests.
    pub rate_limits: Arc<crate::rate_limit::RateLimits>,
}

impl AppState {
    /// Assembles the state.
    pub fn new(db: Db, auth: Authenticator, vault: NirVault, settings: ApiSettings) -> Self {
        Self {
            db,
            auth: Arc::new(auth),
            vault,
            metrics: Arc::new(Metrics::new()),
            oauth: OAuthSettings::default(),
            orgs: Arc::new(OrgCache::default()),
            callers: Arc::new(Callers::default()),
            rate_limits: Arc::new(crate::rate_limit::RateLimits::new(settings.rate_limits)),
            settings,
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

/// The agents this process resolved in the last minute, by organisation and by everything the
/// token says of its bearer: a caller's next requests skip the read of their agent row.
///
/// A hit is always the right agent: agent rows are never deleted, and a token that says
/// something new (another name, other roles) misses, so its agent is read and refreshed. What
/// the cache costs is a later sighting: `last_seen_at`, refreshed when older than five minutes,
/// is late by a minute at most. Each replica keeps its own; none needs to agree with another.
pub struct Callers {
    entries: quick_cache::sync::Cache<CallerKey, (Instant, Uuid)>,
}

/// How long a resolved caller is trusted without reading their row.
const CALLER_TTL: Duration = Duration::from_secs(60);

/// How many callers are kept (the least used go first).
const CALLER_CAPACITY: usize = 10_000;

impl Default for Callers {
    fn default() -> Self {
        Self {
            entries: quick_cache::sync::Cache::new(CALLER_CAPACITY),
        }
    }
}

impl Callers {
    /// The agent of these claims in `org_id`, when it was resolved in the last minute.
    pub fn get(&self, org_id: Uuid, claims: &AgentClaims<'_>) -> Option<Uuid> {
        let (at, agent_id) = self.entries.get(&CallerRef { org_id, claims })?;
        (at.elapsed() < CALLER_TTL).then_some(agent_id)
    }

    /// Remembers the agent of these claims, read unchanged: its row, committed, says what they
    /// say.
    pub fn put(&self, org_id: Uuid, claims: &AgentClaims<'_>, agent_id: Uuid) {
        let key = CallerKey {
            org_id,
            subject: claims.subject.to_owned(),
            display_name: claims.display_name.map(str::to_owned),
            email: claims.email.map(str::to_owned),
            roles: claims.roles.to_vec(),
        };
        self.entries.insert(key, (Instant::now(), agent_id));
    }
}

/// An organisation and the claims of a token, as kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CallerKey {
    org_id: Uuid,
    subject: String,
    display_name: Option<String>,
    email: Option<String>,
    roles: Vec<String>,
}

/// The same, borrowed from a request: a lookup allocates nothing. Its hash is the kept key's
/// (`str` hashes as `String`, a slice as a `Vec`).
struct CallerRef<'a> {
    org_id: Uuid,
    claims: &'a AgentClaims<'a>,
}

impl std::hash::Hash for CallerRef<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.org_id.hash(state);
        self.claims.subject.hash(state);
        self.claims.display_name.hash(state);
        self.claims.email.hash(state);
        self.claims.roles.hash(state);
    }
}

impl Equivalent<CallerKey> for CallerRef<'_> {
    fn equivalent(&self, key: &CallerKey) -> bool {
        self.org_id == key.org_id
            && self.claims.subject == key.subject
            && self.claims.display_name == key.display_name.as_deref()
            && self.claims.email == key.email.as_deref()
            && self.claims.roles == key.roles.as_slice()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims<'a>(name: Option<&'a str>, roles: &'a [String]) -> AgentClaims<'a> {
        AgentClaims {
            subject: "alice",
            display_name: name,
            email: None,
            roles,
        }
    }

    #[test]
    fn a_caller_is_found_by_everything_their_token_says() {
        let callers = Callers::default();
        let org = Uuid::now_v7();
        let agent = Uuid::now_v7();
        let worker = vec!["worker".to_owned()];
        callers.put(org, &claims(Some("Alice"), &worker), agent);
        assert_eq!(
            callers.get(org, &claims(Some("Alice"), &worker)),
            Some(agent)
        );
        // Another name, other roles, another organisation: read again.
        assert_eq!(callers.get(org, &claims(Some("Alice M."), &worker)), None);
        assert_eq!(callers.get(org, &claims(None, &worker)), None);
        let supervisor = vec!["supervisor".to_owned()];
        assert_eq!(callers.get(org, &claims(Some("Alice"), &supervisor)), None);
        assert_eq!(
            callers.get(Uuid::now_v7(), &claims(Some("Alice"), &worker)),
            None
        );
    }
}
