//! Helpers of the OAuth tests: token requests in every shape, tokens signed by hand, and an
//! independent verification of the service's tokens with its published JWKS.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use relais_api::oauth::ServiceKeys;
use relais_tests::{AUDIENCE, TestApp, TestPartner, header, test_signing_key};
use reqwest::Response;
use serde_json::{Value, json};

/// The issuer of partner tokens (the default setting).
pub const OAUTH_ISSUER: &str = "relais";

/// `POST /v1/oauth/token` with this form and, optionally, HTTP Basic credentials.
pub async fn token_request(
    app: &TestApp,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> Response {
    let mut request = app.client.post(app.url("/v1/oauth/token")).form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    request.send().await.unwrap()
}

/// The client credentials grant with the credentials in the form.
pub async fn form_grant(app: &TestApp, client_id: &str, client_secret: &str) -> Response {
    token_request(
        app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", client_secret),
        ],
        None,
    )
    .await
}

/// The client credentials grant with HTTP Basic.
pub async fn basic_grant(app: &TestApp, client_id: &str, client_secret: &str) -> Response {
    token_request(
        app,
        &[("grant_type", "client_credentials")],
        Some((client_id, client_secret)),
    )
    .await
}

/// Reads an OAuth error and checks it carries both the RFC 6749 and the problem members.
pub async fn oauth_error(response: Response, status: u16, error: &str) -> Value {
    assert_eq!(response.status(), status, "status of the {error} answer");
    assert_eq!(
        header(&response, "content-type"),
        "application/json",
        "RFC 6749 errors are application/json"
    );
    assert_eq!(header(&response, "cache-control"), "no-store");
    if status == 401 {
        assert_eq!(
            header(&response, "www-authenticate"),
            "Basic realm=\"relais\""
        );
    }
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    assert_eq!(body["code"], error);
    assert_eq!(body["status"], status);
    assert_eq!(body["type"], format!("https://relais.dev/problems/{error}"));
    assert!(body["title"].is_string());
    assert_eq!(body["detail"], body["error_description"]);
    assert_eq!(body["instance"], "/v1/oauth/token");
    assert!(body["request_id"].is_string());
    assert!(body["errors"].is_array());
    body
}

/// The published key set.
pub async fn jwks(app: &TestApp) -> JwkSet {
    let response = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "cache-control"), "public, max-age=300");
    response.json().await.unwrap()
}

/// Verifies `token` with the JWK its header names, as a partner's resource server would: with
/// jsonwebtoken and the published key set only. Answers the claims.
pub async fn verify_with_jwks(app: &TestApp, token: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    let kid = header.kid.expect("the token names its key");
    let set = jwks(app).await;
    let jwk: &Jwk = set.find(&kid).expect("the JWKS publishes the token's kid");
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[OAUTH_ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "sub", "iss", "aud", "nbf", "iat"]);
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .unwrap()
        .claims
}

/// The service's keys in the test servers (the test process's signing key).
pub fn test_keys() -> ServiceKeys {
    ServiceKeys::from_pem(test_signing_key(), None).unwrap()
}

/// Valid partner-token claims for `partner`, to alter before signing.
pub fn claims(partner: &TestPartner) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": OAUTH_ISSUER,
        "aud": AUDIENCE,
        "sub": format!("partner:{}", partner.id),
        "org": "acme",
        "roles": ["partner"],
        "partner_id": partner.id,
        "client_id": partner.client_id,
        "name": "Signed by the test",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": uuid::Uuid::now_v7(),
    })
}

/// HTTP Basic credentials as a header value, for malformed variants.
pub fn basic_value(raw: &str) -> String {
    format!("Basic {}", STANDARD.encode(raw))
}

/// The partner's current version (for If-Match).
pub async fn partner_version(app: &TestApp, partner: &TestPartner) -> i64 {
    let admin = app.token("admin", "admin-of-acme");
    let body: Value = app
        .get_json(&format!("/v1/partners/{}", partner.id), &admin)
        .await;
    body["version"].as_i64().unwrap()
}

/// Disables the partner through the admin API.
pub async fn disable(app: &TestApp, partner: &TestPartner) {
    let admin = app.token("admin", "admin-of-acme");
    let version = partner_version(app, partner).await;
    let response = app
        .patch(
            &format!("/v1/partners/{}", partner.id),
            &admin,
            version,
            &json!({"enabled": false}),
        )
        .await;
    assert_eq!(response.status(), 200, "disabling the partner");
}

/// Rotates the partner's client secret through the admin API; answers the new secret.
pub async fn rotate_secret(app: &TestApp, partner: &TestPartner) -> String {
    let admin = app.token("admin", "admin-of-acme");
    let version = partner_version(app, partner).await;
    let response = app
        .request(
            reqwest::Method::POST,
            &format!("/v1/partners/{}/client-secret", partner.id),
            &admin,
        )
        .header("If-Match", format!("\"{version}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "rotating the client secret");
    let body: Value = response.json().await.unwrap();
    body["client_secret"].as_str().unwrap().to_owned()
}
