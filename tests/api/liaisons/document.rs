//! The liaison sheet over HTTP: printable HTML by default, PDF on request (its text extracted
//! with `pdftotext`), 406 otherwise; only the chosen content is printed — no phone without
//! `contact_preferences`, no health without `health`, the NIR only with `nir` under a legal
//! obligation — and every download is audited as a share.

use crate::support::liaisons::{EMAIL, Liaisons, NIR_DIGITS, PHONE, named};
use relais_tests::{assert_problem, header, in_days, nir, pdf_text};
use reqwest::{Method, Response};
use serde_json::{Value, json};

const HOUSING_SITUATION: &str = "Impayés de loyer depuis trois mois.";
const HEALTH_SITUATION: &str = "Suivi psychiatrique en cours.";
const DONE_STEP: &str = "Constituer le dossier FSL";
const PENDING_STEP: &str = "Déposer le dossier à la CAF";
const HEALTH_STEP: &str = "Prendre rendez-vous au CMP";

/// A case assessed in housing and health, with a done step, a pending one and a health step.
async fn assessed() -> Liaisons {
    let l = Liaisons::new().await;
    l.transition("assessment", None).await;
    l.assess(json!({"domains": [
        {"domain": "housing", "situation": HOUSING_SITUATION, "needs_action": "yes", "priority": "high"},
        {"domain": "health", "situation": HEALTH_SITUATION, "needs_action": "yes", "priority": "medium"}
    ]}))
    .await;
    for (party, category, domain, title) in [
        ("worker", "orientation", "housing", DONE_STEP),
        ("person", "paperwork", "housing", PENDING_STEP),
        ("person", "orientation", "health", HEALTH_STEP),
    ] {
        let response = l
            .app
            .post(
                &format!("/v1/cases/{}/plan/items", l.case_id),
                &l.alice,
                &json!({"party": party, "category": category, "domain": domain, "title": title, "due_on": in_days(20)}),
            )
            .await;
        assert_eq!(response.status(), 201);
        if title == DONE_STEP {
            let item: Value = response.json().await.unwrap();
            let response = l
                .app
                .patch(
                    &format!(
                        "/v1/cases/{}/plan/items/{}",
                        l.case_id,
                        item["id"].as_str().unwrap()
                    ),
                    &l.alice,
                    1,
                    &json!({"status": "done"}),
                )
                .await;
            assert_eq!(response.status(), 200);
        }
    }
    l
}

async fn document(l: &Liaisons, liaison: &Value, accept: Option<&str>) -> Response {
    let mut request = l.app.request(
        Method::GET,
        &format!("{}/document", l.liaison(liaison["id"].as_str().unwrap())),
        &l.alice,
    );
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    request.send().await.unwrap()
}

async fn html(l: &Liaisons, body: &Value) -> String {
    let liaison = l.draft(body).await;
    let response = document(l, &liaison, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        "text/html; charset=utf-8"
    );
    response.text().await.unwrap()
}

#[tokio::test]
async fn the_sheet_prints_the_chosen_content_and_nothing_else() {
    let l = assessed().await;
    let page = html(
        &l,
        &named(
            &[
                "identity",
                "reason",
                "steps_pending",
                "actions_done",
                "referent_contact",
            ],
            "shared_secrecy",
        ),
    )
    .await;
    assert!(page.starts_with("<!doctype html>"));
    assert!(page.contains("<html lang=\"fr\">"));
    assert!(page.contains("Fiche de liaison"));
    assert!(page.contains("CCAS d&#x27;Acme"));
    assert!(page.contains("CAF du Rhône"));
    assert!(page.contains("Mme Durand, 04 72 00 00 00"));
    assert!(page.contains("Ouverture des droits au RSA."));
    assert!(page.contains("Secret professionnel partagé"));
    assert!(page.contains("Camille"));
    assert!(page.contains("Lefèvre"));
    assert!(page.contains("3 février 1980"));
    assert!(page.contains("Impayés de loyer depuis trois mois"));
    assert!(page.contains(PENDING_STEP));
    assert!(page.contains(DONE_STEP));
    assert!(page.contains("alice"), "the referent");
    // Not chosen: contact details, situation, NIR; health steps without `health`.
    assert!(!page.contains(PHONE));
    assert!(!page.contains(EMAIL));
    assert!(!page.contains(HOUSING_SITUATION));
    assert!(!page.contains(HEALTH_SITUATION));
    assert!(!page.contains(HEALTH_STEP));
    assert!(!page.contains(&nir(NIR_DIGITS)));
    assert!(!page.contains("Coordonnées de la personne"));
}

#[tokio::test]
async fn contact_details_and_situation_appear_when_chosen_health_only_with_health() {
    let l = assessed().await;
    let page = html(
        &l,
        &named(
            &["contact_preferences", "situation_by_domain"],
            "shared_secrecy",
        ),
    )
    .await;
    assert!(page.contains(PHONE));
    assert!(page.contains(EMAIL));
    assert!(page.contains(HOUSING_SITUATION));
    assert!(!page.contains(HEALTH_SITUATION));
    assert!(!page.contains("Camille"), "identity was not chosen");

    let page = html(
        &l,
        &named(
            &["situation_by_domain", "health", "steps_pending"],
            "shared_secrecy",
        ),
    )
    .await;
    assert!(page.contains(HOUSING_SITUATION));
    assert!(page.contains(HEALTH_SITUATION));
    assert!(page.contains(HEALTH_STEP));

    let page = html(&l, &named(&["health"], "shared_secrecy")).await;
    assert!(page.contains("Informations de santé"));
    assert!(page.contains(HEALTH_SITUATION));
    assert!(!page.contains(HOUSING_SITUATION));

    let page = html(&l, &named(&["documents"], "shared_secrecy")).await;
    assert!(page.contains("Aucun document joint."));
}

#[tokio::test]
async fn the_nir_is_printed_only_when_chosen_under_a_legal_obligation() {
    let l = assessed().await;
    let page = html(&l, &named(&["identity"], "legal_obligation")).await;
    assert!(!page.contains(&nir(NIR_DIGITS)));
    let page = html(&l, &named(&["identity", "nir"], "legal_obligation")).await;
    assert!(page.contains(&nir(NIR_DIGITS)));
    assert!(page.contains("Obligation légale"));
    let reveals = l.audited("reveal", "person.nir").await;
    assert_eq!(reveals, 1, "printing the NIR in clear is a reveal");
}

#[tokio::test]
async fn the_pdf_has_extractable_french_text_with_only_the_chosen_content() {
    let l = assessed().await;
    let liaison = l
        .draft(&named(&["identity", "steps_pending"], "shared_secrecy"))
        .await;
    let response = document(&l, &liaison, Some("application/pdf")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), "application/pdf");
    assert!(header(&response, "content-disposition").contains("fiche-de-liaison.pdf"));
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let text = pdf_text(&bytes);
    assert!(text.contains("Fiche de liaison"), "{text}");
    assert!(text.contains("Lefèvre"), "{text}");
    assert!(text.contains(PENDING_STEP), "{text}");
    assert!(text.contains("Secret professionnel partagé"), "{text}");
    assert!(!text.contains(PHONE), "{text}");
    assert!(!text.contains(HEALTH_STEP), "{text}");
}

#[tokio::test]
async fn other_media_types_are_not_acceptable_and_downloads_are_shares() {
    let l = Liaisons::new().await;
    let liaison = l.draft(&named(&["identity"], "shared_secrecy")).await;
    assert_problem(
        document(&l, &liaison, Some("application/json")).await,
        406,
        "not_acceptable",
    )
    .await;
    assert_eq!(document(&l, &liaison, Some("*/*")).await.status(), 200);
    assert_eq!(
        document(&l, &liaison, Some("application/pdf"))
            .await
            .status(),
        200
    );
    let shares = l.audited("share", "liaison").await;
    assert_eq!(shares, 2);
}

#[tokio::test]
async fn the_referent_is_printed_with_the_title_and_contact_details_of_their_profile() {
    let l = assessed().await;
    crate::agents::set_profile(
        &l.app,
        &l.alice,
        json!({"display_name": "Alice Martin", "job_title": "Assistante de service social",
               "civility": "mme", "email": "alice.martin@ccas.example", "phone": "04 72 00 00 01"}),
    )
    .await;
    let page = html(
        &l,
        &named(&["reason", "referent_contact"], "shared_secrecy"),
    )
    .await;
    for expected in [
        "Référente",
        "Alice Martin",
        "Assistante de service social",
        "alice.martin@ccas.example",
        "04 72 00 00 01",
    ] {
        assert!(page.contains(expected), "{expected}");
    }
    assert!(!page.contains("Travailleur social"));
    assert!(!page.contains("Non renseigné"));
}

/// The sheet's wording says only what is recorded: the legal basis once in its head, the person
/// informed only once the sheet is sent (sending requires it), and, without `health`, that the
/// plan's health steps are left out — whether or not the case has any.
#[tokio::test]
async fn the_wording_says_only_what_is_recorded() {
    let l = assessed().await;
    let liaison = l
        .draft(&named(&["identity", "steps_pending"], "shared_secrecy"))
        .await;
    let draft = document(&l, &liaison, None).await.text().await.unwrap();
    assert!(
        !draft.contains("Base légale du partage : Base légale"),
        "{draft}"
    );
    assert!(
        draft.contains("<dt>Base légale</dt>\n<dd>Secret professionnel partagé</dd>"),
        "{draft}"
    );
    assert!(!draft.contains("La personne a été informée"), "{draft}");
    assert!(
        draft.contains("la personne doit être informée de cette transmission avant son envoi"),
        "{draft}"
    );
    assert!(draft.contains(PENDING_STEP));
    assert!(!draft.contains(HEALTH_STEP));
    assert!(draft.contains("Les démarches relevant de la santé ne figurent pas sur cette fiche."));

    let sent = l.send(&liaison).await;
    assert_eq!(sent.status(), 200, "{}", sent.text().await.unwrap());
    let bytes = document(&l, &liaison, Some("application/pdf"))
        .await
        .bytes()
        .await
        .unwrap();
    let text = pdf_text(&bytes);
    assert!(
        text.contains("La personne a été informée de cette transmission."),
        "{text}"
    );
    assert!(!text.contains("avant son envoi"), "{text}");

    // With health shared, its steps are printed and nothing is said to be left out.
    let with_health = l
        .draft(&named(
            &["identity", "steps_pending", "health"],
            "shared_secrecy",
        ))
        .await;
    let page = document(&l, &with_health, None).await.text().await.unwrap();
    assert!(page.contains(HEALTH_STEP), "{page}");
    assert!(!page.contains("ne figurent pas sur cette fiche"), "{page}");
}
