//! The partner registry's rules: bad input is refused with pointers (the SIRET's key, the
//! webhook target's scheme and address), only administrators write and see the technical
//! fields, partners cannot read the registry, and another organisation's partners do not exist.

use crate::support::partners::{Registry, full_partner};
use relais_tests::{assert_problem, field_codes, pair};
use serde_json::{Value, json};

/// The (pointer, code) pairs of a refused registration.
async fn refused(r: &Registry, body: Value) -> Vec<(String, String)> {
    let p = assert_problem(r.create(&body).await, 422, "validation_failed").await;
    field_codes(&p)
}

/// The (pointer, code) pairs of a refused change of the partner `id` (at version 1).
async fn refused_change(r: &Registry, id: &str, body: &Value) -> Vec<(String, String)> {
    let response = r.patch_as(&r.admin, id, 1, body).await;
    field_codes(&assert_problem(response, 422, "validation_failed").await)
}

/// Asserts that `token` may neither change the partner `id` nor rotate its secrets: each
/// answers `status` and `code`.
async fn assert_no_change(r: &Registry, token: &str, id: &str, status: u16, code: &str) {
    let change = r.patch_as(token, id, 1, &json!({"name": "Mine"})).await;
    assert_problem(change, status, code).await;
    for what in ["client-secret", "webhook-secret"] {
        assert_problem(r.rotate(token, id, what, Some(1)).await, status, code).await;
    }
}

fn with(field: &str, value: Value) -> Value {
    let mut body = json!({"name": "CAF du Rhône"});
    body[field] = value;
    body
}

#[tokio::test]
async fn bad_registrations_point_at_the_field() {
    let r = Registry::new().await;
    assert_eq!(
        refused(&r, json!({"name": "   "})).await,
        [pair("/name", "blank")]
    );
    assert_eq!(
        refused(&r, json!({"name": "x".repeat(201)})).await,
        [pair("/name", "length")]
    );
    assert_eq!(
        refused(&r, with("siret", json!("534 083 665 00017"))).await,
        [pair("/siret", "siret_wrong_key")]
    );
    assert_eq!(
        refused(&r, with("siret", json!("53408366"))).await,
        [pair("/siret", "siret_wrong_length")]
    );
    assert_eq!(
        refused(&r, with("contact", json!({"email": "not-an-email"}))).await,
        [pair("/contact/email", "email")]
    );
    assert_eq!(
        refused(&r, with("contact", json!({"phone": "12"}))).await,
        [pair("/contact/phone", "length")]
    );
    // Stored trimmed, so the minimum length holds without the spaces.
    assert_eq!(
        refused(&r, with("contact", json!({"phone": " 12 "}))).await,
        [pair("/contact/phone", "length")]
    );
    // Several problems are reported together, in pointer order.
    let body = json!({"name": " ", "siret": "00000000000001", "webhook_url": "ftp://caf.example/"});
    assert_eq!(
        refused(&r, body).await,
        [
            pair("/name", "blank"),
            pair("/siret", "siret_wrong_key"),
            pair("/webhook_url", "https_required"),
        ]
    );

    let p = assert_problem(
        r.create(&json!({"name": "CAF", "colour": "blue"})).await,
        400,
        "unknown_field",
    )
    .await;
    assert_eq!(p["errors"][0]["pointer"], "/colour");
    let p = assert_problem(
        r.create(&json!({"name": "CAF", "contact": {"fax": "04"}}))
            .await,
        400,
        "unknown_field",
    )
    .await;
    assert_eq!(p["errors"][0]["pointer"], "/contact/fax");
    let p = assert_problem(r.create(&json!({})).await, 422, "validation_failed").await;
    assert_eq!(field_codes(&p), [pair("/name", "required")]);
    let count: i64 = r.app.count("SELECT count(*) FROM partners").await;
    assert_eq!(count, 0, "nothing was registered");
}

#[tokio::test]
async fn webhook_targets_must_be_public_https_urls() {
    let r = Registry::new().await;
    for (url, code) in [
        ("http://integration.caf.example/hooks", "https_required"),
        ("https://10.0.0.5/hooks", "address_not_allowed"),
        ("https://192.168.1.20/hooks", "address_not_allowed"),
        (
            "https://169.254.169.254/latest/meta-data/",
            "address_not_allowed",
        ),
        ("https://[fd00::1]/hooks", "address_not_allowed"),
        (
            "https://user:secret@caf.example/hooks",
            "userinfo_not_allowed",
        ),
        ("https://caf.example/hooks#part", "fragment_not_allowed"),
        ("caf.example/hooks", "invalid_url"),
    ] {
        assert_eq!(
            refused(&r, with("webhook_url", json!(url))).await,
            [pair("/webhook_url", code)],
            "{url}"
        );
    }
    let long = format!("https://caf.example/{}", "a".repeat(2000));
    assert_eq!(
        refused(&r, with("webhook_url", json!(long))).await,
        [pair("/webhook_url", "too_long")]
    );
    // Loopback is accepted here (this server allows it, as in development), http included.
    let created = r
        .register(&with("webhook_url", json!("http://127.0.0.1:9000/hooks")))
        .await;
    assert_eq!(created["webhook_url"], "http://127.0.0.1:9000/hooks");

    // A PATCH checks a new URL the same way.
    let id = created["id"].as_str().unwrap();
    let change = json!({"webhook_url": "https://172.16.0.1/"});
    assert_eq!(
        refused_change(&r, id, &change).await,
        [pair("/webhook_url", "address_not_allowed")]
    );
}

#[tokio::test]
async fn loopback_targets_are_refused_unless_the_server_allows_them() {
    let r = Registry::with_loopback(false).await;
    for url in [
        "http://127.0.0.1:9000/hooks",
        "https://127.0.0.1/hooks",
        "https://[::1]/hooks",
        "http://localhost:9000/hooks",
        "https://hooks.localhost/",
    ] {
        assert_eq!(
            refused(&r, with("webhook_url", json!(url))).await,
            [pair("/webhook_url", "loopback_not_allowed")],
            "{url}"
        );
    }
    let created = r
        .register(&with("webhook_url", json!("https://caf.example/hooks")))
        .await;
    let id = created["id"].as_str().unwrap();
    let change = json!({"webhook_url": "http://localhost/hooks"});
    assert_eq!(
        refused_change(&r, id, &change).await,
        [pair("/webhook_url", "loopback_not_allowed")]
    );
}

#[tokio::test]
async fn bad_changes_point_at_the_field() {
    let r = Registry::new().await;
    let created = r.register(&full_partner()).await;
    let id = created["id"].as_str().unwrap();
    for (body, pointer, code) in [
        (json!({"name": null}), "/name", "invalid_value"),
        (json!({"name": "  "}), "/name", "blank"),
        (json!({"enabled": null}), "/enabled", "invalid_value"),
        (
            json!({"siret": "12345678901234"}),
            "/siret",
            "siret_wrong_key",
        ),
        (
            json!({"contact": {"email": "nope"}}),
            "/contact/email",
            "email",
        ),
    ] {
        assert_eq!(
            refused_change(&r, id, &body).await,
            [pair(pointer, code)],
            "{body}"
        );
    }
    let p = assert_problem(
        r.patch_as(&r.admin, id, 1, &json!({"client_id": "rp_mine"}))
            .await,
        400,
        "unknown_field",
    )
    .await;
    assert_eq!(p["errors"][0]["pointer"], "/client_id");
    let current: Value = r.app.get_json(&Registry::path(id), &r.admin).await;
    assert_eq!(current["version"], 1, "nothing was changed");
}

#[tokio::test]
async fn only_administrators_write_and_see_the_technical_fields() {
    let r = Registry::new().await;
    let created = r.register(&full_partner()).await;
    let id = created["id"].as_str().unwrap();

    for role in ["worker", "supervisor", "reception", "dpo"] {
        let token = r.app.token(role, &format!("{role}-1"));
        assert_problem(
            r.app.post("/v1/partners", &token, &full_partner()).await,
            403,
            "forbidden",
        )
        .await;
        assert_no_change(&r, &token, id, 403, "forbidden").await;

        // Every agent reads the registry (liaisons are addressed to partners by id), without
        // the administrators' fields.
        let list = r.app.get("/v1/partners", &token).await;
        assert_eq!(list.status(), 200, "{role}");
        let list: Value = list.json().await.unwrap();
        let item = &list["items"][0];
        let read: Value = r.app.get_json(&Registry::path(id), &token).await;
        for view in [item, &read] {
            assert_eq!(view["id"], created["id"]);
            assert_eq!(view["name"], "CAF du Rhône");
            assert_eq!(view["siret"], "53408366500016");
            assert_eq!(view["contact"], created["contact"]);
            assert_eq!(view["enabled"], true);
            for hidden in [
                "webhook_url",
                "client_id",
                "credentials_issued_at",
                "client_secret",
                "webhook_secret",
            ] {
                assert!(view.get(hidden).is_none(), "{role} sees {hidden}");
            }
        }
    }
    let version: i64 = sqlx::query_scalar("SELECT version::bigint FROM partners")
        .fetch_one(&r.app.sql)
        .await
        .unwrap();
    assert_eq!(version, 1, "nothing was changed");
}

#[tokio::test]
async fn partners_cannot_read_the_registry() {
    let r = Registry::new().await;
    let partner = r.app.partner("CAF du Rhône", None).await;
    assert_problem(
        r.app.get("/v1/partners", &partner.token).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        r.app
            .get(&Registry::path(&partner.id), &partner.token)
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        r.app
            .post("/v1/partners", &partner.token, &full_partner())
            .await,
        403,
        "forbidden",
    )
    .await;
    // An identity provider's token claiming the partner role gets no partner powers either.
    let claimed = r.app.token("partner", "partner:someone");
    let status = r.app.get("/v1/partners", &claimed).await.status();
    assert!(status == 403 || status == 401, "{status}");
}

#[tokio::test]
async fn another_organisations_partners_do_not_exist() {
    let r = Registry::new().await;
    let created = r.register(&full_partner()).await;
    let id = created["id"].as_str().unwrap();
    let admin = r.app.token_for("other", &["admin"], "otto");
    let worker = r.app.token_for("other", &["worker"], "olga");
    for token in [&admin, &worker] {
        assert_problem(
            r.app.get(&Registry::path(id), token).await,
            404,
            "not_found",
        )
        .await;
        let list: Value = r.app.get_json("/v1/partners", token).await;
        assert_eq!(list["items"], json!([]));
    }
    assert_no_change(&r, &admin, id, 404, "not_found").await;
    assert_problem(
        r.app
            .get(
                "/v1/partners/0190b5a0-0000-7000-8000-000000000001",
                &r.admin,
            )
            .await,
        404,
        "not_found",
    )
    .await;
}
