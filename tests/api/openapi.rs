//! The OpenAPI document: the committed copy in `openapi/` is the one the code generates, and the
//! document keeps the contract's promises (bearer authentication, documented errors, prose).

use std::path::PathBuf;

use serde_json::Value;

const REGENERATE: &str = "cargo run -q -p relais-server -- openapi > openapi/openapi.json";

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../openapi/openapi.json")
}

/// Exactly what `relais openapi` prints.
fn generated() -> String {
    format!("{}\n", relais_api::openapi().to_pretty_json().unwrap())
}

fn document() -> Value {
    serde_json::from_str(&generated()).unwrap()
}

/// Every operation: (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let paths = doc["paths"].as_object().expect("the document has paths");
    let mut found = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            if let Some(operation) = item.get(*method) {
                found.push((method.to_uppercase(), path.clone(), operation.clone()));
            }
        }
    }
    assert!(!found.is_empty(), "the document has no operations");
    found
}

#[test]
fn the_committed_document_is_the_generated_one() {
    let path = committed_path();
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}\nGenerate it from the repository root with:\n    {REGENERATE}",
            path.display()
        )
    });
    let generated = generated();
    if committed != generated {
        let (line, ours, theirs) = committed
            .lines()
            .zip(generated.lines())
            .enumerate()
            .find(|(_, (c, g))| c != g)
            .map(|(i, (c, g))| (i + 1, c.to_owned(), g.to_owned()))
            .unwrap_or_else(|| {
                let n = committed.lines().count().min(generated.lines().count());
                (n + 1, "(end of file)".into(), "(end of file)".into())
            });
        panic!(
            "openapi/openapi.json differs from the document the code generates \
             (first difference at line {line}:\n  committed: {ours}\n  generated: {theirs}\n).\n\
             Regenerate it from the repository root with:\n    {REGENERATE}\n\
             then review and commit the change."
        );
    }
}

#[test]
fn the_document_is_openapi_3_1() {
    let doc = document();
    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(
        version.starts_with("3.1."),
        "expected OpenAPI 3.1.x, got {version:?}"
    );
    assert!(doc["info"]["title"].is_string());
    assert!(doc["info"]["version"].is_string());
}

#[test]
fn the_bearer_scheme_is_declared() {
    let doc = document();
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["type"], "http", "bearer scheme: {bearer}");
    assert_eq!(bearer["scheme"], "bearer", "bearer scheme: {bearer}");
}

/// Operations that cannot carry a bearer token, and the scheme each uses instead: a calendar
/// application subscribes to a URL, so the agenda feed's secret token is in its query.
const OTHER_SCHEMES: &[(&str, &str, &str)] = &[("GET", "/v1/agenda.ics", "agenda_feed_token")];

/// The one public operation under `/v1`: a partner comes to the token endpoint to get its
/// bearer token, so it cannot send one. It authenticates with its client credentials instead,
/// in HTTP Basic (`client_secret_basic`) or in the form (no scheme: the empty requirement), and
/// its 400/401 are `application/json` as RFC 6749 §5.2 requires (with the problem members
/// too). Checked by `the_token_endpoint_is_public_with_client_authentication`.
const TOKEN_ENDPOINT: (&str, &str) = ("POST", "/v1/oauth/token");

#[test]
fn every_v1_operation_requires_the_bearer_token_and_documents_401_and_500() {
    let doc = document();
    let global_security = doc.get("security").cloned();
    let mut problems = Vec::new();
    let mut v1 = 0;
    for (method, path, operation) in operations(&doc) {
        if !path.starts_with("/v1/") || (method.as_str(), path.as_str()) == TOKEN_ENDPOINT {
            continue;
        }
        v1 += 1;
        let security = operation
            .get("security")
            .or(global_security.as_ref())
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let requirements: Vec<&serde_json::Map<String, Value>> =
            security.iter().filter_map(Value::as_object).collect();
        if requirements.is_empty() {
            problems.push(format!("{method} {path}: no security requirement"));
        } else if requirements.iter().any(|r| r.is_empty()) {
            problems.push(format!(
                "{method} {path}: an empty security requirement makes the token optional"
            ));
        } else {
            let scheme = OTHER_SCHEMES
                .iter()
                .find(|(m, p, _)| *m == method && *p == path)
                .map_or("bearer", |(_, _, scheme)| scheme);
            if !requirements.iter().all(|r| r.contains_key(scheme)) {
                problems.push(format!(
                    "{method} {path}: security does not name the `{scheme}` scheme"
                ));
            }
        }
        for status in ["401", "500"] {
            match operation["responses"].get(status) {
                None => problems.push(format!("{method} {path}: no {status} response")),
                Some(response) => {
                    if response["content"]
                        .get("application/problem+json")
                        .is_none()
                    {
                        problems.push(format!(
                            "{method} {path}: the {status} response is not application/problem+json"
                        ));
                    }
                }
            }
        }
    }
    assert!(v1 > 0, "no operation under /v1");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_token_endpoint_is_public_with_client_authentication() {
    let doc = document();
    let (method, path) = TOKEN_ENDPOINT;
    let operation = &doc["paths"][path][method.to_lowercase()];
    let security = operation["security"]
        .as_array()
        .expect("the token endpoint's security");
    assert!(
        security
            .iter()
            .any(|r| r.get("client_secret_basic").is_some()),
        "HTTP Basic client authentication: {security:?}"
    );
    assert!(
        security.iter().all(|r| r.get("bearer").is_none()),
        "no bearer token: {security:?}"
    );
    let basic = &doc["components"]["securitySchemes"]["client_secret_basic"];
    assert_eq!(basic["scheme"], "basic", "{basic}");
    assert!(
        operation["requestBody"]["content"]
            .get("application/x-www-form-urlencoded")
            .is_some(),
        "the request is a form"
    );
    for (status, media) in [
        ("200", "application/json"),
        ("400", "application/json"),
        ("401", "application/json"),
        ("500", "application/problem+json"),
        ("503", "application/problem+json"),
    ] {
        assert!(
            operation["responses"][status]["content"]
                .get(media)
                .is_some(),
            "{method} {path}: {status} is documented as {media}"
        );
    }
}

#[test]
fn operation_ids_are_unique() {
    // OpenAPI requires it, and client generators name their methods after them.
    let doc = document();
    let mut seen = std::collections::BTreeMap::<String, Vec<String>>::new();
    for (method, path, operation) in operations(&doc) {
        if let Some(id) = operation["operationId"].as_str() {
            seen.entry(id.to_owned())
                .or_default()
                .push(format!("{method} {path}"));
        }
    }
    let duplicates: Vec<String> = seen
        .into_iter()
        .filter(|(_, users)| users.len() > 1)
        .map(|(id, users)| format!("{id}: {}", users.join(", ")))
        .collect();
    assert!(
        duplicates.is_empty(),
        "operationId used more than once (set `operation_id = \"…\"` in #[utoipa::path]):\n{}",
        duplicates.join("\n")
    );
}

#[test]
fn every_operation_has_a_summary_and_a_description() {
    let doc = document();
    let missing: Vec<String> = operations(&doc)
        .into_iter()
        .flat_map(|(method, path, operation)| {
            ["summary", "description"]
                .into_iter()
                .filter(|key| {
                    operation
                        .get(*key)
                        .and_then(Value::as_str)
                        .is_none_or(|text| text.trim().is_empty())
                })
                .map(|key| format!("{method} {path}: no {key}"))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        missing.is_empty(),
        "operations without a summary or a description (the handler's doc comment gives both: \
         its first paragraph is the summary, the paragraphs after a blank `///` line the \
         description):\n{}",
        missing.join("\n")
    );
}

/// `case_status` → `CaseStatus`.
fn pascal_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|word| {
            let mut letters = word.chars();
            letters
                .next()
                .map(|first| first.to_uppercase().chain(letters).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// Calls `visit` with every object of `value` (recursively) and where it is.
fn each_object<'a>(
    value: &'a Value,
    at: &str,
    visit: &mut impl FnMut(&str, &'a serde_json::Map<String, Value>),
) {
    match value {
        Value::Object(object) => {
            visit(at, object);
            for (key, inner) in object {
                each_object(inner, &format!("{at}/{key}"), visit);
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                each_object(inner, &format!("{at}/{i}"), visit);
            }
        }
        _ => {}
    }
}

/// Every `enum` of `value`, with where it is.
fn inline_enums(value: &Value, at: &str, found: &mut Vec<(String, Vec<String>)>) {
    each_object(value, at, &mut |at, object| {
        if let Some(Value::Array(codes)) = object.get("enum") {
            let codes = codes
                .iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect();
            found.push((at.to_owned(), codes));
        }
    });
}

#[test]
fn every_code_list_is_one_named_component_referenced_wherever_it_is_used() {
    let doc = document();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let lists: Vec<(String, Vec<String>)> = relais_domain::catalogue()
        .into_iter()
        .map(|list| {
            let codes = list.codes.iter().map(|c| c.code.to_owned()).collect();
            (list.name.to_owned(), codes)
        })
        .collect();
    let mut components = 0;
    for (name, codes) in &lists {
        let Some(component) = schemas.get(&pascal_case(name)) else {
            continue;
        };
        components += 1;
        let listed: Vec<&str> = component["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: the component is not an enumeration"))
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert_eq!(
            listed, *codes,
            "{name}: the component lists the reference's codes"
        );
    }
    assert!(
        components >= 40,
        "only {components} code lists are components"
    );

    // No copy of a whole list elsewhere: a client would get one type per copy.
    let mut found = Vec::new();
    for (name, schema) in schemas {
        let is_list = lists.iter().any(|(list, _)| pascal_case(list) == *name);
        if !is_list {
            inline_enums(schema, &format!("#/components/schemas/{name}"), &mut found);
        }
    }
    inline_enums(&doc["paths"], "#/paths", &mut found);
    let copies: Vec<String> = found
        .iter()
        .filter_map(|(at, codes)| {
            let mut sorted = codes.clone();
            sorted.sort();
            lists.iter().find_map(|(list, list_codes)| {
                let mut whole = list_codes.clone();
                whole.sort();
                (whole == sorted).then(|| format!("{at}: a copy of `{list}`"))
            })
        })
        .collect();
    assert!(copies.is_empty(), "{copies:#?}");

    // A code that may be null is the list's reference or null.
    let closure_reason = &schemas["Case"]["properties"]["closure_reason"];
    assert_eq!(
        closure_reason["oneOf"],
        serde_json::json!([{"$ref": "#/components/schemas/ClosureReason"}, {"type": "null"}])
    );
}

#[test]
fn the_document_says_where_to_call_who_answers_and_under_which_licence() {
    let doc = document();
    let servers = doc["servers"].as_array().expect("servers");
    assert_eq!(
        servers[0]["url"], "/",
        "the serving host first: {servers:?}"
    );
    assert!(doc["info"]["contact"]["name"].is_string());
    assert!(doc["info"]["contact"]["url"].is_string());
    assert_eq!(doc["info"]["license"]["identifier"], "AGPL-3.0-or-later");
}

#[test]
fn public_operations_say_they_take_no_credentials() {
    let doc = document();
    let mut public = Vec::new();
    for (method, path, operation) in operations(&doc) {
        let security = operation
            .get("security")
            .unwrap_or_else(|| panic!("{method} {path}: no security at all"));
        if security.as_array().is_some_and(Vec::is_empty) {
            public.push(format!("{method} {path}"));
        }
    }
    assert_eq!(
        public,
        [
            "GET /.well-known/jwks.json",
            "GET /healthz",
            "GET /metrics",
            "GET /readyz"
        ]
    );
}

#[test]
fn every_answer_declares_the_headers_it_carries() {
    let doc = document();
    let mut missing = Vec::new();
    for (method, path, operation) in operations(&doc) {
        let responses = operation["responses"].as_object().unwrap();
        if path.starts_with("/v1/") && !responses.contains_key("400") {
            missing.push(format!(
                "{method} {path}: no 400 (an unknown query parameter)"
            ));
        }
        for (status, response) in responses {
            let headers = &response["headers"];
            let mut expect = vec!["X-Request-Id"];
            if method == "POST" && status.starts_with('2') {
                expect.push("Idempotent-Replayed");
            }
            if status == "503" {
                expect.push("Retry-After");
            }
            for name in expect {
                if headers.get(name).is_none() {
                    missing.push(format!("{method} {path} {status}: {name}"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
    let schemas = &doc["components"]["schemas"];
    for name in ["RequestId", "IdempotentReplayed", "RetryAfter"] {
        assert!(schemas[name]["description"].is_string(), "{name}");
    }
}

#[test]
fn no_operation_declares_a_header_that_http_itself_carries() {
    // OpenAPI ignores `Accept`, `Content-Type` and `Authorization` header parameters, and a
    // generated client would ask for them as arguments: the media type of a document is chosen
    // by content negotiation, and the token by the security scheme.
    let doc = document();
    let mut declared = Vec::new();
    for (method, path, operation) in operations(&doc) {
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let name = parameter["name"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if parameter["in"] == "header"
                && ["accept", "content-type", "authorization"].contains(&name.as_str())
            {
                declared.push(format!("{method} {path}: {name}"));
            }
        }
        // A document offered in several media types has a binary PDF among them.
        if let Some(pdf) = operation["responses"]["200"]["content"].get("application/pdf") {
            let schema = &pdf["schema"];
            let schema = schema["$ref"].as_str().map_or(schema, |reference| {
                &doc["components"]["schemas"][reference.trim_start_matches("#/components/schemas/")]
            });
            assert_eq!(schema["format"], "binary", "{method} {path}: {schema}");
        }
    }
    assert!(declared.is_empty(), "{declared:#?}");
}

/// Every property of `schema` (recursively), as (where, name, schema).
fn properties<'a>(value: &'a Value, at: &str, found: &mut Vec<(String, String, &'a Value)>) {
    each_object(value, at, &mut |at, object| {
        if let Some(Value::Object(props)) = object.get("properties") {
            for (name, schema) in props {
                found.push((at.to_owned(), name.clone(), schema));
            }
        }
    });
}

/// The formats a property's schema allows, through `oneOf`/`anyOf`.
fn formats(schema: &Value) -> Vec<String> {
    let mut found: Vec<String> = schema["format"]
        .as_str()
        .map(str::to_owned)
        .into_iter()
        .collect();
    for key in ["oneOf", "anyOf"] {
        for alternative in schema[key].as_array().into_iter().flatten() {
            found.extend(formats(alternative));
        }
    }
    found
}

#[test]
fn names_keep_their_promise_an_at_is_an_instant_and_a_date_is_on() {
    let doc = document();
    let mut found = Vec::new();
    properties(
        &doc["components"]["schemas"],
        "#/components/schemas",
        &mut found,
    );
    assert!(found.len() > 500, "the walk sees the properties");
    let mut broken = Vec::new();
    for (at, name, schema) in found {
        // The rules across fields (`if`/`then`/`else`) name fields to say which are given,
        // not their shape.
        if ["/if", "/then", "/else"].iter().any(|k| at.contains(k)) {
            continue;
        }
        let formats = formats(schema);
        if name.ends_with("_at") && !formats.iter().any(|f| f == "date-time") {
            broken.push(format!(
                "{at}/{name}: an `_at` that is not a timestamp ({formats:?})"
            ));
        }
        // `birth_date` is the contract's name (API.md, minimum shapes); the agenda's `from`
        // and `to` echo the query parameters of the same names, the range's bounds; an
        // absence's `from` and `to` are the contract's names too (DAILY.md), its first and last
        // days.
        let date_only =
            formats.iter().any(|f| f == "date") && !formats.iter().any(|f| f == "date-time");
        let bounds = ["/Agenda", "/Absence", "/NewAbsence"];
        let exception = name == "birth_date"
            || (bounds.iter().any(|b| at.ends_with(b)) && ["from", "to"].contains(&name.as_str()));
        if date_only && !name.ends_with("_on") && !exception {
            broken.push(format!("{at}/{name}: a date not named `_on`"));
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

/// Every schema of `value` (recursively) that is a free text: a string without a format, a
/// pattern or a list of values.
fn free_texts(value: &Value, at: &str, found: &mut Vec<String>) {
    each_object(value, at, &mut |at, object| {
        let text = match object.get("type") {
            Some(Value::String(t)) => t == "string",
            Some(Value::Array(types)) => types.iter().any(|t| t == "string"),
            _ => false,
        };
        if text
            && ["format", "pattern", "enum", "const"]
                .iter()
                .all(|k| !object.contains_key(*k))
        {
            found.push(at.to_owned());
        }
    });
}

#[test]
fn every_free_text_says_a_nul_character_is_refused() {
    let doc = document();
    let mut found = Vec::new();
    free_texts(&doc["components"], "#/components", &mut found);
    free_texts(&doc["paths"], "#/paths", &mut found);
    // What the server writes (a document's HTML, the calendar, the metrics) is not read, and a
    // problem document may echo what was refused (a pointer to a key holding a NUL).
    found.retain(|at| {
        !at.contains("/responses/")
            && !at.starts_with("#/components/schemas/Problem/")
            && !at.starts_with("#/components/schemas/FieldError/")
    });
    assert!(
        found.is_empty(),
        "texts without the NUL pattern: {found:#?}"
    );
    let pattern = doc["components"]["schemas"]["NewPerson"]["properties"]["caf_number"]["pattern"]
        .as_str()
        .unwrap();
    assert_eq!(pattern, relais_api::openapi::NO_NUL);
}

#[test]
fn the_rules_across_fields_the_document_states_accept_and_refuse_as_the_server_does() {
    use relais_tests::conformance_errors;
    use serde_json::json;
    let cases = [
        (
            "NewContact",
            json!({"kind": "phone_call", "occurred_at": "2026-01-01T10:00:00Z"}),
            true,
        ),
        (
            "NewContact",
            json!({"kind": "phone_call", "scheduled_at": "2026-01-01T10:00:00Z", "occurred_at": null}),
            true,
        ),
        (
            "NewContact",
            json!({"kind": "phone_call", "scheduled_at": "2026-01-01T10:00:00Z", "occurred_at": "2026-01-01T10:00:00Z"}),
            false,
        ),
        ("NewContact", json!({"kind": "phone_call"}), false),
        (
            "NewCase",
            json!({"reason": "Impayés", "origin": "self", "person_id": "0193a3c4-0000-7000-8000-000000000001"}),
            true,
        ),
        (
            "NewCase",
            json!({"reason": "Impayés", "origin": "self"}),
            false,
        ),
        (
            "NewTransition",
            json!({"to": "closed", "closure_reason": "goals_met"}),
            true,
        ),
        ("NewTransition", json!({"to": "closed"}), false),
        ("NewTransition", json!({"to": "active"}), true),
        ("NewReferralDecision", json!({"outcome": "accepted"}), true),
        ("NewReferralDecision", json!({"outcome": "declined"}), false),
        (
            "NewReferralDecision",
            json!({"outcome": "redirected", "redirected_to": "ccas-lyon", "person_id": "0193a3c4-0000-7000-8000-000000000001"}),
            false,
        ),
        (
            "FunderInput",
            json!({"name": "FSL", "requested_cents": 100, "status": "refused"}),
            true,
        ),
        (
            "FunderInput",
            json!({"name": "FSL", "requested_cents": 100, "status": "refused", "granted_cents": 5}),
            false,
        ),
        (
            "FunderInput",
            json!({"name": "FSL", "requested_cents": 100, "status": "partially_granted"}),
            false,
        ),
        (
            "AssessmentDomainEntry",
            json!({"domain": "housing", "situation": "x", "needs_action": "yes"}),
            false,
        ),
        (
            "AssessmentDomainEntry",
            json!({"domain": "housing", "situation": "x", "needs_action": "yes", "priority": "high"}),
            true,
        ),
        (
            "NewPlanItem",
            json!({"party": "person", "category": "paperwork", "domain": "housing", "title": "Rassembler les quittances", "due_on": "2027-01-15"}),
            true,
        ),
        (
            "NewPlanItem",
            json!({"party": "person", "category": "social_report", "domain": "housing", "title": "Rédiger", "due_on": "2027-01-15"}),
            false,
        ),
        (
            "NewLiaison",
            json!({"destination": {"name": "CAF du Rhône", "contact": "Mme Durand"}, "purpose": "Ouverture des droits", "content": ["identity", "nir"], "legal_basis": "legal_obligation"}),
            true,
        ),
        (
            "NewLiaison",
            json!({"destination": {"name": "CAF du Rhône", "contact": "Mme Durand"}, "purpose": "Ouverture des droits", "content": ["identity", "nir"], "legal_basis": "shared_secrecy"}),
            false,
        ),
        (
            "NewLiaison",
            json!({"destination": {"name": "CAF du Rhône", "contact": "Mme Durand"}, "purpose": "Ouverture des droits", "content": ["identity"], "legal_basis": "consent"}),
            false,
        ),
        (
            "NewLiaison",
            json!({"destination": {"name": "CAF du Rhône", "contact": "Mme Durand"}, "purpose": "Ouverture des droits", "content": ["identity"], "legal_basis": "shared_secrecy", "consent_id": "0193a3c4-0000-7000-8000-000000000001"}),
            false,
        ),
    ];
    for (name, value, valid) in cases {
        let errors = conformance_errors(name, &value);
        assert_eq!(errors.is_empty(), valid, "{name} {value}: {errors:?}");
    }
}

#[test]
fn every_example_of_a_named_schema_or_a_request_body_is_valid() {
    use relais_tests::conformance_errors;
    let doc = document();
    let mut checked = 0;
    let mut broken = Vec::new();
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for (name, schema) in schemas {
        let examples = schema
            .get("example")
            .into_iter()
            .chain(schema["examples"].as_array().into_iter().flatten());
        for example in examples {
            checked += 1;
            let errors = conformance_errors(name, example);
            if !errors.is_empty() {
                broken.push(format!("{name}: {errors:?}"));
            }
        }
    }
    for (method, path, operation) in operations(&doc) {
        let Some(json) = operation["requestBody"]["content"].get("application/json") else {
            continue;
        };
        let (Some(reference), Some(example)) =
            (json["schema"]["$ref"].as_str(), json.get("example"))
        else {
            continue;
        };
        checked += 1;
        let name = reference.trim_start_matches("#/components/schemas/");
        let errors = conformance_errors(name, example);
        if !errors.is_empty() {
            broken.push(format!("{method} {path}: {errors:?}"));
        }
    }
    assert!(checked > 30, "{checked}");
    assert!(broken.is_empty(), "{broken:#?}");
}
