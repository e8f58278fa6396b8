//! The HTTP conventions integrators expect of every route (API.md, "For integrators"): `405`
//! with `Allow`, `HEAD`, unknown query parameters refused, `304` on `If-None-Match`,
//! `Cache-Control: no-store`, compression and CORS.

use std::io::Read;

use relais_tests::{TestApp, assert_problem, field_codes, header, pair, test_settings};
use reqwest::Method;
use serde_json::Value;

#[tokio::test]
async fn a_method_a_path_does_not_serve_is_a_405_naming_those_it_does() {
    let app = TestApp::spawn().await;
    let token = app.token("worker", "alice");
    let case = app.create_case(&token).await;
    let id = case["id"].as_str().unwrap();
    let response = app
        .request(Method::PUT, &format!("/v1/cases/{id}"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&response, "allow"), "GET, HEAD, PATCH");
    assert_eq!(header(&response, "cache-control"), "no-store");
    let doc = assert_problem(response, 405, "method_not_allowed").await;
    assert!(
        doc["detail"].as_str().unwrap().contains("GET, HEAD, PATCH"),
        "{doc}"
    );

    // A path serving only POST; and the literal `import` is not a scheme's id.
    let response = app
        .request(Method::GET, "/v1/schemes/import", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&response, "allow"), "POST");
    assert_problem(response, 405, "method_not_allowed").await;

    // Refused before anything is read or written, even without a token.
    let response = app
        .client
        .delete(app.url("/v1/persons"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&response, "allow"), "GET, HEAD, POST");
    assert_problem(response, 405, "method_not_allowed").await;
    // A path the document does not have stays a 404, whatever the method.
    let response = app
        .request(Method::DELETE, "/v1/nowhere", &token)
        .send()
        .await
        .unwrap();
    assert_problem(response, 404, "not_found").await;
}

#[tokio::test]
async fn head_answers_the_headers_of_the_get_without_its_body() {
    let app = TestApp::spawn().await;
    let token = app.token("worker", "alice");
    let case = app.create_case(&token).await;
    let path = format!("/v1/cases/{}", case["id"].as_str().unwrap());
    let get = app.get(&path, &token).await;
    let head = app
        .request(Method::HEAD, &path, &token)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    for name in ["etag", "content-type", "cache-control"] {
        assert_eq!(header(&head, name), header(&get, name), "{name}");
    }
    assert!(head.bytes().await.unwrap().is_empty());

    // A HEAD is held to what its GET is: no token, no answer.
    let anonymous = app.client.head(app.url(&path)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    // And the document itself, outside `/v1`.
    let document = app
        .client
        .head(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(document.status(), 200);
    assert!(document.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unknown_query_parameter_is_a_400_pointing_at_it() {
    let app = TestApp::spawn().await;
    let token = app.token("worker", "alice");
    app.create_person(
        &token,
        serde_json::json!({"first_name": "Awa", "last_name": "Diallo"}),
    )
    .await;
    // `name` is not a filter of the person list: answering everyone would be a leak.
    let response = app.get("/v1/persons?limit=5&name=Durand", &token).await;
    assert_eq!(header(&response, "cache-control"), "no-store");
    let doc = assert_problem(response, 400, "invalid_parameter").await;
    assert_eq!(field_codes(&doc), vec![pair("/name", "unknown_parameter")]);
    assert_eq!(doc["errors"][0]["in"], "query", "{doc}");
    assert!(
        doc["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("limit"),
        "the known parameters are named: {doc}"
    );
    // Percent-encoded names are read as decoded.
    let response = app.get("/v1/persons?na%6De=x", &token).await;
    let doc = assert_problem(response, 400, "invalid_parameter").await;
    assert_eq!(field_codes(&doc), vec![pair("/name", "unknown_parameter")]);
    // A declared one passes.
    let listed = app.get("/v1/persons?limit=5", &token).await;
    assert_eq!(listed.status(), 200);
    // An operation without query parameters takes none.
    let case = app.create_case(&token).await;
    let path = format!("/v1/cases/{}/plan?x=1", case["id"].as_str().unwrap());
    let doc = assert_problem(app.get(&path, &token).await, 400, "invalid_parameter").await;
    assert_eq!(field_codes(&doc), vec![pair("/x", "unknown_parameter")]);
}

#[tokio::test]
async fn if_none_match_with_the_current_etag_is_a_304_and_a_stale_one_the_new_version() {
    let app = TestApp::spawn().await;
    let token = app.token("worker", "alice");
    let case = app.create_case(&token).await;
    let path = format!("/v1/cases/{}", case["id"].as_str().unwrap());
    let first = app.get(&path, &token).await;
    let etag = header(&first, "etag");

    let cached = app
        .request(Method::GET, &path, &token)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);
    assert_eq!(header(&cached, "etag"), etag);
    assert_eq!(header(&cached, "cache-control"), "no-store");
    assert!(cached.bytes().await.unwrap().is_empty());
    // Weak comparison, and a list.
    let weak = app
        .request(Method::GET, &path, &token)
        .header("If-None-Match", format!("\"0\", W/{etag}"))
        .send()
        .await
        .unwrap();
    assert_eq!(weak.status(), 304);

    // Once the case changes, the same tag gets the new representation.
    let changed = app
        .patch(
            &path,
            &token,
            1,
            &serde_json::json!({"target_end_on": relais_tests::in_days(90)}),
        )
        .await;
    assert_eq!(changed.status(), 200);
    let fresh = app
        .request(Method::GET, &path, &token)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 200);
    assert_ne!(header(&fresh, "etag"), etag);
    let body: Value = fresh.json().await.unwrap();
    assert_eq!(body["version"], 2);
}

#[tokio::test]
async fn answers_under_v1_are_not_stored_and_the_public_ones_may_be() {
    let app = TestApp::spawn().await;
    let token = app.token("worker", "alice");
    let case = app.create_case(&token).await;
    let id = case["id"].as_str().unwrap();
    for path in [
        format!("/v1/cases/{id}"),
        format!("/v1/cases/{id}/timeline"),
        "/v1/persons".to_owned(),
        "/v1/me".to_owned(),
        "/v1/nowhere".to_owned(),
    ] {
        let response = app.get(&path, &token).await;
        assert_eq!(header(&response, "cache-control"), "no-store", "{path}");
    }
    // Refusals too: they say who may see what.
    let anonymous = app.client.get(app.url("/v1/persons")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(header(&anonymous, "cache-control"), "no-store");
    // The document holds no personal data.
    let document = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert!(
        document
            .headers()
            .get("cache-control")
            .is_none_or(|v| v != "no-store")
    );
}

#[tokio::test]
async fn answers_are_compressed_with_gzip_or_brotli_when_asked() {
    let app = TestApp::spawn().await;
    let plain = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let document = plain.bytes().await.unwrap();

    let gzip = app
        .client
        .get(app.url("/openapi.json"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&gzip, "content-encoding"), "gzip");
    let compressed = gzip.bytes().await.unwrap();
    assert!(
        compressed.len() * 4 < document.len(),
        "{} of {}",
        compressed.len(),
        document.len()
    );
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(decoded, document);

    let brotli = app
        .client
        .get(app.url("/openapi.json"))
        .header("Accept-Encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&brotli, "content-encoding"), "br");
    let compressed = brotli.bytes().await.unwrap();
    let mut decoded = Vec::new();
    brotli_decompressor::Decompressor::new(&compressed[..], 4096)
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(decoded, document);

    // Personal data as well, and problem documents keep their content type.
    let token = app.token("worker", "alice");
    let refused = app
        .request(Method::GET, "/v1/persons?nope=1", &token)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert_eq!(header(&refused, "content-type"), "application/problem+json");
}

const FRONT: &str = "https://intranet.acme.example";

async fn spawn_with_cors() -> TestApp {
    let mut settings = test_settings();
    settings.cors_origins = vec![FRONT.to_owned()];
    TestApp::spawn_with(settings).await
}

#[tokio::test]
async fn a_configured_front_end_origin_passes_the_preflight_and_reads_the_headers() {
    let app = spawn_with_cors().await;
    let token = app.token("worker", "alice");
    let preflight = app
        .client
        .request(Method::OPTIONS, app.url("/v1/persons"))
        .header("Origin", FRONT)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type, idempotency-key",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(header(&preflight, "access-control-allow-origin"), FRONT);
    assert!(header(&preflight, "access-control-allow-methods").contains("POST"));
    let allowed = header(&preflight, "access-control-allow-headers").to_lowercase();
    for name in ["authorization", "content-type", "idempotency-key"] {
        assert!(allowed.contains(name), "{name} in {allowed}");
    }

    let created = app
        .client
        .post(app.url("/v1/persons"))
        .bearer_auth(&token)
        .header("Origin", FRONT)
        .json(&serde_json::json!({"first_name": "Awa", "last_name": "Diallo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(header(&created, "access-control-allow-origin"), FRONT);
    let exposed = header(&created, "access-control-expose-headers").to_lowercase();
    for name in [
        "etag",
        "location",
        "x-request-id",
        "ratelimit-remaining",
        "retry-after",
    ] {
        assert!(exposed.contains(name), "{name} in {exposed}");
    }
    assert!(header(&created, "vary").to_lowercase().contains("origin"));

    // Another origin is not let in.
    let foreign = app
        .client
        .request(Method::OPTIONS, app.url("/v1/persons"))
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert!(
        foreign
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    // A server-to-server client sends no Origin and is served as before.
    assert_eq!(app.get("/v1/persons", &token).await.status(), 200);
}

#[tokio::test]
async fn without_configured_origins_no_cross_origin_access_is_granted() {
    let app = TestApp::spawn().await;
    let token = app.token("worker", "alice");
    let preflight = app
        .client
        .request(Method::OPTIONS, app.url("/v1/persons"))
        .header("Origin", FRONT)
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    assert_eq!(preflight.status(), 405);
    let read = app
        .request(Method::GET, "/v1/persons", &token)
        .header("Origin", FRONT)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    assert!(read.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn a_coded_list_takes_spaces_around_its_entries_and_nothing_else_the_pattern_refuses() {
    let app = TestApp::spawn().await;
    let token = app.token("supervisor", "sam");
    for accepted in ["intake", " intake , closed ,", "", ",,"] {
        let path = format!("/v1/cases?status={}", accepted.replace(' ', "%20"));
        assert_eq!(app.get(&path, &token).await.status(), 200, "{accepted:?}");
    }
    for refused in ["intake%09", "Intake", "intake;closed", "intake%C2%A0"] {
        let response = app
            .get(&format!("/v1/cases?status={refused}"), &token)
            .await;
        let doc = assert_problem(response, 400, "invalid_parameter").await;
        assert_eq!(field_codes(&doc)[0].0, "/status", "{refused}");
    }
    // The document says the same.
    let doc = serde_json::to_value(relais_api::openapi()).unwrap();
    let status = doc["paths"]["/v1/cases"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "status")
        .unwrap()
        .clone();
    let pattern = status["schema"]["pattern"].as_str().unwrap();
    assert!(pattern.starts_with("^ *(intake|assessment|"), "{pattern}");
}

#[tokio::test]
async fn a_reason_to_read_a_case_is_checked_whenever_it_is_given() {
    let app = TestApp::spawn().await;
    let token = app.token("worker", "alice");
    let case = app.create_case(&token).await;
    let path = format!("/v1/cases/{}", case["id"].as_str().unwrap());
    let ok = app
        .get(&format!("{path}?reason=Relecture%20du%20dossier"), &token)
        .await;
    assert_eq!(ok.status(), 200);
    // Too short, blank or too long: refused even for a case that needs none, so that the
    // audit log never records what the document does not allow.
    let long = "x".repeat(501);
    for reason in ["abc", "%20%20%20%20%20%20", long.as_str()] {
        let response = app.get(&format!("{path}?reason={reason}"), &token).await;
        let doc = assert_problem(response, 400, "invalid_parameter").await;
        assert_eq!(field_codes(&doc)[0].0, "/reason", "{reason}");
    }
    let exactly = "x".repeat(500);
    assert_eq!(
        app.get(&format!("{path}?reason={exactly}"), &token)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn an_empty_filter_is_refused_rather_than_read_as_no_filter() {
    let app = TestApp::spawn().await;
    let sam = app.token("supervisor", "sam");
    let case = app.create_case(&sam).await;
    let id = case["id"].as_str().unwrap();
    for path in [
        format!("/v1/cases/{id}/contacts?kind="),
        format!("/v1/cases/{id}/plan/items?party="),
        format!("/v1/cases/{id}/applications?status="),
        "/v1/stats/caseload?referent=".to_owned(),
        "/v1/cases?referent=".to_owned(),
    ] {
        let doc = assert_problem(app.get(&path, &sam).await, 400, "invalid_parameter").await;
        let name = path.rsplit('?').next().unwrap().trim_end_matches('=');
        assert_eq!(field_codes(&doc)[0].0, format!("/{name}"), "{path}");
    }
    // Left out, the same filters do not filter.
    for path in [
        format!("/v1/cases/{id}/contacts"),
        "/v1/stats/caseload".to_owned(),
    ] {
        assert_eq!(app.get(&path, &sam).await.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn if_match_is_a_star_or_one_entity_tag_and_anything_else_a_400() {
    let app = TestApp::spawn().await;
    let token = app.token("worker", "alice");
    let path = new_person(&app, &token).await;
    let patch = |if_match: &'static str| {
        app.request(Method::PATCH, &path, &token)
            .header("If-Match", if_match)
            .json(&serde_json::json!({"phone": "06 12 34 56 78"}))
            .send()
    };
    for malformed in ["1", "", "\"1\", \"2\"", "W/1"] {
        let doc = assert_problem(patch(malformed).await.unwrap(), 400, "invalid_if_match").await;
        assert_eq!(
            field_codes(&doc),
            [pair("/if-match", "invalid")],
            "{malformed:?}"
        );
    }
    // Well formed but never issued, or stale: 412; the current one, weak or strong: 200.
    assert_problem(patch("\"abc\"").await.unwrap(), 412, "version_mismatch").await;
    assert_problem(patch("\"7\"").await.unwrap(), 412, "version_mismatch").await;
    assert_eq!(patch("W/\"1\"").await.unwrap().status(), 200);
    assert_eq!(patch("*").await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_whole_number_written_as_a_float_is_read_as_an_integer() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", "adele");
    let scheme = serde_json::json!({
        "name": "Aide au permis", "domain": "mobility", "provider": "Département",
        "usual_processing_days": 30.0,
        "criteria": [{"kind": "age", "min": 18.0, "max": 25}],
        "required_documents": []
    });
    let response = app.post("/v1/schemes", &admin, &scheme).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["usual_processing_days"], 30);
    assert_eq!(created["criteria"][0]["min"], 18);
    // A fraction is still refused where an integer goes, at its pointer.
    let mut fraction = scheme.clone();
    fraction["usual_processing_days"] = serde_json::json!(30.5);
    let doc = assert_problem(
        app.post("/v1/schemes", &admin, &fraction).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(field_codes(&doc)[0].0, "/usual_processing_days");
}

#[tokio::test]
async fn a_reason_to_read_a_person_is_checked_even_without_a_reveal() {
    let app = TestApp::spawn().await;
    let token = app.token("worker", "alice");
    let path = new_person(&app, &token).await;
    for reason in ["abc", "%20%20%20%20%20%20"] {
        let doc = assert_problem(
            app.get(&format!("{path}?reason={reason}"), &token).await,
            400,
            "invalid_parameter",
        )
        .await;
        assert_eq!(field_codes(&doc)[0].0, "/reason", "{reason}");
    }
    let ok = app
        .get(&format!("{path}?reason=Relecture%20du%20dossier"), &token)
        .await;
    assert_eq!(ok.status(), 200);
    // `reveal=nir` needs one.
    let doc = assert_problem(
        app.get(&format!("{path}?reveal=nir"), &token).await,
        400,
        "reason_required",
    )
    .await;
    assert_eq!(field_codes(&doc), [pair("/reason", "reason_required")]);
}

/// The path of a new person created as `token`.
async fn new_person(app: &TestApp, token: &str) -> String {
    let person = app
        .create_person(
            token,
            serde_json::json!({"first_name": "Léa", "last_name": "Roux"}),
        )
        .await;
    format!("/v1/persons/{}", person["id"].as_str().unwrap())
}
