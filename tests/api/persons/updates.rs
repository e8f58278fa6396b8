//! Correcting a person: JSON merge patch under `If-Match`.

use relais_tests::{assert_problem, nir, pointers, problem};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::person::CreatedPerson;

/// Changes to the person.
impl CreatedPerson {
    async fn patch(&self, version: i64, body: Value) -> reqwest::Response {
        self.app
            .patch(&self.path(""), &self.token, version, &body)
            .await
    }

    async fn stored(&self) -> Value {
        self.app.get_json(&self.path(""), &self.token).await
    }
}

async fn fixture() -> CreatedPerson {
    CreatedPerson::new(json!({
        "first_name": "Éloïse",
        "last_name": "Martin",
        "birth_date": "1969-05-12",
        "nir": nir("2690549588157"),
        "phone": "0601020304",
        "email": "eloise@example.org",
        "address": {"line1": "3 rue des Lilas", "city": "Paris", "country": "FR"}
    }))
    .await
}

#[tokio::test]
async fn a_patch_changes_the_given_fields_and_keeps_the_others() {
    let f = fixture().await;
    let response = f
        .patch(
            1,
            json!({"last_name": "Martin-Leroy", "marital_status": "married"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"2\"");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["version"], 2);
    assert_eq!(body["last_name"], "Martin-Leroy");
    assert_eq!(body["marital_status"], "married");
    assert_eq!(body["first_name"], "Éloïse");
    assert_eq!(body["phone"], "0601020304");
    assert_eq!(body["nir"], "2 69 05 ** *** *** 80");
    assert_eq!(body["address"]["city"], "Paris");

    let read = f.app.get(&f.path(""), &f.token).await;
    assert_eq!(read.headers()["etag"], "\"2\"");
    let read: Value = read.json().await.unwrap();
    assert_eq!(read["last_name"], "Martin-Leroy");
    assert_eq!(read["version"], 2);
}

#[tokio::test]
async fn null_clears_a_field() {
    let f = fixture().await;
    let response = f.patch(1, json!({"phone": null, "address": null})).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["phone"], Value::Null);
    assert_eq!(body["address"], Value::Null);
    assert_eq!(
        body["email"], "eloise@example.org",
        "absent fields are kept"
    );
    let stored = f.stored().await;
    assert_eq!(stored["phone"], Value::Null);
    assert_eq!(stored["address"], Value::Null);
}

#[tokio::test]
async fn null_clears_the_nir_and_a_new_one_can_be_set() {
    let f = fixture().await;
    let cleared = f.patch(1, json!({"nir": null})).await;
    assert_eq!(cleared.status(), 200);
    assert_eq!(cleared.json::<Value>().await.unwrap()["nir"], Value::Null);
    let (cipher, hash): (Option<Vec<u8>>, Option<Vec<u8>>) =
        sqlx::query_as("SELECT nir_ciphertext, nir_hash FROM persons WHERE id = $1::uuid")
            .bind(&f.id)
            .fetch_one(&f.app.sql)
            .await
            .unwrap();
    assert!(cipher.is_none() && hash.is_none());

    let number = nir("1850578006084");
    let set = f.patch(2, json!({"nir": number})).await;
    assert_eq!(set.status(), 200);
    let body: Value = set.json().await.unwrap();
    assert_eq!(body["nir"], "1 85 05 ** *** *** 91");
    assert_eq!(body["version"], 3);
    let found: Value = f
        .app
        .get_json(&format!("/v1/persons?nir={number}"), &f.token)
        .await;
    assert_eq!(
        found["items"][0]["id"],
        f.id.as_str(),
        "the new NIR is searchable"
    );
}

#[tokio::test]
async fn every_patch_increments_the_version_and_etag() {
    let f = fixture().await;
    for version in 1..=3 {
        let response = f
            .patch(version, json!({"phone": format!("06000000{version:02}")}))
            .await;
        assert_eq!(response.status(), 200, "patch at version {version}");
        let next = version + 1;
        assert_eq!(response.headers()["etag"], format!("\"{next}\"").as_str());
        assert_eq!(response.json::<Value>().await.unwrap()["version"], next);
    }
}

#[tokio::test]
async fn a_patch_without_if_match_is_refused_with_428() {
    let f = fixture().await;
    let response = f
        .app
        .request(Method::PATCH, &f.path(""), &f.token)
        .json(&json!({"phone": "0700000000"}))
        .send()
        .await
        .unwrap();
    let doc = assert_problem(response, 428, "precondition_required").await;
    assert_eq!(doc["errors"][0]["in"], "header");
    assert_eq!(f.stored().await["phone"], "0601020304");
}

#[tokio::test]
async fn a_stale_if_match_is_refused_with_412() {
    let f = fixture().await;
    assert_eq!(
        f.patch(1, json!({"phone": "0700000001"})).await.status(),
        200
    );
    let stale = f.patch(1, json!({"phone": "0700000002"})).await;
    assert_problem(stale, 412, "version_mismatch").await;
    let ahead = f.patch(9, json!({"phone": "0700000003"})).await;
    assert_eq!(ahead.status(), 412);
    let stored = f.stored().await;
    assert_eq!(stored["phone"], "0700000001");
    assert_eq!(stored["version"], 2);
}

#[tokio::test]
async fn an_if_match_that_is_not_an_etag_is_a_400_and_a_tag_never_issued_stale() {
    let f = fixture().await;
    for (value, status) in [("1", 400), ("", 400), ("\"abc\"", 412)] {
        let response = f
            .app
            .request(Method::PATCH, &f.path(""), &f.token)
            .header("If-Match", value)
            .json(&json!({"phone": "0700000000"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "If-Match: {value}");
    }
    let weak = f
        .app
        .request(Method::PATCH, &f.path(""), &f.token)
        .header("If-Match", "W/\"1\"")
        .json(&json!({"phone": "0700000000"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        weak.status(),
        200,
        "a weak tag of the current version matches"
    );
}

#[tokio::test]
async fn an_invalid_nir_in_a_patch_is_refused_at_nir() {
    let f = fixture().await;
    let response = f.patch(1, json!({"nir": "269054958815781"})).await;
    assert_eq!(response.status(), 422);
    let doc = problem(response).await;
    assert_eq!(pointers(&doc), ["/nir"]);
    assert_eq!(doc["errors"][0]["code"], "nir_wrong_key");
    assert_eq!(f.stored().await["version"], 1);
}

#[tokio::test]
async fn invalid_values_in_a_patch_point_at_their_fields() {
    let f = fixture().await;
    let future = (chrono::Utc::now().date_naive() + chrono::Days::new(3)).to_string();
    for (body, pointer) in [
        (json!({"birth_date": future}), "/birth_date"),
        (json!({"email": "nope"}), "/email"),
        (json!({"phone": ""}), "/phone"),
        (json!({"address": {"country": "FRA"}}), "/address/country"),
        (json!({"first_name": ""}), "/first_name"),
    ] {
        let response = f.patch(1, body.clone()).await;
        assert_eq!(response.status(), 422, "{body}");
        let doc = problem(response).await;
        assert_eq!(doc["code"], "validation_failed", "{body}");
        assert_eq!(pointers(&doc), [pointer], "{body}");
    }
    assert_eq!(f.stored().await["version"], 1, "nothing was changed");
}

#[tokio::test]
async fn required_names_cannot_be_cleared_or_blanked() {
    let f = fixture().await;
    for (body, pointer) in [
        (json!({"last_name": null}), "/last_name"),
        (json!({"first_name": null}), "/first_name"),
        (json!({"last_name": "   "}), "/last_name"),
    ] {
        let response = f.patch(1, body.clone()).await;
        assert_eq!(response.status(), 422, "{body}");
        let doc = problem(response).await;
        assert_eq!(doc["code"], "validation_failed", "{body}");
        assert_eq!(pointers(&doc), [pointer], "{body}");
    }
    let stored = f.stored().await;
    assert_eq!(stored["last_name"], "Martin");
    assert_eq!(stored["first_name"], "Éloïse");
    assert_eq!(stored["version"], 1);
}

#[tokio::test]
async fn a_partial_address_is_merged_into_the_current_one() {
    let f = fixture().await;
    let response = f
        .patch(1, json!({"address": {"postcode": "69001", "city": "Lyon"}}))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["address"]["city"], "Lyon");
    assert_eq!(body["address"]["postcode"], "69001");
    assert_eq!(
        body["address"]["line1"], "3 rue des Lilas",
        "fields not sent are kept"
    );
    assert_eq!(body["address"]["country"], "FR");

    let cleared = f
        .patch(2, json!({"address": {"line1": null, "country": "be"}}))
        .await;
    assert_eq!(cleared.status(), 200);
    let body: Value = cleared.json().await.unwrap();
    assert_eq!(
        body["address"]["line1"],
        Value::Null,
        "null clears one address field"
    );
    assert_eq!(body["address"]["city"], "Lyon");
    assert_eq!(body["address"]["country"], "BE");
    assert_eq!(f.stored().await["address"], body["address"]);
}

#[tokio::test]
async fn a_patch_to_the_nir_of_another_person_conflicts() {
    let f = fixture().await;
    let other = f
        .app
        .create_person(
            &f.token,
            json!({"first_name": "Jean", "last_name": "Dupont", "nir": nir("1850578006084")}),
        )
        .await;
    let response = f
        .app
        .patch(
            &format!("/v1/persons/{}", other["id"].as_str().unwrap()),
            &f.token,
            1,
            &json!({"nir": nir("2690549588157")}),
        )
        .await;
    assert_problem(response, 409, "duplicate_nir").await;
}

#[tokio::test]
async fn an_unknown_field_in_a_patch_is_refused() {
    let f = fixture().await;
    let response = f
        .patch(1, json!({"phone": "0700000000", "version": 5}))
        .await;
    let doc = assert_problem(response, 400, "unknown_field").await;
    assert_eq!(pointers(&doc), ["/version"]);
}

#[tokio::test]
async fn a_successful_patch_is_audited_as_an_update() {
    let f = fixture().await;
    assert_eq!(
        f.patch(1, json!({"caf_number": "1234567"})).await.status(),
        200
    );
    let actions = f.app.audit_actions(&f.id).await;
    assert_eq!(
        actions,
        [
            ("create".to_owned(), "person".to_owned()),
            ("update".to_owned(), "person".to_owned())
        ]
    );
}

#[tokio::test]
async fn if_match_star_matches_whatever_version_exists() {
    let f = fixture().await;
    assert_eq!(
        f.patch(1, json!({"phone": "0700000000"})).await.status(),
        200
    );
    let response = f
        .app
        .request(Method::PATCH, &f.path(""), &f.token)
        .header("If-Match", "*")
        .json(&json!({"phone": "0711111111"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"3\"");
    assert_eq!(f.stored().await["phone"], "0711111111");
}

#[tokio::test]
async fn a_patch_is_held_to_the_rules_of_a_creation() {
    let f = fixture().await;
    // POST refuses a two-character phone number; PATCH must too.
    let response = f.patch(1, json!({"phone": "12"})).await;
    assert_eq!(response.status(), 422);
    assert_eq!(pointers(&problem(response).await), vec!["/phone"]);
    let response = f.patch(1, json!({"caf_number": ""})).await;
    assert_eq!(response.status(), 422);
    assert_eq!(pointers(&problem(response).await), vec!["/caf_number"]);
    let response = f
        .patch(
            1,
            json!({"informed": {"at": "2026-01-05", "channel": "in_person", "notice_version": ""}}),
        )
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        pointers(&problem(response).await),
        vec!["/informed/notice_version"]
    );
    assert_eq!(f.stored().await["version"], 1, "nothing was written");
}
