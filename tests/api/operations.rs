//! Operations and discovery endpoints: reference code lists, Prometheus metrics, the OpenAPI
//! document and Swagger UI.

use relais_tests::TestApp;
use serde_json::Value;
use uuid::Uuid;

#[tokio::test]
async fn the_reference_lists_case_statuses_in_french_and_english() {
    let app = TestApp::spawn().await;
    let response = app.get("/v1/reference", &app.token("dpo", "dora")).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let lists = body["lists"].as_array().unwrap();
    let statuses = lists
        .iter()
        .find(|l| l["name"] == "case_status")
        .expect("case_status is listed");
    let codes: Vec<&str> = statuses["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    for code in ["intake", "assessment", "planning", "active", "closed"] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    let intake = &statuses["codes"][0];
    assert_eq!(intake["code"], "intake");
    assert_eq!(intake["en"], "Intake");
    assert!(intake["fr"].as_str().unwrap().contains("recueil"));
    for list in lists {
        for code in list["codes"].as_array().unwrap() {
            assert!(!code["fr"].as_str().unwrap().is_empty(), "{code}");
            assert!(!code["en"].as_str().unwrap().is_empty(), "{code}");
        }
    }
    for name in ["consent_scope", "consent_channel", "marital_status", "role"] {
        assert!(lists.iter().any(|l| l["name"] == name), "{name} is listed");
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_and_status() {
    let app = TestApp::spawn().await;
    let token = app.token("worker", "alice");
    assert_eq!(app.get("/v1/me", &token).await.status(), 200);
    assert_eq!(app.get("/v1/me", &token).await.status(), 200);
    // Two ids of one route (the second labelled from the shape the first one left), and two
    // paths of no route.
    let missing = format!("/v1/persons/{}", Uuid::now_v7());
    assert_eq!(app.get(&missing, &token).await.status(), 404);
    let other = format!("/v1/persons/{}", Uuid::now_v7());
    assert_eq!(app.get(&other, &token).await.status(), 404);
    for _ in 0..2 {
        let nowhere = format!("/v1/nowhere/{}", Uuid::now_v7());
        assert_eq!(app.get(&nowhere, &token).await.status(), 404);
    }

    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = response.text().await.unwrap();
    let line = |route: &str, status: &str| {
        text.lines()
            .find(|l| {
                l.starts_with("relais_http_requests_total{")
                    && l.contains(&format!("route=\"{route}\""))
                    && l.contains(&format!("status=\"{status}\""))
                    && l.contains("method=\"GET\"")
            })
            .map(str::to_owned)
    };
    let me = line("/v1/me", "200").unwrap_or_else(|| panic!("/v1/me counted:\n{text}"));
    assert!(me.ends_with(" 2"), "{me}");
    let person = line("/v1/persons/{id}", "404")
        .unwrap_or_else(|| panic!("the route pattern, not the id:\n{text}"));
    assert!(person.ends_with(" 2"), "{person}");
    let nowhere = line("unmatched", "404").unwrap_or_else(|| panic!("unmatched:\n{text}"));
    assert!(nowhere.ends_with(" 2"), "{nowhere}");
    assert!(!text.contains(&missing), "ids never become labels");
    assert!(text.contains("relais_http_request_duration_seconds_bucket{"));
    assert!(text.contains("relais_db_pool_connections{state=\"idle\"}"));
    assert!(text.contains("relais_db_pool_connections{state=\"in_use\"}"));
    // The requests above began transactions: their count and their waits are there.
    let value = |name: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} in:\n{text}"))
    };
    assert!(value("relais_db_transactions_begun_total") >= 4.0);
    assert!(value("relais_db_begin_wait_seconds_total") > 0.0);
    assert_eq!(value("relais_db_pool_timeouts_total"), 0.0);
}

#[tokio::test]
async fn the_docs_serve_swagger_ui() {
    let app = TestApp::spawn().await;
    let response = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = response.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("cdn") && !html.contains("unpkg"),
        "served from the binary"
    );
    let script = app
        .client
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200, "assets come from the binary");
}

#[tokio::test]
async fn the_openapi_document_is_3_1_with_a_bearer_scheme() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["type"], "http");
    assert_eq!(bearer["scheme"], "bearer");
    assert_eq!(bearer["bearerFormat"], "JWT");
    // The served document is the one `relais openapi` prints (and `openapi/` holds).
    assert_eq!(doc, serde_json::to_value(relais_api::openapi()).unwrap());
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/v1/persons",
        "/v1/persons/{id}",
        "/v1/persons/{id}/consents",
        "/v1/persons/{id}/consents/{cid}/withdrawal",
        "/v1/me",
        "/v1/reference",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    assert!(doc["paths"]["/v1/persons"]["get"]["security"].is_array());
    assert!(doc["components"]["schemas"]["Problem"].is_object());
}

#[tokio::test]
async fn a_workers_pool_counts_in_the_usage_and_closes_with_the_first() {
    let app = TestApp::spawn().await;
    let first = relais_store::Db::connect_lazy(app.db_options.clone(), &relais_tests::test_pool());
    let worker = first.for_worker(2);
    assert_eq!(first.pool_usage(), (0, 0), "lazy: nothing opened yet");
    let held = worker.pool().acquire().await.unwrap();
    assert_eq!(
        first.pool_usage(),
        (1, 0),
        "the worker's connection is counted by the first pool"
    );
    assert_eq!(
        worker.pool_usage(),
        first.pool_usage(),
        "one family, one count"
    );
    drop(held);
    // Returning a connection to the pool is asynchronous.
    for _ in 0..50 {
        if first.pool_usage() == (0, 1) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(first.pool_usage(), (0, 1));
    first.close().await;
    assert!(
        worker.pool().is_closed(),
        "closing the first closes the workers' pools"
    );
    assert!(first.pool().is_closed());
}

#[tokio::test]
async fn a_path_no_route_serves_within_a_group_is_the_same_not_found_as_elsewhere() {
    let app = TestApp::spawn().await;
    let token = app.token("worker", "alice");
    let case = app.create_case(&token).await;
    let id = case["id"].as_str().unwrap();
    for path in [
        format!("/v1/cases/{id}/nowhere"),
        "/v1/cases/".to_owned(),
        "/v1/persons/a/b/c/d".to_owned(),
        "/v1/nowhere".to_owned(),
    ] {
        let doc =
            relais_tests::assert_problem(app.get(&path, &token).await, 404, "not_found").await;
        assert_eq!(doc["status"], 404, "{path}");
    }
    // A method no route of the group serves is refused the same way as elsewhere.
    let response = app
        .request(reqwest::Method::DELETE, "/v1/cases", &token)
        .send()
        .await
        .unwrap();
    let other = app
        .request(reqwest::Method::DELETE, "/v1/agenda", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), other.status());
    assert!(response.status().is_client_error());
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}
