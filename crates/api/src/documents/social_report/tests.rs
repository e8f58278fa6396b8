#![allow(clippy::unwrap_used)]

use std::process::Command;

use relais_domain::application::Funder;
use relais_domain::{
    BudgetLine, ChargeKind, Civility, Debt, DebtKind, EmploymentStatus, FunderStatus,
    HouseholdMember, HousingStatus, Relationship, ResourceKind,
};

use super::*;
use crate::documents::application::{PrintedDecision, PrintedFunding};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

const EVALUATION: &str = "Madame Lefèvre vit seule avec ses deux enfants depuis sa séparation.\n\n\
    Suite à une baisse de ses heures de travail, elle n'a pu régler ses loyers de septembre à \
    novembre.\nElle a repris un emploi à temps plein en décembre.";

fn household() -> Household {
    Household {
        housing: Some(HousingStatus::Tenant),
        employment: Some(EmploymentStatus::Employed),
        members: vec![
            HouseholdMember {
                relationship: Relationship::Child,
                birth_date: d(2015, 3, 15),
                dependent: true,
            },
            HouseholdMember {
                relationship: Relationship::Child,
                birth_date: d(2026, 9, 1),
                dependent: true,
            },
        ],
    }
}

fn lines() -> Budget {
    Budget {
        resources: vec![
            BudgetLine {
                kind: ResourceKind::Salary,
                amount_cents: 123_456,
                label: Some("Salaire de Mme".to_owned()),
            },
            BudgetLine {
                kind: ResourceKind::FamilyAllowances,
                amount_cents: 14_000,
                label: None,
            },
        ],
        charges: vec![BudgetLine {
            kind: ChargeKind::Rent,
            amount_cents: 65_000,
            label: None,
        }],
        debts: vec![Debt {
            kind: DebtKind::RentArrears,
            creditor: Some("Office HLM".to_owned()),
            amount_owed_cents: 180_000,
            monthly_repayment_cents: 0,
        }],
    }
}

fn sample() -> SocialReport {
    let today = d(2027, 3, 14);
    let household = household();
    SocialReport {
        letterhead: crate::documents::letterhead::Letterhead::named(
            "Centre communal d'action sociale de Saint-Étienne",
        ),
        document_on: today,
        person: ReportPerson {
            first_name: "Camille".to_owned(),
            last_name: "Lefèvre".to_owned(),
            birth_name: Some("Durand".to_owned()),
            birth_date: Some(d(1980, 2, 3)),
            marital_status: Some("Divorcé·e"),
            address: vec![
                "12 rue des Lilas".to_owned(),
                "42000 Saint-Étienne".to_owned(),
            ],
            phone: Some("06 12 34 56 78".to_owned()),
            email: None,
            caf_number: Some("1234567".to_owned()),
        },
        budget: Some(ReportBudget::new(lines(), Some(&household), today)),
        household: Some(household),
        request: PrintedApplication {
            scheme: "Fonds de solidarité logement (FSL) — maintien".to_owned(),
            status: "Dossier envoyé".to_owned(),
            opened_on: d(2027, 2, 1),
            submitted: Some((d(2027, 3, 1), "Commission FSL de la Loire".to_owned())),
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
                        status: FunderStatus::Requested,
                        granted_cents: None,
                    },
                ],
            )),
        },
        provider: Some("Conseil départemental de la Loire".to_owned()),
        version_no: 2,
        written_on: d(2027, 3, 10),
        text: EVALUATION.to_owned(),
        author: DocumentReferent {
            name: "Jeanne Martin".to_owned(),
            job_title: Some("Assistante de service social".to_owned()),
            civility: Some(Civility::Mme),
            email: Some("jeanne.martin@ccas.example".to_owned()),
            phone: None,
        },
    }
}

/// What both renderings show.
const SHOWN: [&str; 30] = [
    "Rapport de situation sociale",
    "Rapport n° 2 du 10 mars 2027 · Document établi le 14 mars 2027",
    "Lefèvre",
    "Camille",
    "Durand",
    "3 février 1980 (47 ans)",
    "12 rue des Lilas",
    "06 12 34 56 78",
    "1234567",
    "3 : la personne et 2 autres",
    "Enfant : 11 ans, à charge",
    "Enfant : moins d'un an, à charge",
    "Locataire",
    "1 374,56 €",
    "650,00 €",
    "724,56 €",
    "24,15 €",
    "1,6",
    "Salaire ou revenu d'activité (Salaire de Mme) : 1 234,56 €",
    "Dette de loyer (Office HLM) : 1 800,00 € dus",
    "Fonds de solidarité logement (FSL) — maintien",
    "Conseil départemental de la Loire",
    "Dossier envoyé le 1er mars 2027 à Commission FSL de la Loire",
    "1 500,00 €",
    "Accordé : demandé 800,00 €, accordé 800,00 €",
    "Sollicité, en attente : demandé 400,00 €",
    "700,00 €",
    "Elle a repris un emploi à temps plein en décembre.",
    "Assistante de service social",
    "secret professionnel",
];

fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---- HTML ---------------------------------------------------------------------------------

#[test]
fn the_html_shows_every_part_of_the_report() {
    let page = html(&sample());
    assert!(page.starts_with("<!doctype html>"));
    assert!(page.contains("<html lang=\"fr\">"));
    let page = page.replace("&#x27;", "'");
    for expected in SHOWN.into_iter().chain([
        "<h2>Personne concernée</h2>",
        "<h2>Composition du foyer</h2>",
        "<h2>Budget mensuel du foyer</h2>",
        "<h2>Demande</h2>",
        "<h2>Plan de financement</h2>",
        "<h2>Évaluation sociale</h2>",
        "<h2>Signature</h2>",
        "Jeanne Martin, Assistante de service social",
        "jeanne.martin@ccas.example",
        "Fait à ",
    ]) {
        assert!(page.contains(expected), "missing {expected:?} in {page}");
    }
}

#[test]
fn the_evaluation_keeps_its_paragraphs() {
    let page = html(&sample());
    let text = page.replace("&#x27;", "'");
    assert!(
        text.contains(
            "depuis sa séparation.\n\nSuite à une baisse de ses heures de travail, elle n'a pu \
             régler ses loyers de septembre à novembre.\nElle a repris"
        ),
        "{page}"
    );
}

#[test]
fn every_value_is_escaped_in_the_html() {
    let mut report = sample();
    report.person.last_name = "<script>alert('x')</script>".to_owned();
    report.letterhead.name = "A&B <b>".to_owned();
    report.text = "<img src=x onerror=alert(1)> \"évaluation\"".to_owned();
    report.request.scheme = "<i>FSL</i>".to_owned();
    report.author.name = "<u>Jeanne</u>".to_owned();
    if let Some(funding) = report.request.funding.as_mut() {
        funding.funders[0].name = "<em>FSL</em>".to_owned();
    }
    let page = html(&report);
    for raw in ["<script>", "<b>", "<img", "<i>", "<u>", "<em>"] {
        assert!(!page.contains(raw), "{raw} in {page}");
    }
    assert!(page.contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;&#x2f;script&gt;"));
    assert!(page.contains("A&amp;B &lt;b&gt;"));
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt; &quot;évaluation&quot;"));
    assert!(page.contains("&lt;em&gt;FSL&lt;&#x2f;em&gt;"));
    assert!(page.contains("&lt;u&gt;Jeanne&lt;&#x2f;u&gt;"));
}

#[test]
fn a_report_without_household_budget_or_funding_plan_says_so() {
    let mut report = sample();
    report.household = None;
    report.budget = None;
    report.request.funding = None;
    report.person = ReportPerson {
        first_name: "Camille".to_owned(),
        last_name: "Lefèvre".to_owned(),
        ..ReportPerson::default()
    };
    let page = html(&report).replace("&#x27;", "'");
    for expected in [NO_HOUSEHOLD, NO_BUDGET, NO_FUNDING, "Non renseignée"] {
        assert!(page.contains(expected), "missing {expected:?}");
    }
    assert!(!page.contains("Montant de la demande"));
    assert!(!page.contains("Adresse"));
}

#[test]
fn a_person_living_alone_and_a_decided_request_are_worded() {
    let mut report = sample();
    let alone = Household::default();
    report.budget = Some(ReportBudget::new(lines(), Some(&alone), report.document_on));
    report.household = Some(alone);
    report.request.status = "Décision rendue".to_owned();
    report.request.decision = Some(PrintedDecision {
        outcome: "Refusée".to_owned(),
        decided_on: d(2027, 3, 12),
        amount_granted_cents: None,
        reason: Some("Ressources au-dessus du plafond".to_owned()),
    });
    let page = html(&report);
    for expected in [
        "1 : la personne vit seule",
        "Décision rendue",
        "Refusée le 12 mars 2027",
        "Ressources au-dessus du plafond",
    ] {
        assert!(page.contains(expected), "missing {expected:?}");
    }
    assert!(
        !page.contains("Commission FSL"),
        "the decision replaces the submission"
    );
}

#[test]
fn the_budget_figures_are_the_domain_s() {
    let report = sample();
    let derived = report.budget.as_ref().unwrap().derived;
    assert_eq!(derived.total_resources_cents, 137_456);
    assert_eq!(derived.remaining_cents, 72_456);
    assert_eq!(derived.remaining_per_day_cents, 2_415);
    assert_eq!(
        derived.consumption_units.tenths(),
        16,
        "two children under 14"
    );
    assert_eq!(derived.remaining_per_unit_cents, 45_285);
    assert!(html(&report).contains("452,85 €"));
}

// ---- PDF ----------------------------------------------------------------------------------

/// The text of `pdf` as pdftotext extracts it, through a file of its own (`name`: tests run in
/// parallel).
fn pdf_text(name: &str, pdf: &[u8]) -> String {
    let path = std::env::temp_dir().join(format!(
        "relais-social-report-{name}-{}.pdf",
        std::process::id()
    ));
    std::fs::write(&path, pdf).unwrap();
    let output = Command::new("pdftotext")
        .arg(&path)
        .args(["-enc", "UTF-8", "-"])
        .output()
        .unwrap_or_else(|e| panic!("pdftotext ({e}): install poppler-utils"));
    std::fs::remove_file(&path).unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_pdf_text_is_extractable_with_its_accents() {
    let bytes = pdf(&sample()).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let text = flat(&pdf_text("extract", &bytes));
    for expected in SHOWN
        .into_iter()
        .chain(["Signature", "Jeanne Martin", "Fait à", "Page 1 /"])
    {
        assert!(
            text.contains(&flat(expected)),
            "missing {expected:?} in:\n{text}"
        );
    }
}

#[test]
fn the_pdf_is_deterministic_and_survives_hostile_text() {
    let mut report = sample();
    report.text = format!("<script> & \u{7}\t😀 {}\r\n\r\nsuite", "x".repeat(300));
    report.author.job_title = Some("Conseillère en économie sociale et familiale ".repeat(6));
    let first = pdf(&report).unwrap();
    assert_eq!(first, pdf(&report).unwrap());
    let text = pdf_text("hostile", &first);
    assert!(text.contains("<script> &"));
    assert!(text.contains("suite"));
}
