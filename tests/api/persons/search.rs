//! Searching persons: by name (accent- and case-insensitive), birth date, exact NIR, and
//! cursor pagination.

use std::collections::HashSet;

use relais_tests::{TestApp, assert_problem, nir, pointers, problem};
use serde_json::{Value, json};

struct Fixture {
    app: TestApp,
    token: String,
}

/// Éloïse Martin, Jean Martinez, Éloïse Durand and Paul Lefèvre (born Lambert).
async fn fixture() -> Fixture {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    for person in [
        json!({"first_name": "Éloïse", "last_name": "Martin", "birth_date": "1969-05-12",
               "nir": nir("2690549588157")}),
        json!({"first_name": "Jean", "last_name": "Martinez", "birth_date": "1980-02-03"}),
        json!({"first_name": "Éloïse", "last_name": "Durand", "birth_date": "1980-02-03",
               "nir": nir("2800275056042")}),
        json!({"first_name": "Paul", "last_name": "Lefèvre", "birth_name": "Lambert"}),
    ] {
        app.create_person(&token, person).await;
    }
    Fixture { app, token }
}

impl Fixture {
    /// The full names found by a search with this query string.
    async fn names(&self, query: &[(&str, &str)]) -> Vec<String> {
        let response = self
            .app
            .request(reqwest::Method::GET, "/v1/persons", &self.token)
            .query(query)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{query:?}");
        let body: Value = response.json().await.unwrap();
        let mut names: Vec<String> = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                format!(
                    "{} {}",
                    p["first_name"].as_str().unwrap(),
                    p["last_name"].as_str().unwrap()
                )
            })
            .collect();
        names.sort();
        names
    }
}

#[tokio::test]
async fn searching_by_name_ignores_accents_and_case() {
    let f = fixture().await;
    assert_eq!(
        f.names(&[("q", "eloise")]).await,
        ["Éloïse Durand", "Éloïse Martin"]
    );
    assert_eq!(
        f.names(&[("q", "ÉLOÏSE")]).await,
        ["Éloïse Durand", "Éloïse Martin"]
    );
    assert_eq!(f.names(&[("q", "lefevre")]).await, ["Paul Lefèvre"]);
    assert_eq!(
        f.names(&[("q", "MART")]).await,
        ["Jean Martinez", "Éloïse Martin"]
    );
}

#[tokio::test]
async fn every_word_of_the_query_must_match() {
    let f = fixture().await;
    assert_eq!(f.names(&[("q", "eloise martin")]).await, ["Éloïse Martin"]);
    assert_eq!(f.names(&[("q", "martin ELOISE")]).await, ["Éloïse Martin"]);
    assert!(f.names(&[("q", "jean durand")]).await.is_empty());
}

#[tokio::test]
async fn each_word_must_begin_a_word_of_the_names_both_short_and_long() {
    let f = fixture().await;
    // Short words (read newest first) and longer ones (from the index of name words) agree.
    for (query, found) in [
        ("ma", vec!["Jean Martinez", "Éloïse Martin"]),
        ("mar el", vec!["Éloïse Martin"]),
        ("martinez", vec!["Jean Martinez"]),
        ("elo mart", vec!["Éloïse Martin"]),
        ("lamb pa", vec!["Paul Lefèvre"]),
        // The rarest word leads (here the shorter one), the others are checked on its matches.
        ("jean mart", vec!["Jean Martinez"]),
        ("mart jean", vec!["Jean Martinez"]),
        ("paul lambert lefevre", vec!["Paul Lefèvre"]),
    ] {
        assert_eq!(f.names(&[("q", query)]).await, found, "{query}");
    }
    // Inside a word is not the beginning of one.
    for query in ["tin", "artin", "oise", "zebulon", "el zebulon"] {
        assert!(f.names(&[("q", query)]).await.is_empty(), "{query}");
    }
}

#[tokio::test]
async fn a_renamed_person_is_found_by_the_new_name_only_and_other_organisations_never() {
    let f = fixture().await;
    let created = f
        .app
        .create_person(
            &f.token,
            json!({"first_name": "Inès", "last_name": "Garnier"}),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    let version = created["version"].as_i64().unwrap();
    let path = format!("/v1/persons/{id}");
    let body = json!({"last_name": "Fontaine"});
    let response = f.app.patch(&path, &f.token, version, &body).await;
    assert_eq!(response.status(), 200);
    assert!(f.names(&[("q", "garnier")]).await.is_empty());
    assert_eq!(f.names(&[("q", "fontaine ines")]).await, ["Inès Fontaine"]);

    // The same names in another organisation are not found from this one, nor the reverse.
    let other = f.app.token_for("other", &["reception"], "olga");
    f.app
        .create_person(
            &other,
            json!({"first_name": "Inès", "last_name": "Fontaine"}),
        )
        .await;
    assert_eq!(f.names(&[("q", "fontaine")]).await, ["Inès Fontaine"]);
    let theirs: Value = f.app.get_json("/v1/persons?q=fontaine", &other).await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 1);
    assert_ne!(theirs["items"][0]["id"], id);
}

#[tokio::test]
async fn the_birth_name_is_searched_too() {
    let f = fixture().await;
    assert_eq!(f.names(&[("q", "lambert")]).await, ["Paul Lefèvre"]);
}

#[tokio::test]
async fn punctuation_in_the_query_separates_words() {
    let f = fixture().await;
    assert_eq!(f.names(&[("q", "martin-éloïse")]).await, ["Éloïse Martin"]);
    assert_eq!(f.names(&[("q", "  paul!  ")]).await, ["Paul Lefèvre"]);
    assert_eq!(f.names(&[("q", "Lefèvre,")]).await, ["Paul Lefèvre"]);
}

#[tokio::test]
async fn searching_by_birth_date_finds_exactly_those_born_that_day() {
    let f = fixture().await;
    assert_eq!(
        f.names(&[("birth_date", "1980-02-03")]).await,
        ["Jean Martinez", "Éloïse Durand"]
    );
    assert_eq!(
        f.names(&[("birth_date", "1980-02-03"), ("q", "eloise")])
            .await,
        ["Éloïse Durand"]
    );
    assert!(f.names(&[("birth_date", "1980-02-04")]).await.is_empty());
}

#[tokio::test]
async fn searching_by_nir_is_an_exact_match() {
    let f = fixture().await;
    assert_eq!(
        f.names(&[("nir", &nir("2690549588157"))]).await,
        ["Éloïse Martin"]
    );
    assert_eq!(
        f.names(&[("nir", "2 69 05 49 588 157 80")]).await,
        ["Éloïse Martin"],
        "spaces are allowed"
    );
    assert!(f.names(&[("nir", &nir("1850578006084"))]).await.is_empty());
    assert!(
        f.names(&[("nir", &nir("2800275056042")), ("q", "martin")])
            .await
            .is_empty(),
        "criteria combine"
    );
}

#[tokio::test]
async fn search_results_show_the_nir_masked() {
    let f = fixture().await;
    let body: Value = f
        .app
        .get_json("/v1/persons?q=martin%20eloise", &f.token)
        .await;
    assert_eq!(body["items"][0]["nir"], "2 69 05 ** *** *** 80");
    assert_eq!(body["items"][0]["nir_revealed"], false);
    assert_eq!(body["next_cursor"], Value::Null);
}

#[tokio::test]
async fn an_invalid_nir_in_a_search_is_a_bad_parameter() {
    let f = fixture().await;
    let response = f.app.get("/v1/persons?nir=12345", &f.token).await;
    let doc = assert_problem(response, 400, "invalid_parameter").await;
    assert_eq!(pointers(&doc), ["/nir"]);
    assert_eq!(doc["errors"][0]["in"], "query");
}

#[tokio::test]
async fn an_invalid_birth_date_in_a_search_is_a_bad_parameter() {
    let f = fixture().await;
    let response = f
        .app
        .get("/v1/persons?birth_date=03/02/1980", &f.token)
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(pointers(&problem(response).await), ["/birth_date"]);
}

#[tokio::test]
async fn pages_of_one_walk_through_every_person_once_in_a_stable_order() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    let mut created = HashSet::new();
    for last_name in ["Un", "Deux", "Trois"] {
        let p = app
            .create_person(
                &token,
                json!({"first_name": "Page", "last_name": last_name}),
            )
            .await;
        created.insert(p["id"].as_str().unwrap().to_owned());
    }

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for page in 0..3 {
        let mut path = "/v1/persons?limit=1".to_owned();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let body: Value = app.get_json(&path, &token).await;
        let items = body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "page {page}");
        seen.push(items[0]["id"].as_str().unwrap().to_owned());
        cursor = body["next_cursor"].as_str().map(str::to_owned);
        if page < 2 {
            assert!(cursor.is_some(), "page {page} has a next page");
        } else {
            assert_eq!(cursor, None, "the last page says so");
        }
    }
    let distinct: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(distinct, created, "every person once, no duplicates");
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "newest first");

    // The same walk gives the same pages.
    let first: Value = app.get_json("/v1/persons?limit=1", &token).await;
    assert_eq!(first["items"][0]["id"].as_str().unwrap(), seen[0]);
    let all: Value = app.get_json("/v1/persons?limit=3", &token).await;
    let ids: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, seen);
    assert_eq!(all["next_cursor"], Value::Null);
}

#[tokio::test]
async fn a_person_created_between_pages_does_not_shift_the_walk() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    for last_name in ["Un", "Deux"] {
        app.create_person(
            &token,
            json!({"first_name": "Page", "last_name": last_name}),
        )
        .await;
    }
    let first: Value = app.get_json("/v1/persons?limit=1", &token).await;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    app.create_person(&token, json!({"first_name": "Page", "last_name": "Trois"}))
        .await;
    let second: Value = app
        .get_json(&format!("/v1/persons?limit=1&cursor={cursor}"), &token)
        .await;
    assert_eq!(second["items"][0]["last_name"], "Un");
    assert_eq!(second["next_cursor"], Value::Null);
    assert_ne!(second["items"][0]["id"], first["items"][0]["id"]);
}

#[tokio::test]
async fn limits_outside_one_to_two_hundred_and_bad_cursors_are_refused() {
    let f = fixture().await;
    for (query, pointer) in [
        ("limit=0", "/limit"),
        ("limit=201", "/limit"),
        ("limit=-1", "/limit"),
        ("limit=ten", "/limit"),
        ("cursor=not-a-cursor", "/cursor"),
        ("cursor=AAAA", "/cursor"),
    ] {
        let response = f.app.get(&format!("/v1/persons?{query}"), &f.token).await;
        assert_eq!(response.status(), 400, "{query}");
        let doc = problem(response).await;
        assert_eq!(doc["code"], "invalid_parameter", "{query}");
        assert_eq!(pointers(&doc), [pointer], "{query}");
        assert_eq!(doc["errors"][0]["in"], "query", "{query}");
    }
    for limit in ["1", "200"] {
        let response = f
            .app
            .get(&format!("/v1/persons?limit={limit}"), &f.token)
            .await;
        assert_eq!(response.status(), 200, "limit={limit}");
    }
}

#[tokio::test]
async fn a_query_over_two_hundred_characters_is_refused() {
    let f = fixture().await;
    let long = "a".repeat(201);
    let response = f.app.get(&format!("/v1/persons?q={long}"), &f.token).await;
    assert_eq!(response.status(), 400);
    assert_eq!(pointers(&problem(response).await), ["/q"]);
}

#[tokio::test]
async fn a_search_audits_every_person_it_shows_and_only_those() {
    let f = fixture().await;
    let body: Value = f.app.get_json("/v1/persons?q=eloise", &f.token).await;
    let shown: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(shown.len(), 2);
    for id in &shown {
        let actions = f.app.audit_actions(id).await;
        assert_eq!(
            actions.last().unwrap(),
            &("search".to_owned(), "person".to_owned())
        );
    }
    let searches: i64 = f
        .app
        .count("SELECT count(*) FROM audit_events WHERE action = 'search'")
        .await;
    assert_eq!(searches, 2, "persons not shown are not logged as seen");
}
