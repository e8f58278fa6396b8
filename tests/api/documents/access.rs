//! Case documents over HTTP: only the case team and supervisors reach them, in their own
//! organisation; archived cases; idempotent retries of an upload; the liaison sheet's list.

use crate::support::documents::{Fixture, PDF, PNG, file, text};
use relais_tests::{assert_problem, header, pointers};
use serde_json::{Value, json};

#[tokio::test]
async fn only_the_case_team_and_supervisors_reach_documents() {
    let f = Fixture::new().await;
    let document = f.uploaded().await;
    let id = document["id"].as_str().unwrap();
    let read = format!("/v1/documents/{id}");
    let content = format!("{read}/content");
    let partner = f.app.partner("Mission locale", None).await;
    let pdf = || [file("a.pdf", "application/pdf", PDF)];
    for token in [
        f.app.token("reception", "rita"),
        f.app.token("admin", "adam"),
        f.app.token("dpo", "dora"),
        partner.token,
    ] {
        assert_problem(f.upload_as(&token, &pdf()).await, 403, "forbidden").await;
        for path in [&f.documents(), &read, &content] {
            assert_problem(f.app.get(path, &token).await, 403, "forbidden").await;
        }
    }
    for token in [
        f.app.token("worker", "bob"),
        f.app.token_for("other", &["supervisor"], "olga"),
        f.app.token_for("other", &["worker"], "oscar"),
    ] {
        assert_problem(f.upload_as(&token, &pdf()).await, 404, "not_found").await;
        for path in [&f.documents(), &read, &content] {
            assert_problem(f.app.get(path, &token).await, 404, "not_found").await;
        }
    }
    // Bob is a worker of the organisation, not on the case's team: his upload, his read of the
    // case's list of documents and his reads of the document by its own id are recorded as
    // refused accesses about the case's person; so are reception's reads of the list and the
    // document.
    let dpo = f.app.token("dpo", "dora");
    let denied = f
        .app
        .get_json("/v1/audit-events?action=access_denied&actor=bob", &dpo)
        .await;
    let mut kinds: Vec<&str> = denied["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["person_id"], f.person_id.as_str());
            e["resource_type"].as_str().unwrap()
        })
        .collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["case", "case", "document", "document"], "{denied}");
    let by_reception = f
        .app
        .get_json("/v1/audit-events?action=access_denied&actor=rita", &dpo)
        .await;
    let mut refused: Vec<(&str, &str)> = by_reception["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["resource_type"].as_str().unwrap(),
                e["resource_id"].as_str().unwrap(),
            )
        })
        .collect();
    refused.sort_unstable();
    let case_id = f.case_id.as_str();
    assert_eq!(
        refused,
        [("case", case_id), ("document", id), ("document", id)],
        "{by_reception}"
    );
    let missing = "/v1/documents/0190b5a0-0000-7000-8000-000000000009/content";
    assert_problem(f.app.get(missing, &f.alice).await, 404, "not_found").await;
    let boss = f.app.token("supervisor", "boss");
    assert_eq!(f.upload_as(&boss, &pdf()).await.status(), 201);
    assert_eq!(f.app.get(&content, &boss).await.status(), 200);
    assert_eq!(f.stored().await, 2);
}

#[tokio::test]
async fn an_archived_case_takes_no_upload_and_its_documents_are_read_with_a_reason() {
    let f = Fixture::new().await;
    let id = f.uploaded().await["id"].as_str().unwrap().to_owned();
    sqlx::query("UPDATE cases SET status = 'archived' WHERE id = $1::uuid")
        .bind(&f.case_id)
        .execute(&f.app.sql)
        .await
        .unwrap();
    let refused = f.upload(&[file("a.pdf", "application/pdf", PDF)]).await;
    assert_problem(refused, 409, "case_archived").await;
    let content = format!("/v1/documents/{id}/content");
    let p = assert_problem(f.app.get(&content, &f.alice).await, 400, "reason_required").await;
    assert_eq!(pointers(&p), ["/reason"]);
    let why = "Demande d'accès de la personne";
    let response = f
        .app
        .get(
            &format!("{content}?reason={}", why.replace(' ', "%20")),
            &f.alice,
        )
        .await;
    assert_eq!(response.status(), 200);
    let reason: Option<String> = sqlx::query_scalar(
        "SELECT reason FROM audit_events WHERE action = 'download' AND resource_id = $1::uuid",
    )
    .bind(&id)
    .fetch_one(&f.app.sql)
    .await
    .unwrap();
    assert_eq!(reason.as_deref(), Some(why));
    assert_eq!(f.stored().await, 1);
}

#[tokio::test]
async fn a_retried_upload_is_replayed_even_when_the_client_picks_a_new_boundary() {
    let f = Fixture::new().await;
    let parts = || {
        [
            file("avis.pdf", "application/pdf", PDF),
            text("description", "Avis"),
        ]
    };
    let first = f
        .upload_with(&f.alice, "boundary-one", Some("upload-1"), &parts())
        .await;
    assert_eq!(first.status(), 201);
    let location = header(&first, "location");
    let created: Value = first.json().await.unwrap();
    let retry = f
        .upload_with(&f.alice, "boundary-two-x", Some("upload-1"), &parts())
        .await;
    assert_eq!(retry.status(), 201);
    assert_eq!(header(&retry, "idempotent-replayed"), "true");
    assert_eq!(header(&retry, "location"), location);
    assert_eq!(retry.json::<Value>().await.unwrap(), created);
    assert_eq!(f.stored().await, 1, "stored once");

    let other = f
        .upload_with(
            &f.alice,
            "boundary-one",
            Some("upload-1"),
            &[file("scan.png", "image/png", PNG)],
        )
        .await;
    assert_problem(other, 422, "idempotency_key_reused").await;
    assert_eq!(f.stored().await, 1);
}

#[tokio::test]
async fn the_liaison_sheet_lists_the_documents_by_name_only() {
    let f = Fixture::new().await;
    f.uploaded().await;
    let response = f
        .app
        .post(
            &format!("/v1/cases/{}/liaisons", f.case_id),
            &f.alice,
            &json!({
                "destination": {"name": "CAF du Rhône", "contact": "Mme Durand"},
                "purpose": "Ouverture des droits.",
                "content": ["documents"],
                "legal_basis": "shared_secrecy"
            }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let location = header(&response, "location");
    let sheet = f.app.get(&format!("{location}/document"), &f.alice).await;
    assert_eq!(sheet.status(), 200);
    let page = sheet.text().await.unwrap();
    assert!(page.contains("avis.pdf"), "{page}");
    assert!(!page.contains("Aucun document joint."));
    assert!(!page.contains("%PDF"), "never the bytes");
}
