//! The partner registry over HTTP: registration shows the credentials once and stores no
//! secret in clear; partners are listed, read and changed with ETag and If-Match; secrets are
//! rotated; every write is audited.

mod access;

use crate::support::partners::{Registry, full_partner, hex};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use relais_store::crypto::NirVault;
use relais_store::partners::{client_secret_digest, webhook_signing_key};
use relais_tests::{SendJson, assert_problem, header};
use serde_json::{Value, json};

/// The master key of `test_settings()`.
fn test_vault() -> NirVault {
    NirVault::new(&[42u8; 32]).unwrap()
}

async fn stored_salt(r: &Registry, id: &str) -> Vec<u8> {
    sqlx::query_scalar("SELECT webhook_secret_salt FROM partners WHERE id = $1::uuid")
        .bind(id)
        .fetch_one(&r.app.sql)
        .await
        .unwrap()
}

async fn stored_digest(r: &Registry, id: &str) -> Vec<u8> {
    sqlx::query_scalar("SELECT client_secret_sha256 FROM partners WHERE id = $1::uuid")
        .bind(id)
        .fetch_one(&r.app.sql)
        .await
        .unwrap()
}

#[tokio::test]
async fn registering_a_partner_answers_its_secrets_once_and_stores_none_in_clear() {
    let r = Registry::new().await;
    let response = r
        .app
        .request(reqwest::Method::POST, "/v1/partners", &r.admin)
        .header("Idempotency-Key", "register-caf")
        .json(&full_partner())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "etag"), "\"1\"");
    assert_eq!(header(&response, "cache-control"), "no-store");
    let location = header(&response, "location");
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/v1/partners/{id}"));
    assert_eq!(created["name"], "CAF du Rhône");
    assert_eq!(created["siret"], "53408366500016", "stored without spaces");
    assert_eq!(created["contact"]["email"], "action.sociale@caf.example");
    assert_eq!(
        created["webhook_url"],
        "https://integration.caf.example/relais/webhooks"
    );
    assert_eq!(created["enabled"], true);
    assert_eq!(created["version"], 1);
    assert!(created["credentials_issued_at"].is_string());

    let client_id = created["client_id"].as_str().unwrap();
    assert!(
        client_id.starts_with("rp_") && client_id.len() == 27,
        "{client_id}"
    );
    let client_secret = created["client_secret"].as_str().unwrap();
    assert!(client_secret.starts_with("rs_") && client_secret.len() == 46);
    assert_eq!(
        URL_SAFE_NO_PAD.decode(&client_secret[3..]).unwrap().len(),
        32
    );
    let webhook_secret = created["webhook_secret"].as_str().unwrap();
    let key = STANDARD
        .decode(webhook_secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    assert_eq!(
        key,
        webhook_signing_key(&test_vault(), &stored_salt(&r, &id).await),
        "the webhook secret is the key derived from the stored salt"
    );

    // Never shown again.
    let response = r.app.get(&location, &r.admin).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "etag"), "\"1\"");
    let read: Value = response.json().await.unwrap();
    assert!(read.get("client_secret").is_none() && read.get("webhook_secret").is_none());
    assert_eq!(read["client_id"], client_id);
    let mut expected = created.clone();
    expected.as_object_mut().unwrap().remove("client_secret");
    expected.as_object_mut().unwrap().remove("webhook_secret");
    assert_eq!(read, expected);

    // The database keeps the digest only, and nothing — the idempotency store included —
    // holds either secret or the signing key.
    let digest = stored_digest(&r, &id).await;
    assert_eq!(digest, client_secret_digest(client_secret));
    assert_ne!(digest, client_secret.as_bytes());
    for needle in [
        client_secret,
        &client_secret[3..],
        webhook_secret,
        &hex(&key),
    ] {
        assert_eq!(r.rows_containing(needle).await, 0, "{needle} is stored");
    }
    // A retry with the same key runs again (a secret is never replayed) and registers another
    // client, with its own credentials.
    let again: Value = r
        .app
        .request(reqwest::Method::POST, "/v1/partners", &r.admin)
        .header("Idempotency-Key", "register-caf")
        .json(&full_partner())
        .send_json()
        .await;
    assert_ne!(again["client_id"], created["client_id"]);

    assert_eq!(r.audit(&id).await, [("create".to_owned(), None)]);
}

#[tokio::test]
async fn a_minimal_partner_is_enabled_and_has_no_webhook() {
    let r = Registry::new().await;
    let created = r.register(&json!({"name": "  Secours Solidaire  "})).await;
    assert_eq!(created["name"], "Secours Solidaire", "trimmed");
    assert_eq!(created["enabled"], true);
    assert_eq!(created["siret"], Value::Null);
    assert_eq!(created["webhook_url"], Value::Null);
    assert_eq!(
        created["contact"],
        json!({"name": null, "email": null, "phone": null})
    );
    let disabled = r
        .register(&json!({"name": "Mission locale", "enabled": false}))
        .await;
    assert_eq!(disabled["enabled"], false);
}

#[tokio::test]
async fn partners_are_listed_oldest_first_in_pages() {
    let r = Registry::new().await;
    let first = r.register(&json!({"name": "CAF"})).await;
    let second = r.register(&json!({"name": "CPAM"})).await;
    let page: Value = r.app.get_json("/v1/partners?limit=1", &r.admin).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], first["id"]);
    assert!(page["items"][0].get("client_secret").is_none());
    assert_eq!(page["items"][0]["client_id"], first["client_id"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest: Value = r
        .app
        .get_json(&format!("/v1/partners?limit=1&cursor={cursor}"), &r.admin)
        .await;
    assert_eq!(rest["items"][0]["id"], second["id"]);
    assert_eq!(rest["next_cursor"], Value::Null);

    let p = assert_problem(
        r.app.get("/v1/partners?limit=0", &r.admin).await,
        400,
        "invalid_parameter",
    )
    .await;
    assert_eq!(p["errors"][0]["pointer"], "/limit");
}

#[tokio::test]
async fn a_partner_is_changed_with_if_match_and_merge_patch_semantics() {
    let r = Registry::new().await;
    let created = r.register(&full_partner()).await;
    let id = created["id"].as_str().unwrap();
    let path = Registry::path(id);

    let response = r
        .app
        .request(reqwest::Method::PATCH, &path, &r.admin)
        .json(&json!({"name": "CAF"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, 428, "precondition_required").await;
    assert_problem(
        r.patch_as(&r.admin, id, 7, &json!({"name": "CAF"})).await,
        412,
        "version_mismatch",
    )
    .await;

    let response = r
        .patch_as(
            &r.admin,
            id,
            1,
            &json!({
                "name": "CAF du Rhône (site de Lyon)",
                "contact": {"phone": "04 72 00 00 01", "email": null},
                "webhook_url": null,
                "enabled": false
            }),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "etag"), "\"2\"");
    let changed: Value = response.json().await.unwrap();
    assert_eq!(changed["name"], "CAF du Rhône (site de Lyon)");
    assert_eq!(
        changed["contact"],
        json!({"name": "Service action sociale", "email": null, "phone": "04 72 00 00 01"})
    );
    assert_eq!(changed["webhook_url"], Value::Null);
    assert_eq!(changed["enabled"], false);
    assert_eq!(changed["siret"], "53408366500016", "absent fields are kept");
    assert_eq!(changed["client_id"], created["client_id"]);
    assert_eq!(changed["version"], 2);
    assert!(changed.get("client_secret").is_none());

    let response = r
        .patch_as(
            &r.admin,
            id,
            2,
            &json!({"contact": null, "siret": null, "enabled": true,
                    "webhook_url": "https://relais.caf.example/hooks"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let changed: Value = response.json().await.unwrap();
    assert_eq!(
        changed["contact"],
        json!({"name": null, "email": null, "phone": null})
    );
    assert_eq!(changed["siret"], Value::Null);
    assert_eq!(changed["enabled"], true);
    assert_eq!(changed["webhook_url"], "https://relais.caf.example/hooks");

    // `If-Match: *` matches whatever version exists.
    let response = r
        .app
        .request(reqwest::Method::PATCH, &path, &r.admin)
        .header("If-Match", "*")
        .json(&json!({"name": "CAF du Rhône"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "etag"), "\"4\"");

    assert_eq!(
        r.audit(id).await,
        [
            ("create".to_owned(), None),
            ("update".to_owned(), None),
            ("update".to_owned(), None),
            ("update".to_owned(), None),
        ]
    );
}

#[tokio::test]
async fn rotating_the_client_secret_answers_a_new_one_once_and_retires_the_old_tokens() {
    let r = Registry::new().await;
    let partner = r.app.partner("CAF du Rhône", None).await;
    let me = r.app.get("/v1/me", &partner.token).await;
    assert_eq!(
        me.status(),
        200,
        "the partner's token works before the rotation"
    );
    // Token times are whole seconds: a token issued in the very second of the rotation cannot
    // be told from one issued just after it. This one is a second older.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    assert_problem(
        r.rotate(&r.admin, &partner.id, "client-secret", None).await,
        428,
        "precondition_required",
    )
    .await;
    assert_problem(
        r.rotate(&r.admin, &partner.id, "client-secret", Some(9))
            .await,
        412,
        "version_mismatch",
    )
    .await;
    let before: Value = r.app.get_json(&Registry::path(&partner.id), &r.admin).await;
    let response = r
        .rotate(&r.admin, &partner.id, "client-secret", Some(1))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "etag"), "\"2\"");
    assert_eq!(header(&response, "cache-control"), "no-store");
    let rotated: Value = response.json().await.unwrap();
    let secret = rotated["client_secret"].as_str().unwrap();
    assert!(secret.starts_with("rs_") && secret.len() == 46);
    assert_ne!(secret, partner.client_secret);
    assert!(rotated.get("webhook_secret").is_none());
    assert_eq!(
        rotated["client_id"], partner.client_id,
        "the client id stays"
    );
    assert_eq!(rotated["version"], 2);
    assert!(
        rotated["credentials_issued_at"].as_str().unwrap()
            > before["credentials_issued_at"].as_str().unwrap()
    );
    assert_eq!(
        stored_digest(&r, &partner.id).await,
        client_secret_digest(secret)
    );
    assert_eq!(r.rows_containing(secret).await, 0);

    // The old token and the old secret no longer work; the new secret does.
    let me = r.app.get("/v1/me", &partner.token).await;
    assert_eq!(
        me.status(),
        401,
        "a token issued before the rotation is refused"
    );
    let old = r
        .app
        .client
        .post(r.app.url("/v1/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", partner.client_id.as_str()),
            ("client_secret", partner.client_secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 401, "the old secret is refused");
    let token = r.app.partner_token(&partner.client_id, secret).await;
    assert_eq!(r.app.get("/v1/me", &token).await.status(), 200);

    assert_eq!(
        r.audit(&partner.id).await,
        [
            ("create".to_owned(), None),
            (
                "update".to_owned(),
                Some("client secret rotated".to_owned())
            ),
        ]
    );
}

#[tokio::test]
async fn rotating_the_webhook_secret_answers_a_new_key_once() {
    let r = Registry::new().await;
    let created = r.register(&full_partner()).await;
    let id = created["id"].as_str().unwrap();
    let old_salt = stored_salt(&r, id).await;
    let response = r.rotate(&r.admin, id, "webhook-secret", Some(1)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "etag"), "\"2\"");
    assert_eq!(header(&response, "cache-control"), "no-store");
    let rotated: Value = response.json().await.unwrap();
    assert!(rotated.get("client_secret").is_none());
    let secret = rotated["webhook_secret"].as_str().unwrap();
    assert_ne!(secret, created["webhook_secret"].as_str().unwrap());
    let salt = stored_salt(&r, id).await;
    assert_ne!(salt, old_salt);
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    assert_eq!(key, webhook_signing_key(&test_vault(), &salt));
    assert_eq!(
        rotated["credentials_issued_at"],
        created["credentials_issued_at"]
    );
    assert_eq!(r.rows_containing(secret).await, 0);
    assert_eq!(r.rows_containing(&hex(&key)).await, 0);
    assert_problem(
        r.rotate(&r.admin, id, "webhook-secret", Some(1)).await,
        412,
        "version_mismatch",
    )
    .await;
    assert_eq!(
        r.audit(id).await,
        [
            ("create".to_owned(), None),
            (
                "update".to_owned(),
                Some("webhook secret rotated".to_owned())
            ),
        ]
    );
}

#[tokio::test]
async fn a_disabled_partner_loses_its_tokens() {
    let r = Registry::new().await;
    let partner = r.app.partner("CAF du Rhône", None).await;
    let response = r
        .patch_as(&r.admin, &partner.id, 1, &json!({"enabled": false}))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(r.app.get("/v1/me", &partner.token).await.status(), 401);
}
