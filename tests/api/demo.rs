//! The demo organisation of the embedded mode comes with the starter catalogue of schemes, so a
//! newcomer's first run shows scheme matches; it is imported once, never over an admin's edits.

use relais_store::{Db, PoolSettings};
use relais_tests::TestApp;

async fn demo_schemes(app: &TestApp) -> (i64, i64) {
    sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE active) FROM schemes s
           JOIN organisations o ON o.id = s.org_id WHERE o.slug = 'demo'",
    )
    .fetch_one(&app.sql)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_demo_organisation_gets_the_starter_catalogue_once() {
    let app = TestApp::spawn().await;
    // A generous wait for a connection: the suite runs many servers at once on a small machine.
    let pool = PoolSettings {
        acquire_timeout: std::time::Duration::from_secs(30),
        ..PoolSettings::default()
    };
    let db = Db::connect_lazy(app.db_options.clone(), &pool);
    relais_server::demo::ensure(&db).await.unwrap();
    let (all, active) = demo_schemes(&app).await;
    assert!(all >= 12, "the starter catalogue has {all} schemes");
    assert!(active < all, "local schemes come in inactive");

    // An admin's change survives the next start: nothing is imported again.
    sqlx::query("UPDATE schemes SET active = false WHERE name LIKE '%(RSA)'")
        .execute(&app.sql)
        .await
        .unwrap();
    relais_server::demo::ensure(&db).await.unwrap();
    let (again, active_again) = demo_schemes(&app).await;
    assert_eq!(again, all);
    assert_eq!(active_again, active - 1);
    let seen_by_alice: i64 = app
        .count(
            "SELECT count(*) FROM agents a JOIN organisations o ON o.id = a.org_id
          WHERE o.slug = 'demo' AND a.subject = 'alice'",
        )
        .await;
    assert_eq!(seen_by_alice, 1);
    // The demo agents come with the profile documents print; a change of theirs stays.
    let profiled: i64 = app
        .count(
            "SELECT count(*) FROM agents a JOIN organisations o ON o.id = a.org_id
          WHERE o.slug = 'demo' AND a.job_title IS NOT NULL AND a.civility IS NOT NULL
            AND a.email LIKE '%@ccas-demo.example'",
        )
        .await;
    assert_eq!(profiled, 5);
    sqlx::query("UPDATE agents SET job_title = 'CESF' WHERE subject = 'alice'")
        .execute(&app.sql)
        .await
        .unwrap();
    relais_server::demo::ensure(&db).await.unwrap();
    let kept: i64 = app
        .count("SELECT count(*) FROM agents WHERE subject = 'alice' AND job_title = 'CESF'")
        .await;
    assert_eq!(kept, 1);
    // The demo organisation has a letterhead, written once: an admin's change stays.
    let letterhead = || {
        app.count(
            "SELECT count(*) FROM organisation_profiles p JOIN organisations o ON o.id = p.org_id
              WHERE o.slug = 'demo' AND p.city = 'Lyon' AND p.version = 1",
        )
    };
    assert_eq!(letterhead().await, 1);
    sqlx::query("UPDATE organisation_profiles SET city = 'Vénissieux', version = 2")
        .execute(&app.sql)
        .await
        .unwrap();
    relais_server::demo::ensure(&db).await.unwrap();
    assert_eq!(letterhead().await, 0);
}
