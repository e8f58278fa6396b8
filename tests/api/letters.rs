//! Letters (courriers) over HTTP: the organisation's templates — the French starter set every
//! organisation has (new or existing), administrators writing, archiving and versioning them,
//! those who write letters reading them, refusals at their field, the sandbox refusing what
//! could reach a file or run for ever — and, in the submodules, the letters of a case
//! ([`writing`]) and their printed document ([`printing`]).

mod printing;
mod writing;

use relais_store::{Db, PoolSettings, letter_templates, organisations};
use relais_tests::{TestApp, assert_conforms, assert_problem, field_codes, header, pair, problem};
use reqwest::{Method, Response};
use serde_json::{Value, json};

/// The starter set, by key, with its French names, in order.
const STARTERS: [(&str, &str); 5] = [
    ("convocation", "Convocation à un entretien"),
    ("pieces_justificatives", "Demande de pièces justificatives"),
    ("courrier_bailleur", "Courrier au bailleur"),
    ("attestation_suivi", "Attestation de suivi"),
    ("orientation", "Courrier d'orientation"),
];

const TEMPLATES: &str = "/v1/letter-templates";

/// A template of the organisation's own.
pub fn rendez_vous() -> Value {
    json!({
        "name": "Rendez-vous au point d'accès aux droits",
        "subject": "Rendez-vous du {{ values.jour }}",
        "body": "{{ person.salutation }},\n\nVotre rendez-vous est fixé au {{ values.jour }} à \
                 {{ values.heure }}.\n{% if values.note %}\n\n{{ values.note }}\n{% endif %}\n\n\
                 Je vous prie d'agréer, {{ person.salutation }}, l'expression de mes salutations \
                 distinguées.",
        "fields": [
            {"name": "jour", "label": "Jour du rendez-vous", "kind": "date", "required": true},
            {"name": "heure", "label": "Heure", "kind": "time", "required": true},
            {"name": "note", "label": "Note", "kind": "long_text"}
        ]
    })
}

/// Today as a French letter writes it: `12 mars 2027`, `1er avril 2027`.
pub fn french_today() -> String {
    use chrono::Datelike;
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let d = relais_tests::today();
    let day = if d.day() == 1 {
        "1er".to_owned()
    } else {
        d.day().to_string()
    };
    format!("{day} {} {}", MONTHS[d.month0() as usize], d.year())
}

pub async fn expect(response: Response, status: u16) -> Value {
    let got = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    body
}

/// The (pointer, code) pairs of a 422.
pub async fn refused(response: Response) -> Vec<(String, String)> {
    assert_eq!(response.status(), 422);
    let p = problem(response).await;
    assert_eq!(p["code"], "validation_failed", "{p}");
    field_codes(&p)
}

/// The organisation's templates as `token` lists them (one page).
pub async fn templates(app: &TestApp, token: &str) -> Vec<Value> {
    app.get_json(TEMPLATES, token).await["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// The template of the starter `key`, as `token` reads it.
pub async fn starter(app: &TestApp, token: &str, key: &str) -> Value {
    templates(app, token)
        .await
        .into_iter()
        .find(|t| t["starter"] == key)
        .unwrap()
}

/// A PATCH of the template `id` with `If-Match` of `version`.
async fn change(app: &TestApp, token: &str, id: &str, version: i64, body: &Value) -> Response {
    app.patch(&format!("{TEMPLATES}/{id}"), token, version, body)
        .await
}

#[tokio::test]
async fn every_organisation_has_the_french_starter_set_once() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", "adele");
    assert_conforms("LetterTemplateList", &app.get_json(TEMPLATES, &admin).await);
    let listed = templates(&app, &admin).await;
    let found: Vec<(&str, &str)> = listed
        .iter()
        .map(|t| (t["starter"].as_str().unwrap(), t["name"].as_str().unwrap()))
        .collect();
    assert_eq!(found, STARTERS, "in the set's order, oldest first");
    for template in &listed {
        assert_eq!(template["archived"], false);
        assert_eq!(template["version"], 1);
        assert!(
            !template["fields"].as_array().unwrap().is_empty(),
            "{template}"
        );
    }
    let addressees: Vec<&str> = listed
        .iter()
        .map(|t| t["addressee"].as_str().unwrap())
        .collect();
    assert_eq!(
        addressees,
        ["person", "person", "third_party", "none", "third_party"]
    );
    // The other organisation has its own copies.
    let other = app.token_for("other", &["admin"], "odile");
    let theirs = templates(&app, &other).await;
    assert_eq!(theirs.len(), 5);
    assert!(
        theirs
            .iter()
            .all(|t| listed.iter().all(|o| o["id"] != t["id"]))
    );

    // A new organisation gets the set when it is created.
    let mut conn = app.sql.acquire().await.unwrap();
    let neuve = organisations::create(&mut conn, "neuve", "CCAS de Neuville")
        .await
        .unwrap();
    let count = |org: uuid::Uuid| {
        let sql = app.sql.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM letter_templates WHERE org_id = $1")
                .bind(org)
                .fetch_one(&sql)
                .await
                .unwrap()
        }
    };
    assert_eq!(count(neuve.id).await, 5);

    // An organisation that existed before letters gets it at the server's start, once; an
    // archived starter stays archived and is not added again.
    sqlx::query("DELETE FROM letter_templates WHERE org_id = $1")
        .bind(neuve.id)
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let orientation = &listed[4];
    let archived = change(
        &app,
        &admin,
        orientation["id"].as_str().unwrap(),
        1,
        &json!({"archived": true}),
    )
    .await;
    assert_eq!(archived.status(), 200);
    let db = Db::connect_lazy(app.db_options.clone(), &PoolSettings::default());
    assert_eq!(
        letter_templates::add_starters_everywhere(&db)
            .await
            .unwrap(),
        5
    );
    assert_eq!(
        letter_templates::add_starters_everywhere(&db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(count(neuve.id).await, 5);
    assert_eq!(count(app.org.id).await, 5);
    let now = templates(&app, &admin).await;
    assert_eq!(now[4]["archived"], true);
    let usable = app
        .get_json(&format!("{TEMPLATES}?archived=false"), &admin)
        .await;
    assert_eq!(usable["items"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn an_admin_writes_and_archives_templates_with_etags_and_workers_read_them() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", "adele");
    let response = app.post(TEMPLATES, &admin, &rendez_vous()).await;
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "etag"), "\"1\"");
    let location = header(&response, "location");
    let created: Value = response.json().await.unwrap();
    assert_conforms("LetterTemplate", &created);
    let id = created["id"].as_str().unwrap();
    assert_eq!(location, format!("{TEMPLATES}/{id}"));
    assert_eq!(created["addressee"], "person", "to the person by default");
    assert_eq!(created["starter"], Value::Null);
    assert_eq!(
        created["fields"][2],
        json!({"name": "note", "label": "Note", "kind": "long_text", "required": false})
    );

    let worker = app.token("worker", "wanda");
    let read = app.get(&location, &worker).await;
    assert_eq!(header(&read, "etag"), "\"1\"");
    assert_eq!(expect(read, 200).await, created);

    let renamed = expect(
        change(
            &app,
            &admin,
            id,
            1,
            &json!({"name": "Rendez-vous au PAD", "addressee": "none"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(renamed["version"], 2);
    assert_eq!(renamed["name"], "Rendez-vous au PAD");
    assert_eq!(renamed["body"], created["body"], "absent fields are kept");
    // Stale and missing preconditions.
    let stale = change(&app, &admin, id, 1, &json!({"archived": true})).await;
    assert_problem(stale, 412, "version_mismatch").await;
    let bare = app
        .request(Method::PATCH, &location, &admin)
        .json(&json!({"archived": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 428);
    // Archived, then back.
    let archived = expect(
        change(&app, &admin, id, 2, &json!({"archived": true})).await,
        200,
    )
    .await;
    assert_eq!(archived["archived"], true);
    let listed = app
        .get_json(&format!("{TEMPLATES}?archived=true"), &worker)
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["id"], id);
    let back = expect(
        change(&app, &admin, id, 3, &json!({"archived": false})).await,
        200,
    )
    .await;
    assert_eq!(back["archived"], false);

    // A page at a time, oldest first.
    let first = app.get_json(&format!("{TEMPLATES}?limit=4"), &worker).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 4);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get_json(&format!("{TEMPLATES}?limit=4&cursor={cursor}"), &worker)
        .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 2);
    assert_eq!(second["items"][1]["id"], id);
    assert_eq!(second["next_cursor"], Value::Null);

    // Template changes are audited as the organisation's settings are: about no person.
    let events: Vec<(String, Option<uuid::Uuid>)> = sqlx::query_as(
        "SELECT action, person_id FROM audit_events \
         WHERE resource_type = 'letter_template' AND resource_id = $1::uuid ORDER BY id",
    )
    .bind(id)
    .fetch_all(&app.sql)
    .await
    .unwrap();
    let actions: Vec<&str> = events.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(actions, ["create", "update", "update", "update"]);
    assert!(events.iter().all(|(_, person)| person.is_none()));
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'read' AND resource_type = 'letter_template'")
            .await,
        0,
        "reading a template is not audited"
    );
}

#[tokio::test]
async fn those_who_write_letters_read_the_templates_and_only_admins_write_them() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", "adele");
    let id = templates(&app, &admin).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (role, reads) in [
        ("worker", true),
        ("supervisor", true),
        ("admin", true),
        ("reception", false),
        ("dpo", false),
    ] {
        let token = app.token(role, role);
        let status = if reads { 200 } else { 403 };
        assert_eq!(app.get(TEMPLATES, &token).await.status(), status, "{role}");
        assert_eq!(
            app.get(&format!("{TEMPLATES}/{id}"), &token).await.status(),
            status,
            "{role}"
        );
        if role != "admin" {
            let created = app.post(TEMPLATES, &token, &rendez_vous()).await;
            assert_problem(created, 403, "forbidden").await;
            let changed = change(&app, &token, &id, 1, &json!({"archived": true})).await;
            assert_problem(changed, 403, "forbidden").await;
        }
    }
    // Another organisation's template does not exist.
    let other = app.token_for("other", &["admin"], "odile");
    assert_eq!(
        app.get(&format!("{TEMPLATES}/{id}"), &other).await.status(),
        404
    );
    let theirs = change(&app, &other, &id, 1, &json!({"archived": true})).await;
    assert_problem(theirs, 404, "not_found").await;
    assert_eq!(templates(&app, &admin).await[0]["version"], 1);
}

#[tokio::test]
async fn refused_templates_point_at_their_field() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", "adele");
    let post = |body: Value| {
        let (app, admin) = (&app, &admin);
        async move { app.post(TEMPLATES, admin, &body).await }
    };
    let with = |key: &str, value: Value| {
        let mut body = rendez_vous();
        body[key] = value;
        body
    };
    assert_eq!(
        refused(post(with("name", json!("  "))).await).await,
        [pair("/name", "blank")]
    );
    assert_eq!(
        refused(post(with("subject", json!(""))).await).await,
        [pair("/subject", "length")]
    );
    assert_eq!(
        refused(post(with("body", json!("x".repeat(20_001)))).await).await,
        [pair("/body", "length")]
    );
    let bad_fields = json!([
        {"name": "Jour", "label": "Jour", "kind": "date"},
        {"name": "heure", "label": " ", "kind": "time"},
        {"name": "heure", "label": "Heure", "kind": "time"}
    ]);
    let mut body = with("fields", bad_fields);
    body["body"] = json!("Madame,");
    body["subject"] = json!("Objet");
    assert_eq!(
        refused(post(body).await).await,
        [
            pair("/fields/0/name", "invalid_format"),
            pair("/fields/1/label", "blank"),
            pair("/fields/2/name", "duplicate"),
        ]
    );
    let kind = post(with(
        "fields",
        json!([{"name": "x", "label": "X", "kind": "colour"}]),
    ))
    .await;
    assert_eq!(kind.status(), 422);
    assert_eq!(
        problem(kind).await["errors"][0]["pointer"],
        "/fields/0/kind"
    );
    let unknown = post(with("signature", json!("x"))).await;
    assert_problem(unknown, 400, "unknown_field").await;
    // A field used in the body but not declared.
    let mut undeclared = rendez_vous();
    undeclared["fields"] = json!([]);
    let found = refused(post(undeclared).await).await;
    assert_eq!(
        found,
        [
            pair("/subject", "unknown_merge_field"),
            pair("/body", "unknown_merge_field"),
            pair("/body", "unknown_merge_field"),
            pair("/body", "unknown_merge_field"),
        ]
    );
    // The name is the organisation's once.
    let taken = post(with("name", json!("Convocation à un entretien"))).await;
    assert_problem(taken, 409, "letter_template_name_taken").await;
    // A change is checked as a creation: dropping a field the body reads is refused.
    let id = templates(&app, &admin).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let dropped = change(&app, &admin, &id, 1, &json!({"fields": []})).await;
    let found = refused(dropped).await;
    assert!(
        found.contains(&pair("/body", "unknown_merge_field")),
        "{found:?}"
    );
    let renamed = change(
        &app,
        &admin,
        &id,
        1,
        &json!({"name": "Demande de pièces justificatives"}),
    )
    .await;
    assert_problem(renamed, 409, "letter_template_name_taken").await;
    let nulled = change(&app, &admin, &id, 1, &json!({"body": null})).await;
    assert_eq!(nulled.status(), 422);
    assert_eq!(templates(&app, &admin).await[0]["version"], 1);
}

/// The 422 of a template whose body is `body`: its one field error's code and message, at
/// `/body`.
async fn body_refused(app: &TestApp, admin: &str, body: &str) -> (String, String) {
    let mut template = rendez_vous();
    template["name"] = json!(format!("Essai {}", uuid::Uuid::now_v7()));
    template["body"] = json!(body);
    let started = std::time::Instant::now();
    let response = app.post(TEMPLATES, admin, &template).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(response.status(), 422, "{body}");
    let p = problem(response).await;
    assert_eq!(p["errors"].as_array().unwrap().len(), 1, "{p}");
    assert_eq!(p["errors"][0]["pointer"], "/body", "{p}");
    (
        p["errors"][0]["code"].as_str().unwrap().to_owned(),
        p["errors"][0]["message"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn the_sandbox_reaches_no_file_and_stops_what_would_run_for_ever() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", "adele");
    for source in [
        "{% include \"/etc/passwd\" %}",
        "{% import \"x\" as y %}",
        "Madame,\n\n{% extends \"../Cargo.toml\" %}",
    ] {
        let (code, message) = body_refused(&app, &admin, source).await;
        assert_eq!(code, "template_syntax", "{source}");
        assert!(message.starts_with("line "), "{message}");
    }
    let (code, message) = body_refused(&app, &admin, "Madame,\n\n{% if %}").await;
    assert_eq!(code, "template_syntax");
    assert!(message.starts_with("line 3: syntax error"), "{message}");
    // No function: not even `range`.
    let (code, message) = body_refused(
        &app,
        &admin,
        "{% for i in range(100000000) %}{{ i }}{% endfor %}",
    )
    .await;
    assert_eq!(code, "unknown_merge_field");
    assert!(message.starts_with("range "), "{message}");
    // Work without end stops.
    let (code, message) = body_refused(
        &app,
        &admin,
        "{% set s = \"x\" * 10000 %}{% for a in s %}{% for b in s %}.{% endfor %}{% endfor %}",
    )
    .await;
    assert_eq!(code, "template_error");
    assert!(message.contains("too much work"), "{message}");
    let (code, message) = body_refused(
        &app,
        &admin,
        "{% macro again(n) %}{{ again(n) }}{% endmacro %}{{ again(1) }}",
    )
    .await;
    assert_eq!(code, "template_error");
    assert!(message.contains("recursion"), "{message}");
    // Nothing of the environment or the server.
    for source in ["{{ env }}", "{{ config.database_url }}", "{{ person.nir }}"] {
        let (code, message) = body_refused(&app, &admin, source).await;
        assert_eq!(code, "unknown_merge_field", "{source}");
        assert!(message.contains("is neither a merge field"), "{message}");
    }
    let (code, _) = body_refused(&app, &admin, "{{ person.last_name | tojson }}").await;
    assert_eq!(code, "template_error");
    // The service still answers.
    assert_eq!(app.get(TEMPLATES, &admin).await.status(), 200);
    assert_eq!(
        app.count("SELECT count(*) FROM letter_templates WHERE starter IS NULL")
            .await,
        0
    );
}
