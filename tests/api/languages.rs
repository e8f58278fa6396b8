//! Problems in French: `title`, `detail` and each `errors[].message` follow `Accept-Language`
//! (English by default); codes, types, statuses and pointers never change. Every problem says
//! its language (`Content-Language`) and that it depends on the header (`Vary`).

use relais_tests::{TestApp, assert_problem, field_codes, header, pair};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use uuid::Uuid;

/// A request as `token`, with `Accept-Language: language` when given, and a JSON body.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    language: Option<&str>,
    body: Option<&Value>,
) -> Response {
    let mut request = app.request(method, path, token);
    if let Some(language) = language {
        request = request.header("Accept-Language", language);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.unwrap()
}

/// Two invalid fields of a new person, found by the `validator` rules.
fn two_invalid_fields() -> Value {
    json!({"first_name": "", "last_name": "Roux", "email": "pas une adresse"})
}

/// The language the problem says it speaks, after checking it varies with the header.
fn language_of(response: &Response) -> String {
    let vary: Vec<String> = response
        .headers()
        .get_all("vary")
        .iter()
        .flat_map(|v| v.to_str().unwrap().split(','))
        .map(|v| v.trim().to_ascii_lowercase())
        .collect();
    assert!(
        vary.iter().any(|v| v == "accept-language"),
        "a problem varies with Accept-Language: {vary:?}"
    );
    header(response, "content-language")
}

/// The messages of a problem's field errors.
fn messages(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect()
}

/// The document without what a language changes (and without the request id): what must be
/// the same in every language.
fn language_free(problem: &Value) -> Value {
    let mut doc = problem.clone();
    let object = doc.as_object_mut().unwrap();
    for key in ["title", "detail", "request_id"] {
        object.remove(key);
    }
    for error in object["errors"].as_array_mut().unwrap() {
        error.as_object_mut().unwrap().remove("message");
    }
    doc
}

#[tokio::test]
async fn a_problem_is_english_by_default_and_says_so() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    for language in [None, Some("*"), Some("en"), Some("de-DE"), Some("")] {
        let body = two_invalid_fields();
        let response = send(
            &app,
            Method::POST,
            "/v1/persons",
            &token,
            language,
            Some(&body),
        )
        .await;
        assert_eq!(language_of(&response), "en", "{language:?}");
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(problem["title"], "Validation failed", "{language:?}");
        assert_eq!(problem["detail"], "2 fields are invalid", "{language:?}");
        assert_eq!(
            messages(&problem),
            [
                "not a valid e-mail address",
                "length must be between 1 and 100"
            ]
        );
    }
}

#[tokio::test]
async fn a_validation_error_is_french_with_the_same_codes_and_pointers() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    let body = two_invalid_fields();
    let english = send(&app, Method::POST, "/v1/persons", &token, None, Some(&body)).await;
    let english = assert_problem(english, 422, "validation_failed").await;
    let french = send(
        &app,
        Method::POST,
        "/v1/persons",
        &token,
        Some("fr-FR"),
        Some(&body),
    )
    .await;
    assert_eq!(language_of(&french), "fr");
    let french = assert_problem(french, 422, "validation_failed").await;
    assert_eq!(french["title"], "Données invalides");
    assert_eq!(french["detail"], "2 champs sont invalides");
    assert_eq!(
        messages(&french),
        [
            "ce n'est pas une adresse électronique valide",
            "la longueur doit être comprise entre 1 et 100"
        ]
    );
    assert_eq!(
        field_codes(&french),
        [pair("/email", "email"), pair("/first_name", "length")]
    );
    assert_eq!(language_free(&french), language_free(&english));
    assert_eq!(
        french["type"],
        "https://relais.dev/problems/validation_failed"
    );
    assert_eq!(french["status"], 422);
    assert_eq!(french["instance"], "/v1/persons");
    assert!(french["request_id"].is_string());

    // A refusal of one value says its own sentence; with one field, it is the detail.
    let wrong_key = json!({"first_name": "Yanis", "last_name": "Roux",
        "nir": "1 85 05 78 006 084 00"});
    let response = send(
        &app,
        Method::POST,
        "/v1/persons",
        &token,
        Some("fr"),
        Some(&wrong_key),
    )
    .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(field_codes(&problem), [pair("/nir", "nir_wrong_key")]);
    assert_eq!(
        problem["detail"],
        "la clé du NIR ne correspond pas à son numéro"
    );
    assert_eq!(
        messages(&problem),
        ["la clé du NIR ne correspond pas à son numéro"]
    );
    assert_eq!(app.count("SELECT count(*) FROM persons").await, 0);
}

#[tokio::test]
async fn a_refused_case_transition_is_french_with_the_statuses_french_labels() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let id = app.create_case(&alice).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/cases/{id}/transitions");
    let body = json!({"to": "active"});
    let ask = |language: Option<&'static str>| {
        let mut request = app
            .request(Method::POST, &path, &alice)
            .header("If-Match", "\"1\"")
            .json(&body);
        if let Some(language) = language {
            request = request.header("Accept-Language", language);
        }
        request.send()
    };
    let english = ask(None).await.unwrap();
    assert_eq!(language_of(&english), "en");
    let english = assert_problem(english, 409, "invalid_transition").await;
    assert_eq!(english["title"], "Conflict");
    assert_eq!(english["detail"], "a case cannot go from intake to active");

    let french = ask(Some("fr-CA;q=0.9, en;q=0.5")).await.unwrap();
    assert_eq!(language_of(&french), "fr");
    let french = assert_problem(french, 409, "invalid_transition").await;
    assert_eq!(french["title"], "Conflit");
    assert_eq!(
        french["detail"],
        "un dossier ne peut pas passer du statut « Pré-évaluation / recueil d'informations » au \
         statut « Relation d'aide active »"
    );
    assert_eq!(language_free(&french), language_free(&english));
}

#[tokio::test]
async fn a_404_is_french() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    for path in [
        format!("/v1/cases/{}", Uuid::now_v7()),
        "/v1/nowhere".to_owned(),
    ] {
        let response = send(&app, Method::GET, &path, &alice, Some("fr"), None).await;
        assert_eq!(language_of(&response), "fr", "{path}");
        let problem = assert_problem(response, 404, "not_found").await;
        assert_eq!(problem["title"], "Ressource introuvable", "{path}");
        assert_eq!(problem["detail"], "ressource introuvable", "{path}");
        assert_eq!(problem["type"], "https://relais.dev/problems/not_found");
    }
    // A path parameter that is no identifier: its name, in French.
    let response = send(
        &app,
        Method::GET,
        "/v1/cases/nope",
        &alice,
        Some("fr"),
        None,
    )
    .await;
    let problem = assert_problem(response, 400, "invalid_path_parameter").await;
    assert_eq!(problem["title"], "Requête incorrecte");
    assert_eq!(problem["errors"][0]["code"], "invalid_identifier");
    assert_eq!(
        problem["errors"][0]["message"],
        "id n'est pas un identifiant valide"
    );
}

#[tokio::test]
async fn an_unknown_query_parameter_is_french_and_named() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let path = "/v1/cases?bogus=1";
    let english = send(&app, Method::GET, path, &alice, Some("en"), None).await;
    let english = assert_problem(english, 400, "invalid_parameter").await;
    let response = send(&app, Method::GET, path, &alice, Some("fr"), None).await;
    assert_eq!(language_of(&response), "fr");
    let french = assert_problem(response, 400, "invalid_parameter").await;
    assert_eq!(french["title"], "Requête incorrecte");
    let error = &french["errors"][0];
    assert_eq!(
        (&error["pointer"], &error["in"], &error["code"]),
        (
            &json!("/bogus"),
            &json!("query"),
            &json!("unknown_parameter")
        )
    );
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with("bogus : paramètre inconnu (paramètres connus ici : "),
        "{message}"
    );
    assert!(message.contains("limit"), "{message}");
    assert_eq!(french["detail"], message);
    assert_eq!(language_free(&french), language_free(&english));

    // A known parameter with a wrong value: the codes the list has, in French.
    let path = "/v1/cases?status=finished";
    let response = send(&app, Method::GET, path, &alice, Some("fr"), None).await;
    let problem = assert_problem(response, 400, "invalid_parameter").await;
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("status : code inconnu ; codes possibles : intake, "),
        "{message}"
    );
}

#[tokio::test]
async fn q_values_decide_between_french_and_english() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let path = format!("/v1/cases/{}", Uuid::now_v7());
    for (accept, language, title) in [
        ("en, fr;q=0.5", "en", "Not found"),
        ("fr;q=0.5, en", "en", "Not found"),
        ("fr;q=0", "en", "Not found"),
        ("*", "en", "Not found"),
        ("fr-CA;q=0.9, en;q=0.5", "fr", "Ressource introuvable"),
        ("de, fr;q=0.3", "fr", "Ressource introuvable"),
        (
            "fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7",
            "fr",
            "Ressource introuvable",
        ),
    ] {
        let response = send(&app, Method::GET, &path, &alice, Some(accept), None).await;
        assert_eq!(language_of(&response), language, "{accept}");
        let problem = assert_problem(response, 404, "not_found").await;
        assert_eq!(problem["title"], title, "{accept}");
    }
}

#[tokio::test]
async fn an_unauthenticated_request_is_refused_in_french() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/v1/cases"))
        .header("Accept-Language", "fr")
        .send()
        .await
        .unwrap();
    assert_eq!(language_of(&response), "fr");
    let problem = assert_problem(response, 401, "unauthorized").await;
    assert_eq!(problem["title"], "Authentification requise");
    assert_eq!(
        problem["detail"],
        "authentification requise : jeton absent, invalide ou expiré"
    );
}

#[tokio::test]
async fn a_success_is_not_translated() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let response = send(&app, Method::GET, "/v1/cases", &alice, Some("fr"), None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-language"), "");
}

#[tokio::test]
async fn an_idempotent_replay_answers_the_stored_problem_as_it_was() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    let body = two_invalid_fields();
    let post = |key: &'static str| {
        app.request(Method::POST, "/v1/persons", &token)
            .header("Idempotency-Key", key)
            .header("Accept-Language", "fr")
            .json(&body)
            .send()
    };
    let first = post("french-retry").await.unwrap();
    assert_eq!(language_of(&first), "fr");
    let first = assert_problem(first, 422, "validation_failed").await;
    assert_eq!(first["detail"], "2 champs sont invalides");
    // The retry gets the bytes stored at the first answer, which are English: it says so.
    let replay = post("french-retry").await.unwrap();
    assert_eq!(header(&replay, "idempotent-replayed"), "true");
    assert_eq!(language_of(&replay), "en");
    let replay = assert_problem(replay, 422, "validation_failed").await;
    assert_eq!(replay["detail"], "2 fields are invalid");
    assert_eq!(language_free(&replay), language_free(&first));
}
