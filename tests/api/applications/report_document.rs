//! The printed social report over HTTP: printable HTML by default, PDF on request (its text
//! extracted with `pdftotext`), 406 otherwise; the person, the household, the budget with the
//! domain's figures in French euros, the request and its funding plan, the version's text and
//! its author; who may print it, archived cases with a reason, and the audit of every print.

use chrono::Months;
use relais_tests::{assert_problem, header, pdf_text, pointers, problem, today};
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::support::applications::Apps;

const EVALUATION: &str = "Madame Lefèvre élève seule son fils depuis sa séparation.\n\n\
    Une aide du FSL permettrait d'éviter la procédure d'expulsion.";

/// An FSL application of the case with a funding plan and one version of its social report,
/// written by alice once her profile is filled in; the person's household (one child of 10)
/// and budget are recorded. The application.
async fn reported(a: &Apps) -> Value {
    crate::agents::set_profile(
        &a.app,
        &a.alice,
        json!({"display_name": "Alice Martin", "job_title": "Assistante de service social",
               "civility": "mme"}),
    )
    .await;
    let person = format!("/v1/persons/{}", a.person_id);
    let born = today().checked_sub_months(Months::new(120)).unwrap();
    let household = json!({"housing": "tenant", "employment": "employed", "members": [
        {"relationship": "child", "birth_date": born, "dependent": true}
    ]});
    let response = a
        .app
        .put(
            &format!("{person}/household"),
            &a.alice,
            Some("*"),
            &household,
        )
        .await;
    assert_eq!(response.status(), 200, "recording the household");
    let budget = json!({
        "resources": [
            {"kind": "salary", "amount_cents": 123456, "label": "Salaire de Mme"},
            {"kind": "family_allowances", "amount_cents": 14000}
        ],
        "charges": [{"kind": "rent", "amount_cents": 65000}],
        "debts": [{"kind": "rent_arrears", "creditor": "Office HLM", "amount_owed_cents": 180000}]
    });
    let response = a
        .app
        .put(&format!("{person}/budget"), &a.alice, Some("*"), &budget)
        .await;
    assert_eq!(response.status(), 200, "recording the budget");
    let application = a.fsl_application().await;
    a.fund(&application).await;
    write(a, &application, EVALUATION).await;
    application
}

async fn write(a: &Apps, application: &Value, text: &str) {
    let response = a
        .app
        .post(
            &format!("{}/social-reports", a.of(application)),
            &a.alice,
            &json!({ "text": text }),
        )
        .await;
    assert_eq!(response.status(), 201, "writing the social report");
}

fn document_path(a: &Apps, application: &Value, version: i64) -> String {
    format!("{}/social-reports/{version}/document", a.of(application))
}

async fn document(a: &Apps, application: &Value, accept: Option<&str>) -> Response {
    let mut request = a
        .app
        .request(Method::GET, &document_path(a, application, 1), &a.alice);
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    request.send().await.unwrap()
}

fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn the_pdf_prints_the_person_household_budget_request_funding_and_evaluation() {
    let a = Apps::new().await;
    let application = reported(&a).await;
    let response = document(&a, &application, Some("application/pdf")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), "application/pdf");
    assert_eq!(
        header(&response, "content-disposition"),
        "inline; filename=\"rapport-social-1.pdf\""
    );
    assert_eq!(header(&response, "cache-control"), "private, no-store");
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let text = flat(&pdf_text(&bytes));
    for expected in [
        "Rapport de situation sociale",
        "CCAS d'Acme",
        // The person.
        "Lefèvre",
        "Camille",
        "3 février 1980",
        // The household: the child, aged 10, and the housing.
        "Personnes au foyer 2 : la personne et 1 autre",
        "Autres membres du foyer Enfant : 10 ans, à charge",
        "Locataire",
        // The budget, in French euros, with the domain's figures (1.3 consumption units).
        "Total des ressources 1 374,56 €",
        "Total des charges 650,00 €",
        "Reste à vivre 724,56 €",
        "Reste à vivre par jour 24,15 €",
        "Unités de consommation 1,3",
        "Reste à vivre par UC 557,35 €",
        "Salaire ou revenu d'activité (Salaire de Mme) : 1 234,56 €",
        "Dette de loyer (Office HLM) : 1 800,00 € dus",
        // The request and its funding plan.
        "Fonds de solidarité logement (FSL) — maintien",
        "Conseil départemental",
        "En préparation (pièces à réunir)",
        "Besoin à financer 1 500,00 €",
        "Fonds de solidarité logement",
        "Sollicité, en attente : demandé 800,00 €",
        "Reste à financer 1 500,00 €",
        // The evaluation, its date and author.
        "Madame Lefèvre élève seule son fils depuis sa séparation.",
        "Une aide du FSL permettrait d'éviter la procédure d'expulsion.",
        "Alice Martin, Assistante de service social",
        "Signature",
        "Fait à",
        "secret professionnel",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[tokio::test]
async fn the_html_is_the_default_and_escapes_hostile_text() {
    let a = Apps::new().await;
    let application = a.fsl_application().await;
    write(
        &a,
        &application,
        "<script>alert('x')</script>\n\nSuite & fin",
    )
    .await;
    let response = a
        .app
        .put(
            &format!("{}/funding-plan", a.of(&application)),
            &a.alice,
            Some("*"),
            &json!({"need_cents": 100000, "funders": [
                {"name": "<img src=x onerror=alert(1)>", "requested_cents": 50000, "status": "requested"}
            ]}),
        )
        .await;
    assert_eq!(response.status(), 200);
    for accept in [None, Some("*/*"), Some("text/html")] {
        let response = document(&a, &application, accept).await;
        assert_eq!(response.status(), 200, "{accept:?}");
        assert_eq!(
            header(&response, "content-type"),
            "text/html; charset=utf-8"
        );
        assert_eq!(header(&response, "vary"), "Accept");
        let page = response.text().await.unwrap();
        assert!(page.starts_with("<!doctype html>"));
        assert!(!page.contains("<script>"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;&#x2f;script&gt;"));
        assert!(page.contains("Suite &amp; fin"));
        assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
        // Nothing recorded: each part says so.
        assert!(page.contains("La composition du foyer n&#x27;est pas renseignée."));
        assert!(page.contains("Le budget du foyer n&#x27;est pas renseigné."));
    }
}

#[tokio::test]
async fn other_media_types_are_not_acceptable() {
    let a = Apps::new().await;
    let application = a.fsl_application().await;
    write(&a, &application, "Évaluation.").await;
    for accept in ["application/json", "text/plain, image/png"] {
        let response = document(&a, &application, Some(accept)).await;
        assert_eq!(response.status(), 406, "{accept}");
        assert_eq!(problem(response).await["code"], "not_acceptable");
    }
}

#[tokio::test]
async fn only_the_case_team_and_supervisors_print_the_report_of_their_own_case() {
    let a = Apps::new().await;
    let application = a.fsl_application().await;
    write(&a, &application, "Évaluation.").await;
    let path = document_path(&a, &application, 1);
    for role in ["reception", "admin", "dpo"] {
        let token = a.app.token(role, &format!("{role}-1"));
        assert_problem(a.app.get(&path, &token).await, 403, "forbidden").await;
    }
    let partner = a.app.partner("Mission locale", None).await;
    assert_problem(a.app.get(&path, &partner.token).await, 403, "forbidden").await;
    let bob = a.app.token("worker", "bob");
    assert_problem(a.app.get(&path, &bob).await, 404, "not_found").await;
    let stranger = a.app.token_for("other", &["supervisor"], "zoe");
    assert_problem(a.app.get(&path, &stranger).await, 404, "not_found").await;
    // Another case's application, a version the application does not have.
    let other = a.app.create_case(&a.alice).await;
    let elsewhere = format!(
        "/v1/cases/{}/applications/{}/social-reports/1/document",
        other["id"].as_str().unwrap(),
        application["id"].as_str().unwrap()
    );
    assert_problem(a.app.get(&elsewhere, &a.alice).await, 404, "not_found").await;
    assert_problem(
        a.app
            .get(&document_path(&a, &application, 2), &a.alice)
            .await,
        404,
        "not_found",
    )
    .await;
    let boss = a.app.token("supervisor", "sophie");
    assert_eq!(a.app.get(&path, &boss).await.status(), 200);
    assert_eq!(a.app.get(&path, &a.alice).await.status(), 200);
    // Refusals of the case's own report leave an access_denied about the person.
    let denied = a
        .audit()
        .await
        .iter()
        .filter(|(action, _)| action == "access_denied")
        .count();
    assert!(denied >= 5, "{denied} access_denied");
}

#[tokio::test]
async fn an_archived_case_s_report_is_printed_with_a_reason_that_is_audited() {
    let a = Apps::new().await;
    let application = a.fsl_application().await;
    write(&a, &application, "Évaluation.").await;
    a.force_case_status("archived").await;
    let path = document_path(&a, &application, 1);
    let p = assert_problem(a.app.get(&path, &a.alice).await, 400, "reason_required").await;
    assert_eq!(pointers(&p), ["/reason"]);
    let response = a
        .app
        .get(&format!("{path}?reason=Demande%20du%20juge"), &a.alice)
        .await;
    assert_eq!(response.status(), 200);
    let reasons: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT action, resource_type, reason FROM audit_events WHERE person_id = $1::uuid AND \
         reason IS NOT NULL ORDER BY id",
    )
    .bind(&a.person_id)
    .fetch_all(&a.app.sql)
    .await
    .unwrap();
    let seen: Vec<(&str, &str, &str)> = reasons
        .iter()
        .map(|(x, y, z)| (x.as_str(), y.as_str(), z.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("download", "application.social_report", "Demande du juge"),
            ("read", "person.household", "Demande du juge"),
            ("read", "person.budget", "Demande du juge"),
        ]
    );
}

#[tokio::test]
async fn each_print_is_audited_with_the_household_and_budget_it_reads() {
    let a = Apps::new().await;
    let application = reported(&a).await;
    let before = a.audit().await.len();
    document(&a, &application, None).await;
    document(&a, &application, Some("application/pdf")).await;
    document(&a, &application, Some("application/json")).await;
    let events = a.audit().await.split_off(before);
    let expected: Vec<(String, String)> = [
        ("download", "application.social_report"),
        ("read", "person.household"),
        ("read", "person.budget"),
    ]
    .repeat(2)
    .iter()
    .map(|(x, y)| ((*x).to_owned(), (*y).to_owned()))
    .collect();
    assert_eq!(events, expected, "the refused print is not audited");
    // The download names the version printed.
    let report_id: String = sqlx::query_scalar(
        "SELECT resource_id::text FROM audit_events WHERE action = 'download' AND \
         resource_type = 'application.social_report' AND person_id = $1::uuid LIMIT 1",
    )
    .bind(&a.person_id)
    .fetch_one(&a.app.sql)
    .await
    .unwrap();
    let version: Value = a
        .app
        .get_json(
            &format!("{}/social-reports/1", a.of(&application)),
            &a.alice,
        )
        .await;
    assert_eq!(version["id"], report_id.as_str());
}

#[tokio::test]
async fn the_social_report_carries_the_letterhead_and_its_logo() {
    let a = Apps::new().await;
    let application = reported(&a).await;
    crate::support::letterhead::install(&a.app).await;
    let pdf = document(&a, &application, Some("application/pdf")).await;
    crate::support::letterhead::assert_in_pdf(&pdf.bytes().await.unwrap());
    let page = document(&a, &application, None).await.text().await.unwrap();
    crate::support::letterhead::assert_in_html(&page);
}
