//! The supporting documents checklist over HTTP: it completes the application by itself (and
//! sends it back to preparing when a required document goes missing), links uploaded files of
//! the same case, takes new lines, and is read and changed with each line's ETag; a scheme
//! without documents makes a complete application.

use crate::support::applications::{Apps, fsl};
use relais_tests::{assert_problem, header, pointers, today};
use serde_json::{Value, json};

#[tokio::test]
async fn the_checklist_completes_itself_and_goes_back_when_a_required_document_goes_missing() {
    let a = Apps::new().await;
    let application = a.fsl_application().await;
    let current = a.read(&application).await;
    let line = Apps::line(&current, "employer_certificate");
    // An optional line does not hold the application back.
    let response = a
        .patch_line(&application, &line, &json!({"required": false}))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "etag"), "\"2\"");
    let change: Value = response.json().await.unwrap();
    assert_eq!(change["document"]["required"], false);
    assert_eq!(change["application_status"], "preparing");
    a.mark(&application, "identity_document", "received").await;
    let last = a.mark(&application, "rent_receipts", "received").await;
    assert_eq!(last["application_status"], "complete");
    assert_eq!(last["document"]["status"], "received");
    let complete = a.read(&application).await;
    assert_eq!(complete["status"], "complete");
    assert_eq!(last["application_version"], complete["version"]);

    a.moved(&complete, &json!({"to": "under_review"})).await;
    let back = a.mark(&application, "rent_receipts", "missing").await;
    assert_eq!(back["application_status"], "preparing", "{back}");
    let again = a.mark(&application, "rent_receipts", "validated").await;
    assert_eq!(again["application_status"], "complete");
    assert!(
        a.timeline_kinds()
            .await
            .contains(&"application_status_changed".to_owned())
    );

    // Once submitted, the checklist no longer moves the status.
    let complete = a.read(&application).await;
    let reviewed = a.moved(&complete, &json!({"to": "under_review"})).await;
    a.moved(
        &reviewed,
        &json!({"to": "submitted", "submitted_on": today(), "submitted_to": "CAF"}),
    )
    .await;
    let later = a.mark(&application, "identity_document", "missing").await;
    assert_eq!(later["application_status"], "submitted");
}

#[tokio::test]
async fn an_uploaded_file_of_the_case_is_linked_and_marks_the_line_received() {
    let a = Apps::new().await;
    let application = a.fsl_application().await;
    let document_id = a.upload(&a.case_id).await;
    let line = Apps::line(&application, "rent_receipts");
    let response = a
        .patch_line(&application, &line, &json!({"document_id": document_id}))
        .await;
    assert_eq!(response.status(), 200);
    let change: Value = response.json().await.unwrap();
    assert_eq!(change["document"]["document_id"], json!(document_id));
    assert_eq!(change["document"]["status"], "received");

    // A status given with the link wins; unlinking keeps the status.
    let line = Apps::line(&application, "identity_document");
    let change: Value = a
        .patch_line(
            &application,
            &line,
            &json!({"document_id": document_id, "status": "validated"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(change["document"]["status"], "validated");
    let line = change["document"].clone();
    let change: Value = a
        .patch_line(&application, &line, &json!({"document_id": null}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(change["document"]["document_id"], Value::Null);
    assert_eq!(change["document"]["status"], "validated");

    // Files of another case, or that do not exist, are refused.
    let other_case = a.app.create_case(&a.alice).await;
    let elsewhere = a.upload(other_case["id"].as_str().unwrap()).await;
    let line = Apps::line(&application, "employer_certificate");
    for id in [elsewhere.as_str(), "0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b"] {
        let p = assert_problem(
            a.patch_line(&application, &line, &json!({"document_id": id}))
                .await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(pointers(&p), ["/document_id"]);
    }
}

#[tokio::test]
async fn a_line_can_be_added_and_a_required_one_sends_a_complete_application_back() {
    let a = Apps::new().await;
    let mut bare = fsl();
    bare["required_documents"] = json!([]);
    let scheme = a.scheme_in("acme", &bare).await;
    let application = a.apply(&scheme, false).await;
    assert_eq!(application["status"], "complete");
    let path = format!("{}/documents", a.of(&application));
    let response = a
        .app
        .post(
            &path,
            &a.alice,
            &json!({"code": "debt_schedule", "label": " Échéancier de la dette ", "provider": "worker", "notes": "À demander au bailleur."}),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "etag"), "\"1\"");
    let location = header(&response, "location");
    let added: Value = response.json().await.unwrap();
    assert_eq!(added["application_status"], "preparing");
    assert_eq!(added["document"]["label"], "Échéancier de la dette");
    assert_eq!(added["document"]["status"], "requested");
    assert_eq!(added["document"]["required"], true);
    let response = a.app.get(&location, &a.alice).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "etag"), "\"1\"");
    let read: Value = response.json().await.unwrap();
    assert_eq!(read, added["document"]);

    let document_id = a.upload(&a.case_id).await;
    let linked: Value = a
        .app
        .post(
            &path,
            &a.alice,
            &json!({"code": "rib", "label": "RIB", "provider": "person", "required": false, "document_id": document_id}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(linked["document"]["status"], "received");
    let listed = a.read(&application).await;
    let codes: Vec<&str> = listed["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["debt_schedule", "rib"]);

    assert_problem(
        a.app
            .post(
                &path,
                &a.alice,
                &json!({"code": "rib", "label": "RIB", "provider": "person"}),
            )
            .await,
        409,
        "duplicate_document_code",
    )
    .await;
    let p = assert_problem(
        a.app
            .post(
                &path,
                &a.alice,
                &json!({"code": "Pièce-1", "label": "  ", "provider": "person"}),
            )
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&p), ["/code", "/label"]);
    let p = assert_problem(
        a.app
            .post(
                &path,
                &a.alice,
                &json!({"code": "x", "label": "X", "provider": "mayor"}),
            )
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&p), ["/provider"]);
}

#[tokio::test]
async fn lines_change_with_their_etag_keep_their_code_and_stay_in_their_organisation() {
    let a = Apps::new().await;
    let application = a.fsl_application().await;
    let line = Apps::line(&application, "rent_receipts");
    let path = a.line_path(&application, &line);
    let response = a
        .app
        .request(reqwest::Method::PATCH, &path, &a.alice)
        .json(&json!({"status": "received"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, 428, "precondition_required").await;
    assert_problem(
        a.app
            .patch(&path, &a.alice, 5, &json!({"status": "received"}))
            .await,
        412,
        "version_mismatch",
    )
    .await;
    let p = assert_problem(
        a.patch_line(
            &application,
            &line,
            &json!({"code": "receipts", "label": "  "}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&p), ["/code", "/label"]);
    assert_eq!(p["errors"][0]["code"], "immutable");
    let p = assert_problem(
        a.patch_line(&application, &line, &json!({"status": "lost"}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&p), ["/status"]);
    let same = a
        .patch_line(&application, &line, &json!({"status": "requested"}))
        .await;
    assert_eq!(
        header(&same, "etag"),
        "\"1\"",
        "nothing changed, no new version"
    );
    let response = a
        .patch_line(
            &application,
            &line,
            &json!({"provider": "institution", "label": "Quittances (bailleur)", "notes": "Le bailleur les envoie."}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let change: Value = response.json().await.unwrap();
    assert_eq!(change["document"]["provider"], "institution");
    assert_eq!(change["document"]["notes"], "Le bailleur les envoie.");

    let unknown = format!(
        "{}/documents/0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b",
        a.of(&application)
    );
    assert_problem(a.app.get(&unknown, &a.alice).await, 404, "not_found").await;
    let stranger = a.app.token_for("other", &["worker"], "x");
    assert_problem(a.app.get(&path, &stranger).await, 404, "not_found").await;
    assert_problem(
        a.app
            .patch(&path, &stranger, 2, &json!({"status": "received"}))
            .await,
        404,
        "not_found",
    )
    .await;
    let reception = a.app.token("reception", "front-desk");
    assert_problem(a.app.get(&path, &reception).await, 403, "forbidden").await;

    let before = a.audit().await.len();
    a.app.get(&path, &a.alice).await;
    a.mark(&application, "identity_document", "received").await;
    let events = a.audit().await.split_off(before);
    assert!(events.contains(&("read".into(), "application.document".into())));
    assert!(events.contains(&("update".into(), "application.document".into())));
}

#[tokio::test]
async fn a_scheme_without_documents_makes_a_complete_application_and_lists_newest_first() {
    let a = Apps::new().await;
    let housing = a.fsl().await;
    let mut bare = fsl();
    bare["name"] = json!("Secours d'urgence du CCAS");
    bare["required_documents"] = json!([]);
    let urgent = a.scheme_in("acme", &bare).await;
    let first = a.apply(&housing, false).await;
    let second = a.apply(&urgent, false).await;
    assert_eq!(second["status"], "complete");
    assert_eq!(second["documents"], json!([]));

    let page: Value = a
        .app
        .get_json(&format!("{}?limit=1", a.path()), &a.alice)
        .await;
    assert_eq!(page["items"][0]["id"], second["id"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest: Value = a
        .app
        .get_json(&format!("{}?limit=1&cursor={cursor}", a.path()), &a.alice)
        .await;
    assert_eq!(rest["items"][0]["id"], first["id"]);
    assert_eq!(rest["items"][0]["documents"].as_array().unwrap().len(), 3);
    assert_eq!(rest["next_cursor"], Value::Null);
    let preparing: Value = a
        .app
        .get_json(&format!("{}?status=preparing", a.path()), &a.alice)
        .await;
    assert_eq!(preparing["items"].as_array().unwrap().len(), 1);
    let p = assert_problem(
        a.app
            .get(&format!("{}?status=lost", a.path()), &a.alice)
            .await,
        400,
        "invalid_parameter",
    )
    .await;
    assert_eq!(p["errors"][0]["pointer"], "/status");
}
