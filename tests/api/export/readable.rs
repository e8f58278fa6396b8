//! The right of access as a document the person can read: `text/html` and `application/pdf`
//! say in French, with labels, names and dates in words, what the JSON says in codes and ids;
//! `application/zip` holds the JSON, the PDF and every stored file of the person.

use std::io::Read as _;

use relais_tests::{TestApp, nir, pdf_text, problem};
use reqwest::{Method, Response};
use serde_json::{Value, json};

use super::{Fixture, NIR_DIGITS, NOTE, fixture};
use crate::support::applications::{Apps, PDF};
use crate::support::referrals::{Referrals, attachment, referral};

/// The sections of the document, in order.
const SECTIONS: [&str; 10] = [
    "Identité",
    "Situation",
    "Accompagnements",
    "Plan d'aide",
    "Entretiens",
    "Demandes",
    "Partages et orientations",
    "Consentements",
    "Historique des rectifications",
    "Accès à votre dossier",
];

async fn export_in(app: &TestApp, path: &str, token: &str, accept: &str) -> Response {
    app.request(Method::GET, path, token)
        .header("Accept", accept)
        .send()
        .await
        .unwrap()
}

impl Fixture {
    async fn readable(&self, query: &str, accept: &str) -> Response {
        let path = format!("{}{query}", self.export_path());
        export_in(&self.app, &path, &self.dpo, accept).await
    }
}

/// The text of an HTML page with the escapes the template writes undone.
fn unescaped(page: &str) -> String {
    page.replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&#x2f;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A ZIP archive's entries, by name, in order.
fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            file.read_to_end(&mut content).unwrap();
            (file.name().to_owned(), content)
        })
        .collect()
}

#[tokio::test]
async fn the_html_export_is_a_french_document_with_labels_names_and_dates_in_words() {
    let f = fixture().await;
    // A correction, for the rectification history.
    let person = format!("/v1/persons/{}", f.person_id);
    let response = f
        .app
        .patch(&person, &f.alice, 1, &json!({"phone": "06 11 22 33 44"}))
        .await;
    assert_eq!(response.status(), 200);
    let before = f.app.audit_actions(&f.person_id).await.len();

    let response = f.readable("", "text/html").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["vary"], "Accept");
    let page = unescaped(&response.text().await.unwrap());

    let mut at = 0;
    for heading in SECTIONS {
        let found = page[at..]
            .find(&format!("<h2>{heading}</h2>"))
            .unwrap_or_else(|| panic!("section {heading} missing or out of order"));
        at += found;
    }
    for text in [
        // Identité: the NIR in clear, the birth date in words, the information of the person.
        "Relevé de vos données personnelles",
        "<dd>Lefèvre</dd>",
        "<dd>Camille</dd>",
        "<dd>3 février 1980</dd>",
        &nir(NIR_DIGITS),
        "Vous avez été informé(e) le 5 janvier 2026",
        // Situation: the assessed domain by its label.
        "Logement — accompagnement ouvert le",
        "Impayés de loyer depuis trois mois.",
        "Priorité : Haute",
        // Accompagnements: the stage by its label, the referent by name and role.
        "Motif : Impayés de loyer depuis trois mois",
        "Référent : alice (Travailleur social)",
        // Plan d'aide.
        "Demander le FSL",
        "Plan d'aide n° 1",
        "Votre décision : Plan accepté",
        "Votre observation du",
        "Je n'avais pas compris le délai.",
        // Entretiens.
        "Point logement",
        // Partages et orientations.
        "Fiche de liaison à CAF du Rhône",
        "Objet : Ouverture des droits au RSA.",
        // Consentements.
        "Partage d'informations avec un organisme désigné",
        "En vigueur",
        // Historique des rectifications: who changed what.
        "Téléphone — le",
        "Avant : (vide)",
        "Après : 06 11 22 33 44",
        "Par : alice (Travailleur social)",
        // Accès à votre dossier.
        "— Création : personne",
        "— Modification : personne",
        "Les notes de travail personnelles des professionnels ne sont pas reproduites.",
    ] {
        assert!(page.contains(text), "{text:?} missing from {page}");
    }
    for code in [
        "share_with_named_institution",
        "shared_secrecy",
        "\"housing\"",
        "in_person",
        NOTE,
    ] {
        assert!(!page.contains(code), "{code:?} in {page}");
    }
    assert!(
        !page.contains(&f.case_id),
        "no ids in the readable document"
    );
    // Audited as the JSON export is.
    let after = f.app.audit_actions(&f.person_id).await;
    assert_eq!(
        after[before..],
        [
            ("export".to_owned(), "person.export".to_owned()),
            ("reveal".to_owned(), "person.nir".to_owned()),
        ]
    );

    let with_notes = f.readable("?include_private_notes=true", "text/html").await;
    assert_eq!(with_notes.status(), 200);
    let page = unescaped(&with_notes.text().await.unwrap());
    assert!(page.contains(&format!("Note de travail du professionnel : {NOTE}")));
    assert!(!page.contains("ne sont pas reproduites"));
}

#[tokio::test]
async fn the_pdf_export_has_every_section_as_extractable_french_text() {
    let f = fixture().await;
    crate::support::letterhead::install(&f.app).await;
    let response = f.readable("", "application/pdf").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert_eq!(
        response.headers()["content-disposition"],
        format!("attachment; filename=\"relais-export-{}.pdf\"", f.person_id).as_str()
    );
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let text = pdf_text(&bytes);
    for heading in SECTIONS {
        assert!(text.contains(heading), "{heading} missing from {text}");
    }
    for part in [
        "Lefèvre",
        "3 février 1980",
        &nir(NIR_DIGITS),
        "Demander le FSL",
        "Je n'avais pas compris le délai.",
        "CAF du Rhône",
    ] {
        assert!(text.contains(part), "{part:?} missing from {text}");
    }
    assert!(!text.contains(NOTE));
    crate::support::letterhead::assert_in_pdf(&bytes);
}

#[tokio::test]
async fn the_archive_holds_the_json_the_pdf_and_every_stored_file() {
    let a = Apps::new().await;
    let put = |what: &'static str, body: Value| {
        let path = format!("/v1/persons/{}/{what}", a.person_id);
        let app = &a.app;
        let alice = a.alice.clone();
        async move {
            let response = app.put(&path, &alice, Some("\"0\""), &body).await;
            assert_eq!(response.status(), 200, "putting the {what}");
        }
    };
    put(
        "household",
        json!({"housing": "tenant", "members": [
            {"relationship": "child", "birth_date": "2015-05-01", "dependent": true}]}),
    )
    .await;
    put(
        "budget",
        json!({"resources": [{"kind": "rsa", "amount_cents": 60775}],
               "charges": [{"kind": "rent", "amount_cents": 123450}],
               "debts": [{"kind": "rent_arrears", "creditor": "Office HLM",
                          "amount_owed_cents": 180000, "monthly_repayment_cents": 15000}]}),
    )
    .await;
    let application = a.fsl_application().await;
    a.fund(&application).await;
    let document = a.upload(&a.case_id).await;
    let dpo = a.app.token("dpo", "dora");
    let path = format!("/v1/persons/{}/export", a.person_id);

    let response = export_in(&a.app, &path, &dpo, "application/zip").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    assert_eq!(
        response.headers()["content-disposition"],
        format!("attachment; filename=\"relais-export-{}.zip\"", a.person_id).as_str()
    );
    let files = entries(&response.bytes().await.unwrap());
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            format!("relais-export-{}.json", a.person_id).as_str(),
            format!("relais-export-{}.pdf", a.person_id).as_str(),
            format!("documents/{document}-quittances.pdf").as_str(),
        ]
    );
    let json: Value = serde_json::from_slice(&files[0].1).unwrap();
    relais_tests::assert_conforms("PersonExport", &json);
    assert_eq!(json["person"]["id"], a.person_id.as_str());
    assert_eq!(files[2].1, PDF, "the stored document, byte for byte");
    let text = pdf_text(&files[1].1);
    for part in [
        "Locataire",
        "Enfant",
        "1er mai 2015",
        "607,75 €",
        "1 234,50 €",
        "Dettes",
        "Dette de loyer (Office HLM) : 1 800,00 € dus, remboursés 150,00 € par mois",
        "Fonds de solidarité logement (FSL) — maintien",
        "besoin de 1 500,00 €",
        "Pièce d'identité",
        "quittances.pdf",
    ] {
        assert!(text.contains(part), "{part:?} missing from {text}");
    }
}

#[tokio::test]
async fn the_archive_holds_the_attachments_of_the_persons_referrals() {
    let r = Referrals::new().await;
    let mut body = referral();
    body["attachments"] = json!([attachment("courrier.pdf", PDF)]);
    let posted = r.posted(&body).await;
    let decided = r.decided(&posted, &json!({"outcome": "accepted"})).await;
    let person_id = decided["person_id"].as_str().unwrap();
    let dpo = r.app.token("dpo", "diane");
    let path = format!("/v1/persons/{person_id}/export");

    let response = export_in(&r.app, &path, &dpo, "application/zip").await;
    assert_eq!(response.status(), 200);
    let files = entries(&response.bytes().await.unwrap());
    let attachment = files
        .iter()
        .find(|(name, _)| name.starts_with("orientations/") && name.ends_with("-courrier.pdf"))
        .unwrap_or_else(|| {
            panic!(
                "no attachment in {:?}",
                files.iter().map(|f| &f.0).collect::<Vec<_>>()
            )
        });
    assert_eq!(attachment.1, PDF);
    let text = pdf_text(&files[1].1);
    for part in [
        "Orientation reçue de CAF du Rhône",
        "Mme Durand (Conseillère CAF)",
    ] {
        assert!(text.contains(part), "{part:?} missing from {text}");
    }
}

#[tokio::test]
async fn json_stays_the_default_and_other_media_types_are_not_acceptable() {
    let f = fixture().await;
    for accept in ["*/*", "application/json", "application/*"] {
        let response = f.readable("", accept).await;
        assert_eq!(response.status(), 200, "{accept}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{accept}"
        );
    }
    let before = f.app.audit_actions(&f.person_id).await.len();
    let response = f.readable("", "image/png").await;
    assert_eq!(response.status(), 406);
    let body = problem(response).await;
    assert_eq!(body["status"], 406);
    let bad = f
        .readable("?include_private_notes=maybe", "application/pdf")
        .await;
    assert_eq!(bad.status(), 400);
    let body = problem(bad).await;
    assert_eq!(body["errors"][0]["pointer"], "/include_private_notes");
    assert_eq!(
        f.app.audit_actions(&f.person_id).await.len(),
        before,
        "a refused export records no export"
    );
    // Only the dpo, in every format.
    let response = export_in(&f.app, &f.export_path(), &f.alice, "application/zip").await;
    assert_eq!(response.status(), 403);
}
