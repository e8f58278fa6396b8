#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;

use chrono::NaiveDate;

use super::*;
use crate::documents::application::{PrintedDecision, PrintedFunding};
use relais_domain::FunderStatus;
use relais_domain::application::Funder;

const HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn step(title: &str, domain: &str, category: &str, due: Option<NaiveDate>) -> PlanStep {
    PlanStep {
        title: title.to_owned(),
        details: None,
        domain: domain.to_owned(),
        category: category.to_owned(),
        due_on: due,
        status: "Prévue".to_owned(),
    }
}

pub(super) fn sample() -> WrittenPlan {
    let mut caf = step(
        "Déposer le dossier à la CAF",
        "Finances",
        "Complétude de dossiers",
        Some(d(2027, 3, 12)),
    );
    caf.details = Some(
        "Joindre l'avis d'imposition 2026, les trois derniers bulletins de salaire et le RIB. \
         En cas de pièce manquante, prévenir Mme Martin qui interviendra auprès de l'employeur."
            .to_owned(),
    );
    let mut report = step(
        "Rédiger le rapport de situation sociale",
        "Logement",
        "Rapport de situation sociale",
        Some(d(2027, 3, 26)),
    );
    report.status = "En cours".to_owned();
    WrittenPlan {
        letterhead: crate::documents::letterhead::Letterhead::named(
            "Centre communal d'action sociale de Saint-Étienne",
        ),
        person: PlanPerson {
            first_name: "Éloïse".to_owned(),
            last_name: "Lefèvre".to_owned(),
            birth_date: Some(d(1988, 2, 3)),
        },
        referent: Some(crate::documents::DocumentReferent {
            name: "Jeanne Martin".to_owned(),
            job_title: Some("Assistante de service social".to_owned()),
            civility: Some(relais_domain::Civility::Mme),
            email: Some("jeanne.martin@ccas.example".to_owned()),
            phone: Some("04 77 00 00 00".to_owned()),
        }),
        document_on: d(2027, 3, 1),
        proposed_on: d(2027, 2, 24),
        proposal_number: 2,
        reason: "Impayés de loyer depuis trois mois et rupture des droits CAF".to_owned(),
        interventions: vec![
            report,
            step(
                "Contacter le bailleur pour négocier un plan d'apurement",
                "Logement",
                "Orientation / prise de contact",
                Some(d(2027, 3, 5)),
            ),
        ],
        preconisations: vec![
            caf,
            step(
                "Prendre rendez-vous à la Mission locale",
                "Emploi",
                "Orientation",
                Some(d(2027, 4, 1)),
            ),
            step(
                "Appeler la CPAM pour la complémentaire santé",
                "Santé",
                "Démarches téléphoniques",
                None,
            ),
        ],
        partner_steps: vec![step(
            "Examiner la demande d'aide au FSL en commission",
            "Logement",
            "Démarche d'un partenaire",
            Some(d(2027, 4, 15)),
        )],
        decision: Some(PlanDecision {
            outcome: "Plan accepté".to_owned(),
            channel: "entretien".to_owned(),
            decided_on: d(2027, 2, 26),
            notes: Some("Mme Lefèvre souhaite être appelée le matin.".to_owned()),
            recorded_by: Some("Jeanne Martin".to_owned()),
        }),
        observations: vec![PlanObservation {
            text: "Je n'ai pas encore reçu mon avis d'imposition ; je l'apporterai dès réception."
                .to_owned(),
            observed_on: d(2027, 3, 4),
        }],
        applications: vec![
            PrintedApplication {
                scheme: "Fonds de solidarité logement (FSL) — maintien".to_owned(),
                status: "Dossier envoyé".to_owned(),
                opened_on: d(2027, 2, 1),
                submitted: Some((d(2027, 2, 20), "Commission FSL de la Loire".to_owned())),
                decision: None,
                funding: Some(PrintedFunding::of(
                    150_000,
                    &[
                        Funder {
                            name: "Fonds de solidarité logement".to_owned(),
                            requested_cents: 80_000,
                            status: FunderStatus::Granted,
                            granted_cents: Some(80_000),
                        },
                        Funder {
                            name: "CCAS — secours d'urgence".to_owned(),
                            requested_cents: 40_000,
                            status: FunderStatus::PartiallyGranted,
                            granted_cents: Some(25_000),
                        },
                    ],
                )),
            },
            PrintedApplication {
                scheme: "Aide à l'énergie".to_owned(),
                status: "Décision rendue".to_owned(),
                opened_on: d(2027, 1, 5),
                submitted: Some((d(2027, 1, 20), "CCAS".to_owned())),
                decision: Some(PrintedDecision {
                    outcome: "Refusée".to_owned(),
                    decided_on: d(2027, 2, 10),
                    amount_granted_cents: None,
                    reason: Some("Dossier incomplet".to_owned()),
                }),
                funding: None,
            },
        ],
        content_hash: HASH.to_owned(),
    }
}

fn long_plan(steps: usize) -> WrittenPlan {
    let mut plan = sample();
    plan.preconisations = (1..=steps)
        .map(|i| {
            let mut s = step(
                &format!("Démarche numéro {i} : réunir les pièces justificatives demandées"),
                "Administratif",
                "Complétude de dossiers",
                Some(d(2027, 5, 1 + (i % 28) as u32)),
            );
            s.details =
                Some("Détail de la démarche, à préparer avant l'entretien suivant. ".repeat(3));
            s
        })
        .collect();
    plan
}

/// What both renderings show of the parties' steps and of the applications.
const STEPS_SHOWN: [&str; 16] = [
    "Vos préconisations",
    "Préconisations (démarches de la personne)",
    "Interventions de la référente",
    "Démarches des partenaires",
    "Déposer le dossier à la CAF",
    "À réaliser avant le 12 mars 2027",
    "Demandes d'aide en cours",
    "Où en sont, au 1er mars 2027, les demandes d'aide faites avec vous, et leur financement.",
    "Fonds de solidarité logement (FSL) — maintien",
    "État : Dossier envoyé le 20 février 2027 à Commission FSL de la Loire",
    "Besoin à financer : 1 500,00 €",
    "Fonds de solidarité logement — Accordé : demandé 800,00 €, accordé 800,00 €",
    "CCAS — secours d'urgence — Accordé partiellement : demandé 400,00 €, accordé 250,00 €",
    "Reste à financer : 450,00 €",
    "Décision : Refusée le 10 février 2027",
    "Pas de plan de financement établi pour cette demande.",
];

/// The page as read: minijinja writes an apostrophe `&#x27;` and a slash `&#x2f;`.
fn read(page: &str) -> String {
    page.replace("&#x27;", "'").replace("&#x2f;", "/")
}

// ---- HTML ---------------------------------------------------------------------------------

#[test]
fn the_html_is_a_complete_french_printable_document() {
    let page = html(&sample());
    assert!(page.starts_with("<!doctype html>"));
    assert!(page.contains("<html lang=\"fr\">"));
    assert!(page.contains("<meta charset=\"utf-8\">"));
    assert!(page.contains("size: A4"));
    assert!(page.trim_end().ends_with("</html>"));
}

#[test]
fn the_html_shows_each_party_s_steps_with_french_deadlines() {
    let page = html(&sample());
    assert!(page.contains("<h1>Plan d&#x27;aide</h1>"));
    let page = read(&page);
    for expected in [
        "<h1>Plan d'aide</h1>",
        "Centre communal d'action sociale de Saint-Étienne",
        "Éloïse Lefèvre",
        "3 février 1988",
        "Référente",
        "Jeanne Martin, Assistante de service social",
        "jeanne.martin@ccas.example · 04 77 00 00 00",
        "Impayés de loyer",
        "Proposition n° 2 du 24 février 2027",
        "Document établi le 1er mars 2027",
        "À réaliser avant le 1er avril 2027",
        "Sans échéance fixée",
        "Domaine : Finances · Démarche : Complétude de dossiers · État : Prévue",
        "Plan accepté le 26 février 2027 (entretien)",
        "Réponse enregistrée par Jeanne Martin",
        "Le 4 mars 2027",
        "Signature de la personne",
        "Signature de la référente",
        "Fait à ",
        "Empreinte du plan (SHA-256) : 9f86d081",
        "secret professionnel",
    ]
    .into_iter()
    .chain(STEPS_SHOWN)
    {
        assert!(page.contains(expected), "missing {expected:?}");
    }
}

#[test]
fn every_interpolated_value_is_escaped_in_the_html() {
    let mut plan = sample();
    plan.preconisations[0].title = "<script>alert('x')</script> & co".to_owned();
    plan.letterhead.name = "A&B <b>".to_owned();
    plan.person.last_name = "\"Lefèvre\"".to_owned();
    plan.content_hash = "\"; } body { display: none".to_owned();
    plan.applications[0].scheme = "<i>FSL</i>".to_owned();
    if let Some(funding) = plan.applications[0].funding.as_mut() {
        funding.funders[0].name = "<u>Fondation</u>".to_owned();
    }
    let page = html(&plan);
    assert!(!page.contains("<script>"));
    assert!(!page.contains("<b>"));
    assert!(page.contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;&#x2f;script&gt; &amp; co"));
    assert!(page.contains("A&amp;B &lt;b&gt;"));
    assert!(page.contains("&quot;Lefèvre&quot;"));
    assert!(!page.contains("<i>"));
    assert!(page.contains("&lt;i&gt;FSL&lt;&#x2f;i&gt;"));
    assert!(page.contains("&lt;u&gt;Fondation&lt;&#x2f;u&gt;"));
    let css = &page[page.find("<style>").unwrap()..page.find("</style>").unwrap()];
    assert!(
        !css.contains("display: none"),
        "only hex digits of the hash reach the CSS"
    );
}

#[test]
fn the_html_loads_nothing_from_elsewhere() {
    let page = html(&sample());
    for forbidden in [
        "http://", "https://", "<link", "<script", "src=", "@import", "url(",
    ] {
        assert!(!page.contains(forbidden), "found {forbidden:?}");
    }
}

#[test]
fn a_plan_without_answer_or_partner_says_so() {
    let mut plan = sample();
    plan.decision = None;
    plan.partner_steps.clear();
    plan.observations.clear();
    plan.interventions.clear();
    plan.referent = None;
    plan.applications.clear();
    let page = read(&html(&plan));
    assert!(page.contains(NO_DECISION));
    assert!(page.contains("Aucune démarche n'est prévue."));
    assert!(page.contains("Demandes d'aide en cours"));
    assert!(page.contains(NO_APPLICATION));
    assert!(page.contains("Aucune observation à ce jour"));
    assert!(page.contains("Non désigné"));
    assert!(page.contains("Interventions de la ou du référent·e"));
    assert!(page.contains("Signature de la ou du référent·e"));
    assert!(!page.contains("Démarches des partenaires"));
}

#[test]
fn the_other_decisions_are_written_in_words() {
    let mut plan = sample();
    let decision = plan.decision.as_mut().unwrap();
    decision.outcome = "Modifications demandées".to_owned();
    decision.channel = "téléphone".to_owned();
    assert!(html(&plan).contains("Modifications demandées le 26 février 2027 (téléphone)"));
    let decision = plan.decision.as_mut().unwrap();
    decision.outcome = "Refusé".to_owned();
    assert!(html(&plan).contains("Refusé le 26 février 2027 (téléphone)"));
}

// ---- PDF ----------------------------------------------------------------------------------

/// Runs a poppler tool on `pdf` (CI installs poppler-utils; see .ci/run).
fn poppler(tool: &str, name: &str, pdf: &[u8]) -> String {
    let path: PathBuf =
        std::env::temp_dir().join(format!("relais-{name}-{}.pdf", std::process::id()));
    std::fs::write(&path, pdf).unwrap();
    let mut command = Command::new(tool);
    command.arg(&path);
    if tool == "pdftotext" {
        command.args(["-enc", "UTF-8", "-"]);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{tool} ({e}): install poppler-utils"));
    std::fs::remove_file(&path).unwrap();
    assert!(
        output.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn page_count(pdf: &[u8], name: &str) -> usize {
    let info = poppler("pdfinfo", name, pdf);
    let line = info.lines().find(|l| l.starts_with("Pages:")).unwrap();
    line["Pages:".len()..].trim().parse().unwrap()
}

#[test]
fn the_pdf_is_a_pdf_file() {
    let bytes = pdf(&sample()).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    assert!(bytes.trim_ascii_end().ends_with(b"%%EOF"));
    assert!(
        bytes.len() < 200_000,
        "fonts are subset: {} bytes",
        bytes.len()
    );
}

#[test]
fn the_pdf_text_is_extractable_with_its_accents() {
    let text = poppler("pdftotext", "extract", &pdf(&sample()).unwrap());
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "Plan d'aide",
        "Centre communal d'action sociale de Saint-Étienne",
        "Éloïse Lefèvre",
        "Plan accepté le 26 février 2027 (entretien)",
        "Signature de la personne",
        "Signature de la référente",
        "Empreinte du plan (SHA-256) : ",
        HASH,
        "secret professionnel",
        "Page 1 / ",
    ]
    .into_iter()
    .chain(STEPS_SHOWN)
    {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn a_forty_step_plan_spans_several_numbered_pages() {
    let plan = long_plan(40);
    let bytes = pdf(&plan).unwrap();
    let pages = page_count(&bytes, "long");
    assert!(pages > 1, "{pages} page(s)");
    let text = poppler("pdftotext", "long-text", &bytes);
    assert!(text.contains(&format!("Page {pages} / {pages}")));
    assert_eq!(
        text.matches(HASH).count(),
        pages,
        "the hash is on every page"
    );
    for i in 1..=40 {
        let title = format!("Démarche numéro {i} : réunir les pièces justificatives demandées");
        assert!(text.contains(&title), "missing step {i}");
    }
}

#[test]
fn the_pdf_is_deterministic_and_survives_hostile_text() {
    let mut plan = sample();
    plan.preconisations[0].title = format!("<script> & \u{7}\t😀 {}", "x".repeat(300));
    plan.interventions[0].details = Some("ligne 1\r\nligne 2\n\nligne 4".to_owned());
    let first = pdf(&plan).unwrap();
    assert_eq!(first, pdf(&plan).unwrap());
    let text = poppler("pdftotext", "hostile", &first);
    assert!(text.contains("<script> &"));
}
