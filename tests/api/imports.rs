//! `POST /v1/imports/cases`: an existing caseload from a CSV or NDJSON file, checked row by row
//! with the rules of `POST /v1/cases`, persons matched as for duplicates, all or nothing.

use chrono::{Days, Months, NaiveDate};
use relais_tests::{TestApp, assert_problem, nir, today};
use reqwest::{Method, Response};
use serde_json::{Value, json};

const CSV: &str = "text/csv";
const NDJSON: &str = "application/x-ndjson";

async fn send(
    app: &TestApp,
    token: &str,
    content_type: &str,
    body: String,
    query: &str,
) -> Response {
    app.request(Method::POST, &format!("/v1/imports/cases{query}"), token)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// A dry run's report (200).
async fn dry_run(app: &TestApp, token: &str, content_type: &str, body: &str) -> Value {
    let response = send(app, token, content_type, body.to_owned(), "?dry_run=true").await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// A committed import (201).
async fn import(app: &TestApp, token: &str, content_type: &str, body: &str) -> Value {
    let response = send(app, token, content_type, body.to_owned(), "").await;
    let status = response.status();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{answer}");
    answer
}

/// A refused import: the 422 with its report.
async fn refused(app: &TestApp, token: &str, content_type: &str, body: &str) -> Value {
    let response = send(app, token, content_type, body.to_owned(), "").await;
    assert_problem(response, 422, "validation_failed").await
}

fn french(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// (line, column, code) of each error of a report.
fn errors(report: &Value) -> Vec<(u64, Option<String>, String)> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["column"].as_str().map(str::to_owned),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn at(line: u64, column: Option<&str>, code: &str) -> (u64, Option<String>, String) {
    (line, column.map(str::to_owned), code.to_owned())
}

async fn counts(app: &TestApp) -> (i64, i64) {
    (
        app.count("SELECT count(*) FROM persons").await,
        app.count("SELECT count(*) FROM cases").await,
    )
}

#[tokio::test]
async fn a_dry_run_names_each_bad_rows_line_and_column_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let sam = app.token("supervisor", "sam");
    let file = "\u{feff}first_name;last_name;birth_date;nir;reason;origin\r\n\
                Éloïse;Martin;02/03/1984;;Impayés de loyer;self\r\n\
                Jean;Dupont;31/02/1980;;Dettes;self\r\n\
                Ana;Costa;1990-01-01;269054958815781;Logement;nowhere\r\n\
                ;Sans prénom;;;Accès aux droits;self\r\n";
    let report = dry_run(&app, &sam, CSV, file).await;
    assert_eq!(report["rows"], 4);
    assert_eq!(report["accepted"], 1);
    assert_eq!(
        errors(&report),
        [
            at(3, Some("birth_date"), "invalid_date"),
            at(4, Some("origin"), "invalid_value"),
            at(5, Some("first_name"), "required"),
        ]
    );
    assert_eq!(
        report["errors"][0]["message"],
        "line 3, column birth_date: \"31/02/1980\" is not a date (expected a date such as \
         1980-02-29 or 29/02/1980)"
    );
    // Fixed, the NIR's key is checked as a person's creation checks it.
    let file = file.replace("nowhere", "self");
    let report = dry_run(&app, &sam, CSV, &file).await;
    assert!(
        errors(&report).contains(&at(4, Some("nir"), "nir_wrong_key")),
        "{report}"
    );

    // The same in NDJSON, in French when the caller prefers it.
    let lines = [
        json!({"first_name": "Éloïse", "last_name": "Martin", "reason": "Loyer", "origin": "self"}),
        json!({"first_name": "Jean", "last_name": "Dupont", "reason": "Dettes", "origin": "self",
               "legal_protection": "curatelle", "representative_email": "pas-une-adresse"}),
    ];
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let response = app
        .request(Method::POST, "/v1/imports/cases?dry_run=true", &sam)
        .header("Content-Type", NDJSON)
        .header("Accept-Language", "fr")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(
        (report["rows"].clone(), report["accepted"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(
        errors(&report),
        [at(2, Some("representative_email"), "email")]
    );
    let message = report["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("ligne 2, colonne representative_email : "),
        "{message}"
    );
    assert_eq!(counts(&app).await, (0, 0), "a dry run writes nothing");
}

#[tokio::test]
async fn one_bad_row_refuses_the_whole_file_with_the_report() {
    let app = TestApp::spawn().await;
    let sam = app.token("supervisor", "sam");
    let file = "first_name,last_name,reason,origin,opened_on\n\
                Éloïse,Martin,Loyer,self,\n\
                Jean,Dupont,Dettes,self,2099-01-01\n\
                Ana,Costa,Logement,self,\n";
    let problem = refused(&app, &sam, CSV, file).await;
    assert_eq!(problem["report"]["rows"], 3);
    assert_eq!(problem["report"]["accepted"], 2);
    assert_eq!(
        errors(&problem["report"]),
        [at(3, Some("opened_on"), "in_future")]
    );
    assert_eq!(counts(&app).await, (0, 0), "nothing written");
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'create'")
            .await,
        0
    );
}

#[tokio::test]
async fn an_import_opens_back_entered_cases_as_post_v1_cases_does() {
    let app = TestApp::spawn().await;
    let sam = app.token("supervisor", "sam");
    let alice = app.token("worker", "alice");
    let alice_id = app.agent_id(&alice).await;
    let response = app
        .request(Method::PATCH, "/v1/me", &alice)
        .header("If-Match", "*")
        .json(&json!({"email": "Alice.Martin@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let opened_on = today() - Months::new(10);
    let file = format!(
        "first_name;last_name;birth_date;nir;civility;postcode;city;legal_protection;\
         representative_organisation;disability_recognised;disability_rate;reason;origin;\
         opened_on;referent_email\n\
         Éloïse;Martin;02/03/1984;{};mme;69003;Lyon;curatelle;UDAF du Rhône;yes;50_to_79;\
         Impayés de loyer;self;{};alice.martin@example.org\n",
        nir("2840369123456"),
        french(opened_on)
    );
    let result = import(&app, &sam, CSV, &file).await;
    assert_eq!(
        (
            &result["rows"],
            &result["accepted"],
            &result["cases_created"],
            &result["persons_created"],
            &result["persons_matched"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(1), &json!(0))
    );
    assert_eq!(result["errors"], json!([]));
    let item = &result["items"][0];
    assert_eq!(
        (&item["line"], &item["person"]),
        (&json!(2), &json!("created"))
    );
    let imported = item["case_id"].as_str().unwrap();
    let person_id = item["person_id"].as_str().unwrap();
    let person = app
        .get_json(&format!("/v1/persons/{person_id}"), &sam)
        .await;
    assert_eq!(person["birth_date"], "1984-03-02");
    assert_eq!(person["civility"], "mme");
    assert_eq!(person["address"]["city"], "Lyon");
    assert_eq!(person["legal_protection"]["kind"], "curatelle");
    assert_eq!(
        person["legal_protection"]["representative"]["organisation"],
        "UDAF du Rhône"
    );
    assert_eq!(person["disability"]["rate"], "50_to_79");

    // The same case opened by alice herself, for the same person.
    let body = json!({"person_id": person_id, "reason": "Impayés de loyer", "origin": "self",
                      "opened_on": opened_on});
    let response = app.post("/v1/cases", &alice, &body).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let created_id = created["id"].as_str().unwrap();
    let read = |id: String| {
        let (app, alice) = (&app, &alice);
        async move { app.get_json(&format!("/v1/cases/{id}"), alice).await }
    };
    let (a, b) = (
        read(imported.to_owned()).await,
        read(created_id.to_owned()).await,
    );
    for field in [
        "status",
        "reason",
        "origin",
        "referent_id",
        "team_ids",
        "delegate_ids",
        "opened_on",
        "target_end_on",
        "indicators",
    ] {
        assert_eq!(a[field], b[field], "{field}: {a} / {b}");
    }
    assert_eq!(a["referent_id"], alice_id.to_string());
    assert_eq!(a["indicators"]["past_target"], true);
    let kinds = |id: String| {
        let (app, alice) = (&app, &alice);
        async move {
            let timeline = app
                .get_json(&format!("/v1/cases/{id}/timeline"), alice)
                .await;
            timeline["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["kind"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(kinds(imported.to_owned()).await, ["created"]);
    assert_eq!(kinds(created_id.to_owned()).await, ["created"]);

    // No overdue step until the paper file's own are entered; then both show in the agenda.
    let agenda = app.get_json("/v1/agenda", &alice).await;
    assert_eq!(agenda["items"], json!([]), "no overdue steps: {agenda}");
    for id in [imported, created_id] {
        let step = json!({"party": "person", "category": "paperwork", "domain": "housing",
                          "title": "Déposer le dossier FSL", "due_on": today() - Months::new(3)});
        let response = app
            .post(&format!("/v1/cases/{id}/plan/items"), &alice, &step)
            .await;
        assert_eq!(response.status(), 201);
        let item: Value = response.json().await.unwrap();
        assert_eq!(item["overdue"], true);
    }
    let agenda = app.get_json("/v1/agenda", &alice).await.to_string();
    assert!(
        agenda.contains(imported) && agenda.contains(created_id),
        "{agenda}"
    );
    let caseload = app.get_json("/v1/stats/caseload", &sam).await;
    let row = caseload["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agent_id"] == alice_id.to_string())
        .cloned()
        .unwrap();
    if row["suppressed"] == false {
        assert_eq!(row["open_cases"], 2, "{row}");
        assert_eq!(row["cases_past_target"], 2, "{row}");
    }
    // The activity ledger stayed true through every write.
    app.assert_activity_ledger_recounts().await;
}

#[tokio::test]
async fn persons_are_matched_with_the_organisations_and_with_each_other() {
    let app = TestApp::spawn().await;
    let sam = app.token("supervisor", "sam");
    let known_nir = nir("1790575123456");
    let known = app
        .create_person(
            &sam,
            json!({"first_name": "Karim", "last_name": "Benali", "birth_date": "1979-05-01",
                   "nir": known_nir}),
        )
        .await;
    let named = app
        .create_person(
            &sam,
            json!({"first_name": "Lucie", "last_name": "Moreau", "birth_date": "1991-07-14"}),
        )
        .await;
    let file = format!(
        "first_name;last_name;birth_date;nir;reason;origin\n\
         K.;Benali;;{known_nir};Dettes;self\n\
         LUCIE;moreau;14/07/1991;;Logement;self\n\
         Paul;Durand;1985-01-01;;Budget;self\n\
         paul;DURAND;01/01/1985;;Emploi;partner_referral\n\
         Durand;Paul;01/01/1985;;Santé;self\n"
    );
    let result = import(&app, &sam, CSV, &file).await;
    assert_eq!(result["cases_created"], 5);
    assert_eq!(result["persons_created"], 1);
    assert_eq!(result["persons_matched"], 2);
    let items = result["items"].as_array().unwrap();
    assert_eq!(items[0]["person_id"], known["id"], "the same NIR");
    assert_eq!(items[0]["person"], "matched");
    assert_eq!(items[1]["person_id"], named["id"], "the only likely one");
    assert_eq!(items[2]["person"], "created");
    assert_eq!(items[3]["person"], "same_as_earlier_row");
    assert_eq!(items[3]["same_as_line"], 4);
    assert_eq!(items[3]["person_id"], items[2]["person_id"]);
    assert_eq!(items[4]["same_as_line"], 4, "names swapped");
    assert_eq!(items[4]["person_id"], items[2]["person_id"]);
    assert_eq!(counts(&app).await, (3, 5));
}

#[tokio::test]
async fn several_likely_persons_are_an_ambiguity_unless_the_row_says_it_is_another() {
    let app = TestApp::spawn().await;
    let sam = app.token("supervisor", "sam");
    let mut ids = Vec::new();
    for _ in 0..2 {
        let person = app
            .create_person(
                &sam,
                json!({"first_name": "Marie", "last_name": "Petit", "birth_date": "1970-01-01",
                       "confirm_distinct": true}),
            )
            .await;
        ids.push(person["id"].as_str().unwrap().to_owned());
    }
    let file = "first_name;last_name;birth_date;reason;origin;confirm_distinct\n\
                Marie;Petit;01/01/1970;Loyer;self;\n";
    let problem = refused(&app, &sam, CSV, file).await;
    assert_eq!(
        errors(&problem["report"]),
        [at(2, None, "ambiguous_person")]
    );
    let message = problem["report"]["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains(&ids[0]) && message.contains(&ids[1]),
        "{message}"
    );
    let searched = app
        .count("SELECT count(*) FROM audit_events WHERE action = 'search'")
        .await;
    assert_eq!(searched, 2, "the candidates named are audited as searched");

    let file = file.replace("self;\n", "self;oui\n");
    let result = import(&app, &sam, CSV, &file).await;
    assert_eq!(result["persons_created"], 1);
    assert_eq!(counts(&app).await, (3, 1));
}

#[tokio::test]
async fn only_a_supervisor_imports_and_only_csv_or_ndjson() {
    let app = TestApp::spawn().await;
    let file = "first_name;last_name;reason;origin\nA;B;C;self\n".to_owned();
    for role in ["worker", "reception", "admin", "dpo"] {
        let token = app.token(role, role);
        let response = send(&app, &token, CSV, file.clone(), "").await;
        assert_problem(response, 403, "forbidden").await;
    }
    let sam = app.token("supervisor", "sam");
    for content_type in ["application/json", "text/plain", "multipart/form-data"] {
        let response = send(&app, &sam, content_type, file.clone(), "").await;
        assert_problem(response, 415, "unsupported_media_type").await;
    }
    let response = send(&app, &sam, "text/csv; charset=utf-8", file.clone(), "").await;
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn empty_header_only_unknown_column_and_too_long_files_are_refused() {
    let app = TestApp::spawn().await;
    let sam = app.token("supervisor", "sam");
    for (file, expected) in [
        ("", at(1, None, "empty")),
        ("\u{feff}\n", at(1, None, "empty")),
        (
            "first_name;last_name;reason;origin\n",
            at(2, None, "no_rows"),
        ),
        (
            "first_name;surname\nA;B\n",
            at(1, Some("surname"), "unknown_column"),
        ),
    ] {
        let problem = refused(&app, &sam, CSV, file).await;
        assert_eq!(errors(&problem["report"]), [expected], "{file:?}");
        assert_eq!(problem["report"]["accepted"], 0);
    }
    let problem = refused(&app, &sam, NDJSON, "{\"first_name\": \"A\", \"age\": 3}\n").await;
    assert_eq!(
        errors(&problem["report"]),
        [at(1, Some("age"), "unknown_column")]
    );

    let many = format!(
        "first_name;last_name;reason;origin\n{}",
        "A;B;C;self\n".repeat(50_001)
    );
    let problem = refused(&app, &sam, CSV, &many).await;
    assert_eq!(
        errors(&problem["report"]),
        [at(50_002, None, "too_many_rows")]
    );
    assert_eq!(problem["report"]["accepted"], 0);
    let big = "x".repeat(10 * 1024 * 1024 + 1);
    let response = send(&app, &sam, CSV, big, "").await;
    assert_problem(response, 413, "payload_too_large").await;
    assert_eq!(counts(&app).await, (0, 0));
}

#[tokio::test]
async fn two_thousand_rows_import_in_one_go_each_audited() {
    let app = TestApp::spawn().await;
    let sam = app.token("supervisor", "sam");
    let start = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap();
    let opened = french(today() - Days::new(30));
    let mut file = String::from("first_name;last_name;birth_date;reason;origin;opened_on\n");
    for i in 0..2_000_u64 {
        // Every tenth row is a second case of the row before it.
        let person = if i % 10 == 9 { i - 1 } else { i };
        let born = start + Days::new(person);
        file.push_str(&format!(
            "Prénom{person};Nom{person};{};Motif {i};self;{opened}\n",
            french(born)
        ));
    }
    let result = import(&app, &sam, CSV, &file).await;
    assert_eq!(result["cases_created"], 2_000);
    assert_eq!(result["persons_created"], 1_800);
    assert_eq!(counts(&app).await, (1_800, 2_000));
    let audited = |sql| app.count(sql);
    assert_eq!(
        audited(
            "SELECT count(*) FROM audit_events WHERE action = 'create' AND resource_type = 'case'"
        )
        .await,
        2_000
    );
    assert_eq!(
        audited(
            "SELECT count(*) FROM audit_events WHERE action = 'create' AND resource_type = 'person'"
        )
        .await,
        1_800
    );
    assert_eq!(
        app.count("SELECT count(*) FROM case_events WHERE kind = 'created'")
            .await,
        2_000
    );
}

#[tokio::test]
async fn a_file_larger_than_a_json_body_is_read_whole() {
    let app = TestApp::spawn().await;
    let sam = app.token("supervisor", "sam");
    let reason = "Dossier papier repris de l'ancien logiciel, ".repeat(6);
    let mut lines = Vec::new();
    for i in 0..10_000 {
        lines.push(format!(
            "{}\n",
            json!({"first_name": format!("Prénom{i}"), "last_name": format!("Nom{i}"),
                   "reason": reason, "origin": "self", "confirm_distinct": false})
        ));
    }
    let body = lines.concat();
    assert!(body.len() > 2 * 1024 * 1024, "{}", body.len());
    let report = dry_run(&app, &sam, NDJSON, &body).await;
    assert_eq!(
        (&report["rows"], &report["accepted"]),
        (&json!(10_000), &json!(10_000))
    );
    assert_eq!(report["errors"], json!([]));
    assert_eq!(counts(&app).await, (0, 0));
}
