//! The organisation's letterhead (DAILY.md, "Documents"): the profile every agent reads and
//! administrators write (versioned, each fault at its field), the logo (PNG or JPEG checked by
//! decoding it, 512 KiB at most), both audited, both invisible to another organisation, and
//! printed on the documents.

use relais_tests::{
    TestApp, assert_conforms, assert_problem, field_codes, header, pair, pdf_images, pdf_text,
};
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::support::letterhead::{self, jpeg, png};

const PROFILE: &str = "/v1/organisation/profile";
const LOGO: &str = "/v1/organisation/logo";

fn profile() -> Value {
    json!({
        "name": "CCAS de Villeurbanne",
        "address_lines": ["Hôtel de ville", "Place Lazare-Goujon"],
        "postcode": "69100",
        "city": "Villeurbanne",
        "phone": "04 72 65 80 00",
        "email": "ccas@villeurbanne.example",
        "website": "https://villeurbanne.example/ccas"
    })
}

async fn upload(app: &TestApp, token: &str, content_type: &str, body: Vec<u8>) -> Response {
    app.request(Method::PUT, LOGO, token)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn audited(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE resource_type = 'organisation.profile' \
         ORDER BY at, id",
    )
    .fetch_all(&app.sql)
    .await
    .unwrap()
}

#[tokio::test]
async fn every_agent_reads_the_profile_and_only_administrators_write_it() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", "adele");
    // Until written: the registered name, version 0.
    for role in ["reception", "worker", "supervisor", "admin", "dpo"] {
        let read = app.get(PROFILE, &app.token(role, "someone")).await;
        assert_eq!(read.status(), 200, "{role}");
        assert_eq!(header(&read, "etag"), "\"0\"");
        let body: Value = read.json().await.unwrap();
        assert_eq!(body["name"], "CCAS d'Acme");
        assert_eq!(body["version"], 0);
        assert_eq!(body["logo"], Value::Null);
    }
    let partner = app.partner("Mission locale", None).await;
    assert_problem(app.get(PROFILE, &partner.token).await, 403, "forbidden").await;
    for role in ["worker", "supervisor", "dpo", "reception"] {
        let put = app
            .put(PROFILE, &app.token(role, "x"), Some("\"0\""), &profile())
            .await;
        assert_problem(put, 403, "forbidden").await;
    }
    // Written once at "0", then only at its current version.
    let missing = app.put(PROFILE, &admin, None, &profile()).await;
    assert_eq!(missing.status(), 428);
    let written = app.put(PROFILE, &admin, Some("\"0\""), &profile()).await;
    assert_eq!(written.status(), 200);
    assert_eq!(header(&written, "etag"), "\"1\"");
    let body: Value = written.json().await.unwrap();
    assert_conforms("ProfileView", &body);
    assert_eq!(body["name"], "CCAS de Villeurbanne");
    assert_eq!(
        body["address_lines"],
        json!(["Hôtel de ville", "Place Lazare-Goujon"])
    );
    assert_eq!(body["updated_by"], app.agent_id(&admin).await.to_string());
    let stale = app.put(PROFILE, &admin, Some("\"0\""), &profile()).await;
    assert_problem(stale, 412, "version_mismatch").await;
    // Optional fields left out are absent afterwards.
    let shorter = app
        .put(
            PROFILE,
            &admin,
            Some("\"1\""),
            &json!({"name": "  CCAS de Villeurbanne  "}),
        )
        .await;
    assert_eq!(shorter.status(), 200);
    let body: Value = shorter.json().await.unwrap();
    assert_eq!(body["name"], "CCAS de Villeurbanne");
    assert_eq!(body["address_lines"], json!([]));
    assert_eq!(body["phone"], Value::Null);
    assert_eq!(body["version"], 2);
    // Another organisation keeps its own.
    let other = app.token_for("other", &["worker"], "olga");
    assert_eq!(
        app.get_json(PROFILE, &other).await["name"],
        "Association Autre"
    );
    assert_eq!(audited(&app).await, ["update", "update"]);
}

#[tokio::test]
async fn each_fault_of_the_profile_is_reported_at_its_field() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", "adele");
    let put = |body: Value| {
        let app = &app;
        let admin = admin.clone();
        async move { app.put(PROFILE, &admin, Some("*"), &body).await }
    };
    let response = put(json!({
        "name": "   ",
        "address_lines": ["Hôtel de ville", " ", "x".repeat(121)],
        "postcode": "",
        "city": "  ",
        "phone": "zéro quatre",
        "email": "not-an-address",
        "website": "ftp://acme.example"
    }))
    .await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    let codes = field_codes(&problem);
    for expected in [
        pair("/name", "blank"),
        pair("/address_lines/1", "blank"),
        pair("/address_lines/2", "length"),
        pair("/postcode", "blank"),
        pair("/city", "blank"),
        pair("/phone", "invalid_phone"),
        pair("/email", "email"),
        pair("/website", "invalid_url"),
    ] {
        assert!(codes.contains(&expected), "{expected:?} not in {codes:?}");
    }
    let broken = put(json!({"name": "CCAS", "address_lines": ["12 rue\nde la Paix"]})).await;
    assert_eq!(
        field_codes(&broken.json::<Value>().await.unwrap()),
        [pair("/address_lines/0", "invalid_character")]
    );
    let four = put(json!({"name": "CCAS", "address_lines": ["a", "b", "c", "d"]})).await;
    assert_eq!(
        field_codes(&four.json::<Value>().await.unwrap()),
        [pair("/address_lines", "length")]
    );
    let unknown = put(json!({"name": "CCAS", "fax": "04"})).await;
    assert_problem(unknown, 400, "unknown_field").await;
    let no_name = put(json!({"city": "Lyon"})).await;
    assert_eq!(no_name.status(), 422);
    // Nothing was written.
    assert_eq!(app.get_json(PROFILE, &admin).await["version"], 0);
    assert!(audited(&app).await.is_empty());
}

#[tokio::test]
async fn a_logo_is_a_png_or_jpeg_that_decodes_and_can_be_replaced_and_removed() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", "adele");
    let worker = app.token("worker", "alice");
    assert_problem(app.get(LOGO, &worker).await, 404, "not_found").await;

    let image = png(300, 100);
    let stored = upload(&app, &admin, "image/png", image.clone()).await;
    assert_eq!(stored.status(), 200);
    let stored: Value = stored.json().await.unwrap();
    assert_conforms("LogoView", &stored);
    assert_eq!(stored["media_type"], "image/png");
    assert_eq!(
        (stored["width"].clone(), stored["height"].clone()),
        (json!(300), json!(100))
    );
    let read = app.get(LOGO, &worker).await;
    assert_eq!(read.status(), 200);
    assert_eq!(header(&read, "content-type"), "image/png");
    assert_eq!(
        header(&read, "etag"),
        format!("\"{}\"", stored["sha256"].as_str().unwrap())
    );
    assert_eq!(read.bytes().await.unwrap().as_ref(), image.as_slice());
    assert_eq!(app.get_json(PROFILE, &worker).await["logo"]["width"], 300);

    // A greyscale JPEG replaces it.
    let grey = jpeg(64, 32, jpeg_encoder::ColorType::Luma);
    let replaced = upload(&app, &admin, "image/jpeg", grey.clone()).await;
    assert_eq!(replaced.status(), 200);
    let read = app.get(LOGO, &worker).await;
    assert_eq!(header(&read, "content-type"), "image/jpeg");
    assert_eq!(read.bytes().await.unwrap().as_ref(), grey.as_slice());

    // The other organisation sees none.
    let other = app.token_for("other", &["worker"], "olga");
    assert_problem(app.get(LOGO, &other).await, 404, "not_found").await;

    // Only administrators change it.
    assert_problem(
        upload(&app, &worker, "image/png", png(10, 10)).await,
        403,
        "forbidden",
    )
    .await;
    let removed = app
        .request(Method::DELETE, LOGO, &worker)
        .send()
        .await
        .unwrap();
    assert_problem(removed, 403, "forbidden").await;
    let removed = app
        .request(Method::DELETE, LOGO, &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    assert_problem(app.get(LOGO, &worker).await, 404, "not_found").await;
    let again = app
        .request(Method::DELETE, LOGO, &admin)
        .send()
        .await
        .unwrap();
    assert_problem(again, 404, "not_found").await;
    assert_eq!(audited(&app).await, ["update", "update", "delete"]);
}

#[tokio::test]
async fn a_logo_that_is_not_a_usable_image_is_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", "adele");
    let refused = |response: Response, code: &'static str| async move {
        assert_eq!(response.status(), 422, "{code}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(field_codes(&problem), [pair("", code)], "{problem}");
    };
    assert_problem(
        upload(&app, &admin, "text/plain", png(10, 10)).await,
        415,
        "unsupported_media_type",
    )
    .await;
    assert_problem(
        upload(&app, &admin, "application/json", b"{}".to_vec()).await,
        415,
        "unsupported_media_type",
    )
    .await;
    refused(
        upload(&app, &admin, "image/png", b"%PDF-1.7 a document".to_vec()).await,
        "unsupported_type",
    )
    .await;
    refused(
        upload(&app, &admin, "image/jpeg", png(10, 10)).await,
        "media_type_mismatch",
    )
    .await;
    let mut truncated = png(60, 60);
    truncated.truncate(truncated.len() / 2);
    refused(
        upload(&app, &admin, "image/png", truncated).await,
        "unreadable_image",
    )
    .await;
    let mut cut = jpeg(64, 64, jpeg_encoder::ColorType::Rgb);
    cut.truncate(cut.len() * 2 / 3);
    refused(
        upload(&app, &admin, "image/jpeg", cut).await,
        "unreadable_image",
    )
    .await;
    refused(
        upload(&app, &admin, "image/png", png(4100, 2)).await,
        "image_too_large",
    )
    .await;
    refused(
        upload(
            &app,
            &admin,
            "image/jpeg",
            jpeg(16, 16, jpeg_encoder::ColorType::Cmyk),
        )
        .await,
        "unsupported_color_space",
    )
    .await;
    let big = vec![0_u8; 512 * 1024 + 1];
    assert_problem(
        upload(&app, &admin, "image/png", big).await,
        413,
        "payload_too_large",
    )
    .await;
    assert_eq!(app.get_json(PROFILE, &admin).await["logo"], Value::Null);
    assert!(audited(&app).await.is_empty());
}

#[tokio::test]
async fn the_letterhead_is_printed_on_the_liaison_sheet_with_its_logo() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    // Before any profile: the registered name alone, no image.
    let case = app.create_case(&alice).await;
    let case_id = case["id"].as_str().unwrap();
    let liaison = app
        .post(
            &format!("/v1/cases/{case_id}/liaisons"),
            &alice,
            &json!({"destination": {"name": "CAF du Rhône", "contact": "accueil@caf.example"},
                    "purpose": "Ouverture des droits", "legal_basis": "shared_secrecy",
                    "content": ["reason"]}),
        )
        .await;
    assert_eq!(liaison.status(), 201, "{}", liaison.text().await.unwrap());
    let liaison: Value = liaison.json().await.unwrap();
    let path = format!(
        "/v1/cases/{case_id}/liaisons/{}/document",
        liaison["id"].as_str().unwrap()
    );
    let pdf = |app: &TestApp| {
        let request = app
            .request(Method::GET, &path, &alice)
            .header("Accept", "application/pdf");
        async move { request.send().await.unwrap().bytes().await.unwrap() }
    };
    let before = pdf(&app).await;
    assert!(pdf_text(&before).contains("CCAS d'Acme"));
    assert!(pdf_images(&before).is_empty());

    letterhead::install(&app).await;
    letterhead::assert_in_pdf(&pdf(&app).await);
    let page = app.get(&path, &alice).await.text().await.unwrap();
    letterhead::assert_in_html(&page);
}
