//! Retention (PROTECTION.md): the periods of the organisation, the DPO's report, the run (the
//! function `relais retention run` and the daily worker call) archiving, anonymising without
//! leaving an identifier anywhere, expiring audit events through the retention role only, and
//! being idempotent; the erasure of a person and the obligations that hold it.

use chrono::{Months, NaiveDate};
use relais_store::{Db, PoolSettings};
use relais_tests::{TestApp, assert_conforms, assert_problem, header, nir, pointers, today};
use serde_json::{Value, json};

const FIRST: &str = "Zéphyrine";
const LAST: &str = "Quintavalle";
const NIR13: &str = "2850575123456";

fn db(app: &TestApp) -> Db {
    Db::connect_lazy(app.db_options.clone(), &PoolSettings::default())
}

fn months_later(months: u32) -> NaiveDate {
    today().checked_add_months(Months::new(months)).unwrap()
}

/// Runs the retention of `acme` on `as_of`, as `relais retention run --org acme --as-of` does.
async fn run(app: &TestApp, as_of: NaiveDate, dry_run: bool) -> Value {
    let runs = relais_server::retention::run(&db(app), Some("acme"), as_of, dry_run, 2)
        .await
        .unwrap();
    serde_json::to_value(&runs[0]).unwrap()
}

/// A person with names, NIR and contact details, a case with a contact, a debt, two letters,
/// closed today; the person and case ids.
async fn closed_case(app: &TestApp) -> (String, String) {
    let alice = app.token("worker", "alice");
    let person = app
        .create_person(
            &alice,
            json!({
                "first_name": FIRST, "last_name": LAST, "birth_name": "Marchetti",
                "birth_date": "1985-05-12", "nir": nir(NIR13), "phone": "0611223344",
                "email": "zephyrine.quintavalle@example.org",
                "address": {"line1": "12 rue des Quintavalle", "city": "Lyon", "postcode": "69003"},
                "informed": {"at": "2026-01-05", "channel": "in_person", "notice_version": "2026-01"}
            }),
        )
        .await;
    let person_id = person["id"].as_str().unwrap().to_owned();
    let case = app.open_case_for(&alice, &person_id).await;
    let case_id = case["id"].as_str().unwrap().to_owned();
    let contact = app
        .post(
            &format!("/v1/cases/{case_id}/contacts"),
            &alice,
            &json!({"kind": "interview", "occurred_at": "2026-12-01T10:00:00Z",
                    "summary": "Zéphyrine Quintavalle explique ses dettes",
                    "private_note": "Mme Quintavalle très inquiète"}),
        )
        .await;
    assert_eq!(contact.status(), 201, "{}", contact.text().await.unwrap());
    // A debt's creditor is free text too: a relative's loan names the family.
    let budget = app
        .put(
            &format!("/v1/persons/{person_id}/budget"),
            &alice,
            Some("\"0\""),
            &json!({"resources": [], "charges": [], "debts": [
                {"kind": "other", "creditor": "Prêt de M. Quintavalle (frère)",
                 "amount_owed_cents": 50000}
            ]}),
        )
        .await;
    assert_eq!(budget.status(), 200, "{}", budget.text().await.unwrap());
    // Letters carry the person's name and address in their text and their recipient block.
    let templates = app.get_json("/v1/letter-templates", &alice).await;
    let template = |key: &str| {
        templates["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["starter"] == key)
            .unwrap()["id"]
            .clone()
    };
    for letter in [
        json!({"template_id": template("attestation_suivi"),
               "values": {"precisions": "Mme Quintavalle vient chaque mois."}}),
        json!({"template_id": template("convocation"),
               "values": {"date_entretien": "2027-03-12", "heure_entretien": "09:30",
                          "lieu": "CCAS", "objet": "Le dossier de Zéphyrine"}}),
    ] {
        let written = app
            .post(&format!("/v1/cases/{case_id}/letters"), &alice, &letter)
            .await;
        assert_eq!(written.status(), 201, "{}", written.text().await.unwrap());
    }
    let patched = app
        .patch(
            &format!("/v1/persons/{person_id}"),
            &alice,
            1,
            &json!({"phone": "0622334455"}),
        )
        .await;
    assert_eq!(patched.status(), 200);
    let closed = app
        .request(
            reqwest::Method::POST,
            &format!("/v1/cases/{case_id}/transitions"),
            &alice,
        )
        .header("If-Match", "*")
        .json(&json!({"to": "closed", "closure_reason": "goals_met",
                      "orientation": "Suivi par le CCAS, Mme Quintavalle prévenue"}))
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), 200, "{}", closed.text().await.unwrap());
    (person_id, case_id)
}

/// Every text, JSON and binary column of every table that contains `needle`, as table.column.
async fn found_anywhere(app: &TestApp, needle: &str) -> Vec<String> {
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name NOT LIKE '\\_%' \
           AND data_type IN ('text', 'jsonb', 'bytea', 'ARRAY', 'character varying')",
    )
    .fetch_all(&app.sql)
    .await
    .unwrap();
    let mut found = Vec::new();
    for (table, column) in columns {
        let sql = format!(
            "SELECT count(*) FROM \"{table}\" WHERE position(lower($1) in lower(\
             CASE WHEN pg_typeof(\"{column}\")::text = 'bytea' \
                  THEN encode(\"{column}\"::text::bytea, 'escape') \
                  ELSE \"{column}\"::text END)) > 0"
        );
        // Names from the catalog, quoted: no input of the test reaches them.
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(needle)
            .fetch_one(&app.sql)
            .await
            .unwrap();
        if n > 0 {
            found.push(format!("{table}.{column}"));
        }
    }
    found
}

#[tokio::test]
async fn the_periods_are_the_referentiels_until_changed_within_their_bounds() {
    let app = TestApp::spawn().await;
    let dpo = app.token("dpo", "dora");
    let path = "/v1/organisation/retention";
    let response = app.get(path, &dpo).await;
    assert_eq!(header(&response, "etag"), "\"0\"");
    let defaults: Value = response.json().await.unwrap();
    assert_conforms("RetentionSettingsView", &defaults);
    assert_eq!(defaults["archive_after_months"], 24);
    assert_eq!(defaults["audit_months"], 12);
    let mut periods = json!({"archive_after_months": 36, "purge_after_archive_months": 0,
        "applications_granted_years": 10, "applications_other_years": 2,
        "referral_attachments_months": 6, "audit_months": 5});
    let refused = app.put(path, &dpo, Some("\"0\""), &periods).await;
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(pointers(&problem), ["/audit_months"]);
    periods["audit_months"] = json!(12);
    periods["archive_after_months"] = json!(61);
    let problem: Value = app
        .put(path, &dpo, Some("\"0\""), &periods)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pointers(&problem), ["/archive_after_months"]);
    periods["archive_after_months"] = json!(36);
    let written = app
        .put(path, &app.token("admin", "adam"), Some("\"0\""), &periods)
        .await;
    assert_eq!(written.status(), 200);
    assert_eq!(header(&written, "etag"), "\"1\"");
    assert_eq!(
        app.put(path, &dpo, Some("\"0\""), &periods).await.status(),
        412
    );
    assert_eq!(app.get_json(path, &dpo).await["archive_after_months"], 36);
    for role in ["worker", "supervisor", "reception"] {
        assert_problem(
            app.get(path, &app.token(role, role)).await,
            403,
            "forbidden",
        )
        .await;
    }
    let bad = app
        .put(
            path,
            &dpo,
            Some("\"1\""),
            &json!({"archive_after_months": "two"}),
        )
        .await;
    assert_eq!(bad.status(), 422);
    let problem: Value = bad.json().await.unwrap();
    assert!(
        pointers(&problem).contains(&"/archive_after_months".to_owned()),
        "{problem}"
    );
}

#[tokio::test]
async fn a_run_archives_then_anonymises_leaving_no_identifier_anywhere_and_runs_once() {
    let app = TestApp::spawn_unsuppressed().await;
    let (person_id, case_id) = closed_case(&app).await;
    let dpo = app.token("dpo", "dora");
    let as_of = months_later(25);

    // Today nothing is due; in 25 months the case is archived and the person anonymised.
    let now = run(&app, today(), true).await;
    assert_eq!(now["archived_cases"]["count"], 0);
    let report = app
        .get_json(&format!("/v1/retention/report?as_of={as_of}"), &dpo)
        .await;
    assert_conforms("RetentionReport", &report);
    assert_eq!(report["archived_cases"]["ids"], json!([case_id]));
    assert_eq!(report["anonymised_persons"]["ids"], json!([person_id]));
    assert!(
        !found_anywhere(&app, LAST).await.is_empty(),
        "the report changed nothing"
    );

    let done = run(&app, as_of, false).await;
    assert_eq!(done["ran"], true);
    assert_eq!(done["archived_cases"]["count"], 1);
    assert_eq!(done["anonymised_persons"]["count"], 1);
    for needle in [
        FIRST,
        LAST,
        "Marchetti",
        "zephyrine",
        "quintavalle",
        NIR13,
        "0611223344",
        "0622334455",
        "rue des",
    ] {
        assert_eq!(
            found_anywhere(&app, needle).await,
            Vec::<String>::new(),
            "{needle}"
        );
    }
    // The letters stay, as letters sent on a date from a template, with nothing of the person.
    let letters: Vec<(String, String, Option<String>, Value)> = sqlx::query_as(
        "SELECT subject, body, recipient_name, field_values FROM letters ORDER BY id",
    )
    .fetch_all(&app.sql)
    .await
    .unwrap();
    assert_eq!(letters.len(), 2);
    for (subject, body, _, values) in &letters {
        assert_eq!(subject, "Objet effacé");
        assert_eq!(body, "Courrier effacé (fin de conservation)");
        assert_eq!(values, &json!({}));
    }
    assert_eq!(letters[0].2, None, "an attestation is addressed to nobody");
    assert_eq!(letters[1].2.as_deref(), Some("Destinataire effacé"));
    let sam = app.token("supervisor", "sam");
    let person = app
        .get_json(&format!("/v1/persons/{person_id}"), &sam)
        .await;
    assert_eq!(person["anonymised"], true);
    assert_eq!(person["first_name"], "Personne");
    assert_eq!(person["last_name"], "anonymisée");
    assert_eq!(person["birth_date"], "1985-01-01");
    assert_eq!(person["nir"], Value::Null);
    let case = app
        .get_json(
            &format!("/v1/cases/{case_id}?reason=Contr%C3%B4le%20DPO"),
            &sam,
        )
        .await;
    assert_eq!(case["status"], "archived");
    // Statistics stay true: the case still counts.
    let caseload = app.get_json("/v1/stats/caseload", &sam).await;
    assert_eq!(caseload["totals"]["cases_by_status"]["archived"], 1);

    let again = run(&app, as_of, false).await;
    for step in [
        "archived_cases",
        "anonymised_persons",
        "erased_applications",
        "referral_attachments",
    ] {
        assert_eq!(again[step]["count"], 0, "{step}: {again}");
    }
    // Each run records its counts; the second, 25 months ahead, expired the first one's event
    // with every other.
    let runs: Vec<String> = sqlx::query_scalar(
        "SELECT reason FROM audit_events WHERE action = 'retention' AND resource_type = 'retention_run'",
    )
    .fetch_all(&app.sql)
    .await
    .unwrap();
    assert_eq!(runs.len(), 1);
    assert!(
        runs[0].starts_with("archived_cases=0 anonymised_persons=0"),
        "{runs:?}"
    );
    assert!(again["expired_audit_events"].as_u64().unwrap() > 0);
    // The activity ledger stayed true through every write.
    app.assert_activity_ledger_recounts().await;
}

#[tokio::test]
async fn audit_events_expire_through_the_retention_role_only() {
    let app = TestApp::spawn().await;
    closed_case(&app).await;
    let before = app.count("SELECT count(*) FROM audit_events").await;
    assert!(before > 3);
    let mut tx = app.sql.begin().await.unwrap();
    sqlx::query("SET LOCAL ROLE relais_app")
        .execute(&mut *tx)
        .await
        .unwrap();
    let refused = sqlx::query("DELETE FROM audit_events")
        .execute(&mut *tx)
        .await;
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("permission denied")
    );
    drop(tx);
    let superuser = sqlx::query("DELETE FROM audit_events")
        .execute(&app.sql)
        .await;
    assert!(
        superuser.unwrap_err().to_string().contains("append-only"),
        "even the owner"
    );

    let done = run(&app, months_later(13), false).await;
    assert_eq!(done["expired_audit_events"], before);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events").await,
        1,
        "the run's own event"
    );
}

#[tokio::test]
async fn an_erasure_waits_for_a_granted_application_and_otherwise_anonymises_now() {
    let app = TestApp::spawn().await;
    let (person_id, _) = closed_case(&app).await;
    let dpo = app.token("dpo", "dora");
    let path = format!("/v1/persons/{person_id}/erasure");
    let body = json!({"reason": "Demande d'effacement reçue le 28/11/2026"});
    assert_problem(
        app.post(&path, &app.token("supervisor", "sam"), &body)
            .await,
        403,
        "forbidden",
    )
    .await;
    let blank = app.post(&path, &dpo, &json!({"reason": "  "})).await;
    assert_eq!(blank.status(), 422);

    // A granted application of the person holds the data ten years.
    let scheme = app
        .post(
            "/v1/schemes",
            &app.token("admin", "adam"),
            &crate::support::applications::fsl(),
        )
        .await;
    assert_eq!(scheme.status(), 201);
    let scheme: Value = scheme.json().await.unwrap();
    let decided: Uuid = sqlx::query_scalar(
        "INSERT INTO applications (id, org_id, case_id, scheme_id, status, submitted_on, \
           submitted_to, decision, decided_on, amount_granted_cents, created_by, updated_by) \
         SELECT gen_random_uuid(), c.org_id, c.id, s.id, 'decided', current_date - 30, 'CAF', \
           'granted', current_date - 1, 50000, c.created_by, c.created_by \
         FROM cases c, schemes s WHERE c.person_id = $1::uuid AND s.id = $2::uuid \
         LIMIT 1 RETURNING id",
    )
    .bind(&person_id)
    .bind(scheme["id"].as_str().unwrap())
    .fetch_one(&app.sql)
    .await
    .unwrap();
    let held = assert_problem(
        app.post(&path, &dpo, &body).await,
        409,
        "retention_obligation",
    )
    .await;
    assert!(
        held["detail"]
            .as_str()
            .unwrap()
            .contains(&decided.to_string()),
        "{held}"
    );

    sqlx::query("UPDATE applications SET decided_on = current_date - interval '11 years', \
                 submitted_on = current_date - interval '11 years' - interval '1 month' WHERE id = $1")
        .bind(decided)
        .execute(&app.sql)
        .await
        .unwrap();
    let erased = app.post(&path, &dpo, &body).await;
    assert_eq!(erased.status(), 200);
    let erased: Value = erased.json().await.unwrap();
    assert_eq!(erased["anonymised"], true);
    assert_eq!(found_anywhere(&app, LAST).await, Vec::<String>::new());
    let deleted: i64 = app
        .count("SELECT count(*) FROM audit_events WHERE action = 'delete' AND resource_type = 'person'")
        .await;
    assert_eq!(deleted, 1);
}

use uuid::Uuid;

#[tokio::test]
async fn applications_and_referral_attachments_go_when_their_period_ends() {
    use crate::support::applications::Apps;
    use crate::support::documents::PDF;
    use crate::support::referrals::{attachment, referral};

    let a = Apps::new().await;
    let app = &a.app;
    // Two applications of the case: one refused 3 years ago, one granted 3 years ago.
    let scheme = a.fsl().await;
    let mut decided = Vec::new();
    for decision in ["refused", "granted"] {
        let application = a.apply(&scheme, false).await;
        if decision == "refused" {
            let report = app
                .post(
                    &format!("{}/social-reports", a.of(&application)),
                    &a.alice,
                    &json!({"text": "Madame Quintavalle vit seule avec ses deux enfants."}),
                )
                .await;
            assert_eq!(report.status(), 201);
        }
        sqlx::query(
            "UPDATE applications SET status = 'decided', submitted_on = current_date - 1200, \
             submitted_to = 'CAF', decision = $2, decided_on = current_date - 1100, \
             decision_reason = CASE WHEN $2 = 'refused' THEN 'Ressources de Mme Quintavalle' END, \
             amount_granted_cents = CASE WHEN $2 = 'granted' THEN 50000 END, \
             notes = 'Dossier de Mme Quintavalle' WHERE id = $1::uuid",
        )
        .bind(application["id"].as_str().unwrap())
        .bind(decision)
        .execute(&app.sql)
        .await
        .unwrap();
        decided.push(application);
    }
    let (refused, granted) = (&decided[0], &decided[1]);

    // A referral declined 7 months ago, and one declined yesterday, each with an attachment.
    let partner = app.partner("Mission locale", None).await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let mut body = referral();
        body["attachments"] = json!([attachment("courrier.pdf", PDF)]);
        let posted = app
            .request(reqwest::Method::POST, "/v1/referrals", &partner.token)
            .header("Idempotency-Key", Uuid::now_v7().to_string())
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), 201);
        let posted: Value = posted.json().await.unwrap();
        ids.push(posted["id"].as_str().unwrap().to_owned());
    }
    let alice_id = app.agent_id(&a.alice).await;
    for (id, days) in [(&ids[0], 210), (&ids[1], 1)] {
        sqlx::query(
            "UPDATE referrals SET status = 'declined', decline_reason = 'out_of_area', \
             decided_by = $3, received_at = now() - make_interval(days => $2 + 1), \
             decided_at = now() - make_interval(days => $2) WHERE id = $1::uuid",
        )
        .bind(id)
        .bind(days)
        .bind(alice_id)
        .execute(&app.sql)
        .await
        .unwrap();
    }

    let dpo = app.token("dpo", "dora");
    let forecast = app.get_json("/v1/retention/report", &dpo).await;
    assert_eq!(
        forecast["erased_applications"]["ids"],
        json!([refused["id"]])
    );
    assert_eq!(forecast["referral_attachments"]["ids"], json!([ids[0]]));

    let done = run(app, today(), false).await;
    assert_eq!(done["erased_applications"]["count"], 1, "{done}");
    assert_eq!(done["referral_attachments"]["count"], 1, "{done}");
    let texts: Vec<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT notes, decision_reason FROM applications WHERE id = $1::uuid")
            .bind(refused["id"].as_str().unwrap())
            .fetch_all(&app.sql)
            .await
            .unwrap();
    assert_eq!(texts, [(None, Some("Motif effacé".to_owned()))]);
    let kept: Option<String> =
        sqlx::query_scalar("SELECT notes FROM applications WHERE id = $1::uuid")
            .bind(granted["id"].as_str().unwrap())
            .fetch_one(&app.sql)
            .await
            .unwrap();
    assert_eq!(
        kept.as_deref(),
        Some("Dossier de Mme Quintavalle"),
        "kept ten years"
    );
    assert_eq!(
        found_anywhere(app, "vit seule avec").await,
        Vec::<String>::new(),
        "the social report is erased"
    );
    let attachments: Vec<String> =
        sqlx::query_scalar("SELECT referral_id::text FROM referral_attachments ORDER BY 1")
            .fetch_all(&app.sql)
            .await
            .unwrap();
    assert_eq!(attachments, [ids[1].clone()]);
}

#[tokio::test]
async fn a_run_goes_through_more_records_than_one_batch() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    for _ in 0..5 {
        let case = app.create_case(&alice).await;
        app.close_case(&alice, case["id"].as_str().unwrap()).await;
    }
    // Batches of 2: three transactions per step.
    let done = run(&app, months_later(25), false).await;
    assert_eq!(done["archived_cases"]["count"], 5, "{done}");
    assert_eq!(done["anonymised_persons"]["count"], 5, "{done}");
    assert_eq!(done["archived_cases"]["ids"].as_array().unwrap().len(), 5);
    let left = app
        .count("SELECT count(*) FROM persons WHERE anonymised_at IS NULL")
        .await;
    assert_eq!(left, 0);
}

#[tokio::test]
async fn the_periods_the_report_and_the_erasure_keep_to_their_organisation_and_are_audited() {
    let app = TestApp::spawn().await;
    let (person_id, _) = closed_case(&app).await;
    let dpo = app.token("dpo", "dora");
    let periods = json!({"archive_after_months": 12, "purge_after_archive_months": 0,
        "applications_granted_years": 10, "applications_other_years": 2,
        "referral_attachments_months": 6, "audit_months": 12});
    let path = "/v1/organisation/retention";
    assert_eq!(
        app.put(path, &dpo, Some("\"0\""), &periods).await.status(),
        200
    );
    let updates = app
        .count("SELECT count(*) FROM audit_events WHERE action = 'update' AND resource_type = 'retention_run'")
        .await;
    assert_eq!(updates, 1);
    // Another organisation keeps its own periods, and cannot erase this one's person.
    let olga = app.token_for("other", &["dpo"], "olga");
    assert_eq!(app.get_json(path, &olga).await["archive_after_months"], 24);
    assert_problem(
        app.post(
            &format!("/v1/persons/{person_id}/erasure"),
            &olga,
            &json!({"reason": "Demande d'effacement"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;

    // The report: the DPO's only, a date or nothing, audited as a read.
    for role in ["supervisor", "admin", "worker"] {
        assert_problem(
            app.get("/v1/retention/report", &app.token(role, role))
                .await,
            403,
            "forbidden",
        )
        .await;
    }
    let bad = app.get("/v1/retention/report?as_of=demain", &dpo).await;
    assert_eq!(bad.status(), 400);
    let problem: Value = bad.json().await.unwrap();
    assert!(
        pointers(&problem).iter().any(|p| p.contains("as_of")),
        "{problem}"
    );
    let report = app.get_json("/v1/retention/report", &dpo).await;
    assert_eq!(report["periods"]["archive_after_months"], 12);
    let reads = app
        .count("SELECT count(*) FROM audit_events WHERE action = 'read' AND resource_type = 'retention_run'")
        .await;
    assert_eq!(reads, 1);
}

#[tokio::test]
async fn the_event_log_notifications_and_deliveries_go_with_the_audit_period() {
    let app = TestApp::spawn().await;
    let receiver = crate::support::webhooks::Receiver::start(vec![]);
    let admin = app.token("admin", "ada");
    let response = app
        .post(
            "/v1/webhook-subscriptions",
            &admin,
            &json!({"url": receiver.url, "events": ["case.opened", "case.assigned"]}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let alice = app.token("worker", "alice");
    let sam = app.token("supervisor", "sam");
    let bob = app.token("worker", "bob");
    let bob_id = app.agent_id(&bob).await;
    for _ in 0..2 {
        let case = app.create_case(&alice).await;
        app.assign_referent(&sam, &case, &bob_id.to_string()).await;
    }
    // Opened, assigned at the opening, reassigned: 6 events, 6 deliveries, 2 notifications.
    receiver.wait_for(6).await;
    for _ in 0..500 {
        if app
            .count("SELECT count(*) FROM webhook_messages WHERE status = 'delivered'")
            .await
            == 6
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // A delivery still pending stays, whatever its age.
    sqlx::query(
        "UPDATE webhook_messages SET status = 'pending', delivered_at = NULL, \
         next_attempt_at = now() + interval '1 day' \
         WHERE id = (SELECT id FROM webhook_messages ORDER BY id LIMIT 1)",
    )
    .execute(&app.sql)
    .await
    .unwrap();
    // Another organisation's events stay.
    let olga = app.token_for("other", &["worker"], "olga");
    app.create_case(&olga).await;
    assert_eq!(app.count("SELECT count(*) FROM events").await, 8);
    assert_eq!(app.count("SELECT count(*) FROM notifications").await, 2);

    // The application cannot delete them itself.
    let mut tx = app.sql.begin().await.unwrap();
    sqlx::query("SET LOCAL ROLE relais_app")
        .execute(&mut *tx)
        .await
        .unwrap();
    let refused = sqlx::query("DELETE FROM events").execute(&mut *tx).await;
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("permission denied")
    );
    drop(tx);

    // Within the period nothing goes; past it, the report counts what the run deletes.
    assert_eq!(
        run(&app, months_later(11), false).await["expired_events"],
        0
    );
    let later = months_later(13);
    let report = run(&app, later, true).await;
    assert_eq!(
        report["expired_events"],
        6 + 5,
        "events and finished deliveries"
    );
    let done = run(&app, later, false).await;
    assert_eq!(done["expired_events"], 11);
    assert_eq!(app.count("SELECT count(*) FROM events").await, 2, "other's");
    assert_eq!(app.count("SELECT count(*) FROM notifications").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM webhook_messages").await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM webhook_attempts").await,
        1,
        "the pending delivery's attempt"
    );
    assert_eq!(run(&app, later, false).await["expired_events"], 0);
}
