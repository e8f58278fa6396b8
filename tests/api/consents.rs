//! A person's consents: recorded, listed, withdrawn (never deleted), audited.

use relais_tests::{assert_problem, pointers, problem, today};
use serde_json::{Value, json};

use crate::support::person::CreatedPerson;

/// Éloïse Martin's consents.
impl CreatedPerson {
    fn consents(&self) -> String {
        self.path("/consents")
    }

    async fn add(&self, body: Value) -> reqwest::Response {
        self.app.post(&self.consents(), &self.token, &body).await
    }

    async fn withdraw(&self, consent_id: &str, token: &str) -> reqwest::Response {
        self.app
            .post(
                &format!("{}/{consent_id}/withdrawal", self.consents()),
                token,
                &json!({"channel": "phone"}),
            )
            .await
    }
}

async fn fixture() -> CreatedPerson {
    CreatedPerson::new(json!({"first_name": "Éloïse", "last_name": "Martin"})).await
}

fn data_processing() -> Value {
    json!({"scope": "data_processing", "channel": "signed_paper", "given_at": "2026-01-05"})
}

#[tokio::test]
async fn recording_a_consent_answers_201_with_its_location() {
    let f = fixture().await;
    let response = f.add(data_processing()).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let consent: Value = response.json().await.unwrap();
    let id = consent["id"].as_str().unwrap();
    assert_eq!(location, format!("{}/{id}", f.consents()));
    assert_eq!(consent["person_id"], f.id.as_str());
    assert_eq!(consent["scope"], "data_processing");
    assert_eq!(consent["channel"], "signed_paper");
    assert_eq!(consent["given_at"], "2026-01-05T00:00:00Z");
    assert_eq!(consent["active"], true);
    assert_eq!(consent["withdrawn_at"], Value::Null);
    assert_eq!(consent["withdrawal_channel"], Value::Null);
    let agent = f.app.agent_id(&f.token).await;
    assert_eq!(consent["collected_by"], agent.to_string().as_str());
}

#[tokio::test]
async fn a_consent_given_today_is_accepted() {
    let f = fixture().await;
    let response = f
        .add(json!({"scope": "contact_by_sms", "channel": "phone", "given_at": today()}))
        .await;
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn consents_are_listed_oldest_first() {
    let f = fixture().await;
    let first: Value = f.add(data_processing()).await.json().await.unwrap();
    let second: Value = f
        .add(json!({"scope": "share_with_partners", "channel": "in_person", "given_at": today()}))
        .await
        .json()
        .await
        .unwrap();
    let response = f.app.get(&f.consents(), &f.token).await;
    assert_eq!(response.status(), 200);
    let list: Value = response.json().await.unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], first["id"]);
    assert_eq!(items[1]["id"], second["id"]);
    assert_eq!(items[1]["scope"], "share_with_partners");
    assert_eq!(list["next_cursor"], Value::Null);
}

#[tokio::test]
async fn withdrawing_a_consent_keeps_it_inactive_with_its_date_and_channel() {
    let f = fixture().await;
    let consent: Value = f.add(data_processing()).await.json().await.unwrap();
    let id = consent["id"].as_str().unwrap();
    let before = chrono::Utc::now() - chrono::Duration::seconds(5);
    let response = f.withdraw(id, &f.token).await;
    assert_eq!(response.status(), 200);
    let withdrawn: Value = response.json().await.unwrap();
    assert_eq!(withdrawn["id"], id);
    assert_eq!(withdrawn["active"], false);
    assert_eq!(withdrawn["withdrawal_channel"], "phone");
    let at: chrono::DateTime<chrono::Utc> =
        withdrawn["withdrawn_at"].as_str().unwrap().parse().unwrap();
    assert!(at > before && at < chrono::Utc::now() + chrono::Duration::seconds(5));

    let list: Value = f.app.get_json(&f.consents(), &f.token).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "never deleted");
    assert_eq!(list["items"][0]["active"], false);
}

#[tokio::test]
async fn withdrawing_twice_conflicts() {
    let f = fixture().await;
    let consent: Value = f.add(data_processing()).await.json().await.unwrap();
    let id = consent["id"].as_str().unwrap();
    assert_eq!(f.withdraw(id, &f.token).await.status(), 200);
    let again = f.withdraw(id, &f.token).await;
    assert_problem(again, 409, "consent_already_withdrawn").await;
}

#[tokio::test]
async fn withdrawing_an_unknown_consent_or_through_another_person_is_not_found() {
    let f = fixture().await;
    let consent: Value = f.add(data_processing()).await.json().await.unwrap();
    let id = consent["id"].as_str().unwrap();
    let unknown = f
        .withdraw(&uuid::Uuid::now_v7().to_string(), &f.token)
        .await;
    assert_eq!(unknown.status(), 404);

    let someone_else = f
        .app
        .create_person(
            &f.token,
            json!({"first_name": "Jean", "last_name": "Dupont"}),
        )
        .await;
    let path = format!(
        "/v1/persons/{}/consents/{id}/withdrawal",
        someone_else["id"].as_str().unwrap()
    );
    let response = f
        .app
        .post(&path, &f.token, &json!({"channel": "phone"}))
        .await;
    assert_eq!(response.status(), 404);
    let list: Value = f.app.get_json(&f.consents(), &f.token).await;
    assert_eq!(list["items"][0]["active"], true);
}

#[tokio::test]
async fn an_unknown_scope_is_refused_at_scope() {
    let f = fixture().await;
    let response = f
        .add(json!({"scope": "sell_to_advertisers", "channel": "online", "given_at": "2026-01-05"}))
        .await;
    let doc = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(pointers(&doc), ["/scope"]);
}

#[tokio::test]
async fn an_unknown_channel_is_refused_at_channel() {
    let f = fixture().await;
    let response = f
        .add(json!({"scope": "data_processing", "channel": "telepathy", "given_at": "2026-01-05"}))
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(pointers(&problem(response).await), ["/channel"]);
}

#[tokio::test]
async fn a_consent_given_in_the_future_is_refused() {
    let f = fixture().await;
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Days::new(2)).to_string();
    let response = f
        .add(json!({"scope": "data_processing", "channel": "online", "given_at": tomorrow}))
        .await;
    assert_eq!(response.status(), 422);
    let doc = problem(response).await;
    assert_eq!(pointers(&doc), ["/given_at"]);
    let count: i64 = f.app.count("SELECT count(*) FROM consents").await;
    assert_eq!(count, 0);
}

#[tokio::test]
async fn given_at_is_an_instant_and_a_bare_date_still_counts_as_its_day() {
    let f = fixture().await;
    // A timestamp with its offset is kept as the instant it names, in UTC.
    let response = f
        .add(json!({"scope": "contact_by_email", "channel": "online",
                    "given_at": "2026-03-02T09:15:00+01:00"}))
        .await;
    assert_eq!(response.status(), 201);
    let consent: Value = response.json().await.unwrap();
    assert_eq!(consent["given_at"], "2026-03-02T08:15:00Z");
    // Later the same day (a few minutes ahead of this clock is drift, not the future).
    let soon = (chrono::Utc::now() + chrono::Duration::minutes(2)).to_rfc3339();
    let response = f
        .add(json!({"scope": "contact_by_sms", "channel": "phone", "given_at": soon}))
        .await;
    assert_eq!(response.status(), 201);
    let later = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let response = f
        .add(json!({"scope": "contact_by_sms", "channel": "phone", "given_at": later}))
        .await;
    let doc = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(pointers(&doc), ["/given_at"]);
    // Neither a timestamp nor a date.
    for wrong in ["02/03/2026", "2026-03-02T25:00:00Z", "yesterday"] {
        let response = f
            .add(json!({"scope": "contact_by_sms", "channel": "phone", "given_at": wrong}))
            .await;
        let doc = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(pointers(&doc), ["/given_at"], "{wrong}");
        assert!(
            doc["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("RFC 3339"),
            "{doc}"
        );
    }
    let count: i64 = f.app.count("SELECT count(*) FROM consents").await;
    assert_eq!(count, 2);
}

#[tokio::test]
async fn a_consent_without_given_at_is_refused_at_given_at() {
    let f = fixture().await;
    let response = f
        .add(json!({"scope": "data_processing", "channel": "online"}))
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(pointers(&problem(response).await), ["/given_at"]);
}

#[tokio::test]
async fn consents_of_another_organisations_person_are_not_found() {
    let f = fixture().await;
    let consent: Value = f.add(data_processing()).await.json().await.unwrap();
    let id = consent["id"].as_str().unwrap();
    let stranger = f.app.token_for("other", &["supervisor"], "olga");

    let list = f.app.get(&f.consents(), &stranger).await;
    assert_problem(list, 404, "not_found").await;
    let add = f
        .app
        .post(&f.consents(), &stranger, &data_processing())
        .await;
    assert_eq!(add.status(), 404);
    let withdraw = f.withdraw(id, &stranger).await;
    assert_eq!(withdraw.status(), 404);

    let (count, active): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE withdrawn_at IS NULL) FROM consents",
    )
    .fetch_one(&f.app.sql)
    .await
    .unwrap();
    assert_eq!((count, active), (1, 1), "nothing added or withdrawn");
}

#[tokio::test]
async fn consents_need_person_permissions() {
    let f = fixture().await;
    for role in ["admin", "dpo"] {
        let token = f.app.token(role, role);
        assert_eq!(
            f.app.get(&f.consents(), &token).await.status(),
            403,
            "{role}"
        );
        assert_eq!(
            f.app
                .post(&f.consents(), &token, &data_processing())
                .await
                .status(),
            403,
            "{role}"
        );
    }
    let reception = f.app.token("reception", "rita");
    let added = f
        .app
        .post(&f.consents(), &reception, &data_processing())
        .await;
    assert_eq!(added.status(), 201, "reception records consents at intake");
    assert_eq!(f.app.get(&f.consents(), &reception).await.status(), 200);
}

#[tokio::test]
async fn recording_listing_and_withdrawing_consents_are_audited() {
    let f = fixture().await;
    let consent: Value = f.add(data_processing()).await.json().await.unwrap();
    let id = consent["id"].as_str().unwrap();
    assert_eq!(f.app.get(&f.consents(), &f.token).await.status(), 200);
    assert_eq!(f.withdraw(id, &f.token).await.status(), 200);
    let actions = f.app.audit_actions(&f.id).await;
    let expected: Vec<(String, String)> = [
        ("create", "person"),
        ("create", "consent"),
        ("read", "person.consents"),
        ("update", "consent"),
    ]
    .iter()
    .map(|(a, r)| ((*a).to_owned(), (*r).to_owned()))
    .collect();
    assert_eq!(actions, expected);
    let resources: Vec<Option<uuid::Uuid>> = sqlx::query_scalar(
        "SELECT resource_id FROM audit_events WHERE resource_type = 'consent' ORDER BY id",
    )
    .fetch_all(&f.app.sql)
    .await
    .unwrap();
    let consent_id = uuid::Uuid::parse_str(id).unwrap();
    assert_eq!(resources, [Some(consent_id), Some(consent_id)]);
}
