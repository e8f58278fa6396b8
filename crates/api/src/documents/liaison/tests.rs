//! Unit tests of the liaison sheet: chosen sections only, escaping, dates in words, PDF output.

#![allow(clippy::unwrap_used)]

use super::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn bare() -> LiaisonSheet {
    LiaisonSheet {
        letterhead: crate::documents::letterhead::Letterhead::named("CCAS d'Acme"),
        document_on: d(2027, 3, 14),
        destination: SheetDestination::Named {
            name: "CAF du Rhône".into(),
            contact: "Mme Durand, 04 00 00 00 00".into(),
        },
        purpose: "Ouverture des droits au RSA".into(),
        legal_basis: "Secret professionnel partagé".into(),
        consent_given_on: None,
        status: "Brouillon".into(),
        sent_on: None,
        identity: None,
        nir: None,
        contact: None,
        situation: None,
        health: None,
        reason: None,
        actions_done: None,
        steps_pending: None,
        referent: None,
        documents: None,
        health_withheld: false,
    }
}

#[test]
fn only_the_chosen_sections_are_printed() {
    let mut sheet = bare();
    sheet.reason = Some("Impayés de loyer".into());
    sheet.documents = Some(Vec::new());
    let headings: Vec<_> = sheet.sections().iter().map(|s| s.heading).collect();
    assert_eq!(
        headings,
        ["Motif de la prise de contact", "Documents joints"]
    );
    let page = html(&sheet);
    assert!(page.contains("Impayés de loyer"));
    assert!(page.contains(NO_DOCUMENT));
    assert!(!page.contains("Identité de la personne"));
    assert!(!page.contains("Téléphone"));
    assert!(page.contains("CAF du Rhône"));
    assert!(page.contains("Base légale du partage : Secret professionnel partagé"));
}

#[test]
fn text_is_escaped_in_html() {
    let mut sheet = bare();
    sheet.purpose = "<script>alert(1)</script>".into();
    let page = html(&sheet);
    assert!(!page.contains("<script>"));
    assert!(page.contains("&lt;script&gt;"));
}

#[test]
fn the_consent_date_and_sending_date_are_written_in_words() {
    let mut sheet = bare();
    sheet.legal_basis = "Consentement de la personne".into();
    sheet.consent_given_on = Some(d(2027, 3, 1));
    sheet.status = "Envoyée".into();
    sheet.sent_on = Some(d(2027, 3, 14));
    assert_eq!(
        sheet.basis_line(),
        "Base légale du partage : Consentement de la personne (recueilli le 1er mars 2027)"
    );
    assert_eq!(
        sheet.status_line(),
        "Envoyée — fiche transmise le 14 mars 2027"
    );
}

#[test]
fn a_pdf_is_produced() {
    let mut sheet = bare();
    sheet.identity = Some(SheetIdentity {
        first_name: "Éloïse".into(),
        last_name: "Lefèvre".into(),
        birth_name: None,
        birth_date: Some(d(1980, 2, 3)),
    });
    let bytes = pdf(&sheet).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
}

#[test]
fn the_referent_is_printed_from_their_profile_in_their_own_words() {
    let mut sheet = bare();
    sheet.referent = Some(Some(crate::documents::DocumentReferent {
        name: "Jeanne Martin".into(),
        job_title: Some("Assistante de service social".into()),
        civility: Some(relais_domain::Civility::Mme),
        email: Some("jeanne.martin@ccas.example".into()),
        phone: None,
    }));
    let sections = sheet.sections();
    let referent = sections.iter().find(|s| s.heading == "Référente");
    let rows = referent.map(|s| s.rows.clone()).unwrap_or_default();
    assert_eq!(
        rows,
        [
            ("Nom", "Jeanne Martin".to_owned()),
            ("Fonction", "Assistante de service social".to_owned()),
            ("Courriel", "jeanne.martin@ccas.example".to_owned()),
            ("Téléphone", "Non renseigné".to_owned()),
        ]
    );
    assert!(!html(&sheet).contains("Travailleur social"));
    sheet.referent = Some(None);
    let headings: Vec<_> = sheet.sections().iter().map(|s| s.heading).collect();
    assert_eq!(headings, ["Référent·e"]);
}

#[test]
fn the_basis_is_named_once_in_the_head() {
    let sheet = bare();
    let head = sheet.head();
    let basis = head
        .rows
        .iter()
        .find(|(label, _)| *label == "Base légale")
        .unwrap();
    assert_eq!(basis.1, "Secret professionnel partagé");
    let page = html(&sheet);
    assert!(
        !page.contains("Base légale du partage : Base légale"),
        "{page}"
    );
}

#[test]
fn only_a_sent_sheet_says_the_person_was_informed() {
    let mut sheet = bare();
    let draft = html(&sheet);
    assert!(!draft.contains(INFORMED), "{draft}");
    assert!(draft.contains("doit être informée de cette transmission avant son envoi"));
    sheet.status = "Envoyée".into();
    sheet.sent_on = Some(d(2027, 3, 15));
    let sent = html(&sheet);
    assert!(sent.contains(INFORMED), "{sent}");
    assert!(!sent.contains("avant son envoi"), "{sent}");
}

#[test]
fn steps_without_health_say_that_health_steps_are_left_out() {
    let mut sheet = bare();
    sheet.steps_pending = Some(Vec::new());
    sheet.health_withheld = true;
    let page = html(&sheet);
    assert!(!page.contains(NO_STEP), "{page}");
    assert!(page.contains("Aucune démarche transmise."), "{page}");
    assert!(page.contains(HEALTH_WITHHELD), "{page}");
    sheet.steps_pending = Some(vec![SheetStep {
        title: "Déposer le dossier FSL".into(),
        domain: "Logement".into(),
        party: "Personne accompagnée (préconisation)".into(),
        due_on: d(2027, 4, 1),
        done_on: None,
    }]);
    let page = html(&sheet);
    assert!(page.contains("Déposer le dossier FSL"));
    assert!(page.contains(HEALTH_WITHHELD), "{page}");
    // With health shared, nothing is said to be left out.
    sheet.health_withheld = false;
    assert!(!html(&sheet).contains(HEALTH_WITHHELD));
}
