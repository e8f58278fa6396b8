//! Bearer-token authentication: what is refused (401 with a challenge), what is accepted, and
//! how agents are provisioned.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use relais_tests::{AUDIENCE, DEV_SECRET, ISSUER, TestApp, assert_problem, problem};
use reqwest::Response;
use serde_json::{Value, json};

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Claims the test server accepts: change one to make them wrong.
fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "alice",
        "org": "acme",
        "roles": ["worker"],
        "iat": now(),
        "nbf": now(),
        "exp": now() + 3600,
    })
}

fn sign_with(algorithm: Algorithm, secret: &str, claims: &Value) -> String {
    encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn sign(claims: &Value) -> String {
    sign_with(Algorithm::HS256, DEV_SECRET, claims)
}

/// Checks a 401: problem document, `unauthorized` code, and a Bearer challenge.
async fn assert_unauthorized(response: Response, why: &str) -> Value {
    assert_eq!(response.status(), 401, "{why}");
    let challenge = response
        .headers()
        .get("www-authenticate")
        .unwrap_or_else(|| panic!("{why}: a 401 has WWW-Authenticate"))
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.starts_with("Bearer "), "{why}: {challenge}");
    assert!(challenge.contains("realm=\"relais\""), "{why}: {challenge}");
    let doc = problem(response).await;
    assert_eq!(doc["code"], "unauthorized", "{why}");
    assert_eq!(doc["status"], 401, "{why}");
    doc
}

async fn me(app: &TestApp, token: &str) -> Response {
    app.get("/v1/me", token).await
}

#[tokio::test]
async fn a_request_without_a_token_gets_401_with_a_bearer_challenge() {
    let app = TestApp::spawn().await;
    for path in ["/v1/me", "/v1/persons", "/v1/reference"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let doc = assert_unauthorized(response, path).await;
        assert_eq!(doc["instance"], path);
    }
    let post = app
        .client
        .post(app.url("/v1/persons"))
        .json(&json!({"first_name": "A", "last_name": "B"}))
        .send()
        .await
        .unwrap();
    assert_unauthorized(post, "POST without a token").await;
    let count: i64 = app.count("SELECT count(*) FROM persons").await;
    assert_eq!(count, 0);
}

#[tokio::test]
async fn an_authorization_header_of_another_scheme_is_refused() {
    let app = TestApp::spawn().await;
    for value in [
        "Basic YWxpY2U6c2VjcmV0",
        "Bearer",
        "Bearer    ",
        &sign(&claims()),
    ] {
        let response = app
            .client
            .get(app.url("/v1/me"))
            .header("Authorization", value)
            .send()
            .await
            .unwrap();
        assert_unauthorized(response, value).await;
    }
}

#[tokio::test]
async fn a_garbage_token_is_refused() {
    let app = TestApp::spawn().await;
    for token in ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.", "...."] {
        assert_unauthorized(me(&app, token).await, token).await;
    }
}

#[tokio::test]
async fn a_valid_token_is_accepted() {
    let app = TestApp::spawn().await;
    let response = me(&app, &sign(&claims())).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["subject"], "alice");
    assert_eq!(body["roles"], json!(["worker"]));
    assert_eq!(body["organisation"]["slug"], "acme");
    assert_eq!(body["organisation"]["id"], app.org.id.to_string().as_str());
}

#[tokio::test]
async fn an_expired_token_is_refused_beyond_the_leeway() {
    let app = TestApp::spawn().await;
    let mut expired = claims();
    expired["iat"] = json!(now() - 7200);
    expired["nbf"] = json!(now() - 7200);
    expired["exp"] = json!(now() - 120);
    let doc = assert_unauthorized(me(&app, &sign(&expired)).await, "expired").await;
    assert!(doc["detail"].as_str().unwrap().contains("expired"), "{doc}");

    // Within the 30 s leeway, clocks that drift a little are tolerated.
    let mut just = claims();
    just["exp"] = json!(now() - 5);
    assert_eq!(me(&app, &sign(&just)).await.status(), 200);
}

#[tokio::test]
async fn a_token_without_exp_is_refused() {
    let app = TestApp::spawn().await;
    let mut no_exp = claims();
    no_exp.as_object_mut().unwrap().remove("exp");
    assert_unauthorized(me(&app, &sign(&no_exp)).await, "no exp").await;
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused() {
    let app = TestApp::spawn().await;
    let mut wrong = claims();
    wrong["aud"] = json!("another-service");
    let doc = assert_unauthorized(me(&app, &sign(&wrong)).await, "audience").await;
    assert!(
        doc["detail"].as_str().unwrap().contains("audience"),
        "{doc}"
    );
    let mut none = claims();
    none.as_object_mut().unwrap().remove("aud");
    assert_unauthorized(me(&app, &sign(&none)).await, "no audience").await;
}

#[tokio::test]
async fn a_token_from_another_issuer_is_refused() {
    let app = TestApp::spawn().await;
    let mut wrong = claims();
    wrong["iss"] = json!("https://evil.example");
    let doc = assert_unauthorized(me(&app, &sign(&wrong)).await, "issuer").await;
    assert!(doc["detail"].as_str().unwrap().contains("issuer"), "{doc}");
}

#[tokio::test]
async fn a_token_not_valid_yet_is_refused() {
    let app = TestApp::spawn().await;
    let mut early = claims();
    early["nbf"] = json!(now() + 600);
    let doc = assert_unauthorized(me(&app, &sign(&early)).await, "nbf").await;
    assert!(
        doc["detail"].as_str().unwrap().contains("not yet valid"),
        "{doc}"
    );
}

#[tokio::test]
async fn a_token_signed_with_another_hmac_algorithm_is_refused() {
    let app = TestApp::spawn().await;
    for algorithm in [Algorithm::HS384, Algorithm::HS512] {
        let token = sign_with(algorithm, DEV_SECRET, &claims());
        let doc = assert_unauthorized(me(&app, &token).await, &format!("{algorithm:?}")).await;
        assert!(
            doc["detail"].as_str().unwrap().contains("algorithm"),
            "{doc}"
        );
    }
}

#[tokio::test]
async fn an_unsigned_token_is_refused() {
    let app = TestApp::spawn().await;
    let payload = URL_SAFE_NO_PAD.encode(claims().to_string());
    for alg in ["none", "None", "NONE"] {
        let header = URL_SAFE_NO_PAD.encode(format!("{{\"alg\":\"{alg}\",\"typ\":\"JWT\"}}"));
        for token in [
            format!("{header}.{payload}."),
            format!("{header}.{payload}"),
        ] {
            assert_unauthorized(me(&app, &token).await, &token).await;
        }
    }
    // A HS256 header over a missing signature is no better.
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    assert_unauthorized(me(&app, &format!("{header}.{payload}.")).await, "empty sig").await;
}

#[tokio::test]
async fn a_token_signed_with_another_secret_is_refused() {
    let app = TestApp::spawn().await;
    let token = sign_with(
        Algorithm::HS256,
        "another-secret-that-is-long-enough-for-hs256",
        &claims(),
    );
    let doc = assert_unauthorized(me(&app, &token).await, "signature").await;
    assert!(
        doc["detail"].as_str().unwrap().contains("signature"),
        "{doc}"
    );

    // Tampering with the payload of a good token breaks its signature too.
    let good = sign(&claims());
    let parts: Vec<&str> = good.split('.').collect();
    let mut forged = claims();
    forged["roles"] = json!(["supervisor"]);
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(forged.to_string()),
        parts[2]
    );
    assert_unauthorized(me(&app, &forged).await, "tampered").await;
}

#[tokio::test]
async fn a_token_without_an_organisation_is_refused() {
    let app = TestApp::spawn().await;
    let mut no_org = claims();
    no_org.as_object_mut().unwrap().remove("org");
    assert_unauthorized(me(&app, &sign(&no_org)).await, "no org").await;
    let mut empty = claims();
    empty["org"] = json!("");
    assert_unauthorized(me(&app, &sign(&empty)).await, "empty org").await;
    let mut number = claims();
    number["org"] = json!(42);
    assert_unauthorized(me(&app, &sign(&number)).await, "numeric org").await;
}

#[tokio::test]
async fn a_token_without_a_subject_is_refused() {
    let app = TestApp::spawn().await;
    let mut no_sub = claims();
    no_sub.as_object_mut().unwrap().remove("sub");
    assert_unauthorized(me(&app, &sign(&no_sub)).await, "no sub").await;
    let mut empty = claims();
    empty["sub"] = json!("");
    assert_unauthorized(me(&app, &sign(&empty)).await, "empty sub").await;
}

#[tokio::test]
async fn a_token_for_an_unknown_organisation_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.token_for("nowhere", &["worker"], "alice");
    assert_unauthorized(me(&app, &token).await, "unknown org").await;
    assert_unauthorized(app.get("/v1/persons", &token).await, "unknown org").await;
    let agents: i64 = app.count("SELECT count(*) FROM agents").await;
    assert_eq!(
        agents, 0,
        "no agent is provisioned for an unknown organisation"
    );
}

#[tokio::test]
async fn unknown_roles_are_ignored() {
    let app = TestApp::spawn().await;
    let janitor = app.token_for("acme", &["janitor"], "jules");
    let response = app.get("/v1/persons", &janitor).await;
    assert_problem(response, 403, "forbidden").await;
    let me: Value = me(&app, &janitor).await.json().await.unwrap();
    assert_eq!(
        me["roles"],
        json!([]),
        "unknown roles are not echoed either"
    );

    let mixed = app.token_for("acme", &["janitor", "reception"], "rita");
    assert_eq!(app.get("/v1/persons", &mixed).await.status(), 200);
    let me: Value = app.get_json("/v1/me", &mixed).await;
    assert_eq!(me["roles"], json!(["reception"]));
}

#[tokio::test]
async fn roles_given_as_a_space_separated_string_are_read() {
    let app = TestApp::spawn().await;
    let mut one = claims();
    one["roles"] = json!("reception janitor");
    let response = app.get("/v1/persons", &sign(&one)).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_role_name_is_matched_exactly() {
    let app = TestApp::spawn().await;
    let token = app.token_for("acme", &["Supervisor", "WORKER"], "sam");
    assert_eq!(app.get("/v1/persons", &token).await.status(), 403);
}

#[tokio::test]
async fn agents_are_provisioned_on_their_first_call() {
    let app = TestApp::spawn().await;
    let token = app.token("worker", "alice");
    let before: i64 = app.count("SELECT count(*) FROM agents").await;
    assert_eq!(before, 0);

    let first = app.agent_id(&token).await;
    let second = app.agent_id(&token).await;
    assert_eq!(first, second, "the same subject is the same agent");

    let rows: Vec<(uuid::Uuid, uuid::Uuid, String, Vec<String>)> =
        sqlx::query_as("SELECT id, org_id, subject, roles FROM agents")
            .fetch_all(&app.sql)
            .await
            .unwrap();
    assert_eq!(rows.len(), 1);
    let (id, org_id, subject, roles) = &rows[0];
    assert_eq!(*id, first);
    assert_eq!(*org_id, app.org.id);
    assert_eq!(subject, "alice");
    assert_eq!(roles, &["worker".to_owned()]);

    // Another subject, and the same subject in another organisation, are other agents.
    let bob = app.agent_id(&app.token("worker", "bob")).await;
    let alice_elsewhere = app
        .agent_id(&app.token_for("other", &["worker"], "alice"))
        .await;
    assert_ne!(bob, first);
    assert_ne!(alice_elsewhere, first);
    let count: i64 = app.count("SELECT count(*) FROM agents").await;
    assert_eq!(count, 3);
}

#[tokio::test]
async fn concurrent_first_calls_provision_one_agent() {
    let app = TestApp::spawn().await;
    let token = app.token("worker", "carla");
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let request = app.client.get(app.url("/v1/me")).bearer_auth(&token);
            tokio::spawn(async move { request.send().await.unwrap() })
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    for task in tasks {
        let response = task.await.unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        ids.insert(body["agent_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 1, "one agent for one subject");
    let count: i64 = app
        .count("SELECT count(*) FROM agents WHERE subject = 'carla'")
        .await;
    assert_eq!(count, 1);
}

#[tokio::test]
async fn the_token_name_is_shown_by_me() {
    let app = TestApp::spawn().await;
    let mut named = claims();
    named["name"] = json!("Alice Moreau");
    let body: Value = me(&app, &sign(&named)).await.json().await.unwrap();
    assert_eq!(body["name"], "Alice Moreau");
    let stored: Option<String> =
        sqlx::query_scalar("SELECT display_name FROM agents WHERE subject = 'alice'")
            .fetch_one(&app.sql)
            .await
            .unwrap();
    assert_eq!(stored.as_deref(), Some("Alice Moreau"));
}

#[tokio::test]
async fn the_organisation_comes_from_the_token_not_the_request() {
    let app = TestApp::spawn().await;
    let acme = app.token("reception", "rita");
    let other = app.token_for("other", &["reception"], "rita");
    app.create_person(
        &acme,
        json!({"first_name": "Éloïse", "last_name": "Martin"}),
    )
    .await;
    let seen: Value = app.get_json("/v1/persons", &other).await;
    assert_eq!(seen["items"], json!([]));
    let seen: Value = app.get_json("/v1/persons", &acme).await;
    assert_eq!(seen["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_token_verified_once_is_still_refused_once_expired_or_altered() {
    let mut settings = relais_tests::test_settings();
    settings.auth.leeway_secs = 0;
    let app = TestApp::spawn_with(settings).await;
    let mut short = claims();
    // Long enough for the first requests to be answered on a loaded machine (a 2-second token
    // once expired before them in CI), short enough to wait for.
    short["exp"] = json!(now() + 8);
    let token = sign(&short);
    // Verified once, then remembered: the second request is answered from memory.
    assert_eq!(me(&app, &token).await.status(), 200);
    assert_eq!(me(&app, &token).await.status(), 200);
    // Another signature on the same header and claims is another token: checked, refused.
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let mut other = signature.as_bytes().to_vec();
    other[0] = if other[0] == b'A' { b'B' } else { b'A' };
    let forged = format!("{signed}.{}", String::from_utf8(other).unwrap());
    assert_unauthorized(me(&app, &forged).await, "altered signature").await;
    // What was remembered never outlives the token.
    while now() <= short["exp"].as_i64().unwrap() {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let doc = assert_unauthorized(me(&app, &token).await, "expired since").await;
    assert!(doc["detail"].as_str().unwrap().contains("expired"), "{doc}");
}
