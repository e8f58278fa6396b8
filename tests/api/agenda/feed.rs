//! The agenda's calendar feed: `POST /v1/agenda/feed-token` rotates a per-agent token,
//! `GET /v1/me` shows the feed URL again, `DELETE` stops it, and `GET /v1/agenda.ics?token=`
//! answers an RFC 5545 calendar without a bearer token — parsed here with the `ical` crate, an
//! implementation independent of the writer — or 401 for an unknown or rotated token.

use crate::support::agenda::{Case, add_item, day, open_case, set_item_status};
use ical::parser::ical::component::{IcalCalendar, IcalEvent};
use relais_tests::{TestApp, assert_problem, problem};
use serde_json::Value;

/// A worker with a case, and their feed.
struct Feed {
    app: TestApp,
    alice: String,
    camille: Case,
}

impl Feed {
    async fn new() -> Feed {
        let app = TestApp::spawn().await;
        let alice = app.token("worker", "alice");
        let camille = open_case(&app, &alice, "Camille", "Lefèvre").await;
        Feed {
            app,
            alice,
            camille,
        }
    }

    /// Rotates the token and returns the response body.
    async fn rotate(&self) -> Value {
        let response = self
            .app
            .post("/v1/agenda/feed-token", &self.alice, &Value::Null)
            .await;
        assert_eq!(response.status(), 200, "rotating the feed token");
        assert_eq!(response.headers()["cache-control"], "no-store");
        response.json().await.unwrap()
    }

    async fn me(&self) -> Value {
        self.app.get_json("/v1/me", &self.alice).await
    }
}

/// GET without any bearer token.
async fn fetch(app: &TestApp, url: &str) -> reqwest::Response {
    let url = if url.starts_with("http") {
        url.to_owned()
    } else {
        app.url(url)
    };
    app.client.get(url).send().await.unwrap()
}

/// The feed as text, checked to be a calendar.
async fn calendar_text(app: &TestApp, url: &str) -> String {
    let response = fetch(app, url).await;
    assert_eq!(response.status(), 200, "reading the feed");
    assert_eq!(
        response.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    response.text().await.unwrap()
}

fn parse(text: &str) -> IcalCalendar {
    let mut parser = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
    let calendar = parser
        .next()
        .expect("one calendar")
        .expect("a valid calendar");
    assert!(parser.next().is_none(), "exactly one calendar");
    calendar
}

fn prop<'a>(
    properties: &'a [ical::property::Property],
    name: &str,
) -> &'a ical::property::Property {
    properties
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

fn value(event: &IcalEvent, name: &str) -> String {
    prop(&event.properties, name).value.clone().unwrap()
}

/// TEXT values come escaped (RFC 5545 §3.3.11); the parser leaves them so.
fn unescape(text: &str) -> String {
    text.replace("\\n", "\n")
        .replace("\\,", ",")
        .replace("\\;", ";")
        .replace("\\\\", "\\")
}

fn params(event: &IcalEvent, name: &str) -> Vec<(String, Vec<String>)> {
    prop(&event.properties, name)
        .params
        .clone()
        .unwrap_or_default()
}

fn ymd(offset: i64) -> String {
    day(offset).format("%Y%m%d").to_string()
}

#[tokio::test]
async fn rotating_the_token_gives_a_url_that_opens_the_calendar_without_a_bearer() {
    let f = Feed::new().await;
    assert_eq!(f.me().await["agenda_feed_url"], Value::Null, "no feed yet");
    let created = f.rotate().await;
    let token = created["token"].as_str().unwrap();
    let url = created["feed_url"].as_str().unwrap();
    assert_eq!(token.len(), 43, "32 bytes in base64url");
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_eq!(url, f.app.url(&format!("/v1/agenda.ics?token={token}")));
    assert!(created["created_at"].is_string());
    assert_eq!(
        f.me().await["agenda_feed_url"],
        url,
        "/v1/me shows the URL again"
    );

    let calendar = parse(&calendar_text(&f.app, url).await);
    assert!(calendar.events.is_empty());
    let name = prop(&calendar.properties, "X-WR-CALNAME")
        .value
        .clone()
        .unwrap();
    assert_eq!(name, "Relais — agenda de alice");
    assert_eq!(
        prop(&calendar.properties, "VERSION").value.as_deref(),
        Some("2.0")
    );
}

#[tokio::test]
async fn rotating_again_makes_the_old_url_answer_401() {
    let f = Feed::new().await;
    let old = f.rotate().await["feed_url"].as_str().unwrap().to_owned();
    calendar_text(&f.app, &old).await;
    let new = f.rotate().await["feed_url"].as_str().unwrap().to_owned();
    assert_ne!(old, new);
    let response = fetch(&f.app, &old).await;
    assert_problem(response, 401, "unauthorized").await;
    calendar_text(&f.app, &new).await;
    assert_eq!(f.me().await["agenda_feed_url"], new.as_str());
}

#[tokio::test]
async fn revoking_the_token_stops_the_feed() {
    let f = Feed::new().await;
    let url = f.rotate().await["feed_url"].as_str().unwrap().to_owned();
    let response = f
        .app
        .request(reqwest::Method::DELETE, "/v1/agenda/feed-token", &f.alice)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(fetch(&f.app, &url).await.status(), 401);
    assert_eq!(f.me().await["agenda_feed_url"], Value::Null);
}

#[tokio::test]
async fn unknown_missing_or_malformed_tokens_answer_401() {
    let f = Feed::new().await;
    f.rotate().await;
    let unknown = "A".repeat(43);
    for query in [
        format!("?token={unknown}"),
        String::new(),
        "?token=".into(),
        "?token=short".into(),
        format!("?token={}", "é".repeat(22)),
    ] {
        let response = fetch(&f.app, &format!("/v1/agenda.ics{query}")).await;
        assert_eq!(response.status(), 401, "{query}");
        assert_eq!(problem(response).await["code"], "unauthorized", "{query}");
    }
}

#[tokio::test]
async fn the_feed_has_one_all_day_event_per_deadline_and_names_persons_by_initial() {
    let f = Feed::new().await;
    let (app, alice) = (&f.app, &f.alice);
    let call = add_item(app, alice, &f.camille, "worker", "Appeler la CAF", day(5)).await;
    let papers = add_item(
        app,
        alice,
        &f.camille,
        "person",
        "Déposer le dossier FSL",
        day(9),
    )
    .await;
    let late = add_item(
        app,
        alice,
        &f.camille,
        "worker",
        "Relancer la CPAM",
        day(-4),
    )
    .await;
    let done = add_item(
        app,
        alice,
        &f.camille,
        "worker",
        "Écrire au bailleur",
        day(2),
    )
    .await;
    set_item_status(app, &done, "done").await;
    add_item(app, alice, &f.camille, "worker", "Dans deux ans", day(400)).await;
    let bob = app.token("worker", "bob");
    let jean = open_case(app, &bob, "Jean", "Dupont").await;
    add_item(app, &bob, &jean, "worker", "Pas pour alice", day(3)).await;

    let url = f.rotate().await["feed_url"].as_str().unwrap().to_owned();
    let text = calendar_text(app, &url).await;
    assert!(
        !text.contains("Lefèvre") && !text.contains("Dupont"),
        "no last name"
    );
    let calendar = parse(&text);
    let uids: Vec<String> = calendar.events.iter().map(|e| value(e, "UID")).collect();
    assert_eq!(
        uids,
        [&late, &call, &papers].map(|id| format!("{id}@relais")),
        "pending items due within a year and overdue ones, by due date"
    );
    let [overdue, intervention, recommendation] = &calendar.events[..] else {
        panic!("three events");
    };
    for (event, offset) in [(overdue, -4), (intervention, 5), (recommendation, 9)] {
        assert_eq!(value(event, "DTSTART"), ymd(offset));
        assert_eq!(
            value(event, "DTEND"),
            ymd(offset + 1),
            "all day: ends the next day"
        );
        let date = vec![("VALUE".to_owned(), vec!["DATE".to_owned()])];
        assert_eq!(params(event, "DTSTART"), date);
        assert_eq!(params(event, "DTEND"), date);
        assert!(value(event, "DTSTAMP").ends_with('Z'));
        assert_eq!(value(event, "CLASS"), "CONFIDENTIAL");
    }
    assert_eq!(
        value(intervention, "SUMMARY"),
        "Intervention — Appeler la CAF"
    );
    assert_eq!(
        value(recommendation, "SUMMARY"),
        "Préconisation — Camille L. : Déposer le dossier FSL"
    );
    assert_eq!(
        value(overdue, "SUMMARY"),
        "En retard — Intervention — Relancer la CPAM"
    );
    assert_eq!(value(intervention, "STATUS"), "CONFIRMED");
    let case_url = app.url(&format!("/v1/cases/{}", f.camille.id));
    assert_eq!(value(intervention, "URL"), case_url);
    let description = unescape(&value(recommendation, "DESCRIPTION"));
    assert!(
        description.contains(&format!("Dossier : {case_url}")),
        "{description}"
    );
    assert!(
        description.contains("Personne : Camille L."),
        "{description}"
    );
}

#[tokio::test]
async fn long_titles_are_folded_at_75_octets_with_crlf_and_unfold_intact() {
    let f = Feed::new().await;
    let title = "Rassembler les trois dernières quittances de loyer, l'avis d'imposition, \
                 l'attestation de la CAF; et préparer le rendez-vous à la commission \\ FSL";
    add_item(&f.app, &f.alice, &f.camille, "person", title, day(3)).await;
    let url = f.rotate().await["feed_url"].as_str().unwrap().to_owned();
    let text = calendar_text(&f.app, &url).await;

    assert!(text.ends_with("END:VCALENDAR\r\n"));
    assert!(
        !text.replace("\r\n", "").contains('\n'),
        "every line ends with CRLF"
    );
    assert!(!text.replace("\r\n", "").contains('\r'));
    let lines: Vec<&str> = text.trim_end_matches("\r\n").split("\r\n").collect();
    assert!(
        lines.iter().all(|l| l.len() <= 75),
        "no line over 75 octets"
    );
    let continuations = lines.iter().filter(|l| l.starts_with(' ')).count();
    assert!(continuations >= 2, "the summary is folded: {text}");

    let calendar = parse(&text);
    let summary = unescape(&value(&calendar.events[0], "SUMMARY"));
    assert_eq!(summary, format!("Préconisation — Camille L. : {title}"));
}

#[tokio::test]
async fn only_workers_and_supervisors_get_a_feed_token() {
    let f = Feed::new().await;
    for role in ["reception", "admin", "dpo"] {
        let token = f.app.token(role, &format!("{role}-1"));
        let response = f
            .app
            .post("/v1/agenda/feed-token", &token, &Value::Null)
            .await;
        assert_eq!(response.status(), 403, "{role}");
        let me: Value = f.app.get_json("/v1/me", &token).await;
        assert_eq!(me["agenda_feed_url"], Value::Null);
    }
    let anonymous = f
        .app
        .client
        .post(f.app.url("/v1/agenda/feed-token"))
        .send()
        .await;
    assert_eq!(anonymous.unwrap().status(), 401);
    // alice becomes reception: her feed stops answering her agenda.
    let url = f.rotate().await["feed_url"].as_str().unwrap().to_owned();
    f.app
        .get("/v1/me", &f.app.token("reception", "alice"))
        .await;
    let response = fetch(&f.app, &url).await;
    assert_problem(response, 403, "forbidden").await;
}

#[tokio::test]
async fn a_feed_shows_its_owner_agenda_in_its_owner_organisation() {
    let f = Feed::new().await;
    add_item(
        &f.app,
        &f.alice,
        &f.camille,
        "worker",
        "Appeler la CAF",
        day(2),
    )
    .await;
    let stranger = f.app.token_for("other", &["worker"], "alice");
    let case = open_case(&f.app, &stranger, "Lina", "Benali").await;
    add_item(
        &f.app,
        &stranger,
        &case,
        "worker",
        "Autre structure",
        day(2),
    )
    .await;
    let response = f
        .app
        .post("/v1/agenda/feed-token", &stranger, &Value::Null)
        .await;
    let body: Value = response.json().await.unwrap();
    let calendar = parse(&calendar_text(&f.app, body["feed_url"].as_str().unwrap()).await);
    let summaries: Vec<String> = calendar
        .events
        .iter()
        .map(|e| value(e, "SUMMARY"))
        .collect();
    assert_eq!(summaries, ["Intervention — Autre structure"]);
}

#[tokio::test]
async fn tokens_are_stored_hashed_and_hidden_without_an_organisation_or_the_hash() {
    let f = Feed::new().await;
    let token = f.rotate().await["token"].as_str().unwrap().to_owned();
    let matches: Vec<bool> = sqlx::query_scalar(
        "SELECT token_hash = sha256(convert_to($1, 'UTF8')) FROM agenda_feed_tokens",
    )
    .bind(&token)
    .fetch_all(&f.app.sql)
    .await
    .unwrap();
    assert_eq!(matches, [true], "one row, holding the token's SHA-256");
    let dump: Vec<String> = sqlx::query_scalar("SELECT t::text FROM agenda_feed_tokens t")
        .fetch_all(&f.app.sql)
        .await
        .unwrap();
    assert!(!dump[0].contains(&token), "the token itself is not stored");

    // As the application role, with no organisation: nothing, unless the hash is presented.
    let mut tx = f.app.sql.begin().await.unwrap();
    sqlx::query("SELECT set_config('role', 'relais_app', true)")
        .execute(&mut *tx)
        .await
        .unwrap();
    let visible: i64 = sqlx::query_scalar("SELECT count(*) FROM agenda_feed_tokens")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(visible, 0);
    sqlx::query("SELECT set_config('relais.feed_token_hash', $1, true)")
        .bind(sha256_hex("another token"))
        .execute(&mut *tx)
        .await
        .unwrap();
    let visible: i64 = sqlx::query_scalar("SELECT count(*) FROM agenda_feed_tokens")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(visible, 0);
    sqlx::query("SELECT set_config('relais.feed_token_hash', $1, true)")
        .bind(sha256_hex(&token))
        .execute(&mut *tx)
        .await
        .unwrap();
    let visible: i64 = sqlx::query_scalar("SELECT count(*) FROM agenda_feed_tokens")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(
        visible, 1,
        "the lookup policy shows the row of the presented hash"
    );
    let deleted = sqlx::query("DELETE FROM agenda_feed_tokens")
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected(), 0, "the lookup policy only reads");
    tx.rollback().await.unwrap();
}

/// The SHA-256 of `text` in hexadecimal, as the feed lookup presents it.
fn sha256_hex(text: &str) -> String {
    use std::fmt::Write;
    let digest = relais_store::agenda::feed_token_hash(text);
    digest.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[tokio::test]
async fn feed_reads_and_rotations_are_audited_as_the_agent() {
    let f = Feed::new().await;
    add_item(
        &f.app,
        &f.alice,
        &f.camille,
        "worker",
        "Appeler la CAF",
        day(2),
    )
    .await;
    let alice_id = f.app.agent_id(&f.alice).await;
    let url = f.rotate().await["feed_url"].as_str().unwrap().to_owned();
    calendar_text(&f.app, &url).await;
    let events: Vec<(String, String, Option<String>, Option<uuid::Uuid>)> = sqlx::query_as(
        "SELECT action, resource_type, person_id::text, actor_id FROM audit_events WHERE \
         resource_type LIKE 'agenda%' ORDER BY id",
    )
    .fetch_all(&f.app.sql)
    .await
    .unwrap();
    let expected = [
        ("create", "agenda.feed_token", None),
        ("read", "agenda.ics", None),
        ("read", "agenda.ics", Some(f.camille.person_id.clone())),
    ];
    assert_eq!(events.len(), expected.len(), "{events:?}");
    for ((action, resource, person, actor), (a, r, p)) in events.into_iter().zip(expected) {
        assert_eq!((action.as_str(), resource.as_str(), person), (a, r, p));
        assert_eq!(actor, Some(alice_id));
    }
}
