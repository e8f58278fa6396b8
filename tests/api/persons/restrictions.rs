//! Restrictions of processing and objections (GDPR art. 18, 21): recorded and lifted by the DPO
//! or a supervisor; while one is active nothing of the person is shared (liaisons, referral
//! redirections, partner reads) and the person is left out of statistics.

use relais_tests::{TestApp, assert_conforms, assert_problem, header, nir, pointers};
use serde_json::{Value, json};

use super::eloise;
use crate::support::liaisons::{Liaisons, NIR_DIGITS, named};
use crate::support::person::CreatedPerson;
use crate::support::referrals::Referrals;

fn restriction() -> Value {
    json!({
        "kind": "restriction",
        "reason": "Conteste l'exactitude de l'adresse enregistrée",
        "requested_on": "2026-11-30",
    })
}

/// Records a restriction of `person_id` as `token`; its JSON.
async fn restricted(app: &TestApp, token: &str, person_id: &str) -> Value {
    let response = app
        .post(
            &format!("/v1/persons/{person_id}/restrictions"),
            token,
            &restriction(),
        )
        .await;
    assert_eq!(response.status(), 201, "recording a restriction");
    response.json().await.unwrap()
}

async fn lift(app: &TestApp, token: &str, restriction: &Value) -> reqwest::Response {
    let path = format!(
        "/v1/persons/{}/restrictions/{}/lift",
        restriction["person_id"].as_str().unwrap(),
        restriction["id"].as_str().unwrap()
    );
    app.post(
        &path,
        token,
        &json!({"reason": "Adresse vérifiée avec la personne"}),
    )
    .await
}

#[tokio::test]
async fn the_dpo_records_reads_and_lifts_a_restriction_once() {
    let p = CreatedPerson::new(eloise()).await;
    let app = &p.app;
    let dpo = app.token("dpo", "dora");
    let response = app
        .post(&p.path("/restrictions"), &dpo, &restriction())
        .await;
    assert_eq!(response.status(), 201);
    let location = header(&response, "location");
    let created: Value = response.json().await.unwrap();
    assert_conforms("Restriction", &created);
    assert_eq!(created["active"], true);
    assert_eq!(created["kind"], "restriction");
    assert_eq!(
        location,
        p.path(&format!(
            "/restrictions/{}",
            created["id"].as_str().unwrap()
        ))
    );
    assert_eq!(app.get_json(&location, &dpo).await, created);
    let record = app.get_json(&p.path(""), &p.token).await;
    assert_eq!(
        record["processing_restricted"], true,
        "the worker sees why nothing is shared"
    );

    let lifted = lift(app, &dpo, &created).await;
    assert_eq!(lifted.status(), 200);
    let lifted: Value = lifted.json().await.unwrap();
    assert_eq!(lifted["active"], false);
    assert_eq!(lifted["lift_reason"], "Adresse vérifiée avec la personne");
    assert!(lifted["lifted_at"].is_string() && lifted["lifted_by"].is_string());
    assert_problem(
        lift(app, &dpo, &created).await,
        409,
        "restriction_already_lifted",
    )
    .await;

    let sam = app.token("supervisor", "sam");
    let objection = app
        .post(
            &p.path("/restrictions"),
            &sam,
            &json!({"kind": "objection", "reason": "S'oppose au partage", "requested_on": "2026-12-01"}),
        )
        .await;
    assert_eq!(objection.status(), 201);
    let list = app.get_json(&p.path("/restrictions"), &sam).await;
    assert_conforms("RestrictionList", &list);
    let kinds: Vec<(&str, bool)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["kind"].as_str().unwrap(), r["active"].as_bool().unwrap()))
        .collect();
    assert_eq!(kinds, [("restriction", false), ("objection", true)]);

    let audited = app.audit_actions(&p.id).await;
    let restriction_events: Vec<&str> = audited
        .iter()
        .filter(|(_, resource)| resource == "person.restriction")
        .map(|(action, _)| action.as_str())
        .collect();
    assert_eq!(
        restriction_events,
        ["create", "read", "update", "create", "read"],
        "{audited:?}"
    );
}

#[tokio::test]
async fn only_the_dpo_and_supervisors_touch_restrictions() {
    let p = CreatedPerson::new(eloise()).await;
    let app = &p.app;
    for role in ["worker", "reception", "admin"] {
        let token = app.token(role, role);
        assert_problem(
            app.post(&p.path("/restrictions"), &token, &restriction())
                .await,
            403,
            "forbidden",
        )
        .await;
        assert_problem(
            app.get(&p.path("/restrictions"), &token).await,
            403,
            "forbidden",
        )
        .await;
    }
    let denied = app
        .count("SELECT count(*) FROM audit_events WHERE action = 'access_denied' AND resource_type = 'person.restriction'")
        .await;
    assert_eq!(denied, 6);
    let other = app.token_for("other", &["dpo"], "olga");
    assert_problem(
        app.post(&p.path("/restrictions"), &other, &restriction())
            .await,
        404,
        "not_found",
    )
    .await;
    let dpo = app.token("dpo", "dora");
    let unknown = "/v1/persons/0190f0e0-0000-7000-8000-000000000001/restrictions";
    assert_problem(
        app.post(unknown, &dpo, &restriction()).await,
        404,
        "not_found",
    )
    .await;
    let stray = p.path("/restrictions/0190f0e0-0000-7000-8000-000000000002");
    assert_problem(app.get(&stray, &dpo).await, 404, "not_found").await;
}

#[tokio::test]
async fn bad_restrictions_are_refused_at_their_field() {
    let p = CreatedPerson::new(eloise()).await;
    let app = &p.app;
    let dpo = app.token("dpo", "dora");
    for (body, pointer) in [
        (
            json!({"kind": "forget_me", "reason": "x", "requested_on": "2026-11-30"}),
            "/kind",
        ),
        (
            json!({"kind": "restriction", "reason": "   ", "requested_on": "2026-11-30"}),
            "/reason",
        ),
        (
            json!({"kind": "restriction", "reason": "", "requested_on": "2026-11-30"}),
            "/reason",
        ),
        (
            json!({"kind": "restriction", "reason": "x".repeat(2001), "requested_on": "2026-11-30"}),
            "/reason",
        ),
        (
            json!({"kind": "restriction", "reason": "x", "requested_on": "2999-01-01"}),
            "/requested_on",
        ),
        (
            json!({"kind": "restriction", "reason": "x"}),
            "/requested_on",
        ),
        (
            json!({"kind": "restriction", "reason": "x", "requested_on": "2026-11-30", "erase": true}),
            "/erase",
        ),
    ] {
        let response = app.post(&p.path("/restrictions"), &dpo, &body).await;
        let status = response.status().as_u16();
        assert!(status == 400 || status == 422, "{body}: {status}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(pointers(&problem), [pointer], "{body}: {problem}");
    }
    let created = restricted(app, &dpo, &p.id).await;
    let path = format!(
        "{}/lift",
        p.path(&format!(
            "/restrictions/{}",
            created["id"].as_str().unwrap()
        ))
    );
    let blank = app.post(&path, &dpo, &json!({"reason": " "})).await;
    assert_eq!(blank.status(), 422);
    let problem: Value = blank.json().await.unwrap();
    assert_eq!(pointers(&problem), ["/reason"]);
    assert_eq!(
        app.get_json(&p.path("/restrictions"), &dpo).await["items"][0]["active"],
        true
    );
}

#[tokio::test]
async fn while_restricted_no_liaison_is_sent_or_read_by_its_partner() {
    let l = Liaisons::new().await;
    let app = &l.app;
    let dpo = app.token("dpo", "dora");
    let draft = l
        .draft(&named(&["identity", "reason"], "shared_secrecy"))
        .await;
    let created = restricted(app, &dpo, &l.person_id).await;
    assert_problem(l.send(&draft).await, 409, "processing_restricted").await;
    assert_eq!(lift(app, &dpo, &created).await.status(), 200);
    assert_eq!(
        l.send(&draft).await.status(),
        200,
        "shared again once lifted"
    );

    // A partner's sheet: sent, then the person objects; the partner can no longer read it.
    let partner = app.partner("Mission locale", None).await;
    let to_partner = json!({
        "destination": {"partner_id": partner.id},
        "purpose": "Accompagnement vers l'emploi.",
        "content": ["identity"],
        "legal_basis": "shared_secrecy",
    });
    let sheet = l.draft(&to_partner).await;
    let sent = l.send(&sheet).await;
    assert_eq!(sent.status(), 200);
    let read = format!("/v1/liaisons/{}", sheet["id"].as_str().unwrap());
    assert_eq!(app.get(&read, &partner.token).await.status(), 200);
    restricted(app, &dpo, &l.person_id).await;
    assert_problem(
        app.get(&read, &partner.token).await,
        409,
        "processing_restricted",
    )
    .await;
}

#[tokio::test]
async fn a_restricted_person_is_not_redirected_nor_shown_to_the_referring_partner() {
    let r = Referrals::new().await;
    let app = &r.app;
    let dpo = app.token("dpo", "dora");
    let mut body = crate::support::referrals::referral();
    body["person"]["nir"] = json!(nir(NIR_DIGITS));
    // The person is known to the organisation with the same NIR, and objected.
    let known = app
        .create_person(
            &r.worker,
            json!({"first_name": "Camille", "last_name": "Lefèvre", "birth_date": "1980-02-03", "nir": nir(NIR_DIGITS)}),
        )
        .await;
    let known = known["id"].as_str().unwrap();
    let objection = restricted(app, &dpo, known).await;
    let posted = r.posted(&body).await;
    let redirect = json!({"outcome": "redirected", "redirected_to": "other"});
    assert_problem(
        r.decide_as(&r.worker, &posted, &redirect).await,
        409,
        "processing_restricted",
    )
    .await;
    // Accepting keeps the data at home: allowed; the partner then cannot read the referral.
    let accepted = r.decided(&posted, &json!({"outcome": "accepted"})).await;
    assert_eq!(accepted["person_id"], known);
    let id = posted["id"].as_str().unwrap();
    assert_problem(
        r.read(&r.partner.token, id).await,
        409,
        "processing_restricted",
    )
    .await;
    assert_eq!(
        r.read(&r.worker, id).await.status(),
        200,
        "the organisation still reads it"
    );
    assert_eq!(lift(app, &dpo, &objection).await.status(), 200);
    assert_eq!(r.read(&r.partner.token, id).await.status(), 200);
}

#[tokio::test]
async fn a_restricted_person_is_left_out_of_the_caseload() {
    let app = TestApp::spawn_unsuppressed().await;
    let alice = app.token("worker", "alice");
    let sam = app.token("supervisor", "sam");
    let dpo = app.token("dpo", "dora");
    let first = app.create_case(&alice).await;
    app.create_case(&alice).await;
    let open = |caseload: &Value| caseload["totals"]["open_cases"].as_i64().unwrap();
    let before = app.get_json("/v1/stats/caseload", &sam).await;
    assert_eq!(open(&before), 2);
    let created = restricted(&app, &dpo, first["person_id"].as_str().unwrap()).await;
    assert_eq!(open(&app.get_json("/v1/stats/caseload", &sam).await), 1);
    assert_eq!(lift(&app, &dpo, &created).await.status(), 200);
    assert_eq!(open(&app.get_json("/v1/stats/caseload", &sam).await), 2);
}
