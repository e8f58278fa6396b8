//! The partner's side of liaison sheets: a liaison must name an enabled partner of the
//! organisation; sending it (and any answer) queues a webhook without personal data; the
//! partner lists and reads only its own sent sheets, with exactly the whitelisted content, gets
//! their document, and acknowledges or declines them once, with If-Match and an
//! Idempotency-Key; agents are refused these routes; every partner read is audited.

use crate::support::liaisons::{Liaisons, NIR_DIGITS, PHONE, named};
use relais_tests::{TestPartner, assert_problem, header, pointers};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use uuid::Uuid;

const HOOK: &str = "http://127.0.0.1:9/hook";
const NOTE: &str = "Note privée : ne jamais transmettre";

fn to_partner(partner_id: &str, content: &[&str], basis: &str) -> Value {
    json!({
        "destination": {"partner_id": partner_id},
        "purpose": "Accompagnement vers l'emploi.",
        "content": content,
        "legal_basis": basis,
    })
}

/// A liaison prepared and sent; its JSON after sending.
async fn sent(l: &Liaisons, body: &Value) -> Value {
    let draft = l.draft(body).await;
    let response = l.send(&draft).await;
    assert_eq!(response.status(), 200, "sending a liaison");
    response.json().await.unwrap()
}

async fn answer(
    l: &Liaisons,
    token: &str,
    id: &str,
    if_match: Option<&str>,
    key: Option<&str>,
    body: &Value,
) -> Response {
    let mut request = l.app.request(
        Method::POST,
        &format!("/v1/liaisons/{id}/acknowledgement"),
        token,
    );
    if let Some(tag) = if_match {
        request = request.header("If-Match", tag);
    }
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.json(body).send().await.unwrap()
}

fn key() -> String {
    Uuid::now_v7().to_string()
}

/// The webhook messages queued: (event type, partner id, payload).
async fn outbox(l: &Liaisons) -> Vec<(String, String, Value)> {
    sqlx::query_as::<_, (String, String, Value)>(
        "SELECT event_type, partner_id::text, payload FROM webhook_messages ORDER BY id",
    )
    .fetch_all(&l.app.sql)
    .await
    .unwrap()
}

async fn agent_of(l: &Liaisons, partner: &TestPartner) -> String {
    sqlx::query_scalar::<_, String>("SELECT id::text FROM agents WHERE subject = $1")
        .bind(format!("partner:{}", partner.id))
        .fetch_one(&l.app.sql)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_liaison_must_name_an_enabled_partner_of_the_organisation() {
    let l = Liaisons::new().await;
    let disabled = l
        .partner_row(l.app.org.id, "Ancien partenaire", false)
        .await;
    let foreign = l
        .partner_row(l.app.other_org.id, "Partenaire d'autrui", true)
        .await;
    for (partner, code) in [
        (Uuid::now_v7().to_string(), "unknown_partner"),
        (foreign, "unknown_partner"),
        (disabled, "partner_disabled"),
    ] {
        let body = to_partner(&partner, &["identity"], "shared_secrecy");
        let p = assert_problem(l.create(&body).await, 422, "validation_failed").await;
        assert_eq!(pointers(&p), ["/destination/partner_id"]);
        assert_eq!(p["errors"][0]["code"], code);
    }
    // A partner disabled after the draft was prepared is refused at send time.
    let partner = l.partner_row(l.app.org.id, "Mission locale", true).await;
    let draft = l
        .draft(&to_partner(&partner, &["identity"], "shared_secrecy"))
        .await;
    assert_eq!(draft["destination"]["partner_name"], "Mission locale");
    sqlx::query("UPDATE partners SET enabled = false WHERE id = $1::uuid")
        .bind(&partner)
        .execute(&l.app.sql)
        .await
        .unwrap();
    assert_problem(l.send(&draft).await, 409, "partner_disabled").await;
}

#[tokio::test]
async fn sending_queues_liaison_sent_without_personal_data_for_partners_with_a_webhook() {
    let l = Liaisons::new().await;
    let hooked = l.app.partner("Mission locale", Some(HOOK)).await;
    let silent = l.app.partner("CAF", None).await;
    let first = sent(
        &l,
        &to_partner(&hooked.id, &["identity", "nir"], "legal_obligation"),
    )
    .await;
    sent(&l, &to_partner(&silent.id, &["identity"], "shared_secrecy")).await;
    sent(&l, &named(&["identity"], "shared_secrecy")).await;
    // A draft queues nothing either.
    l.draft(&to_partner(&hooked.id, &["identity"], "shared_secrecy"))
        .await;

    let queued = outbox(&l).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    let (event, partner, payload) = &queued[0];
    assert_eq!(event, "liaison.sent");
    assert_eq!(partner, &hooked.id);
    assert_eq!(payload["type"], "liaison.sent");
    assert_eq!(
        payload["data"],
        json!({"liaison_id": first["id"], "status": "sent"})
    );
    let text = payload.to_string();
    for personal in ["Camille", "Lefèvre", NIR_DIGITS, "Accompagnement"] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }

    // The worker recording the partner's answer queues liaison.acknowledged too.
    let response = l.answer(&first, "declined").await;
    assert_eq!(response.status(), 200);
    let queued = outbox(&l).await;
    assert_eq!(queued.len(), 2);
    assert_eq!(queued[1].0, "liaison.acknowledged");
    assert_eq!(
        queued[1].2["data"],
        json!({"liaison_id": first["id"], "status": "declined"})
    );
}

#[tokio::test]
async fn the_partner_lists_and_reads_only_its_sent_liaisons() {
    let l = Liaisons::new().await;
    let p = l.app.partner("Mission locale", Some(HOOK)).await;
    let q = l.app.partner("CAF", None).await;
    let stranger = l.app.partner_of("other", "Partenaire d'autrui", None).await;
    let draft = l
        .draft(&to_partner(&p.id, &["identity"], "shared_secrecy"))
        .await;
    let older = sent(&l, &to_partner(&p.id, &["reason"], "shared_secrecy")).await;
    let newer = sent(&l, &to_partner(&p.id, &["identity"], "shared_secrecy")).await;
    let for_q = sent(&l, &to_partner(&q.id, &["identity"], "shared_secrecy")).await;

    let response = l.app.get("/v1/liaisons?limit=1", &p.token).await;
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], newer["id"], "newest first");
    assert_eq!(page["items"][0]["status"], "sent");
    assert_eq!(page["items"][0]["organisation_name"], "CCAS d'Acme");
    assert!(
        page["items"][0].get("shared").is_none(),
        "no content in lists"
    );
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest: Value = l
        .app
        .get_json(&format!("/v1/liaisons?limit=1&cursor={cursor}"), &p.token)
        .await;
    assert_eq!(rest["items"][0]["id"], older["id"]);
    assert_eq!(rest["next_cursor"], Value::Null, "the draft is not listed");
    let answered: Value = l
        .app
        .get_json("/v1/liaisons?status=acknowledged", &p.token)
        .await;
    assert_eq!(answered["items"], json!([]));
    let bad = l.app.get("/v1/liaisons?status=draft", &p.token).await;
    assert_eq!(
        pointers(&assert_problem(bad, 400, "invalid_parameter").await),
        ["/status"]
    );

    let response = l
        .app
        .get(
            &format!("/v1/liaisons/{}", newer["id"].as_str().unwrap()),
            &p.token,
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "etag"), "\"2\"");
    let unknown = Uuid::now_v7().to_string();
    for (id, token) in [
        (draft["id"].as_str().unwrap(), &p.token),
        (for_q["id"].as_str().unwrap(), &p.token),
        (newer["id"].as_str().unwrap(), &stranger.token),
        (unknown.as_str(), &p.token),
    ] {
        for path in [
            format!("/v1/liaisons/{id}"),
            format!("/v1/liaisons/{id}/document"),
        ] {
            assert_problem(l.app.get(&path, token).await, 404, "not_found").await;
        }
    }
    let theirs: Value = l.app.get_json("/v1/liaisons", &stranger.token).await;
    assert_eq!(theirs["items"], json!([]));
}

#[tokio::test]
async fn the_partner_sees_exactly_the_whitelisted_content_and_never_private_notes() {
    let l = Liaisons::new().await;
    let p = l.app.partner("Mission locale", None).await;
    let at = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let response = l
        .app
        .post(
            &format!("/v1/cases/{}/contacts", l.case_id),
            &l.alice,
            &json!({"kind": "interview", "occurred_at": at, "summary": "Point emploi",
                    "private_note": NOTE}),
        )
        .await;
    assert_eq!(response.status(), 201, "a contact with a private note");
    let plain = sent(
        &l,
        &to_partner(&p.id, &["identity", "reason"], "shared_secrecy"),
    )
    .await;
    let with_nir = sent(
        &l,
        &to_partner(&p.id, &["identity", "nir"], "legal_obligation"),
    )
    .await;

    let read = |id: &Value| {
        let path = format!("/v1/liaisons/{}", id.as_str().unwrap());
        let token = p.token.clone();
        let app = &l.app;
        async move { app.get(&path, &token).await.text().await.unwrap() }
    };
    let text = read(&plain["id"]).await;
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["content"], json!(["identity", "reason"]));
    assert_eq!(body["legal_basis"], "shared_secrecy");
    let shared = body["shared"].as_object().unwrap();
    let mut keys: Vec<_> = shared.keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["identity", "reason"]);
    assert_eq!(shared["identity"]["first_name"], "Camille");
    assert_eq!(shared["identity"]["birth_date"], "1980-02-03");
    assert_eq!(shared["reason"], "Impayés de loyer depuis trois mois");
    assert!(!text.contains(NIR_DIGITS), "no NIR without `nir`");
    assert!(!text.contains(PHONE), "no contact details without them");
    assert!(!text.contains(NOTE), "never a private note");
    assert!(!text.contains("Point emploi"), "never a contact");

    let text = read(&with_nir["id"]).await;
    let body: Value = serde_json::from_str(&text).unwrap();
    assert!(
        body["shared"]["nir"]
            .as_str()
            .unwrap()
            .starts_with(NIR_DIGITS)
    );
    assert!(!text.contains(NOTE));
    let reveals = l.audited("reveal", "person.nir").await;
    assert_eq!(reveals, 1, "the NIR shown to the partner is a reveal");
}

#[tokio::test]
async fn the_document_renders_for_the_partner_in_html_and_pdf() {
    let l = Liaisons::new().await;
    let p = l.app.partner("Mission locale", None).await;
    let liaison = sent(&l, &to_partner(&p.id, &["identity"], "shared_secrecy")).await;
    let path = format!("/v1/liaisons/{}/document", liaison["id"].as_str().unwrap());
    let response = l.app.get(&path, &p.token).await;
    assert_eq!(response.status(), 200);
    assert!(header(&response, "content-type").starts_with("text/html"));
    let page = response.text().await.unwrap();
    assert!(page.contains("Camille"));
    assert!(page.contains("Mission locale"), "the partner is named");
    assert!(!page.contains(NIR_DIGITS));
    let pdf = l
        .app
        .request(Method::GET, &path, &p.token)
        .header("Accept", "application/pdf")
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));
    let refused = l
        .app
        .request(Method::GET, &path, &p.token)
        .header("Accept", "application/xml")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 406);
}

#[tokio::test]
async fn the_partner_acknowledges_once_with_if_match_and_an_idempotency_key() {
    let l = Liaisons::new().await;
    let p = l.app.partner("Mission locale", Some(HOOK)).await;
    let liaison = sent(&l, &to_partner(&p.id, &["identity"], "shared_secrecy")).await;
    let id = liaison["id"].as_str().unwrap();
    let ok = json!({"outcome": "acknowledged"});
    let r = answer(&l, &p.token, id, None, Some(&key()), &ok).await;
    assert_problem(r, 428, "precondition_required").await;
    let r = answer(&l, &p.token, id, Some("\"2\""), None, &ok).await;
    let problem = assert_problem(r, 400, "idempotency_key_required").await;
    assert_eq!(problem["errors"][0]["pointer"], "/idempotency-key");
    let r = answer(&l, &p.token, id, Some("\"1\""), Some(&key()), &ok).await;
    assert_problem(r, 412, "version_mismatch").await;
    for (body, pointer) in [
        (json!({"outcome": "sent"}), "/outcome"),
        (
            json!({"outcome": "declined", "message": "x".repeat(2001)}),
            "/message",
        ),
        (json!({"outcome": "declined", "message": "  "}), "/message"),
    ] {
        let r = answer(&l, &p.token, id, Some("\"2\""), Some(&key()), &body).await;
        let problem = assert_problem(r, 422, "validation_failed").await;
        assert_eq!(pointers(&problem), [pointer]);
    }

    let r = answer(&l, &p.token, id, Some("\"2\""), Some(&key()), &ok).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "etag"), "\"3\"");
    let answered: Value = r.json().await.unwrap();
    assert_eq!(answered["status"], "acknowledged");
    assert!(answered["answered_at"].is_string());
    let seen: Value = l.app.get_json(&l.liaison(id), &l.alice).await;
    assert_eq!(seen["status"], "acknowledged");
    assert_eq!(seen["answered_by"], json!(agent_of(&l, &p).await));
    let queued = outbox(&l).await;
    assert_eq!(queued.len(), 2);
    assert_eq!(queued[1].0, "liaison.acknowledged");
    assert_eq!(
        queued[1].2["data"],
        json!({"liaison_id": id, "status": "acknowledged"})
    );

    let again = json!({"outcome": "declined"});
    let r = answer(&l, &p.token, id, Some("\"3\""), Some(&key()), &again).await;
    assert_problem(r, 409, "invalid_liaison_transition").await;

    let other = sent(&l, &to_partner(&p.id, &["reason"], "shared_secrecy")).await;
    let other_id = other["id"].as_str().unwrap();
    let decline = json!({"outcome": "declined", "message": "Hors de notre secteur."});
    let r = answer(
        &l,
        &p.token,
        other_id,
        Some("\"2\""),
        Some(&key()),
        &decline,
    )
    .await;
    assert_eq!(r.status(), 200);
    let declined: Value = r.json().await.unwrap();
    assert_eq!(declined["status"], "declined");
    assert_eq!(declined["answer_message"], "Hors de notre secteur.");
    let seen: Value = l.app.get_json(&l.liaison(other_id), &l.alice).await;
    assert_eq!(seen["answer_message"], "Hors de notre secteur.");
}

#[tokio::test]
async fn agents_are_refused_the_partner_routes_and_partners_the_case_routes() {
    let l = Liaisons::new().await;
    let p = l.app.partner("Mission locale", None).await;
    let liaison = sent(&l, &to_partner(&p.id, &["identity"], "shared_secrecy")).await;
    let id = liaison["id"].as_str().unwrap();
    let supervisor = l.app.token("supervisor", "sam");
    for token in [&l.alice, &supervisor] {
        for path in [
            "/v1/liaisons".to_owned(),
            format!("/v1/liaisons/{id}"),
            format!("/v1/liaisons/{id}/document"),
        ] {
            assert_problem(l.app.get(&path, token).await, 403, "forbidden").await;
        }
        let r = answer(
            &l,
            token,
            id,
            Some("\"2\""),
            Some(&key()),
            &json!({"outcome": "acknowledged"}),
        )
        .await;
        assert_problem(r, 403, "forbidden").await;
    }
    for path in [
        l.path(),
        l.liaison(id),
        format!("{}/document", l.liaison(id)),
    ] {
        assert_problem(l.app.get(&path, &p.token).await, 403, "forbidden").await;
    }
}

#[tokio::test]
async fn every_partner_read_and_answer_is_audited_with_the_person() {
    let l = Liaisons::new().await;
    let p = l.app.partner("Mission locale", None).await;
    let liaison = sent(&l, &to_partner(&p.id, &["identity"], "shared_secrecy")).await;
    let id = liaison["id"].as_str().unwrap();
    assert_eq!(l.app.get("/v1/liaisons", &p.token).await.status(), 200);
    assert_eq!(
        l.app
            .get(&format!("/v1/liaisons/{id}"), &p.token)
            .await
            .status(),
        200
    );
    let path = format!("/v1/liaisons/{id}/document");
    assert_eq!(l.app.get(&path, &p.token).await.status(), 200);
    let r = answer(
        &l,
        &p.token,
        id,
        Some("\"2\""),
        Some(&key()),
        &json!({"outcome": "acknowledged"}),
    )
    .await;
    assert_eq!(r.status(), 200);

    let events = sqlx::query_as::<_, (String, String, String)>(
        "SELECT action, resource_type, resource_id::text FROM audit_events \
         WHERE person_id = $1::uuid AND actor_subject = $2 ORDER BY id",
    )
    .bind(&l.person_id)
    .bind(format!("partner:{}", p.id))
    .fetch_all(&l.app.sql)
    .await
    .unwrap();
    let expected: Vec<(String, String, String)> = ["read", "read", "download", "transition"]
        .iter()
        .map(|a| ((*a).to_owned(), "liaison".to_owned(), id.to_owned()))
        .collect();
    assert_eq!(events, expected);
}
