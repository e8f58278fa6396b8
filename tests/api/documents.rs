//! Case documents over HTTP: multipart uploads checked by content and size, listed, read and
//! downloaded byte for byte, audited.

mod access;

use crate::support::documents::{EXE, Fixture, JPEG, PDF, PNG, Part, file, sha256_hex, text};
use relais_tests::{TestApp, assert_problem, header, pointers, test_settings};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn an_uploaded_file_is_listed_read_and_downloaded_byte_for_byte() {
    let f = Fixture::new().await;
    let name = "Avis d'imposition 2026 – Lefèvre.pdf";
    let response = f
        .upload(&[
            file(name, "application/pdf", PDF),
            text("description", "  Avis d'imposition 2026 "),
        ])
        .await;
    assert_eq!(response.status(), 201);
    let location = header(&response, "location");
    assert_eq!(header(&response, "etag"), "\"1\"");
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    assert_eq!(location, format!("/v1/documents/{id}"));
    let sha = sha256_hex(&f.app, PDF).await;
    assert_eq!(created["filename"], name);
    assert_eq!(created["content_type"], "application/pdf");
    assert_eq!(created["size_bytes"], PDF.len());
    assert_eq!(created["sha256"], sha.as_str());
    assert_eq!(created["description"], "Avis d'imposition 2026");
    assert_eq!(created["case_id"], f.case_id.as_str());
    assert_eq!(created["content_url"], format!("{location}/content"));
    assert_eq!(
        created["uploaded_by"],
        json!(f.app.agent_id(&f.alice).await)
    );
    assert!(created.get("content").is_none(), "never the bytes");

    let second = f.upload(&[file("photo.PNG", "image/png", PNG)]).await;
    let second: Value = second.json().await.unwrap();
    let page: Value = f
        .app
        .get_json(&format!("{}?limit=1", f.documents()), &f.alice)
        .await;
    assert_eq!(page["items"][0]["id"], second["id"], "newest first");
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest: Value = f
        .app
        .get_json(&format!("{}?cursor={cursor}", f.documents()), &f.alice)
        .await;
    assert_eq!(rest["items"], json!([created]));
    assert_eq!(rest["next_cursor"], Value::Null);

    let response = f.app.get(&location, &f.alice).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "etag"), "\"1\"");
    assert_eq!(response.json::<Value>().await.unwrap(), created);

    let response = f.app.get(&format!("{location}/content"), &f.alice).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), "application/pdf");
    assert_eq!(
        header(&response, "content-disposition"),
        "attachment; filename=\"Avis d'imposition 2026 _ Lef_vre.pdf\"; \
         filename*=UTF-8''Avis%20d%27imposition%202026%20%E2%80%93%20Lef%C3%A8vre.pdf"
    );
    assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    assert_eq!(header(&response, "cache-control"), "private, no-store");
    assert_eq!(header(&response, "etag"), format!("\"{sha}\""));
    let bytes = response.bytes().await.unwrap();
    assert_eq!(&bytes[..], PDF);
    assert_eq!(sha256_hex(&f.app, &bytes).await, sha);
    let png = f
        .app
        .get(
            &format!("/v1/documents/{}/content", second["id"].as_str().unwrap()),
            &f.alice,
        )
        .await;
    assert_eq!(header(&png, "content-type"), "image/png");
    assert_eq!(&png.bytes().await.unwrap()[..], PNG);

    let audit = f.app.audit_actions(&f.person_id).await;
    let documents: Vec<(&str, &str)> = audit
        .iter()
        .filter(|(_, resource)| resource.contains("document"))
        .map(|(a, r)| (a.as_str(), r.as_str()))
        .collect();
    assert_eq!(
        documents,
        [
            ("create", "document"),
            ("create", "document"),
            ("read", "case.documents"),
            ("read", "case.documents"),
            ("read", "document"),
            ("download", "document"),
            ("download", "document"),
        ]
    );
    let timeline: Value = f
        .app
        .get_json(&format!("/v1/cases/{}/timeline", f.case_id), &f.alice)
        .await;
    assert!(
        timeline["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "document_uploaded" && e["data"]["document_id"] == id),
        "{timeline}"
    );
}

#[tokio::test]
async fn the_type_comes_from_the_content_and_the_name_and_declared_type_must_agree() {
    let f = Fixture::new().await;
    for (part, code) in [
        (
            file("facture.pdf", "application/pdf", EXE),
            "unsupported_type",
        ),
        (
            file("notes.pdf", "application/pdf", b"plain text"),
            "unsupported_type",
        ),
        (file("scan.png", "application/pdf", PNG), "type_mismatch"),
        (file("scan.pdf", "image/png", PNG), "type_mismatch"),
        (file("scan", "image/png", PNG), "type_mismatch"),
        (
            file("../scans/scan.png", "image/png", PNG),
            "invalid_filename",
        ),
        (
            file("C:\\scans\\scân.png", "image/png", PNG),
            "invalid_filename",
        ),
        (
            file("scan\u{202E}gnp.png", "image/png", PNG),
            "invalid_filename",
        ),
        (file("empty.pdf", "application/pdf", b""), "empty"),
    ] {
        let name = part.filename.unwrap();
        let response = f.upload(&[part]).await;
        assert_eq!(response.status(), 422, "{name:?}");
        let p = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(pointers(&p), ["/file"], "{p}");
        assert_eq!(p["errors"][0]["code"], code, "{p}");
    }
    let nameless = Part {
        filename: None,
        ..file("", "application/pdf", PDF)
    };
    let p = assert_problem(f.upload(&[nameless]).await, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["code"], "filename_required");
    assert_eq!(f.stored().await, 0, "nothing refused is stored");

    // Undeclared, or declared as mere bytes: the content decides.
    let jpeg = f
        .upload(&[file("photo.JPG", "application/octet-stream", JPEG)])
        .await;
    assert_eq!(jpeg.status(), 201);
    assert_eq!(
        jpeg.json::<Value>().await.unwrap()["content_type"],
        "image/jpeg"
    );
    let undeclared = Part {
        content_type: None,
        ..file("scan.png", "", PNG)
    };
    assert_eq!(f.upload(&[undeclared]).await.status(), 201);
}

#[tokio::test]
async fn a_form_without_its_file_or_with_another_part_is_refused_with_a_pointer() {
    let f = Fixture::new().await;
    let p = assert_problem(
        f.upload(&[text("description", "Quittance")]).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&p), ["/file"]);
    assert_eq!(p["errors"][0]["code"], "required");

    let p = assert_problem(
        f.upload(&[file("a.pdf", "application/pdf", PDF), text("comment", "x")])
            .await,
        400,
        "unknown_field",
    )
    .await;
    assert_eq!(pointers(&p), ["/comment"]);

    let long = "é".repeat(501);
    let p = assert_problem(
        f.upload(&[
            file("a.pdf", "application/pdf", PDF),
            text("description", &long),
        ])
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&p), ["/description"]);

    let twice = [
        file("a.pdf", "application/pdf", PDF),
        file("b.pdf", "application/pdf", PDF),
    ];
    let p = assert_problem(f.upload(&twice).await, 422, "validation_failed").await;
    assert_eq!(pointers(&p), ["/file"]);

    let json = f
        .app
        .post(&f.documents(), &f.alice, &json!({"file": "x"}))
        .await;
    assert_problem(json, 415, "unsupported_media_type").await;
    let truncated = f
        .app
        .request(Method::POST, &f.documents(), &f.alice)
        .header("Content-Type", "multipart/form-data; boundary=b")
        .body(
            "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF",
        )
        .send()
        .await
        .unwrap();
    assert_problem(truncated, 400, "malformed_body").await;
    assert_eq!(f.stored().await, 0);
}

#[tokio::test]
async fn a_file_over_the_upload_limit_is_refused_with_413() {
    let settings = relais_server::config::Settings {
        upload_limit_bytes: 1024,
        ..test_settings()
    };
    let f = Fixture::on(TestApp::spawn_with(settings).await).await;
    let mut pdf = PDF.to_vec();
    pdf.resize(1024, b' ');
    let at_limit = f.upload(&[file("a.pdf", "application/pdf", &pdf)]).await;
    assert_eq!(at_limit.status(), 201);
    pdf.push(b' ');
    let over = f.upload(&[file("a.pdf", "application/pdf", &pdf)]).await;
    let p = assert_problem(over, 413, "payload_too_large").await;
    assert!(p["detail"].as_str().unwrap().contains("1024"), "{p}");
    // Announced far too large: refused before the body is read.
    pdf.resize(200 * 1024, b' ');
    let announced = f.upload(&[file("a.pdf", "application/pdf", &pdf)]).await;
    assert_problem(announced, 413, "payload_too_large").await;
    assert_eq!(f.stored().await, 1);
}

#[tokio::test]
async fn the_default_limit_takes_ten_mebibytes_and_not_one_byte_more() {
    let f = Fixture::new().await;
    let mut pdf = PDF.to_vec();
    pdf.resize(10 * 1024 * 1024, b' ');
    let response = f.upload(&[file("big.pdf", "application/pdf", &pdf)]).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["size_bytes"], 10 * 1024 * 1024);
    pdf.push(b' ');
    let over = f.upload(&[file("big.pdf", "application/pdf", &pdf)]).await;
    assert_problem(over, 413, "payload_too_large").await;
    assert_eq!(f.stored().await, 1);
}
