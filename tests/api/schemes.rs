//! The scheme catalogue over HTTP: administrators create, read (ETag) and change (If-Match)
//! schemes; bad criteria and documents are refused with pointers; every agent reads, nobody
//! else writes; another organisation's schemes do not exist; the catalogue moves as JSON
//! (export → import into another organisation gives the same catalogue) and the starter
//! catalogue of `data/schemes/` imports cleanly.

mod matches;
mod situations;

use std::collections::BTreeSet;

use relais_tests::{TestApp, assert_problem, field_codes, pair, problem};
use reqwest::{Method, Response};
use serde_json::{Value, json};

const STARTER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../data/schemes/starter-catalogue.json"
);

fn starter() -> Value {
    serde_json::from_str(&std::fs::read_to_string(STARTER).unwrap()).unwrap()
}

fn rsa() -> Value {
    json!({
        "name": "Revenu de solidarité active (barème d'essai)",
        "domain": "finances",
        "provider": "Conseil départemental",
        "criteria": [
            {"kind": "age", "min": 25, "max": null},
            {"kind": "resources_ceiling", "basis": "total",
             "max_cents_by_household_size": [64652, 96978, 116374], "additional_member_cents": 25861}
        ],
        "required_documents": [
            {"code": "identity_document", "label": "Pièce d'identité", "provider": "person"},
            {"code": "employer_certificate", "label": "Attestation employeur", "provider": "worker"}
        ],
        "usual_processing_days": 30,
        "source_url": "https://www.service-public.gouv.fr/particuliers/vosdroits/F19778",
        "figures_read_on": "2026-11-01"
    })
}

fn etag(response: &Response) -> String {
    response.headers()["etag"].to_str().unwrap().to_owned()
}

async fn expect(response: Response, status: u16) -> Value {
    let got = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    body
}

/// The (pointer, code) pairs of a 422.
async fn refused(response: Response) -> Vec<(String, String)> {
    assert_eq!(response.status(), 422);
    let p = problem(response).await;
    assert_eq!(p["code"], "validation_failed", "{p}");
    field_codes(&p)
}

/// The catalogue in a comparable form: each exported scheme, by name.
fn by_name(export: &Value) -> Vec<Value> {
    let mut schemes = export["schemes"].as_array().unwrap().clone();
    schemes.sort_by_key(|s| s["name"].as_str().unwrap().to_owned());
    schemes
}

#[tokio::test]
async fn an_admin_creates_reads_and_changes_a_scheme_with_etags() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", "adele");
    let response = app.post("/v1/schemes", &admin, &rsa()).await;
    assert_eq!(response.status(), 201);
    assert_eq!(etag(&response), "\"1\"");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    assert_eq!(location, format!("/v1/schemes/{id}"));
    assert_eq!(created["active"], true, "active by default");
    assert_eq!(
        created["criteria"][0],
        json!({"kind": "age", "min": 25, "max": null})
    );
    assert_eq!(created["required_documents"][1]["provider"], "worker");
    assert_eq!(created["figures_read_on"], "2026-11-01");

    let worker = app.token("worker", "wanda");
    let read = app.get(&location, &worker).await;
    assert_eq!(etag(&read), "\"1\"");
    assert_eq!(expect(read, 200).await, created);

    let patch = json!({"active": false, "usual_processing_days": null, "notes": "Plafonds 2025"});
    let changed = expect(app.patch(&location, &admin, 1, &patch).await, 200).await;
    assert_eq!(changed["version"], 2);
    assert_eq!(changed["active"], false);
    assert_eq!(changed["usual_processing_days"], Value::Null);
    assert_eq!(
        changed["criteria"], created["criteria"],
        "absent fields are kept"
    );

    // Stale and missing preconditions.
    let stale = app
        .patch(&location, &admin, 1, &json!({"active": true}))
        .await;
    assert_eq!(problem(stale).await["code"], "version_mismatch");
    let bare = app
        .request(Method::PATCH, &location, &admin)
        .json(&json!({"active": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 428);

    let inactive = expect(app.get("/v1/schemes?active=false", &worker).await, 200).await;
    assert_eq!(inactive["items"].as_array().unwrap().len(), 1);
    let active = expect(app.get("/v1/schemes?active=true", &worker).await, 200).await;
    assert_eq!(active["items"], json!([]));
}

#[tokio::test]
async fn the_list_pages_and_filters_by_domain() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", "adele");
    for (name, domain) in [("A", "finances"), ("B", "housing"), ("C", "finances")] {
        let body = json!({"name": name, "domain": domain, "provider": "CAF"});
        expect(app.post("/v1/schemes", &admin, &body).await, 201).await;
    }
    let reception = app.token("reception", "rita");
    let first = expect(app.get("/v1/schemes?limit=2", &reception).await, 200).await;
    let names: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["A", "B"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = expect(
        app.get(&format!("/v1/schemes?limit=2&cursor={cursor}"), &reception)
            .await,
        200,
    )
    .await;
    assert_eq!(second["items"][0]["name"], "C");
    assert_eq!(second["next_cursor"], Value::Null);
    let finances = expect(
        app.get("/v1/schemes?domain=finances", &reception).await,
        200,
    )
    .await;
    assert_eq!(finances["items"].as_array().unwrap().len(), 2);
    let bad = app.get("/v1/schemes?domain=money", &reception).await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn bad_criteria_and_documents_are_refused_with_pointers() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", "adele");
    let mut body = rsa();
    body["criteria"] = json!([
        {"kind": "age", "min": 30, "max": 20},
        {"kind": "resources_ceiling", "basis": "total", "max_cents": -5},
        {"kind": "housing", "any_of": ["castle"]},
        {"kind": "postcode_prefix", "prefixes": ["6A"]},
        {"kind": "salary", "max": 3}
    ]);
    body["required_documents"] = json!([
        {"code": "Pièce", "label": "x", "provider": "person"},
        {"code": "rib", "label": "RIB", "provider": "bank"}
    ]);
    body["source_url"] = json!("ftp://example.org/file");
    body["name"] = json!("   ");
    assert_eq!(
        refused(app.post("/v1/schemes", &admin, &body).await).await,
        [
            pair("/name", "blank"),
            pair("/source_url", "invalid_url"),
            pair("/criteria/0/min", "min_above_max"),
            pair("/criteria/1/max_cents", "out_of_range"),
            pair("/criteria/2/any_of/0", "unknown_code"),
            pair("/criteria/3/prefixes/0", "invalid_format"),
            pair("/criteria/4/kind", "unknown_code"),
            pair("/required_documents/0/code", "invalid_format"),
            pair("/required_documents/1/provider", "unknown_code"),
        ]
    );
    // The stored (trimmed) address must still have a host: never a database error.
    let mut bare = rsa();
    bare["source_url"] = json!(" http://");
    assert_eq!(
        refused(app.post("/v1/schemes", &admin, &bare).await).await,
        [pair("/source_url", "invalid_url")]
    );
    let mut future = rsa();
    future["figures_read_on"] = json!("2999-01-01");
    assert_eq!(
        refused(app.post("/v1/schemes", &admin, &future).await).await,
        [pair("/figures_read_on", "in_future")]
    );
    let unknown = app
        .post(
            "/v1/schemes",
            &admin,
            &json!({"name": "X", "domain": "finances", "provider": "CAF", "cost": 3}),
        )
        .await;
    assert_eq!(unknown.status(), 400);

    // A patch is checked like a creation, and a name is unique in the organisation.
    let created = expect(app.post("/v1/schemes", &admin, &rsa()).await, 201).await;
    let path = format!("/v1/schemes/{}", created["id"].as_str().unwrap());
    let patch = json!({"criteria": [{"kind": "age"}]});
    assert_eq!(
        refused(app.patch(&path, &admin, 1, &patch).await).await,
        [pair("/criteria/0", "no_bound")]
    );
    let twin = app.post("/v1/schemes", &admin, &rsa()).await;
    assert_problem(twin, 409, "scheme_name_taken").await;
}

#[tokio::test]
async fn only_admins_write_and_partners_read_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", "adele");
    let created = expect(app.post("/v1/schemes", &admin, &rsa()).await, 201).await;
    let path = format!("/v1/schemes/{}", created["id"].as_str().unwrap());
    for role in ["worker", "supervisor", "reception", "dpo"] {
        let token = app.token(role, role);
        assert_eq!(app.get(&path, &token).await.status(), 200, "{role} reads");
        assert_eq!(
            app.post("/v1/schemes", &token, &rsa()).await.status(),
            403,
            "{role}"
        );
        let patch = app.patch(&path, &token, 1, &json!({"active": false})).await;
        assert_eq!(patch.status(), 403, "{role} patches");
        let import = app
            .post("/v1/schemes/import", &token, &json!({"schemes": []}))
            .await;
        assert_eq!(import.status(), 403, "{role} imports");
        assert_eq!(app.get("/v1/schemes/export", &token).await.status(), 403);
    }
    let partner = app.partner("CAF du Rhône", None).await;
    assert_eq!(app.get("/v1/schemes", &partner.token).await.status(), 403);
    assert_eq!(app.get(&path, &partner.token).await.status(), 403);
}

#[tokio::test]
async fn another_organisations_schemes_do_not_exist() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", "adele");
    let created = expect(app.post("/v1/schemes", &admin, &rsa()).await, 201).await;
    let path = format!("/v1/schemes/{}", created["id"].as_str().unwrap());
    let other_admin = app.token_for("other", &["admin"], "oscar");
    let other_worker = app.token_for("other", &["worker"], "x");
    assert_eq!(app.get(&path, &other_worker).await.status(), 404);
    let patch = app
        .patch(&path, &other_admin, 1, &json!({"active": false}))
        .await;
    assert_eq!(patch.status(), 404);
    let list = expect(app.get("/v1/schemes", &other_worker).await, 200).await;
    assert_eq!(list["items"], json!([]));
    // The same name is free in another organisation.
    expect(app.post("/v1/schemes", &other_admin, &rsa()).await, 201).await;
}

#[tokio::test]
async fn writes_are_audited_and_catalogue_reads_are_not() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", "adele");
    let created = expect(app.post("/v1/schemes", &admin, &rsa()).await, 201).await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/v1/schemes/{id}");
    expect(
        app.patch(&path, &admin, 1, &json!({"active": false})).await,
        200,
    )
    .await;
    expect(app.get(&path, &app.token("worker", "w")).await, 200).await;
    let starter = starter();
    expect(app.post("/v1/schemes/import", &admin, &starter).await, 200).await;
    let events: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT action, resource_type, resource_id::text FROM audit_events \
         WHERE resource_type IN ('scheme', 'scheme_catalogue') ORDER BY id",
    )
    .fetch_all(&app.sql)
    .await
    .unwrap();
    let expected = [
        ("create", "scheme", Some(id.to_owned())),
        ("update", "scheme", Some(id.to_owned())),
        ("update", "scheme_catalogue", None),
    ]
    .map(|(a, t, i)| (a.to_owned(), t.to_owned(), i));
    assert_eq!(events, expected);
}

#[tokio::test]
async fn the_starter_catalogue_imports_cleanly_with_sources_and_dates() {
    let starter = starter();
    let schemes = starter["schemes"].as_array().unwrap();
    assert!(schemes.len() >= 12, "at least 12 schemes");
    let domains: BTreeSet<&str> = schemes
        .iter()
        .map(|s| s["domain"].as_str().unwrap())
        .collect();
    assert!(domains.len() >= 4, "at least 4 domains: {domains:?}");
    for scheme in schemes {
        let name = &scheme["name"];
        assert!(
            scheme["source_url"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://")),
            "{name} has a source"
        );
        assert!(scheme["figures_read_on"].is_string(), "{name} has a date");
    }

    let app = TestApp::spawn().await;
    let admin = app.token("admin", "adele");
    let result = expect(app.post("/v1/schemes/import", &admin, &starter).await, 200).await;
    let count = u64::try_from(schemes.len()).unwrap();
    assert_eq!(
        result,
        json!({"created": count, "updated": 0, "unchanged": 0})
    );
    // Importing it again changes nothing.
    let again = expect(app.post("/v1/schemes/import", &admin, &starter).await, 200).await;
    assert_eq!(
        again,
        json!({"created": 0, "updated": 0, "unchanged": count})
    );
    let export = expect(app.get("/v1/schemes/export", &admin).await, 200).await;
    assert_eq!(
        by_name(&export),
        by_name(&starter),
        "the export gives the file back"
    );
}

#[tokio::test]
async fn an_export_imported_into_another_organisation_gives_the_same_catalogue() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", "adele");
    expect(
        app.post("/v1/schemes/import", &admin, &starter()).await,
        200,
    )
    .await;
    let created = expect(app.post("/v1/schemes", &admin, &rsa()).await, 201).await;
    let path = format!("/v1/schemes/{}", created["id"].as_str().unwrap());
    expect(
        app.patch(&path, &admin, 1, &json!({"active": false})).await,
        200,
    )
    .await;
    let export = expect(app.get("/v1/schemes/export", &admin).await, 200).await;

    let other = app.token_for("other", &["admin"], "oscar");
    let result = expect(app.post("/v1/schemes/import", &other, &export).await, 200).await;
    assert_eq!(result["updated"], 0);
    let copied = expect(app.get("/v1/schemes/export", &other).await, 200).await;
    assert_eq!(by_name(&copied), by_name(&export));

    // Re-importing into the first organisation updates only what differs.
    let mut changed = export.clone();
    changed["schemes"][0]["notes"] = json!("Barème mis à jour");
    let result = expect(app.post("/v1/schemes/import", &admin, &changed).await, 200).await;
    let total = export["schemes"].as_array().unwrap().len() as u64;
    assert_eq!(
        result,
        json!({"created": 0, "updated": 1, "unchanged": total - 1})
    );
}

#[tokio::test]
async fn an_import_is_all_or_nothing_with_pointers_into_the_document() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", "adele");
    let mut document = starter();
    document["schemes"][3]["criteria"][0]["max_cents"] = json!(-1);
    document["schemes"][3]["criteria"][0]["kind"] = json!("resources_ceiling");
    document["schemes"][3]["criteria"][0]["basis"] = json!("total");
    document["schemes"][3]["criteria"][0]
        .as_object_mut()
        .unwrap()
        .retain(|k, _| ["kind", "basis", "max_cents"].contains(&k.as_str()));
    let first_name = document["schemes"][0]["name"].clone();
    document["schemes"][5]["name"] = first_name;
    assert_eq!(
        refused(app.post("/v1/schemes/import", &admin, &document).await).await,
        [
            pair("/schemes/3/criteria/0/max_cents", "out_of_range"),
            pair("/schemes/5/name", "duplicate"),
        ]
    );
    let export = expect(app.get("/v1/schemes/export", &admin).await, 200).await;
    assert_eq!(export, json!({"schemes": []}), "nothing was written");
    let mut long = starter();
    long["schemes"][1]["provider"] = json!("p".repeat(201));
    assert_eq!(
        refused(app.post("/v1/schemes/import", &admin, &long).await).await,
        [pair("/schemes/1/provider", "length")]
    );
}
