//! Bearer-token authentication: JWT verification with a pinned algorithm.
//!
//! Keys come from a JWKS URL (cached, refreshed when a token names an unknown `kid`), a JWKS
//! file, a PEM file, or — for local development only — an HS256 shared secret. `iss`, `aud`,
//! `exp` and `nbf` are always checked. The organisation and roles claims are configurable.
//!
//! The service's own partner tokens (`POST /v1/oauth/token`) are verified here too: a token
//! whose `kid` names one of the service's keys is checked with that key only, pinned to EdDSA
//! and to the OAuth issuer, and read with fixed claim names. Only those tokens carry a partner:
//! an identity provider's token never gets the `partner` role, and its `partner:` subjects are
//! refused, so no other key can impersonate a partner.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use relais_domain::{Coded, Permission, Role, Roles};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio::sync::RwLock;

use crate::error::ApiError;
use crate::oauth::{PARTNER_ROLE, PARTNER_SUBJECT_PREFIX, ServiceKeys};

/// Where verification keys come from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// A JWKS endpoint of the identity provider.
    JwksUrl(String),
    /// A JWKS document on disk.
    JwksFile(PathBuf),
    /// One public key in PEM (RSA, EC or Ed25519, matching the algorithm).
    PemFile(PathBuf),
    /// A shared secret, for HS256 in development only.
    DevSecret(SecretString),
}

/// How tokens are verified.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub algorithm: Algorithm,
    pub keys: KeySource,
    pub issuer: String,
    pub audience: String,
    /// Claim holding the organisation slug.
    pub org_claim: String,
    /// Dot-separated path of the claim holding the roles (e.g. `roles` or `realm_access.roles`).
    pub roles_claim: String,
    pub leeway_secs: u64,
}

/// Why the authenticator could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    #[error(
        "HS256 is for development only and needs a development secret (RELAIS_AUTH_DEV_SECRET)"
    )]
    Hs256WithoutDevSecret,
    #[error("a development secret only works with the HS256 algorithm")]
    DevSecretWithoutHs256,
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid key material in {path}: {message}")]
    Key { path: PathBuf, message: String },
}

/// The authenticated caller, as the token says.
#[derive(Debug, Clone)]
pub struct Principal {
    pub subject: String,
    pub org_slug: String,
    pub roles: Roles,
    pub role_codes: Vec<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    /// The partner this token was issued to by `POST /v1/oauth/token`; `None` for agents. Only
    /// the service's own tokens carry one.
    pub partner_id: Option<uuid::Uuid>,
    /// The token's `iat`, when it has one (partner tokens issued before a credential rotation
    /// are refused with it).
    pub issued_at: Option<i64>,
}

impl Principal {
    /// Whether the caller's roles allow reading case content (not reception, admin or dpo).
    pub fn may_read_case_content(&self) -> bool {
        self.roles.allows(Permission::CaseReadAll) || self.roles.allows(Permission::CaseReadTeam)
    }
}

/// Verifies bearer tokens.
pub struct Authenticator {
    settings: AuthSettings,
    validation: Validation,
    keys: RwLock<KeyCache>,
    /// Held while fetching the JWKS, so one request fetches and the others keep verifying
    /// with the keys they have.
    refreshing: tokio::sync::Mutex<()>,
    http: Option<reqwest::Client>,
    /// The service's own keys, verifying partner tokens.
    own: Option<OwnKeys>,
    /// Tokens verified lately and what they said: a token's signature is checked once, not
    /// on each of its requests.
    verified: quick_cache::sync::Cache<String, (Instant, Principal)>,
}

/// How long a verified token is taken at its word without checking its signature again (never
/// past its expiry): a key withdrawn by the identity provider stops being honoured within it.
const VERIFIED_FOR: Duration = Duration::from_secs(60);
/// How many verified tokens are remembered (the least used are forgotten first).
const VERIFIED_CAPACITY: usize = 10_000;

/// The service's keys and how their tokens are validated.
struct OwnKeys {
    keys: Arc<ServiceKeys>,
    validation: Validation,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("algorithm", &self.settings.algorithm)
            .finish()
    }
}

#[derive(Default)]
struct KeyCache {
    by_kid: HashMap<String, DecodingKey>,
    /// Used when the token has no `kid` (a single PEM key or secret).
    default: Option<DecodingKey>,
    fetched_at: Option<Instant>,
}

/// A JWKS endpoint is asked again at most this often, so forged `kid`s cannot flood it.
const JWKS_MIN_REFRESH: Duration = Duration::from_secs(10);
/// Keys are refetched after this long even when every `kid` is known.
const JWKS_MAX_AGE: Duration = Duration::from_secs(600);

impl Authenticator {
    /// Builds the verifier, loading file keys now.
    pub fn new(settings: AuthSettings) -> Result<Self, AuthSetupError> {
        let hs256 = settings.algorithm == Algorithm::HS256;
        let dev_secret = matches!(settings.keys, KeySource::DevSecret(_));
        if hs256 && !dev_secret {
            return Err(AuthSetupError::Hs256WithoutDevSecret);
        }
        if dev_secret && !hs256 {
            return Err(AuthSetupError::DevSecretWithoutHs256);
        }
        let mut validation = Validation::new(settings.algorithm);
        validation.set_issuer(&[settings.issuer.as_str()]);
        validation.set_audience(&[settings.audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = settings.leeway_secs;
        let mut cache = KeyCache::default();
        let mut http = None;
        match &settings.keys {
            KeySource::DevSecret(secret) => {
                cache.default = Some(DecodingKey::from_secret(secret.expose_secret().as_bytes()));
            }
            KeySource::PemFile(path) => {
                let pem = read(path)?;
                let key = match settings.algorithm {
                    Algorithm::ES256 | Algorithm::ES384 => DecodingKey::from_ec_pem(&pem),
                    Algorithm::EdDSA => DecodingKey::from_ed_pem(&pem),
                    _ => DecodingKey::from_rsa_pem(&pem),
                }
                .map_err(|e| AuthSetupError::Key {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
                cache.default = Some(key);
            }
            KeySource::JwksFile(path) => {
                let set: JwkSet =
                    serde_json::from_slice(&read(path)?).map_err(|e| AuthSetupError::Key {
                        path: path.clone(),
                        message: e.to_string(),
                    })?;
                cache.by_kid = keys_of(&set);
                if set.keys.len() == 1 {
                    cache.default = set.keys.first().and_then(|k| DecodingKey::from_jwk(k).ok());
                }
            }
            KeySource::JwksUrl(_) => {
                http = Some(
                    reqwest::Client::builder()
                        .timeout(Duration::from_secs(5))
                        .redirect(reqwest::redirect::Policy::none())
                        .build()
                        .map_err(|e| AuthSetupError::Key {
                            path: PathBuf::from("jwks_url"),
                            message: e.to_string(),
                        })?,
                );
            }
        }
        Ok(Self {
            settings,
            validation,
            keys: RwLock::new(cache),
            refreshing: tokio::sync::Mutex::new(()),
            http,
            own: None,
            verified: quick_cache::sync::Cache::new(VERIFIED_CAPACITY),
        })
    }

    /// Also accepts the partner tokens signed with the service's own `keys` (EdDSA, issuer
    /// `issuer`, the audience of every token).
    pub fn with_service_keys(mut self, keys: Arc<ServiceKeys>, issuer: &str) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[self.settings.audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = self.settings.leeway_secs;
        self.own = Some(OwnKeys { keys, validation });
        self
    }

    /// Verifies a token and reads the caller from its claims; a token verified lately is
    /// answered from memory until [`VERIFIED_FOR`] has passed or it has expired.
    pub async fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        if let Some((until, principal)) = self.verified.get(token)
            && Instant::now() < until
        {
            return Ok(principal);
        }
        let (principal, expires) = self.verify_signed(token).await?;
        let left = expires - chrono::Utc::now().timestamp();
        if let Ok(left @ 1..) = u64::try_from(left) {
            let until = Instant::now() + VERIFIED_FOR.min(Duration::from_secs(left));
            self.verified
                .insert(token.to_owned(), (until, principal.clone()));
        }
        Ok(principal)
    }

    /// Checks the token's signature and claims; answers the caller and the token's expiry
    /// (Unix seconds).
    async fn verify_signed(&self, token: &str) -> Result<(Principal, i64), ApiError> {
        let head = decode_header(token).map_err(|_| unauthorized("malformed token"))?;
        if let Some(own) = &self.own
            && let Some(key) = head
                .kid
                .as_deref()
                .and_then(|kid| own.keys.decoding_key(kid))
        {
            if head.alg != Algorithm::EdDSA {
                return Err(unauthorized("unexpected signing algorithm"));
            }
            let data = decode::<Value>(token, key, &own.validation).map_err(rejection)?;
            return Ok((partner_principal(&data.claims)?, expiry(&data.claims)));
        }
        if head.alg != self.settings.algorithm {
            return Err(unauthorized("unexpected signing algorithm"));
        }
        let key = self.key_for(head.kid.as_deref()).await?;
        let data = decode::<Value>(token, &key, &self.validation).map_err(rejection)?;
        Ok((self.principal(&data.claims)?, expiry(&data.claims)))
    }

    fn principal(&self, claims: &Value) -> Result<Principal, ApiError> {
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| unauthorized("the token has no subject"))?;
        if subject.starts_with(PARTNER_SUBJECT_PREFIX) {
            // Partner agents are provisioned under these subjects: only the service's own
            // tokens may name them.
            return Err(unauthorized(
                "subjects starting with partner: are reserved for the service's partner tokens",
            ));
        }
        let org_slug = claims
            .get(&self.settings.org_claim)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| unauthorized("the token names no organisation"))?;
        let mut node = claims;
        for part in self.settings.roles_claim.split('.') {
            node = node.get(part).unwrap_or(&Value::Null);
        }
        let role_codes: Vec<String> = match node {
            Value::Array(items) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Value::String(one) => one.split_whitespace().map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        // Roles this service does not know are ignored, never guessed; `partner` comes only
        // with the service's own partner tokens, never from an identity provider.
        let known = |c: &String| Role::parse(c).filter(|r| *r != Role::Partner);
        let roles = Roles::from_iter(role_codes.iter().filter_map(known));
        let role_codes = role_codes
            .into_iter()
            .filter(|c| known(c).is_some())
            .collect();
        Ok(Principal {
            subject: subject.to_owned(),
            org_slug: org_slug.to_owned(),
            roles,
            role_codes,
            name: claims
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_owned),
            email: claims
                .get("email")
                .and_then(Value::as_str)
                .map(str::to_owned),
            partner_id: None,
            issued_at: claims.get("iat").and_then(Value::as_i64),
        })
    }

    async fn key_for(&self, kid: Option<&str>) -> Result<DecodingKey, ApiError> {
        {
            let cache = self.keys.read().await;
            let fresh = cache.fetched_at.is_some_and(|t| t.elapsed() < JWKS_MAX_AGE);
            if let Some(key) = lookup(&cache, kid)
                && (self.http.is_none() || fresh)
            {
                return Ok(key);
            }
            if self.http.is_none() {
                return Err(unauthorized("unknown signing key"));
            }
            if cache
                .fetched_at
                .is_some_and(|t| t.elapsed() < JWKS_MIN_REFRESH)
            {
                return lookup(&cache, kid).ok_or_else(|| unauthorized("unknown signing key"));
            }
        }
        self.refresh().await;
        let cache = self.keys.read().await;
        lookup(&cache, kid).ok_or_else(|| unauthorized("unknown signing key"))
    }

    async fn refresh(&self) {
        let (Some(http), KeySource::JwksUrl(url)) = (&self.http, &self.settings.keys) else {
            return;
        };
        let _refreshing = self.refreshing.lock().await;
        {
            let mut cache = self.keys.write().await;
            if cache
                .fetched_at
                .is_some_and(|t| t.elapsed() < JWKS_MIN_REFRESH)
            {
                return; // another request refreshed meanwhile
            }
            cache.fetched_at = Some(Instant::now());
        }
        // The fetch runs without the cache lock: a slow identity provider delays only the
        // tokens whose key is unknown.
        let fetched = async {
            let response = http.get(url).send().await?.error_for_status()?;
            response.json::<JwkSet>().await
        }
        .await;
        match fetched {
            Ok(set) => {
                let mut cache = self.keys.write().await;
                cache.by_kid = keys_of(&set);
                cache.default = if set.keys.len() == 1 {
                    set.keys.first().and_then(|k| DecodingKey::from_jwk(k).ok())
                } else {
                    None
                };
            }
            // Keep the keys we had: a flaky identity provider must not lock everyone out.
            Err(err) => tracing::warn!(error = %err, "could not refresh the JWKS"),
        }
    }
}

/// The `exp` claim (required, so checked by the validation before this is read).
fn expiry(claims: &Value) -> i64 {
    claims.get("exp").and_then(Value::as_i64).unwrap_or(0)
}

/// Reads a partner token's claims (already verified with the service's key). Their names are
/// fixed (see [`crate::oauth::PartnerClaims`]); the subject and `partner_id` must agree.
fn partner_principal(claims: &Value) -> Result<Principal, ApiError> {
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let subject = text("sub").ok_or_else(|| unauthorized("the token has no subject"))?;
    let partner_id = text("partner_id")
        .and_then(|id| uuid::Uuid::parse_str(id).ok())
        .filter(|id| subject.strip_prefix(PARTNER_SUBJECT_PREFIX) == Some(&id.to_string()))
        .ok_or_else(|| unauthorized("the token names no partner"))?;
    let org_slug = text("org").ok_or_else(|| unauthorized("the token names no organisation"))?;
    let issued_at = claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or_else(|| unauthorized("a required claim is missing"))?;
    Ok(Principal {
        subject: subject.to_owned(),
        org_slug: org_slug.to_owned(),
        roles: Roles::from_iter([Role::Partner]),
        role_codes: vec![PARTNER_ROLE.to_owned()],
        name: text("name").map(str::to_owned),
        email: None,
        partner_id: Some(partner_id),
        issued_at: Some(issued_at),
    })
}

/// The 401 of a token that failed validation.
fn rejection(e: jsonwebtoken::errors::Error) -> ApiError {
    use jsonwebtoken::errors::ErrorKind;
    unauthorized(match e.kind() {
        ErrorKind::ExpiredSignature => "token expired",
        ErrorKind::ImmatureSignature => "token not yet valid",
        ErrorKind::InvalidAudience => "wrong audience",
        ErrorKind::InvalidIssuer => "wrong issuer",
        ErrorKind::InvalidSignature => "invalid signature",
        ErrorKind::MissingRequiredClaim(_) => "a required claim is missing",
        _ => "invalid token",
    })
}

fn lookup(cache: &KeyCache, kid: Option<&str>) -> Option<DecodingKey> {
    match kid {
        Some(kid) => match cache.by_kid.get(kid) {
            Some(key) => Some(key.clone()),
            // Keys without a kid (a PEM file, a secret, JWKS keys without one) verify any token.
            // Once keys have kids, an unknown kid is unknown, even with a single key: falling
            // back to it would hide a rotated key and never refetch the JWKS.
            None if cache.by_kid.is_empty() => cache.default.clone(),
            None => None,
        },
        None => cache.default.clone(),
    }
}

fn keys_of(set: &JwkSet) -> HashMap<String, DecodingKey> {
    set.keys
        .iter()
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            DecodingKey::from_jwk(jwk).ok().map(|key| (kid, key))
        })
        .collect()
}

fn read(path: &PathBuf) -> Result<Vec<u8>, AuthSetupError> {
    std::fs::read(path).map_err(|source| AuthSetupError::Read {
        path: path.clone(),
        source,
    })
}

fn unauthorized(reason: &str) -> ApiError {
    ApiError::Unauthorized(reason.to_owned())
}
