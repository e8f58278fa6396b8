//! `relais keys rotate-nir`: every NIR (persons, referrals) sealed again under the new key and
//! hashed again for search, the other derived secrets unchanged, a second pass finding nothing
//! left; and the data directory's key files in embedded mode.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use relais_store::Db;
use relais_tests::{TestApp, nir};
use secrecy::SecretString;
use serde_json::json;

use crate::support::referrals::{Referrals, referral};

fn key(byte: u8) -> SecretString {
    SecretString::from(STANDARD.encode([byte; 32]))
}

#[tokio::test]
async fn every_nir_is_sealed_again_under_the_new_key_and_found_by_its_new_hash() {
    let r = Referrals::new().await;
    let app: &TestApp = &r.app;
    let digits = "1850775123456";
    let person = app
        .create_person(
            &r.worker,
            json!({"first_name": "Paul", "last_name": "Girard", "nir": nir(digits)}),
        )
        .await;
    let mut body = referral();
    body["person"]["nir"] = json!(nir("2690549588157"));
    r.posted(&body).await;

    // The test servers' key is [42; 32]; the new one [43; 32].
    let old = key(42);
    let new = key(43);
    let rotating = relais_server::keys::full_vault(&new, Some(&old), Some(&old)).unwrap();
    let db = Db::connect_lazy(app.db_options.clone(), &relais_tests::test_pool());
    let done = relais_server::reseal_nirs(&db, &rotating, 1).await.unwrap();
    assert_eq!(done.resealed, 2, "{done:?}");
    let again = relais_server::reseal_nirs(&db, &rotating, 1).await.unwrap();
    assert_eq!(again.resealed, 0, "nothing left to do");

    let after = relais_server::keys::full_vault(&new, None, Some(&old)).unwrap();
    let before = relais_server::keys::vault(&old).unwrap();
    let (sealed, hash): (Vec<u8>, Vec<u8>) =
        sqlx::query_as("SELECT nir_ciphertext, nir_hash FROM persons WHERE id = $1::uuid")
            .bind(person["id"].as_str().unwrap())
            .fetch_one(&app.sql)
            .await
            .unwrap();
    let paul = relais_domain::Nir::parse(&nir(digits)).unwrap();
    assert_eq!(after.decrypt(&sealed), Some(paul.clone()));
    assert_eq!(
        before.decrypt(&sealed),
        None,
        "the old key no longer opens it"
    );
    assert_eq!(hash, after.search_hash(&paul));
    let referral_sealed: Vec<u8> =
        sqlx::query_scalar("SELECT nir_ciphertext FROM referrals WHERE nir_ciphertext IS NOT NULL")
            .fetch_one(&app.sql)
            .await
            .unwrap();
    assert!(after.decrypt(&referral_sealed).is_some());
    // Partners' webhook keys and feed tokens derive from the first key still.
    assert_eq!(
        after.derive_secret("webhook", b"salt"),
        before.derive_secret("webhook", b"salt")
    );
}

#[test]
fn the_data_directory_keeps_the_first_key_for_secrets_and_drops_the_previous_one_at_the_end() {
    use relais_server::keys::{
        NIR_KEY_FILE, NIR_PREVIOUS_KEY_FILE, SECRETS_KEY_FILE, finish_nir_rotation, nir_key,
        start_nir_rotation,
    };
    use secrecy::ExposeSecret;
    let dir = std::env::temp_dir().join(format!("relais-rotate-{}", uuid::Uuid::now_v7()));
    let first = nir_key(&dir).unwrap().expose_secret().to_owned();
    start_nir_rotation(&dir).unwrap();
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    assert_eq!(read(NIR_PREVIOUS_KEY_FILE).trim(), first);
    assert_eq!(read(SECRETS_KEY_FILE).trim(), first);
    let second = read(NIR_KEY_FILE);
    assert_ne!(second.trim(), first);
    start_nir_rotation(&dir).unwrap();
    assert_eq!(
        read(NIR_KEY_FILE),
        second,
        "a rotation under way is finished, not restarted"
    );
    finish_nir_rotation(&dir).unwrap();
    assert!(!dir.join(NIR_PREVIOUS_KEY_FILE).exists());
    assert_eq!(read(SECRETS_KEY_FILE).trim(), first, "kept for good");
    std::fs::remove_dir_all(&dir).unwrap();
}
