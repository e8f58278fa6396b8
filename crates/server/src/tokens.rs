//! Development tokens, signed with the development HS256 secret.

use chrono::{Duration, Utc};
use jsonwebtoken::{EncodingKey, Header, encode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

/// What a development token says.
#[derive(Debug, Clone)]
pub struct TokenRequest<'a> {
    pub org: &'a str,
    pub roles: &'a [String],
    pub subject: &'a str,
    pub name: Option<&'a str>,
    pub ttl: Duration,
}

/// Signs a token the server in development mode accepts.
pub fn issue(
    secret: &SecretString,
    issuer: &str,
    audience: &str,
    org_claim: &str,
    roles_claim: &str,
    request: &TokenRequest<'_>,
) -> anyhow::Result<String> {
    let now = Utc::now();
    let mut claims = json!({
        "iss": issuer,
        "aud": audience,
        "sub": request.subject,
        "iat": now.timestamp(),
        "nbf": now.timestamp(),
        "exp": (now + request.ttl).timestamp(),
    });
    claims[org_claim] = json!(request.org);
    // A dotted roles claim becomes nested objects, as identity providers emit it.
    let mut node = &mut claims;
    let parts: Vec<&str> = roles_claim.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            node[*part] = json!(request.roles);
        } else {
            if node.get(*part).is_none() {
                node[*part] = json!({});
            }
            node = &mut node[*part];
        }
    }
    if let Some(name) = request.name {
        claims["name"] = json!(name);
    }
    Ok(encode(
        &Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.expose_secret().as_bytes()),
    )?)
}
