//! `GET /v1/stats/activity`: the figures of a period against a hand-built history whose true
//! numbers are known (durations, medians, amounts, stretches of support, suppression), as JSON,
//! CSV and XLSX read back.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use relais_tests::{TestApp, pointers, problem};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::agenda::{Case, open_case_with};

/// The period of the history: the year 2025.
const PERIOD: &str = "from=2025-01-01&to=2025-12-31";

struct History {
    app: TestApp,
    sam: String,
    alice: String,
    alice_id: Uuid,
    bob_id: Uuid,
    /// The person of c3 (and c7).
    p3: String,
}

async fn sql(app: &TestApp, query: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(query.to_owned()))
        .execute(&app.sql)
        .await
        .unwrap();
}

/// A case opened through the API, then dated by hand.
async fn case(
    app: &TestApp,
    token: &str,
    first: &str,
    origin: &str,
    opened: &str,
    closed: Option<(&str, &str)>,
) -> Case {
    let case = open_case_with(app, token, first, "Activité", json!({"origin": origin})).await;
    let (status, closed_on, reason) = match closed {
        Some((on, reason)) => ("closed", format!("'{on}'"), format!("'{reason}'")),
        None => ("active", "NULL".to_owned(), "NULL".to_owned()),
    };
    sql(
        app,
        &format!(
            "UPDATE cases SET opened_on = '{opened}', status = '{status}', closed_on = {closed_on}, \
             closure_reason = {reason}, target_end_on = '{opened}'::date + 183 \
             WHERE id = '{}'",
            case.id
        ),
    )
    .await;
    case
}

/// The history, in 2025 (P) and around it, alice's unless said:
/// - c1 self, 2024-11-01 → 2025-02-10 goals_met (101 days); person p1 (Mme, household alone);
/// - c2 partner_referral, 2025-03-01 → 2025-03-31 person_withdrew (30 days); p2 (M.);
/// - c3 self, 2025-06-01, open; p3 (couple with children), who also has
/// - c7 self, 2025-07-01, open (the same stretch of support as c3);
/// - c4 internal, 2024-01-01 → 2024-12-31: before P; c5 self, opened 2026-01-05: after P;
/// - c6 (bob's) self, 2025-05-01 → 2025-07-01 goals_met (61 days);
///
/// and their contacts, a group session, assessments, steps, agreements, applications, referrals
/// and liaisons, each described where it is written.
async fn history() -> History {
    let app = TestApp::spawn_unsuppressed().await;
    let sam = app.token("supervisor", "sam");
    let alice = app.token("worker", "alice");
    let bob = app.token("worker", "bob");
    let alice_id = app.agent_id(&alice).await;
    let bob_id = app.agent_id(&bob).await;
    let c1 = case(
        &app,
        &alice,
        "Un",
        "self",
        "2024-11-01",
        Some(("2025-02-10", "goals_met")),
    )
    .await;
    let c2 = case(
        &app,
        &alice,
        "Deux",
        "partner_referral",
        "2025-03-01",
        Some(("2025-03-31", "person_withdrew")),
    )
    .await;
    let c3 = case(&app, &alice, "Trois", "self", "2025-06-01", None).await;
    case(
        &app,
        &alice,
        "Quatre",
        "internal",
        "2024-01-01",
        Some(("2024-12-31", "goals_met")),
    )
    .await;
    case(&app, &alice, "Cinq", "self", "2026-01-05", None).await;
    let c6 = case(
        &app,
        &bob,
        "Six",
        "self",
        "2025-05-01",
        Some(("2025-07-01", "goals_met")),
    )
    .await;
    // c7: a second case of p3.
    let c7 = app
        .post(
            "/v1/cases",
            &alice,
            &json!({"person_id": c3.person_id, "reason": "Dossier de surendettement",
                    "origin": "self"}),
        )
        .await;
    assert_eq!(c7.status(), 201);
    let c7: Value = c7.json().await.unwrap();
    sql(
        &app,
        &format!(
            "UPDATE cases SET opened_on = '2025-07-01', status = 'active' WHERE id = '{}'",
            c7["id"].as_str().unwrap()
        ),
    )
    .await;
    let (p1, p2, p3) = (&c1.person_id, &c2.person_id, &c3.person_id);
    let org = format!("(SELECT org_id FROM cases WHERE id = '{}')", c3.id);
    sql(
        &app,
        &format!(
            "UPDATE persons SET civility = 'mme' WHERE id = '{p1}';
             UPDATE persons SET civility = 'm' WHERE id = '{p2}';
             INSERT INTO households (person_id, org_id, version) VALUES ('{p1}', {org}, 1);
             INSERT INTO households (person_id, org_id, version) VALUES ('{p3}', {org}, 1);
             INSERT INTO household_members (person_id, org_id, position, relationship, birth_date,
                                            dependent)
             VALUES ('{p3}', {org}, 0, 'spouse_or_partner', '1981-01-01', false),
                    ('{p3}', {org}, 1, 'child', '2015-01-01', true);"
        ),
    )
    .await;
    // Contacts: first interviews 20 (c2) and 10 (c3) days after opening, a cancelled interview
    // and a no-show; one in 2026.
    let contact = |case: &str, kind: &str, status: &str, at: &str| {
        let (occurred, scheduled) = if status == "held" {
            (format!("'{at}T09:00:00Z'"), "NULL".to_owned())
        } else {
            ("NULL".to_owned(), format!("'{at}T09:00:00Z'"))
        };
        format!(
            "INSERT INTO contacts (id, org_id, case_id, kind, status, occurred_at, scheduled_at,
                                   author_id)
             VALUES (gen_random_uuid(), {org}, '{case}', '{kind}', '{status}', {occurred},
                     {scheduled}, '{alice_id}');"
        )
    };
    sql(
        &app,
        &[
            contact(&c2.id, "first_interview", "held", "2025-03-21"),
            contact(&c3.id, "first_interview", "held", "2025-06-11"),
            contact(&c3.id, "interview", "cancelled", "2025-06-20"),
            contact(&c3.id, "interview", "no_show", "2025-07-01"),
            contact(&c3.id, "interview", "held", "2026-01-10"),
        ]
        .concat(),
    )
    .await;
    // A group session on 2025-05-15: c2's person came, c6's did not.
    let session = Uuid::now_v7();
    let participant = |case: &str, status: &str| {
        let (occurred, scheduled) = if status == "held" {
            ("'2025-05-15T14:00:00Z'", "NULL")
        } else {
            ("NULL", "'2025-05-15T14:00:00Z'")
        };
        format!(
            "INSERT INTO contacts (id, org_id, case_id, kind, status, occurred_at, scheduled_at,
                                   author_id, group_session_id)
             VALUES (gen_random_uuid(), {org}, '{case}', 'group_session', '{status}', {occurred},
                     {scheduled}, '{alice_id}', '{session}');"
        )
    };
    sql(
        &app,
        &[
            format!(
                "INSERT INTO group_sessions (id, org_id, topic, occurred_at, author_id)
                 VALUES ('{session}', {org}, 'Atelier budget', '2025-05-15T14:00:00Z',
                         '{alice_id}');"
            ),
            participant(&c2.id, "held"),
            participant(&c6.id, "no_show"),
        ]
        .concat(),
    )
    .await;
    // Assessment: housing needs action on c2 and c3, finances on c2, health not.
    let assessed = |case: &str, domain: &str, needs: &str, at: &str| {
        let priority = if needs == "yes" { "'high'" } else { "NULL" };
        format!(
            "INSERT INTO assessment_domains (case_id, org_id, domain, situation, needs_action,
                                             priority, assessed_by, assessed_at)
             VALUES ('{case}', {org}, '{domain}', 'Situation', '{needs}', {priority},
                     '{alice_id}', '{at}T10:00:00Z');"
        )
    };
    sql(
        &app,
        &[
            assessed(&c2.id, "housing", "yes", "2025-03-21"),
            assessed(&c2.id, "finances", "yes", "2025-03-21"),
            assessed(&c3.id, "housing", "yes", "2025-06-11"),
            assessed(&c3.id, "health", "no", "2025-06-11"),
        ]
        .concat(),
    )
    .await;
    // Steps of c3: done, overdue (planned, past), cancelled in 2025; one in 2026.
    let item = |party: &str, category: &str, due: &str, status: &str| {
        let done = if status == "done" {
            format!("'{due}'")
        } else {
            "NULL".to_owned()
        };
        format!(
            "INSERT INTO plan_items (id, org_id, case_id, party, category, domain, title, due_on,
                                     status, done_on, created_by, updated_by)
             VALUES (gen_random_uuid(), {org}, '{}', '{party}', '{category}', 'housing', 'Étape',
                     '{due}', '{status}', {done}, '{alice_id}', '{alice_id}');",
            c3.id
        )
    };
    sql(
        &app,
        &[
            item("worker", "orientation", "2025-06-15", "done"),
            item("person", "paperwork", "2025-07-15", "planned"),
            item("worker", "correspondence", "2025-08-15", "cancelled"),
            item("worker", "orientation", "2026-02-01", "planned"),
        ]
        .concat(),
    )
    .await;
    // Agreements of c3: the first 30 days after opening; a later one does not count.
    let proposal = |number: i32, at: &str| {
        format!(
            "INSERT INTO plan_proposals (id, org_id, case_id, number, items, content_hash,
                                         created_by, outcome, channel, decided_at, recorded_by)
             VALUES (gen_random_uuid(), {org}, '{}', {number}, '[{{}}]', repeat('a', 64),
                     '{alice_id}', 'accepted', 'in_person', '{at}T11:00:00Z', '{alice_id}');",
            c3.id
        )
    };
    sql(
        &app,
        &[proposal(1, "2025-07-01"), proposal(2, "2025-08-01")].concat(),
    )
    .await;
    // Applications of c2 and c3 to the FSL: one granted 800 € (need 1,200 €), one refused.
    let scheme = Uuid::now_v7();
    sql(
        &app,
        &format!(
            "INSERT INTO schemes (id, org_id, name, domain, provider, created_by, updated_by)
             VALUES ('{scheme}', {org}, 'FSL maintien', 'housing', 'Département', '{alice_id}',
                     '{alice_id}');
             INSERT INTO applications (id, org_id, case_id, scheme_id, status, submitted_on,
                                       submitted_to, decision, decided_on, amount_granted_cents,
                                       decision_reason, created_by, updated_by)
             VALUES (gen_random_uuid(), {org}, '{}', '{scheme}', 'decided', '2025-03-25',
                     'Commission FSL', 'granted', '2025-04-10', 80000, NULL, '{alice_id}',
                     '{alice_id}'),
                    (gen_random_uuid(), {org}, '{}', '{scheme}', 'decided', '2025-06-20',
                     'Commission FSL', 'refused', '2025-07-10', NULL, 'Hors barème',
                     '{alice_id}', '{alice_id}');
             INSERT INTO funding_plans (application_id, org_id, need_cents, updated_by)
             SELECT id, org_id, 120000, '{alice_id}' FROM applications
              WHERE decision = 'granted' AND scheme_id = '{scheme}';",
            c2.id, c3.id
        ),
    )
    .await;
    // Referrals from the CAF: accepted (c2's), declined, still received; one of 2024.
    // Liaisons: c2's to the CAF on consent, c1's to the Mission locale on shared secrecy, a
    // draft.
    let partner = Uuid::now_v7();
    let sam_id = app.agent_id(&sam).await;
    let referral = |received: &str, status: &str, decided: &str| {
        let (case, person, decided_by, decided_at, decline) = match status {
            "accepted" => (
                format!("'{}'", c2.id),
                format!("'{p2}'"),
                format!("'{alice_id}'"),
                format!("'{received}T15:00:00Z'"),
                "NULL".to_owned(),
            ),
            "declined" => (
                "NULL".to_owned(),
                "NULL".to_owned(),
                format!("'{decided}'"),
                format!("'{received}T15:00:00Z'"),
                "'out_of_area'".to_owned(),
            ),
            _ => (
                "NULL".to_owned(),
                "NULL".to_owned(),
                "NULL".to_owned(),
                "NULL".to_owned(),
                "NULL".to_owned(),
            ),
        };
        format!(
            "INSERT INTO referrals (id, org_id, partner_id, status, first_name, last_name,
                                    birth_date, reason, domains, urgency, referrer_name,
                                    informed_on, informed_channel, consented, received_at,
                                    expires_at, decided_at, decided_by, decline_reason, case_id,
                                    person_id)
             VALUES (gen_random_uuid(), {org}, '{partner}', '{status}', 'Orientée', 'Personne',
                     '1980-01-01', 'Loyers impayés', '{{housing}}', 'routine', 'Conseillère CAF',
                     '{received}', 'in_person', true, '{received}T09:00:00Z',
                     '{received}'::timestamptz + interval '30 days', {decided_at}, {decided_by},
                     {decline}, {case}, {person});"
        )
    };
    sql(
        &app,
        &[
            format!(
                "INSERT INTO partners (id, org_id, name, client_id, client_secret_sha256,
                                       webhook_secret_salt, created_by)
                 VALUES ('{partner}', {org}, 'CAF du Rhône', 'caf-rhone-client',
                         sha256('secret'), sha256('salt'), '{sam_id}');"
            ),
            referral("2025-04-01", "accepted", ""),
            referral("2025-09-01", "declined", &sam_id.to_string()),
            referral("2025-10-01", "received", ""),
            referral("2024-12-20", "received", ""),
            format!(
                "INSERT INTO liaisons (id, org_id, case_id, destination_partner_id, purpose,
                                       content, legal_basis, status, sent_at, sent_by, created_by)
                 VALUES (gen_random_uuid(), {org}, '{}', '{partner}', 'Suite du dossier',
                         '{{identity}}', 'consent', 'sent', '2025-03-30T10:00:00Z', '{alice_id}',
                         '{alice_id}');
                 INSERT INTO liaisons (id, org_id, case_id, destination_name, destination_contact,
                                       purpose, content, legal_basis, status, sent_at, sent_by,
                                       created_by)
                 VALUES (gen_random_uuid(), {org}, '{}', 'Mission locale', 'ml@example.org',
                         'Relais emploi', '{{identity}}', 'shared_secrecy', 'sent',
                         '2025-02-10T10:00:00Z', '{alice_id}', '{alice_id}'),
                        (gen_random_uuid(), {org}, '{}', 'Mission locale', 'ml@example.org',
                         'Relais emploi', '{{identity}}', 'shared_secrecy', 'draft', NULL, NULL,
                         '{alice_id}');",
                c2.id, c1.id, c3.id
            ),
        ]
        .concat(),
    )
    .await;
    History {
        app,
        sam,
        alice,
        alice_id,
        bob_id,
        p3: p3.clone(),
    }
}

async fn report(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app.get(&format!("/v1/stats/activity?{query}"), token).await;
    assert_eq!(response.status(), 200, "?{query}");
    response.json().await.unwrap()
}

/// The figures as `indicator` or `indicator/dimension` → value.
fn figures(report: &Value) -> BTreeMap<String, Value> {
    report["figures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let key = match f["dimension"].as_str() {
                Some(d) => format!("{}/{d}", f["indicator"].as_str().unwrap()),
                None => f["indicator"].as_str().unwrap().to_owned(),
            };
            (key, f["value"].clone())
        })
        .collect()
}

fn expect(figures: &BTreeMap<String, Value>, expected: &[(&str, Value)]) {
    for (key, value) in expected {
        assert_eq!(figures.get(*key), Some(value), "{key}");
    }
}

#[tokio::test]
async fn the_figures_of_a_period_are_those_of_the_history() {
    let h = history().await;
    let body = report(&h.app, &h.sam, PERIOD).await;
    assert_eq!(body["from_on"], "2025-01-01");
    assert_eq!(body["to_on"], "2025-12-31");
    assert_eq!(
        body["scope"],
        json!({"kind": "organisation", "agent_ids": []})
    );
    let f = figures(&body);
    expect(
        &f,
        &[
            // c1, c2, c3 (with c7: one stretch), c6.
            ("persons_supported", json!(4)),
            ("persons_by_age_band/35_44", json!(1)),
            ("persons_by_age_band/45_54", json!(3)),
            ("persons_by_age_band/25_34", json!(0)),
            ("persons_by_household/single", json!(1)),
            ("persons_by_household/couple_with_children", json!(1)),
            ("persons_by_household/unknown", json!(2)),
            ("persons_by_civility/mme", json!(1)),
            ("persons_by_civility/m", json!(1)),
            ("persons_by_civility/unknown", json!(2)),
            ("cases_opened", json!(4)),
            ("cases_opened_by_origin/self", json!(3)),
            ("cases_opened_by_origin/partner_referral", json!(1)),
            ("cases_opened_by_origin/internal", json!(0)),
            ("cases_closed", json!(3)),
            ("cases_closed_by_origin/self", json!(2)),
            ("cases_active", json!(5)),
            ("cases_active_by_origin/self", json!(4)),
            ("cases_active_by_origin/partner_referral", json!(1)),
            ("cases_active_by_origin/internal", json!(0)),
            ("closures_by_reason/goals_met", json!(2)),
            ("closures_by_reason/person_withdrew", json!(1)),
            // 30, 61, 101 days.
            ("duration_median_days", json!(61.0)),
            ("duration_p90_days", json!(93.0)),
            // 10 and 20 days.
            ("first_interview_median_days", json!(15.0)),
            ("agreement_median_days", json!(30.0)),
            ("needs_by_domain/housing", json!(2)),
            ("needs_by_domain/finances", json!(1)),
            ("needs_by_domain/health", json!(0)),
            ("plan_items", json!(3)),
            ("plan_items_by_party/worker", json!(2)),
            ("plan_items_by_party/person", json!(1)),
            ("plan_items_by_category/worker.orientation", json!(1)),
            ("plan_items_by_category/person.paperwork", json!(1)),
            ("plan_items_by_status/done", json!(1)),
            ("plan_items_by_status/planned", json!(1)),
            ("plan_items_done_percent", json!(50.0)),
            ("plan_items_overdue", json!(1)),
            ("contacts", json!(6)),
            ("contacts_by_kind/first_interview", json!(2)),
            ("contacts_by_kind/interview", json!(2)),
            ("contacts_by_kind/group_session", json!(2)),
            ("contacts_by_status/held", json!(3)),
            ("contacts_by_status/cancelled", json!(1)),
            ("contacts_by_status/no_show", json!(2)),
            ("group_sessions", json!(1)),
            ("group_session_attendances", json!(1)),
            ("group_session_no_shows", json!(1)),
            ("applications_submitted", json!(2)),
            ("applications_submitted_by_scheme/FSL maintien", json!(2)),
            ("applications_decided", json!(2)),
            ("applications_by_decision/granted", json!(1)),
            ("applications_by_decision/refused", json!(1)),
            ("amount_granted_cents", json!(80000)),
            ("amount_granted_cents_by_scheme/FSL maintien", json!(80000)),
            ("amount_requested_cents", json!(120000)),
            ("referrals", json!(3)),
            ("referrals_by_partner/CAF du Rhône", json!(3)),
            ("referrals_by_outcome/accepted", json!(1)),
            ("referrals_by_outcome/declined", json!(1)),
            ("referrals_by_outcome/received", json!(1)),
            ("liaisons_sent", json!(2)),
            ("liaisons_by_destination/CAF du Rhône", json!(1)),
            ("liaisons_by_destination/other", json!(1)),
            ("liaisons_by_legal_basis/consent", json!(1)),
            ("liaisons_by_legal_basis/shared_secrecy", json!(1)),
        ],
    );
    assert!(
        body["figures"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["suppressed"] == false),
        "counts of 1 are published when suppression is off"
    );
    // 2026 so far: c5 and c7's person still open; the interview of 2026.
    let later = figures(&report(&h.app, &h.sam, "from=2026-01-01&to=2026-01-31").await);
    expect(
        &later,
        &[
            ("cases_opened", json!(1)),
            ("cases_active", json!(3)),
            ("persons_supported", json!(2)),
            ("contacts", json!(1)),
            ("duration_median_days", Value::Null),
        ],
    );
}

#[tokio::test]
async fn a_referent_a_team_and_a_worker_get_their_own_figures() {
    let h = history().await;
    let alice_only =
        figures(&report(&h.app, &h.sam, &format!("{PERIOD}&referent={}", h.alice_id)).await);
    expect(
        &alice_only,
        &[
            ("cases_active", json!(4)),
            ("persons_supported", json!(3)),
            ("cases_closed", json!(2)),
            ("duration_median_days", json!(65.5)),
            ("contacts", json!(6)),
        ],
    );
    // A worker asking for the organisation gets their own figures.
    let body = report(&h.app, &h.alice, PERIOD).await;
    assert_eq!(
        body["scope"],
        json!({"kind": "referent", "agent_ids": [h.alice_id]})
    );
    assert_eq!(figures(&body), alice_only);
    let team = figures(
        &report(
            &h.app,
            &h.sam,
            &format!("{PERIOD}&team={},{}", h.alice_id, h.bob_id),
        )
        .await,
    );
    expect(
        &team,
        &[
            ("cases_active", json!(5)),
            ("duration_median_days", json!(61.0)),
        ],
    );
}

#[tokio::test]
async fn the_figures_follow_corrections_and_leave_restricted_persons_out() {
    let h = history().await;
    // p3 restricts the processing: c3 and c7, their contacts, steps, needs, agreement and
    // application leave the figures.
    let dpo = h.app.token("dpo", "dora");
    let restricted = h
        .app
        .post(
            &format!("/v1/persons/{}/restrictions", h.p3),
            &dpo,
            &json!({"kind": "restriction", "reason": "Demande de la personne",
                    "requested_on": "2025-12-01"}),
        )
        .await;
    assert_eq!(restricted.status(), 201);
    let f = figures(&report(&h.app, &h.sam, PERIOD).await);
    expect(
        &f,
        &[
            ("persons_supported", json!(3)),
            ("cases_active", json!(3)),
            ("cases_opened", json!(2)),
            // c2's first interview and both participants of the group session.
            ("contacts", json!(3)),
            ("plan_items", json!(0)),
            ("needs_by_domain/housing", json!(1)),
            ("agreement_median_days", Value::Null),
            ("applications_decided", json!(1)),
            ("persons_by_household/couple_with_children", json!(0)),
        ],
    );
}

#[tokio::test]
async fn small_counts_are_suppressed_and_never_recomputable_from_a_total() {
    let app = TestApp::spawn().await;
    let sam = app.token("supervisor", "sam");
    let alice = app.token("worker", "alice");
    for (i, origin) in [
        "self",
        "self",
        "self",
        "self",
        "self",
        "self",
        "partner_referral",
    ]
    .iter()
    .enumerate()
    {
        let closed = (i < 2).then_some(("2025-03-01", "goals_met"));
        case(
            &app,
            &alice,
            &format!("Personne{i}"),
            origin,
            "2025-02-01",
            closed,
        )
        .await;
    }
    let body = report(&app, &sam, PERIOD).await;
    assert_eq!(body["min_count"], 5);
    let row = |indicator: &str, dimension: Option<&str>| -> Value {
        body["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["indicator"] == indicator && f["dimension"].as_str() == dimension)
            .cloned()
            .unwrap_or_else(|| panic!("{indicator}/{dimension:?}"))
    };
    // 6 + 1 = 7: the 1 is suppressed, and so is a second cell so that 7 − 6 cannot give it.
    let one = row("cases_opened_by_origin", Some("partner_referral"));
    assert_eq!(one["value"], Value::Null);
    assert_eq!(one["suppressed"], true);
    let total = row("cases_opened", None);
    let six = row("cases_opened_by_origin", Some("self"));
    assert!(
        total["suppressed"] == true || six["suppressed"] == true,
        "{total} {six}"
    );
    assert_eq!(
        row("cases_opened_by_origin", Some("internal"))["value"],
        0,
        "zeros are published"
    );
    // Two closures: their count, and the median taken over them, are suppressed; contacts are
    // activity, never suppressed.
    assert_eq!(row("cases_closed", None)["suppressed"], true);
    let median = row("duration_median_days", None);
    assert_eq!(
        (median["value"].clone(), median["suppressed"].clone()),
        (Value::Null, json!(true))
    );
    assert_eq!(row("contacts", None)["suppressed"], false);
}

#[tokio::test]
async fn the_report_reads_back_as_csv_and_as_a_workbook() {
    let h = history().await;
    let json = report(&h.app, &h.sam, PERIOD).await;
    let response = h
        .app
        .request(
            reqwest::Method::GET,
            &format!("/v1/stats/activity?{PERIOD}"),
            &h.sam,
        )
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"rapport-activite-2025-01-01-2025-12-31.csv\""
    );
    let text = response.text().await.unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        vec!["indicator", "dimension", "value", "suppressed"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let figures = json["figures"].as_array().unwrap();
    assert_eq!(rows.len(), figures.len(), "one row per figure");
    for (row, figure) in rows.iter().zip(figures) {
        assert_eq!(&row[0], figure["indicator"].as_str().unwrap());
        assert_eq!(&row[1], figure["dimension"].as_str().unwrap_or(""));
        let value = if figure["value"].is_null() {
            String::new()
        } else {
            figure["value"].to_string()
        };
        assert_eq!(
            row[2].parse::<f64>().ok(),
            value.parse::<f64>().ok(),
            "{row:?}"
        );
        assert_eq!(&row[3], "false");
    }

    let response = h
        .app
        .request(
            reqwest::Method::GET,
            &format!("/v1/stats/activity?{PERIOD}"),
            &h.sam,
        )
        .header(
            "Accept",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(book.sheet_names(), ["Rapport d'activité", "Définitions"]);
    let sheet = book.worksheet_range("Rapport d'activité").unwrap();
    let cells: Vec<Vec<Data>> = sheet.rows().map(<[Data]>::to_vec).collect();
    assert_eq!(
        cells[1][1],
        Data::String("du 01/01/2025 au 31/12/2025".into())
    );
    let table: Vec<&Vec<Data>> = cells
        .iter()
        .skip_while(|r| r.first() != Some(&Data::String("Indicateur".into())))
        .skip(1)
        .collect();
    assert_eq!(table.len(), figures.len());
    let persons = table
        .iter()
        .find(|r| r[0] == Data::String("persons_supported".into()))
        .unwrap();
    assert_eq!(persons[1], Data::String("Personnes accompagnées".into()));
    assert_eq!(persons[3], Data::Float(4.0));
    let median = table
        .iter()
        .find(|r| r[0] == Data::String("duration_median_days".into()))
        .unwrap();
    assert_eq!(median[3], Data::Float(61.0));
    let definitions = book.worksheet_range("Définitions").unwrap();
    assert!(
        definitions.rows().count() > 40,
        "every indicator is defined"
    );

    let refused = h
        .app
        .request(reqwest::Method::GET, "/v1/stats/activity", &h.sam)
        .header("Accept", "application/pdf")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 406);
}

#[tokio::test]
async fn bad_periods_and_scopes_are_refused_at_their_parameter_and_other_roles_are_forbidden() {
    let app = TestApp::spawn().await;
    let sam = app.token("supervisor", "sam");
    for (query, pointer, code) in [
        ("from=yesterday", "/from", None),
        ("to=2025-13-01", "/to", None),
        (
            "from=2025-02-01&to=2025-01-31",
            "/to",
            Some("range_reversed"),
        ),
        (
            "from=2010-01-01&to=2025-01-31",
            "/to",
            Some("range_too_long"),
        ),
        (
            "from=1899-12-31&to=1900-01-02",
            "/from",
            Some("out_of_range"),
        ),
        ("to=2200-01-01", "/to", Some("out_of_range")),
        ("referent=nobody", "/referent", None),
        ("team=", "/team", None),
        ("team=0190a0c4-5d6e-7f80-9a1b-2c3d4e5f6a7b,x", "/team", None),
        (
            "referent=0190a0c4-5d6e-7f80-9a1b-2c3d4e5f6a7b&team=0190a0c4-5d6e-7f80-9a1b-2c3d4e5f6a7b",
            "/team",
            Some("referent_and_team"),
        ),
    ] {
        let response = app.get(&format!("/v1/stats/activity?{query}"), &sam).await;
        assert_eq!(response.status(), 400, "?{query}");
        let problem = problem(response).await;
        assert_eq!(problem["code"], "invalid_parameter", "?{query}");
        assert_eq!(pointers(&problem), [pointer], "?{query}");
        if let Some(code) = code {
            assert_eq!(problem["errors"][0]["code"], code, "?{query}");
        }
    }
    let team: Vec<String> = (0..51).map(|_| Uuid::now_v7().to_string()).collect();
    let response = app
        .get(&format!("/v1/stats/activity?team={}", team.join(",")), &sam)
        .await;
    assert_eq!(problem(response).await["errors"][0]["code"], "team_size");
    for role in ["reception", "admin", "dpo"] {
        let token = app.token(role, &format!("{role}-1"));
        let response = app.get("/v1/stats/activity", &token).await;
        assert_eq!(response.status(), 403, "{role}");
    }
    // Each read is audited.
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE resource_type = 'stats.activity'",
    )
    .fetch_one(&app.sql)
    .await
    .unwrap();
    assert_eq!(audited, 0, "refused reads are not reads");
    report(&app, &sam, "").await;
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE resource_type = 'stats.activity'",
    )
    .fetch_one(&app.sql)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn another_organisations_activity_is_invisible() {
    let h = history().await;
    let other = h.app.token_for("other", &["supervisor"], "olga");
    let f = figures(&report(&h.app, &other, PERIOD).await);
    expect(
        &f,
        &[
            ("cases_active", json!(0)),
            ("contacts", json!(0)),
            ("persons_supported", json!(0)),
        ],
    );
}

#[tokio::test]
async fn corrections_move_the_figures_and_the_ledger_stays_a_recount() {
    let h = history().await;
    let org = "(SELECT id FROM organisations WHERE slug = 'acme')";
    // c2 reopened; c3's cancelled interview held after all; a step deleted; p3's partner
    // becomes a parent (a single parent now); p1's household removed; p2 born in 1990;
    // bob's case c6 moved to p1 (a merge); the granted application's need raised, then its
    // funding plan removed; the received referral declined.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "UPDATE cases SET status = 'active', closed_on = NULL, closure_reason = NULL
          WHERE closure_reason = 'person_withdrew';
         UPDATE contacts SET status = 'held', occurred_at = scheduled_at
          WHERE status = 'cancelled';
         DELETE FROM plan_items WHERE status = 'cancelled';
         UPDATE household_members SET relationship = 'parent'
          WHERE relationship = 'spouse_or_partner';
         DELETE FROM households
          WHERE person_id IN (SELECT person_id FROM cases WHERE opened_on = '2024-11-01');
         UPDATE persons SET birth_date = '1990-06-01'
          WHERE id IN (SELECT person_id FROM cases WHERE origin = 'partner_referral');
         UPDATE cases SET person_id = (SELECT person_id FROM cases WHERE opened_on = '2024-11-01')
          WHERE opened_on = '2025-05-01';
         UPDATE funding_plans SET need_cents = 150000;
         UPDATE referrals SET status = 'declined', decided_at = '2025-10-02T10:00:00Z',
                decided_by = (SELECT id FROM agents WHERE subject = 'sam' AND org_id = {org}),
                decline_reason = 'no_capacity'
          WHERE status = 'received' AND received_at > '2025-01-01';"
    )))
    .execute(&h.app.sql)
    .await
    .unwrap();
    let f = figures(&report(&h.app, &h.sam, PERIOD).await);
    expect(
        &f,
        &[
            ("cases_closed", json!(2)),
            ("closures_by_reason/person_withdrew", json!(0)),
            ("duration_median_days", json!(81.0)),
            ("contacts_by_status/held", json!(4)),
            ("contacts_by_status/cancelled", json!(0)),
            ("plan_items", json!(2)),
            ("plan_items_done_percent", json!(50.0)),
            ("persons_by_household/single_parent", json!(1)),
            ("persons_by_household/couple_with_children", json!(0)),
            ("persons_by_household/single", json!(0)),
            // p1 (c1 then c6: two stretches, 2025-02-10 to 2025-05-01 apart), p2, p3.
            ("persons_supported", json!(4)),
            ("persons_by_age_band/25_34", json!(1)),
            ("amount_requested_cents", json!(150000)),
            ("referrals_by_outcome/declined", json!(2)),
            ("referrals_by_outcome/received", json!(0)),
        ],
    );
    sqlx::query("DELETE FROM funding_plans")
        .execute(&h.app.sql)
        .await
        .unwrap();
    let f = figures(&report(&h.app, &h.sam, PERIOD).await);
    expect(
        &f,
        &[
            ("amount_requested_cents", json!(0)),
            ("amount_granted_cents", json!(80000)),
        ],
    );
    h.app.assert_activity_ledger_recounts().await;
}

#[tokio::test]
async fn folding_the_ledger_changes_no_figure() {
    let h = history().await;
    let before = report(&h.app, &h.sam, PERIOD).await;
    let rows = |app: &TestApp| {
        let sql = app.sql.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM activity_counts")
                .fetch_one(&sql)
                .await
                .unwrap()
        }
    };
    let written = rows(&h.app).await;
    let folded: i64 = sqlx::query_scalar("SELECT relais_activity_compact()")
        .fetch_one(&h.app.sql)
        .await
        .unwrap();
    assert!(
        folded > 0,
        "a history written in many statements has rows to fold"
    );
    assert_eq!(rows(&h.app).await, written - folded);
    assert_eq!(report(&h.app, &h.sam, PERIOD).await, before);
    let again: i64 = sqlx::query_scalar("SELECT relais_activity_compact()")
        .fetch_one(&h.app.sql)
        .await
        .unwrap();
    assert_eq!(again, 0, "nothing written since");
    h.app.assert_activity_ledger_recounts().await;
}
