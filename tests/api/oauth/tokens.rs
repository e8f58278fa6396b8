//! The verifier and partner tokens: only the service's own key makes a partner; expired,
//! forged, other-audience and other-issuer tokens are refused; a disabled partner or rotated
//! credentials end the tokens already issued; a key rotation keeps the previous key's tokens
//! valid while it is kept.

use crate::support::oauth::{
    claims, form_grant, jwks, oauth_error, rotate_secret, test_keys, verify_with_jwks,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use relais_api::oauth::ServiceKeys;
use relais_server::config::Settings;
use relais_store::Db;
use relais_tests::{DEV_SECRET, SendJson, TestApp, test_settings};
use serde_json::{Value, json};

/// `GET /v1/me` with `token` on the server at `base`.
async fn me_status(app: &TestApp, base: &str, token: &str) -> u16 {
    app.client
        .get(format!("{base}/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Starts another server on the test's database with `settings` (a restart with other keys).
fn restart(app: &TestApp, settings: &Settings) -> String {
    let db = Db::connect_lazy(app.db_options.clone(), &relais_tests::test_pool());
    let vault = relais_server::nir_vault(settings).unwrap();
    let server = relais_server::http_server(settings, db, vault).unwrap();
    tokio::spawn(server.server);
    format!("http://{}", server.addr)
}

#[tokio::test]
async fn a_token_signed_with_the_service_key_is_accepted_and_altered_ones_are_not() {
    let app = TestApp::spawn().await;
    let partner = app.partner("CAF du Rhône", None).await;
    let keys = test_keys();
    let app = &app;
    let me = |claims: Value| {
        let token = keys.sign(&claims).unwrap();
        async move { me_status(app, &app.base, &token).await }
    };
    assert_eq!(me(claims(&partner)).await, 200);

    let now = chrono::Utc::now().timestamp();
    let mut expired = claims(&partner);
    expired["iat"] = json!(now - 4000);
    expired["nbf"] = json!(now - 4000);
    expired["exp"] = json!(now - 3600);
    assert_eq!(me(expired).await, 401, "expired");

    let mut audience = claims(&partner);
    audience["aud"] = json!("another-service");
    assert_eq!(me(audience).await, 401, "other audience");

    let mut issuer = claims(&partner);
    issuer["iss"] = json!(relais_tests::ISSUER);
    assert_eq!(me(issuer).await, 401, "the identity provider's issuer");

    let mut mismatched = claims(&partner);
    mismatched["partner_id"] = json!(uuid::Uuid::now_v7());
    assert_eq!(me(mismatched).await, 401, "sub and partner_id disagree");

    let mut no_iat = claims(&partner);
    no_iat.as_object_mut().unwrap().remove("iat");
    assert_eq!(me(no_iat).await, 401, "no iat");

    // The right partner named in another organisation: that organisation has no such partner.
    let mut elsewhere = claims(&partner);
    elsewhere["org"] = json!("other");
    assert_eq!(me(elsewhere).await, 401, "another organisation");
}

#[tokio::test]
async fn a_token_forged_with_another_key_under_the_service_kid_is_refused() {
    let app = TestApp::spawn().await;
    let partner = app.partner("CAF du Rhône", None).await;
    let kid = test_keys().kid().to_owned();
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.clone());
    let other_key = ServiceKeys::generate_pem().unwrap();
    let forged = jsonwebtoken::encode(
        &header,
        &claims(&partner),
        &EncodingKey::from_ed_pem(other_key.as_bytes()).unwrap(),
    )
    .unwrap();
    assert_eq!(app.get("/v1/me", &forged).await.status(), 401);

    // The same kid with HS256 and the development secret: no algorithm confusion.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid);
    let confused = jsonwebtoken::encode(
        &header,
        &claims(&partner),
        &EncodingKey::from_secret(DEV_SECRET.as_bytes()),
    )
    .unwrap();
    assert_eq!(app.get("/v1/me", &confused).await.status(), 401);
}

#[tokio::test]
async fn an_identity_provider_token_never_gets_partner_powers() {
    let app = TestApp::spawn().await;
    let partner = app.partner("CAF du Rhône", None).await;
    // The `partner` role of an external token is dropped.
    let dev = app.token_for("acme", &["partner", "reception"], "someone");
    let me: Value = app.get_json("/v1/me", &dev).await;
    assert_eq!(me["roles"], json!(["reception"]));
    assert_eq!(app.get("/v1/liaisons", &dev).await.status(), 403);
    assert_eq!(app.get("/v1/liaisons", &partner.token).await.status(), 200);
    // An external token naming a partner's subject is refused outright.
    let impostor = app.token_for("acme", &["partner"], &format!("partner:{}", partner.id));
    assert_eq!(app.get("/v1/me", &impostor).await.status(), 401);
}

#[tokio::test]
async fn a_rotated_client_secret_ends_the_old_secret_and_its_tokens_at_once() {
    let app = TestApp::spawn().await;
    let partner = app.partner("CAF du Rhône", None).await;
    assert_eq!(app.get("/v1/me", &partner.token).await.status(), 200);
    let secret = rotate_secret(&app, &partner).await;
    // Within the same second as the rotation too: no grace for tokens issued before it.
    assert_eq!(app.get("/v1/me", &partner.token).await.status(), 401);
    oauth_error(
        form_grant(&app, &partner.client_id, &partner.client_secret).await,
        401,
        "invalid_client",
    )
    .await;
    // A token for the new secret works straight away.
    let token = app.partner_token(&partner.client_id, &secret).await;
    assert_eq!(app.get("/v1/me", &token).await.status(), 200);
}

#[tokio::test]
async fn after_a_key_rotation_the_previous_key_verifies_until_it_is_removed() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings();
    // Embedded-mode keys: generated in the data directory, rotated there by `relais keys rotate`.
    settings.oauth.signing_key = None;
    settings.data_dir = data_dir.path().to_owned();
    let app = TestApp::spawn_with(settings.clone()).await;
    let partner = app.partner("CAF du Rhône", None).await;
    let old_kid = jsonwebtoken::decode_header(&partner.token)
        .unwrap()
        .kid
        .unwrap();
    assert_eq!(jwks(&app).await.keys.len(), 1);

    let rotation = relais_server::keys::rotate_oauth_key(data_dir.path()).unwrap();
    assert_eq!(rotation.previous_kid.as_deref(), Some(old_kid.as_str()));
    let restarted = restart(&app, &settings);
    assert_eq!(me_status(&app, &restarted, &partner.token).await, 200);
    let published: Value = app
        .client
        .get(format!("{restarted}/.well-known/jwks.json"))
        .send_json()
        .await;
    let kids: Vec<&str> = published["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, [rotation.kid.as_str(), old_kid.as_str()]);
    // New tokens are signed with the new key.
    let fresh: Value = app
        .client
        .post(format!("{restarted}/v1/oauth/token"))
        .basic_auth(&partner.client_id, Some(&partner.client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send_json()
        .await;
    let fresh = fresh["access_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(fresh).unwrap();
    assert_eq!(header.kid.as_deref(), Some(rotation.kid.as_str()));
    assert_eq!(me_status(&app, &restarted, fresh).await, 200);

    // Once the operator removes the previous key, its tokens are refused.
    std::fs::remove_file(
        data_dir
            .path()
            .join(relais_server::keys::OAUTH_PREVIOUS_KEY_FILE),
    )
    .unwrap();
    let pruned = restart(&app, &settings);
    assert_eq!(me_status(&app, &pruned, &partner.token).await, 401);
    assert_eq!(me_status(&app, &pruned, fresh).await, 200);
}

#[tokio::test]
async fn the_token_verifies_independently_with_the_published_key() {
    let app = TestApp::spawn().await;
    let partner = app.partner("Mission locale", None).await;
    let response = form_grant(&app, &partner.client_id, &partner.client_secret).await;
    let body: Value = response.json().await.unwrap();
    let claims = verify_with_jwks(&app, body["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["name"], "Mission locale");
}
