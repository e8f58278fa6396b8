//! OAuth 2.0 for partners: the client credentials grant (`POST /v1/oauth/token`), the
//! service's own Ed25519 signing keys, and their JWKS (`GET /.well-known/jwks.json`).
//!
//! Partner tokens are verified by the same [`crate::auth::Authenticator`] as agents' tokens,
//! which recognises them by their `kid` (see [`crate::auth::Authenticator::with_service_keys`]).

pub mod jwks;
pub mod keys;
mod request;
pub mod token;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use keys::{Jwks, KeyError, PublicJwk, ServiceKeys};

/// How partner tokens are issued.
#[derive(Debug, Clone)]
pub struct OAuthSettings {
    /// The signing keys; `None` when none is configured (the token endpoint answers 503 and
    /// the JWKS is empty).
    pub keys: Option<Arc<ServiceKeys>>,
    /// `iss` of partner tokens.
    pub issuer: String,
    /// `aud` of partner tokens: the audience the verifier expects of every token.
    pub audience: String,
    /// Lifetime of a partner token.
    pub token_ttl: Duration,
}

impl Default for OAuthSettings {
    fn default() -> Self {
        Self {
            keys: None,
            issuer: "relais".into(),
            audience: "relais".into(),
            token_ttl: Duration::from_secs(600),
        }
    }
}

/// The role every partner token carries.
pub const PARTNER_ROLE: &str = "partner";
/// Partner tokens' subjects start with this, followed by the partner's id.
pub const PARTNER_SUBJECT_PREFIX: &str = "partner:";

/// The claims of a partner token. Their names are fixed: the organisation and roles claims of
/// the identity provider's settings do not apply to the service's own tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartnerClaims {
    pub iss: String,
    pub aud: String,
    /// `partner:<partner id>`.
    pub sub: String,
    /// The organisation's slug.
    pub org: String,
    /// Always `["partner"]`.
    pub roles: Vec<String>,
    pub partner_id: Uuid,
    pub client_id: String,
    /// The partner's name (the display name of its agent row).
    pub name: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: Uuid,
}

/// The first whole second at or after `at`. A token issued at second `iat` is valid for
/// credentials issued at `at` when `iat >= ceil_seconds(at)`: a token issued in the same second
/// as a rotation but before it is refused (`iat` has no fractions to tell them apart), and the
/// token endpoint, asked within that second, waits for the next one before it issues.
pub fn ceil_seconds(at: chrono::DateTime<chrono::Utc>) -> i64 {
    at.timestamp() + i64::from(at.timestamp_subsec_nanos() > 0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn credentials_issued_within_a_second_count_from_the_next_one() {
        let whole = chrono::Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        assert_eq!(ceil_seconds(whole), 1_700_000_000);
        let inside = chrono::Utc.timestamp_opt(1_700_000_000, 1_000).unwrap();
        assert_eq!(ceil_seconds(inside), 1_700_000_001);
    }
}
