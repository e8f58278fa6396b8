//! Several replicas on one database (OPERATIONS.md): three background loops run side by side,
//! as three instances of the service would, and every periodic effect happens once — a due
//! referral expires once and its partner is told once, a closed case is archived and its
//! person anonymised by one retention run. (That each webhook attempt is made once by
//! concurrent dispatchers is `webhooks::two_dispatchers_never_deliver_the_same_attempt_twice`.)

use std::time::Duration;

use crate::support::referrals::{Referrals, referral};
use relais_tests::{TestApp, test_settings};

/// A count about one record, `id`.
async fn count(app: &TestApp, sql: &'static str, id: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(&app.sql)
        .await
        .unwrap()
}

/// Polls a count about `id` until it answers `wanted`, for at most 10 seconds; the last answer.
async fn count_until(app: &TestApp, sql: &'static str, id: &str, wanted: i64) -> i64 {
    let mut seen = -1;
    for _ in 0..200 {
        seen = count(app, sql, id).await;
        if seen == wanted {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    seen
}

#[tokio::test]
async fn three_replicas_apply_each_periodic_effect_once() {
    let mut settings = test_settings();
    settings.expiry_sweep_interval = Duration::from_millis(50);
    settings.retention_interval = Duration::from_millis(50);
    let r = Referrals::on(TestApp::spawn_with(settings.clone()).await).await;
    let app = &r.app;
    // Nothing due yet while the work is prepared: the replica of the service stops its loop.
    app.stop_worker().await;

    // A referral due for expiry.
    let posted = r.posted(&referral()).await;
    let referral_id = posted["id"].as_str().unwrap().to_owned();
    sqlx::query(
        "UPDATE referrals SET received_at = now() - interval '40 days', \
         expires_at = now() - interval '1 day' WHERE id = $1::uuid",
    )
    .bind(&referral_id)
    .execute(&app.sql)
    .await
    .unwrap();
    // A case closed three years ago, due for the archive, its person for the purge.
    let alice = app.token("worker", "alice");
    let case = app.create_case(&alice).await;
    let case_id = case["id"].as_str().unwrap().to_owned();
    app.close_case(&alice, &case_id).await;
    sqlx::query(
        "UPDATE cases SET closed_on = current_date - 1100, opened_on = current_date - 1300, \
         target_end_on = current_date - 1100, last_contact_at = now() - interval '1100 days' \
         WHERE id = $1::uuid",
    )
    .bind(&case_id)
    .execute(&app.sql)
    .await
    .unwrap();

    // Three replicas at once.
    app.start_worker();
    let second = app.spawn_worker_with(&settings);
    let third = app.spawn_worker_with(&settings);

    let expired = "SELECT count(*) FROM referrals WHERE id = $1::uuid AND status = 'expired'";
    assert_eq!(count_until(app, expired, &referral_id, 1).await, 1);
    let archived = "SELECT count(*) FROM cases c JOIN persons p ON p.id = c.person_id \
         WHERE c.id = $1::uuid AND c.status = 'archived' AND p.anonymised_at IS NOT NULL";
    assert_eq!(count_until(app, archived, &case_id, 1).await, 1);
    // Let every replica run its loops a few more times.
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.stop_worker().await;
    second.shutdown().await;
    third.shutdown().await;

    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM webhook_messages \
             WHERE payload -> 'data' ->> 'referral_id' = $1 \
               AND payload -> 'data' ->> 'status' = 'expired'",
            &referral_id
        )
        .await,
        1,
        "the partner is told once"
    );
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM case_events WHERE case_id = $1::uuid AND to_status = 'archived'",
            &case_id
        )
        .await,
        1,
        "archived once"
    );
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM audit_events WHERE action = 'retention' \
             AND reason LIKE $1 || '%'",
            "archived_cases=1 anonymised_persons=1 "
        )
        .await,
        1,
        "one run archived and anonymised"
    );
    assert!(
        count(
            app,
            "SELECT count(*) FROM audit_events WHERE action = $1",
            "retention"
        )
        .await
            > 3,
        "the replicas kept running the retention, finding nothing more"
    );

    // The jobs' lease rows say when each job last succeeded, whichever replica ran it, and
    // every replica's metrics report it.
    let (held, succeeded): (bool, bool) = sqlx::query_as(
        "SELECT holder IS NOT NULL AND leased_until > now() + interval '30 minutes', \
                last_succeeded_at > now() - interval '1 minute' \
         FROM job_runs WHERE job = 'retention'",
    )
    .fetch_one(&app.sql)
    .await
    .unwrap();
    assert!(succeeded, "the retention's last success is recorded");
    assert!(!held || succeeded, "a lease is given back after each run");
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for job in ["retention", "referral_expiry", "caseload_compaction"] {
        let line = text
            .lines()
            .find(|l| {
                l.starts_with(&format!(
                    "relais_job_last_success_age_seconds{{job=\"{job}\"}}"
                ))
            })
            .unwrap_or_else(|| panic!("{job} in the metrics:\n{text}"));
        let age: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        assert!((0.0..60.0).contains(&age), "{line}");
    }
}
