//! Referrals posted by partners: the proof of consent and the Idempotency-Key they need, bad
//! input with pointers, attachments recognised by their content, idempotency under concurrency,
//! and who reads what (a partner its own, agents the inbox), audited.

mod decisions;
mod expiry;
mod outcome;

use crate::support::referrals::{EXE, JPEG, NIR_DIGITS, PDF, PNG, Referrals, attachment, referral};
use chrono::{DateTime, Utc};
use relais_tests::{assert_problem, header, nir, pointers, problem};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn a_partner_posts_a_referral_and_reads_it_back_with_its_etag() {
    let r = Referrals::new().await;
    let mut body = referral();
    let full_nir = nir(NIR_DIGITS);
    body["person"]["nir"] = json!(full_nir);
    body["attachments"] = json!([
        attachment("courrier.pdf", PDF),
        attachment("photo.JPG", JPEG)
    ]);
    let response = r.post(&body).await;
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "etag"), "\"1\"");
    let location = header(&response, "location");
    let created: Value = response.json().await.unwrap();
    assert_eq!(
        location,
        format!("/v1/referrals/{}", created["id"].as_str().unwrap())
    );
    assert_eq!(created["status"], "received");
    assert_eq!(created["partner_id"], r.partner.id.as_str());
    assert_eq!(
        created["person"]["nir"],
        format!("1 80 02 ** *** *** {}", &full_nir[13..])
    );
    assert_eq!(created["person"]["address"]["country"], "FR");
    assert_eq!(created["domains"], json!(["housing", "finances"]));
    assert_eq!(created["urgency"], "priority");
    assert_eq!(created["referrer"]["name"], "Mme Durand");
    assert_eq!(
        created["consent"],
        json!({"informed_on": "2026-01-05", "channel": "in_person", "consented": true})
    );
    for key in [
        "decided_at",
        "decided_by",
        "case_id",
        "person_id",
        "redirected_to",
    ] {
        assert_eq!(created[key], Value::Null, "{key}");
    }
    let at = |key: &str| {
        created[key]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap()
    };
    assert_eq!(
        at("expires_at") - at("received_at"),
        chrono::Duration::days(30)
    );
    let files = created["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["filename"], "courrier.pdf");
    assert_eq!(files[0]["content_type"], "application/pdf");
    assert_eq!(files[0]["size_bytes"], PDF.len());
    // PostgreSQL's own SHA-256 as the independent check.
    let digest: String = sqlx::query_scalar("SELECT encode(sha256($1), 'hex')")
        .bind(PDF)
        .fetch_one(&r.app.sql)
        .await
        .unwrap();
    assert_eq!(files[0]["sha256"], digest);
    assert_eq!(files[1]["content_type"], "image/jpeg");

    // The NIR is stored sealed, never in clear.
    let stored: (Option<Vec<u8>>, Option<String>) =
        sqlx::query_as("SELECT nir_ciphertext, nir_masked FROM referrals")
            .fetch_one(&r.app.sql)
            .await
            .unwrap();
    let sealed = stored.0.unwrap();
    assert!(!sealed.windows(13).any(|w| w == NIR_DIGITS.as_bytes()));

    let response = r
        .read(&r.partner.token, created["id"].as_str().unwrap())
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "etag"), "\"1\"");
    let read: Value = response.json().await.unwrap();
    assert_eq!(read, created);
    let events = r.audit_of(created["id"].as_str().unwrap()).await;
    let actions: Vec<_> = events
        .iter()
        .map(|(a, t, p)| (a.as_str(), t.as_str(), *p))
        .collect();
    assert_eq!(
        actions,
        [("create", "referral", None), ("read", "referral", None)]
    );
}

#[tokio::test]
async fn a_referral_without_the_proof_of_consent_is_refused_with_a_pointer() {
    let r = Referrals::new().await;
    let mut body = referral();
    body.as_object_mut().unwrap().remove("consent");
    let p = assert_problem(r.post(&body).await, 422, "validation_failed").await;
    assert_eq!(pointers(&p), ["/consent"]);

    let mut body = referral();
    body["consent"]["consented"] = json!(false);
    let p = assert_problem(r.post(&body).await, 422, "validation_failed").await;
    assert_eq!(pointers(&p), ["/consent/consented"]);
    assert_eq!(p["errors"][0]["code"], "consent_required");

    let tomorrow = (Utc::now() + chrono::Duration::days(2)).date_naive();
    body["consent"] = json!({"informed_on": tomorrow, "channel": "phone", "consented": true});
    let p = assert_problem(r.post(&body).await, 422, "validation_failed").await;
    assert_eq!(pointers(&p), ["/consent/informed_on"]);
    body["consent"] =
        json!({"informed_on": "2026-01-05", "channel": "telepathy", "consented": true});
    let p = assert_problem(r.post(&body).await, 422, "validation_failed").await;
    assert_eq!(pointers(&p), ["/consent/channel"]);
    let count: i64 = r.app.count("SELECT count(*) FROM referrals").await;
    assert_eq!(count, 0);
}

#[tokio::test]
async fn a_partner_must_send_an_idempotency_key_and_only_partners_post() {
    let r = Referrals::new().await;
    let response = r
        .app
        .post("/v1/referrals", &r.partner.token, &referral())
        .await;
    let p = assert_problem(response, 400, "idempotency_key_required").await;
    assert_eq!(p["errors"][0]["pointer"], "/idempotency-key");
    assert_eq!(p["errors"][0]["in"], "header");
    for token in [&r.worker, &r.supervisor, &r.reception] {
        let response = r.post_as(token, &referral(), None).await;
        assert_problem(response, 403, "forbidden").await;
    }
}

#[tokio::test]
async fn bad_identity_domains_urgency_and_nir_point_at_the_field() {
    let r = Referrals::new().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("/person/first_name", json!("   "), "blank"),
        ("/person/last_name", json!(""), "length"),
        ("/person/birth_date", json!("2999-01-01"), "out_of_range"),
        (
            "/person/nir",
            json!("1 80 02 69 123 456 00"),
            "nir_wrong_key",
        ),
        ("/person/email", json!("not-an-email"), "email"),
        ("/domains", json!([]), "length"),
        (
            "/domains/2",
            json!(["housing", "health", "housing"]),
            "duplicate",
        ),
        ("/domains/0", json!(["weather"]), "invalid_value"),
        ("/urgency", json!("asap"), "invalid_value"),
        ("/reason", json!("x".repeat(2001)), "length"),
        ("/referrer/name", json!(" "), "blank"),
    ];
    for (pointer, value, code) in cases {
        let mut body = referral();
        let mut target = &mut body;
        let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
        // Domains items are set as a whole list.
        let parts = if parts[0] == "domains" {
            &parts[..1]
        } else {
            &parts[..]
        };
        for part in &parts[..parts.len() - 1] {
            target = &mut target[*part];
        }
        target[parts[parts.len() - 1]] = value;
        let p = assert_problem(r.post(&body).await, 422, "validation_failed").await;
        assert_eq!(pointers(&p), [pointer], "{p}");
        assert_eq!(p["errors"][0]["code"], code, "{p}");
    }
    let mut body = referral();
    body["person"]["favourite_colour"] = json!("blue");
    let p = assert_problem(r.post(&body).await, 400, "unknown_field").await;
    assert_eq!(pointers(&p), ["/person/favourite_colour"]);
}

#[tokio::test]
async fn attachments_are_recognised_by_their_content_not_their_name() {
    let r = Referrals::new().await;
    let too_big = [PNG, &vec![0u8; 512 * 1024 + 1 - PNG.len()]].concat();
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            attachment("scan.pdf", PNG),
            "/attachments/0/content_base64",
            "type_mismatch",
        ),
        (
            attachment("courrier.pdf", EXE),
            "/attachments/0/content_base64",
            "unsupported_type",
        ),
        (
            attachment("notes.pdf", b"just some text"),
            "/attachments/0/content_base64",
            "unsupported_type",
        ),
        (
            attachment("big.png", &too_big),
            "/attachments/0/content_base64",
            "too_large",
        ),
        (
            json!({"filename": "a.pdf", "content_base64": "%%%"}),
            "/attachments/0/content_base64",
            "invalid_base64",
        ),
        (
            attachment("../etc/passwd.pdf", PDF),
            "/attachments/0/filename",
            "invalid_filename",
        ),
    ];
    for (file, pointer, code) in cases {
        let mut body = referral();
        body["attachments"] = json!([file]);
        let p = assert_problem(r.post(&body).await, 422, "validation_failed").await;
        assert_eq!(pointers(&p), [pointer], "{p}");
        assert_eq!(p["errors"][0]["code"], code, "{p}");
    }
    let mut body = referral();
    body["attachments"] = json!(vec![attachment("a.pdf", PDF); 4]);
    let p = assert_problem(r.post(&body).await, 422, "validation_failed").await;
    assert_eq!(pointers(&p), ["/attachments"]);

    // Three files of the largest size fit in one request.
    let largest = [PNG, &vec![7u8; 512 * 1024 - PNG.len()]].concat();
    body["attachments"] = json!([
        attachment("a.png", &largest),
        attachment("b.png", &largest),
        attachment("c.png", &largest)
    ]);
    let created = r.posted(&body).await;
    assert_eq!(created["attachments"][2]["size_bytes"], 512 * 1024);
    assert_eq!(created["attachments"][2]["content_type"], "image/png");
}

#[tokio::test]
async fn ten_identical_concurrent_posts_with_one_key_create_exactly_one_referral() {
    let r = Referrals::new().await;
    let body = referral();
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let request = r
            .app
            .request(Method::POST, "/v1/referrals", &r.partner.token)
            .header("Idempotency-Key", "referral-2026-0042")
            .json(&body);
        tasks.push(tokio::spawn(async move { request.send().await.unwrap() }));
    }
    let mut created = Vec::new();
    for task in tasks {
        let response = task.await.unwrap();
        match response.status().as_u16() {
            201 => {
                let referral: Value = response.json().await.unwrap();
                created.push(referral["id"].as_str().unwrap().to_owned());
            }
            409 => {
                let p = problem(response).await;
                assert_eq!(p["code"], "idempotency_key_in_flight");
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(!created.is_empty());
    assert!(created.iter().all(|id| *id == created[0]), "{created:?}");
    let count: i64 = r.app.count("SELECT count(*) FROM referrals").await;
    assert_eq!(count, 1);
    // A retry afterwards replays the first answer.
    let response = r
        .post_as(&r.partner.token, &body, Some("referral-2026-0042"))
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "idempotent-replayed"), "true");
}

#[tokio::test]
async fn a_partner_sees_only_its_own_referrals() {
    let r = Referrals::new().await;
    let mine = r.posted(&referral()).await;
    let id = mine["id"].as_str().unwrap();
    let colleague = r.app.partner("Hôpital Nord", None).await;
    let theirs = r
        .post_as(&colleague.token, &referral(), None)
        .await
        .json::<Value>()
        .await
        .unwrap();

    assert_eq!(r.read(&colleague.token, id).await.status(), 404);
    let listed: Value = r.app.get_json("/v1/referrals", &colleague.token).await;
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [theirs["id"].as_str().unwrap()]);
    let listed: Value = r.app.get_json("/v1/referrals", &r.partner.token).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["id"], id);

    let elsewhere = r.app.partner_of("other", "CAF de l'Ain", None).await;
    assert_eq!(r.read(&elsewhere.token, id).await.status(), 404);
    let other_worker = r.app.token_for("other", &["worker"], "olga");
    assert_eq!(r.read(&other_worker, id).await.status(), 404);
    let listed: Value = r.app.get_json("/v1/referrals", &other_worker).await;
    assert_eq!(listed["items"], json!([]));
    // Nor can a partner decide or download.
    let response = r
        .decide_as(&r.partner.token, &mine, &json!({"outcome": "accepted"}))
        .await;
    assert_problem(response, 403, "forbidden").await;
}

#[tokio::test]
async fn agents_read_the_inbox_by_status_in_pages_and_admins_and_the_dpo_do_not() {
    let r = Referrals::new().await;
    let first = r.posted(&referral()).await;
    let second = r.posted(&referral()).await;
    let third = r.posted(&referral()).await;
    r.decided(
        &second,
        &json!({"outcome": "declined", "reason_code": "no_capacity"}),
    )
    .await;

    let list = |query: &'static str, token: String| {
        let app = &r.app;
        async move {
            let response = app.get(&format!("/v1/referrals{query}"), &token).await;
            assert_eq!(response.status(), 200, "{query}");
            response.json::<Value>().await.unwrap()
        }
    };
    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    let received = list("?status=received", r.reception.clone()).await;
    assert_eq!(ids(&received), [id(&third), id(&first)]);
    let declined = list("?status=declined", r.worker.clone()).await;
    assert_eq!(ids(&declined), [id(&second)]);
    assert_eq!(declined["items"][0]["decline_reason"], "no_capacity");
    let both = list("?status=received,declined&limit=2", r.supervisor.clone()).await;
    assert_eq!(ids(&both), [id(&third), id(&second)]);
    let cursor = both["next_cursor"].as_str().unwrap();
    let rest = r
        .app
        .get(
            &format!("/v1/referrals?limit=2&cursor={cursor}"),
            &r.supervisor,
        )
        .await;
    let rest: Value = rest.json().await.unwrap();
    assert_eq!(ids(&rest), [id(&first)]);
    assert_eq!(rest["next_cursor"], Value::Null);
    // Each referral shown is a read of it.
    let reads = r.audit_of(&id(&first)).await;
    assert!(
        reads
            .iter()
            .filter(|(a, t, _)| a == "read" && t == "referral")
            .count()
            >= 2
    );

    let p = assert_problem(
        r.app.get("/v1/referrals?status=finished", &r.worker).await,
        400,
        "invalid_parameter",
    )
    .await;
    assert_eq!(pointers(&p), ["/status"]);
    for role in ["admin", "dpo"] {
        let token = r.app.token(role, &format!("{role}-1"));
        assert_problem(r.app.get("/v1/referrals", &token).await, 403, "forbidden").await;
        assert_eq!(r.read(&token, &id(&first)).await.status(), 403);
    }
}

#[tokio::test]
async fn downloading_an_attachment_is_audited_and_kept_from_reception_and_partners() {
    let r = Referrals::new().await;
    let mut body = referral();
    body["attachments"] = json!([attachment("Courrier d'orientation é.pdf", PDF)]);
    let created = r.posted(&body).await;
    let path = format!(
        "/v1/referrals/{}/attachments/{}/content",
        created["id"].as_str().unwrap(),
        created["attachments"][0]["id"].as_str().unwrap()
    );
    let response = r.app.get(&path, &r.worker).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), "application/pdf");
    assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    let disposition = header(&response, "content-disposition");
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
    assert_eq!(&response.bytes().await.unwrap()[..], PDF);
    let events = r
        .audit_of(created["attachments"][0]["id"].as_str().unwrap())
        .await;
    assert_eq!(
        events,
        [(
            "download".to_owned(),
            "referral.attachment".to_owned(),
            None
        )]
    );

    for token in [&r.reception, &r.partner.token] {
        assert_problem(r.app.get(&path, token).await, 403, "forbidden").await;
    }
    let other_worker = r.app.token_for("other", &["worker"], "olga");
    assert_eq!(r.app.get(&path, &other_worker).await.status(), 404);
    let missing = format!(
        "/v1/referrals/{}/attachments/{}/content",
        created["id"].as_str().unwrap(),
        created["id"].as_str().unwrap()
    );
    assert_eq!(r.app.get(&missing, &r.worker).await.status(), 404);
}
