//! The written plan of a proposal over HTTP: printable HTML by default, PDF on request (its
//! text extracted with a real PDF tool, accents intact), 406 for anything else; filled from the
//! proposal's snapshot with the organisation, the person, the referent, the decision, the
//! observations and the content hash; audited as a download.

use crate::support::applications::fsl;
use crate::support::proposals::{Negotiation, receipts, social_report, step};
use relais_tests::{header, pdf_text, problem};
use reqwest::{Method, Response};
use serde_json::{Value, json};

/// A plan with a worker step, a préconisation and a partner step, proposed and accepted, with
/// an observation; the proposal.
async fn agreed(n: &Negotiation) -> Value {
    let mut paperwork = step("person", "paperwork", "Déposer le dossier à la CAF", 10);
    paperwork["details"] = json!("Joindre l'avis d'imposition et le RIB.");
    n.add(paperwork).await;
    n.add(social_report()).await;
    n.add(step(
        "partner",
        "investigation",
        "Étudier la demande FSL",
        30,
    ))
    .await;
    let proposal = n.proposed().await;
    let body =
        json!({"outcome": "accepted", "channel": "in_person", "notes": "Accord de principe."});
    assert_eq!(n.decide_as(&n.alice, 1, &body).await.status(), 200);
    let observation = json!({"text": "Je préfère être appelée le matin.", "channel": "phone"});
    assert_eq!(n.observe_as(&n.alice, 1, &observation).await.status(), 201);
    proposal
}

async fn document(n: &Negotiation, number: i64, accept: Option<&str>) -> Response {
    let mut request = n.app.request(
        Method::GET,
        &format!("{}/document", n.proposal(number)),
        &n.alice,
    );
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn the_written_plan_is_printable_html_by_default() {
    let n = Negotiation::new().await;
    let proposal = agreed(&n).await;
    let hash = proposal["content_hash"].as_str().unwrap();
    for accept in [None, Some("*/*"), Some("text/html"), Some("text/*;q=0.5")] {
        let response = document(&n, 1, accept).await;
        assert_eq!(response.status(), 200, "{accept:?}");
        assert_eq!(
            header(&response, "content-type"),
            "text/html; charset=utf-8"
        );
        assert_eq!(header(&response, "vary"), "Accept");
        assert!(response.headers().get("content-disposition").is_none());
        let page = response.text().await.unwrap();
        for expected in [
            "Camille Lefèvre",
            "CCAS d&#x27;Acme",
            "Proposition n° 1",
            "Difficultés pour payer le loyer",
            "Déposer le dossier à la CAF",
            "Joindre l&#x27;avis d&#x27;imposition et le RIB.",
            "Rédiger le rapport social",
            "Étudier la demande FSL",
            "Démarches administratives, pièces justificatives",
            "Évaluation &#x2f; rapport de situation sociale",
            "Logement",
            "Plan accepté le",
            "(entretien)",
            "Accord de principe.",
            "Je préfère être appelée le matin.",
            "alice",
            "Signature de la personne",
            "Demandes d&#x27;aide en cours",
            "Aucune demande d&#x27;aide n&#x27;est en cours.",
            hash,
        ] {
            assert!(page.contains(expected), "{accept:?}: missing {expected:?}");
        }
    }
}

#[tokio::test]
async fn the_pdf_has_extractable_text_with_its_accents() {
    let n = Negotiation::new().await;
    let proposal = agreed(&n).await;
    let response = document(&n, 1, Some("application/pdf")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), "application/pdf");
    assert_eq!(
        header(&response, "content-disposition"),
        "inline; filename=\"plan-d-aide-1.pdf\""
    );
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let text = pdf_text(&bytes);
    for expected in [
        "Plan d'aide",
        "Camille Lefèvre",
        "Déposer le dossier à la CAF",
        "Étudier la demande FSL",
        "Plan accepté le",
        "Signature de la ou du référent·e",
        proposal["content_hash"].as_str().unwrap(),
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[tokio::test]
async fn the_document_shows_the_snapshot_not_the_live_plan() {
    let n = Negotiation::new().await;
    let item = n.add(receipts()).await;
    n.proposed().await;
    n.change(&item, json!({"title": "Titre changé après la proposition"}))
        .await;
    let page = document(&n, 1, None).await.text().await.unwrap();
    assert!(page.contains("Réunir les quittances"));
    assert!(!page.contains("Titre changé"));
    assert!(
        page.contains("En attente de la réponse de la personne."),
        "undecided"
    );
    let second = document(&n, 2, None).await;
    assert_eq!(second.status(), 404);
}

#[tokio::test]
async fn other_media_types_are_not_acceptable() {
    let n = Negotiation::new().await;
    agreed(&n).await;
    for accept in [
        "application/json",
        "text/plain, image/png",
        "text/html;q=0, application/pdf;q=0",
    ] {
        let response = document(&n, 1, Some(accept)).await;
        assert_eq!(response.status(), 406, "{accept}");
        assert_eq!(problem(response).await["code"], "not_acceptable");
    }
    // The best quality wins.
    let response = document(&n, 1, Some("text/html;q=0.4, application/pdf;q=0.9")).await;
    assert_eq!(header(&response, "content-type"), "application/pdf");
    let response = document(&n, 1, Some("application/*;q=0.2, text/html")).await;
    assert_eq!(
        header(&response, "content-type"),
        "text/html; charset=utf-8"
    );
}

#[tokio::test]
async fn each_download_is_audited_and_refused_downloads_are_not() {
    let n = Negotiation::new().await;
    agreed(&n).await;
    document(&n, 1, None).await;
    document(&n, 1, Some("application/pdf")).await;
    document(&n, 1, Some("application/json")).await;
    let downloads: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'download' AND resource_type = \
         'plan.document' AND person_id = $1::uuid",
    )
    .bind(&n.person_id)
    .fetch_one(&n.app.sql)
    .await
    .unwrap();
    assert_eq!(downloads, 2);
}

#[tokio::test]
async fn the_written_plan_names_the_referent_as_their_profile_says() {
    let n = Negotiation::new().await;
    crate::agents::set_profile(
        &n.app,
        &n.alice,
        json!({"display_name": "Alice Martin", "job_title": "Assistante de service social",
               "civility": "mme", "email": "alice.martin@ccas.example", "phone": "04 72 00 00 01"}),
    )
    .await;
    agreed(&n).await;
    let response = document(&n, 1, Some("application/pdf")).await;
    assert_eq!(response.status(), 200);
    let text = pdf_text(&response.bytes().await.unwrap());
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "Référente",
        "Alice Martin, Assistante de service social",
        "alice.martin@ccas.example · 04 72 00 00 01",
        "Interventions de la référente",
        "Signature de la référente",
    ] {
        assert!(flat.contains(expected), "{expected} in {flat}");
    }
    assert!(!flat.contains("travailleur social"), "{flat}");
}

/// An application of the case to a new scheme `body` (created by an administrator); its JSON.
async fn apply(n: &Negotiation, body: &Value) -> Value {
    let admin = n.app.token("admin", "catalogue-admin");
    let response = n.app.post("/v1/schemes", &admin, body).await;
    assert_eq!(response.status(), 201, "creating a scheme");
    let scheme: Value = response.json().await.unwrap();
    let response = n
        .app
        .post(
            &n.case_path("/applications"),
            &n.alice,
            &json!({"scheme_id": scheme["id"]}),
        )
        .await;
    assert_eq!(response.status(), 201, "creating an application");
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_written_plan_lists_the_applications_under_way_with_their_funding_plans() {
    let n = Negotiation::new().await;
    agreed(&n).await;
    let housing = apply(&n, &fsl()).await;
    let path = format!(
        "{}/funding-plan",
        n.case_path(&format!(
            "/applications/{}",
            housing["id"].as_str().unwrap()
        ))
    );
    let body = json!({"need_cents": 150000, "funders": [
        {"name": "Fonds de solidarité logement", "requested_cents": 80000, "status": "granted"},
        {"name": "CCAS — secours d'urgence", "requested_cents": 40000,
         "status": "partially_granted", "granted_cents": 25000},
        {"name": "Caisse de retraite", "requested_cents": 123456, "status": "requested"}
    ]});
    let response = n.app.put(&path, &n.alice, Some("*"), &body).await;
    assert_eq!(response.status(), 200, "putting the funding plan");
    apply(
        &n,
        &json!({"name": "Chèque énergie exceptionnel", "domain": "housing",
                "provider": "CCAS", "required_documents": []}),
    )
    .await;
    let withdrawn = apply(
        &n,
        &json!({"name": "Aide abandonnée", "domain": "housing", "provider": "CCAS",
                "required_documents": []}),
    )
    .await;
    let response = n
        .app
        .request(
            Method::POST,
            &n.case_path(&format!(
                "/applications/{}/transitions",
                withdrawn["id"].as_str().unwrap()
            )),
            &n.alice,
        )
        .header("If-Match", format!("\"{}\"", withdrawn["version"]))
        .json(&json!({"to": "withdrawn"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "withdrawing");

    let response = document(&n, 1, Some("application/pdf")).await;
    assert_eq!(response.status(), 200);
    let text = pdf_text(&response.bytes().await.unwrap());
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "Demandes d'aide en cours",
        "Fonds de solidarité logement (FSL) — maintien",
        "État : En préparation (pièces à réunir)",
        "Besoin à financer : 1 500,00 €",
        "Fonds de solidarité logement — Accordé : demandé 800,00 €, accordé 800,00 €",
        "CCAS — secours d'urgence — Accordé partiellement : demandé 400,00 €, accordé 250,00 €",
        "Caisse de retraite — Sollicité, en attente : demandé 1 234,56 €",
        "Reste à financer : 450,00 €",
        "Chèque énergie exceptionnel",
        "État : Dossier complet",
        "Pas de plan de financement établi pour cette demande.",
    ] {
        assert!(flat.contains(expected), "missing {expected:?} in {flat}");
    }
    assert!(!flat.contains("Aide abandonnée"), "withdrawn: not listed");
    assert!(!flat.contains("Aucune demande d'aide n'est en cours."));
    // Those under way in the order they were made.
    let housing_at = flat.find("Fonds de solidarité logement (FSL)").unwrap();
    assert!(housing_at < flat.find("Chèque énergie exceptionnel").unwrap());

    let page = document(&n, 1, None).await.text().await.unwrap();
    assert!(page.contains("Reste à financer : 450,00 €"));
    assert!(page.contains("CCAS — secours d&#x27;urgence"));
}

#[tokio::test]
async fn the_written_plan_carries_the_letterhead_and_its_logo() {
    let n = Negotiation::new().await;
    agreed(&n).await;
    crate::support::letterhead::install(&n.app).await;
    let pdf = document(&n, 1, Some("application/pdf")).await;
    crate::support::letterhead::assert_in_pdf(&pdf.bytes().await.unwrap());
    let page = document(&n, 1, None).await.text().await.unwrap();
    crate::support::letterhead::assert_in_html(&page);
}
