//! The token endpoint (OAuth 2.0 client credentials) and the JWKS: tokens for valid
//! credentials in either client authentication method, verifiable with the published key by an
//! independent implementation; every refusal in both the RFC 6749 and the problem shapes.

mod tokens;

use crate::support::oauth::{
    basic_grant, basic_value, disable, form_grant, jwks, oauth_error, token_request,
    verify_with_jwks,
};
use relais_tests::{SendJson, TestApp, header, test_settings};
use serde_json::Value;

#[tokio::test]
async fn a_partner_gets_a_token_with_basic_or_form_credentials() {
    let app = TestApp::spawn().await;
    let partner = app.partner("CAF du Rhône", None).await;
    for response in [
        form_grant(&app, &partner.client_id, &partner.client_secret).await,
        basic_grant(&app, &partner.client_id, &partner.client_secret).await,
    ] {
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "cache-control"), "no-store");
        assert_eq!(header(&response, "pragma"), "no-cache");
        assert_eq!(header(&response, "content-type"), "application/json");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 600);
        assert_eq!(body["scope"], "partner");
        assert!(body["access_token"].as_str().unwrap().len() > 100);
    }
    // Unknown parameters are ignored and any requested scope answers `partner`.
    let response = token_request(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "referrals:write whatever"),
            ("audience", "ignored"),
        ],
        Some((&partner.client_id, &partner.client_secret)),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["scope"], "partner");
}

#[tokio::test]
async fn the_jwks_publishes_the_key_that_verifies_the_token_and_its_claims() {
    let app = TestApp::spawn().await;
    let partner = app.partner("CAF du Rhône", None).await;
    let set = jwks(&app).await;
    assert_eq!(set.keys.len(), 1, "one key until a rotation");
    let raw: Value = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send_json()
        .await;
    let key = &raw["keys"][0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["alg"], "EdDSA");
    assert!(key.get("d").is_none(), "no private part is published");

    let claims = verify_with_jwks(&app, &partner.token).await;
    assert_eq!(claims["sub"], format!("partner:{}", partner.id));
    assert_eq!(claims["partner_id"], partner.id.as_str());
    assert_eq!(claims["client_id"], partner.client_id.as_str());
    assert_eq!(claims["org"], "acme");
    assert_eq!(claims["roles"], serde_json::json!(["partner"]));
    assert_eq!(claims["iss"], "relais");
    let (iat, nbf, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["nbf"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert_eq!(nbf, iat);
    assert_eq!(exp - iat, 600);
    assert!((iat - chrono::Utc::now().timestamp()).abs() <= 5);
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() == 36));
}

#[tokio::test]
async fn a_partner_token_is_a_partner_and_nothing_else() {
    let app = TestApp::spawn().await;
    let partner = app.partner("CAF du Rhône", None).await;
    let me = app.get("/v1/me", &partner.token).await;
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["subject"], format!("partner:{}", partner.id));
    assert_eq!(me["roles"], serde_json::json!(["partner"]));
    assert_eq!(me["name"], "CAF du Rhône");
    assert_eq!(me["organisation"]["slug"], "acme");
    for path in ["/v1/cases", "/v1/persons?q=Martin", "/v1/partners"] {
        let response = app.get(path, &partner.token).await;
        assert_eq!(response.status(), 403, "{path}");
    }
}

#[tokio::test]
async fn a_wrong_secret_an_unknown_client_and_a_disabled_partner_are_answered_alike() {
    let app = TestApp::spawn().await;
    let partner = app.partner("CAF du Rhône", None).await;
    let other = app.partner("Hôpital Nord", None).await;
    let too_long = "x".repeat(500);
    let cases = [
        (partner.client_id.as_str(), other.client_secret.as_str()),
        ("rp_unknown0000000000000000", partner.client_secret.as_str()),
        (too_long.as_str(), "secret"),
        ("rp_\u{0}nul", "secret"),
    ];
    let mut answers = Vec::new();
    for (id, secret) in cases {
        let body = oauth_error(form_grant(&app, id, secret).await, 401, "invalid_client").await;
        assert_eq!(body["errors"][0]["pointer"], "/client_id");
        answers.push(body);
        let body = oauth_error(basic_grant(&app, id, secret).await, 401, "invalid_client").await;
        assert_eq!(body["errors"][0]["pointer"], "/authorization");
        assert_eq!(body["errors"][0]["in"], "header");
    }
    // The partner disabled: the same answer, and its live token stops working.
    disable(&app, &partner).await;
    let body = oauth_error(
        form_grant(&app, &partner.client_id, &partner.client_secret).await,
        401,
        "invalid_client",
    )
    .await;
    answers.push(body);
    let strip = |mut v: Value| {
        v["request_id"] = Value::Null;
        v
    };
    let first = strip(answers[0].clone());
    for answer in answers.into_iter().skip(1) {
        assert_eq!(
            strip(answer),
            first,
            "the answers must not tell the cases apart"
        );
    }
    assert_eq!(app.get("/v1/me", &partner.token).await.status(), 401);
    assert_eq!(app.get("/v1/me", &other.token).await.status(), 200);
}

/// A form, Basic credentials, the expected error and the pointer of its field error.
type BadRequest<'a> = (
    Vec<(&'a str, &'a str)>,
    Option<(&'a str, &'a str)>,
    &'a str,
    &'a str,
);

#[tokio::test]
async fn bad_requests_point_at_the_form_field() {
    let app = TestApp::spawn().await;
    let partner = app.partner("CAF du Rhône", None).await;
    let (id, secret) = (partner.client_id.as_str(), partner.client_secret.as_str());
    let cases: Vec<BadRequest> = vec![
        (
            vec![("client_id", id), ("client_secret", secret)],
            None,
            "invalid_request",
            "/grant_type",
        ),
        (
            vec![("grant_type", "")],
            Some((id, secret)),
            "invalid_request",
            "/grant_type",
        ),
        (
            vec![("grant_type", "password")],
            Some((id, secret)),
            "unsupported_grant_type",
            "/grant_type",
        ),
        (
            vec![("grant_type", "client_credentials"), ("client_id", id)],
            None,
            "invalid_request",
            "/client_secret",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_secret", secret),
            ],
            None,
            "invalid_request",
            "/client_id",
        ),
        (
            vec![("grant_type", "client_credentials"), ("client_id", id)],
            Some((id, secret)),
            "invalid_request",
            "/client_id",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("grant_type", "client_credentials"),
            ],
            Some((id, secret)),
            "invalid_request",
            "/grant_type",
        ),
    ];
    for (form, basic, error, pointer) in cases {
        let body = oauth_error(token_request(&app, &form, basic).await, 400, error).await;
        assert_eq!(body["errors"][0]["pointer"], pointer, "{form:?}: {body}");
    }
}

#[tokio::test]
async fn missing_or_unsupported_client_authentication_is_invalid_client() {
    let app = TestApp::spawn().await;
    let grant = [("grant_type", "client_credentials")];
    oauth_error(
        token_request(&app, &grant, None).await,
        401,
        "invalid_client",
    )
    .await;
    let bearer = app
        .client
        .post(app.url("/v1/oauth/token"))
        .bearer_auth(app.token("admin", "a"))
        .form(&grant)
        .send()
        .await
        .unwrap();
    oauth_error(bearer, 401, "invalid_client").await;
    for raw in ["no-colon", ":secret", "id:"] {
        let response = app
            .client
            .post(app.url("/v1/oauth/token"))
            .header("Authorization", basic_value(raw))
            .form(&grant)
            .send()
            .await
            .unwrap();
        let body = oauth_error(response, 400, "invalid_request").await;
        assert_eq!(body["errors"][0]["pointer"], "/authorization", "{raw}");
    }
}

#[tokio::test]
async fn a_json_body_is_refused_as_an_invalid_request() {
    let app = TestApp::spawn().await;
    let partner = app.partner("CAF du Rhône", None).await;
    let response = app
        .client
        .post(app.url("/v1/oauth/token"))
        .json(&serde_json::json!({
            "grant_type": "client_credentials",
            "client_id": partner.client_id,
            "client_secret": partner.client_secret,
        }))
        .send()
        .await
        .unwrap();
    let body = oauth_error(response, 400, "invalid_request").await;
    assert_eq!(body["errors"][0]["pointer"], "/content-type");
    assert_eq!(body["errors"][0]["in"], "header");
    assert_eq!(body["errors"][0]["code"], "unsupported_media_type");
}

#[tokio::test]
async fn a_huge_body_is_refused_unread() {
    let app = TestApp::spawn().await;
    let padding = "x".repeat(32 * 1024);
    let response = token_request(
        &app,
        &[("grant_type", "client_credentials"), ("padding", &padding)],
        None,
    )
    .await;
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn without_a_signing_key_the_service_issues_no_token_and_publishes_no_key() {
    let mut settings = test_settings();
    settings.oauth.signing_key = None;
    // Outside embedded mode (the test servers get their database directly), no key is made up.
    settings.database_url = Some("postgres://unused.invalid/relais".to_owned().into());
    let app = TestApp::spawn_with(settings).await;
    assert!(jwks(&app).await.keys.is_empty());
    let response = basic_grant(&app, "rp_whatever00000000", "rs_whatever").await;
    assert_eq!(response.status(), 503);
    assert_eq!(header(&response, "retry-after"), "3600");
    assert_eq!(
        header(&response, "content-type"),
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "partner_tokens_unavailable");
    assert_eq!(body["instance"], "/v1/oauth/token");
    assert!(
        !body.to_string().contains("RELAIS_"),
        "a 5xx names nothing internal: {body}"
    );
    // Agents' tokens are unaffected.
    assert_eq!(
        app.get("/v1/me", &app.token("worker", "w")).await.status(),
        200
    );
}
