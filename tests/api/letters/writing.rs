//! The letters of a case: written from a template with its values (refused at
//! `/values/<name>`), addressed as the template says, stored as sent (a reprint is the same
//! after the template and the person change), listed newest first, read per role, invisible to
//! another organisation, on the timeline, retried safely with an `Idempotency-Key`, and
//! audited with the case's person.

use relais_tests::{TestApp, assert_conforms, assert_problem, header, today};
use reqwest::Method;
use serde_json::{Value, json};

use super::{TEMPLATES, expect, refused, starter};
use relais_tests::pair;

/// A case of a person with a civility and an address, opened by the worker `alice` (its
/// referent), whose profile documents print.
pub struct Letters {
    pub app: TestApp,
    pub alice: String,
    pub admin: String,
    pub case_id: String,
    pub person_id: String,
}

impl Letters {
    pub async fn new() -> Letters {
        let app = TestApp::spawn().await;
        let alice = app.token_named("worker", "alice", "Alice Martin");
        let me = app.get_json("/v1/me", &alice).await;
        let version = me["profile"]["version"].as_i64().unwrap();
        let profile = app
            .patch(
                "/v1/me",
                &alice,
                version,
                &json!({"job_title": "Assistante de service social", "civility": "mme",
                        "email": "alice.martin@acme.example", "phone": "04 72 00 00 00"}),
            )
            .await;
        assert_eq!(profile.status(), 200);
        let person = app
            .create_person(
                &alice,
                json!({"first_name": "Camille", "last_name": "Lefèvre", "civility": "mme",
                       "birth_date": "1980-02-03",
                       "address": {"line1": "12 rue des Lilas", "postcode": "69003",
                                   "city": "Lyon"}}),
            )
            .await;
        let person_id = person["id"].as_str().unwrap().to_owned();
        let case = app.open_case_for(&alice, &person_id).await;
        Letters {
            case_id: case["id"].as_str().unwrap().to_owned(),
            admin: app.token("admin", "adele"),
            app,
            alice,
            person_id,
        }
    }

    /// The path of the case's letters followed by `rest`.
    pub fn path(&self, rest: &str) -> String {
        format!("/v1/cases/{}/letters{rest}", self.case_id)
    }

    /// The id of the starter template `key`.
    pub async fn template(&self, key: &str) -> String {
        starter(&self.app, &self.alice, key).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Writes a letter as `token`.
    pub async fn write(&self, token: &str, body: &Value) -> reqwest::Response {
        self.app.post(&self.path(""), token, body).await
    }

    /// A convocation on 12 March 2027 at 9:30, as alice: the letter's JSON.
    pub async fn convocation(&self) -> Value {
        let body = json!({
            "template_id": self.template("convocation").await,
            "values": {"date_entretien": "2027-03-12", "heure_entretien": "09:30",
                       "lieu": "CCAS, 3 place de la Mairie, bureau 2",
                       "documents": "Avis d'imposition\nQuittance de loyer"}
        });
        expect(self.write(&self.alice, &body).await, 201).await
    }
}

#[tokio::test]
async fn a_worker_writes_a_convocation_stored_as_sent() {
    let l = Letters::new().await;
    let response = l
        .write(
            &l.alice,
            &json!({
                "template_id": l.template("convocation").await,
                "values": {"date_entretien": "2027-03-12", "heure_entretien": "09:30",
                           "lieu": "CCAS, 3 place de la Mairie, bureau 2"}
            }),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "etag"), "\"1\"");
    let location = header(&response, "location");
    let letter: Value = response.json().await.unwrap();
    assert_conforms("Letter", &letter);
    assert_eq!(
        location,
        l.path(&format!("/{}", letter["id"].as_str().unwrap()))
    );
    assert_eq!(letter["case_id"], l.case_id.as_str());
    assert_eq!(letter["template_name"], "Convocation à un entretien");
    assert_eq!(letter["addressee"], "person");
    assert_eq!(
        letter["subject"],
        "Convocation à un entretien le 12 mars 2027"
    );
    let body = letter["body"].as_str().unwrap();
    assert!(body.starts_with("Madame,\n\nJe vous propose un entretien le 12 mars 2027 à 9 h 30, à l'adresse suivante : CCAS, 3 place de la Mairie, bureau 2.\n\nSi vous"), "{body}");
    assert!(
        body.contains("au 04 72 00 00 00 ou par courriel à alice.martin@acme.example"),
        "{body}"
    );
    assert!(
        body.ends_with(
            "Je vous prie d'agréer, Madame, l'expression de mes salutations distinguées."
        ),
        "{body}"
    );
    assert_eq!(
        letter["values"],
        json!({"date_entretien": "2027-03-12", "heure_entretien": "09:30",
               "lieu": "CCAS, 3 place de la Mairie, bureau 2"})
    );
    assert_eq!(letter["organisation"], "CCAS d'Acme");
    assert_eq!(
        letter["sender"],
        json!({"name": "Alice Martin", "role": "Assistante de service social",
               "email": "alice.martin@acme.example", "phone": "04 72 00 00 00"})
    );
    assert_eq!(
        letter["recipient"],
        json!({"name": "Madame Camille Lefèvre", "address": ["12 rue des Lilas", "69003 Lyon"]})
    );
    assert_eq!(letter["written_on"], today().to_string());

    // Read back as it was written, listed newest first.
    let read = l.app.get(&location, &l.alice).await;
    assert_eq!(header(&read, "etag"), "\"1\"");
    assert_eq!(expect(read, 200).await, letter);
    let second = l.convocation().await;
    let list = l.app.get_json(&l.path(""), &l.alice).await;
    assert_conforms("LetterList", &list);
    let ids: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["id"])
        .collect();
    assert_eq!(ids, [&second["id"], &letter["id"]]);
    assert!(
        second["body"]
            .as_str()
            .unwrap()
            .contains("Quittance de loyer")
    );
    let page = l.app.get_json(&l.path("?limit=1"), &l.alice).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert!(page["next_cursor"].is_string());

    // The timeline says a letter was sent, never what it says.
    let timeline = l
        .app
        .get_json(&format!("/v1/cases/{}/timeline", l.case_id), &l.alice)
        .await;
    let event = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "letter_sent" && e["data"]["letter_id"] == letter["id"])
        .cloned()
        .unwrap();
    assert_eq!(event["data"]["template_id"], letter["template_id"]);
}

#[tokio::test]
async fn a_letter_is_reprinted_as_sent_whatever_changes_after() {
    let l = Letters::new().await;
    let letter = l.convocation().await;
    let id = letter["id"].as_str().unwrap();
    let path = l.path(&format!("/{id}"));
    let printed = l
        .app
        .get(&l.path(&format!("/{id}/document")), &l.alice)
        .await
        .text()
        .await
        .unwrap();

    // The template, the person's address and the sender's profile change.
    let template = l.template("convocation").await;
    let changed = l
        .app
        .patch(
            &format!("{TEMPLATES}/{template}"),
            &l.admin,
            1,
            &json!({"name": "Invitation", "subject": "Invitation",
                    "body": "Bonjour {{ person.first_name }}."}),
        )
        .await;
    assert_eq!(changed.status(), 200);
    let moved = l
        .app
        .patch(
            &format!("/v1/persons/{}", l.person_id),
            &l.alice,
            1,
            &json!({"address": {"line1": "1 quai Perrache", "postcode": "69002"}}),
        )
        .await;
    assert_eq!(moved.status(), 200);
    let me = l.app.get_json("/v1/me", &l.alice).await;
    let renamed = l
        .app
        .patch(
            "/v1/me",
            &l.alice,
            me["profile"]["version"].as_i64().unwrap(),
            &json!({"job_title": "Conseillère en économie sociale et familiale"}),
        )
        .await;
    assert_eq!(renamed.status(), 200);

    assert_eq!(l.app.get_json(&path, &l.alice).await, letter);
    let reprinted = l
        .app
        .get(&l.path(&format!("/{id}/document")), &l.alice)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(reprinted, printed);
    assert!(reprinted.contains("12 rue des Lilas") && !reprinted.contains("Perrache"));
    // A new letter is written from the template and the profile as they are now.
    let now = expect(
        l.write(
            &l.alice,
            &json!({"template_id": template, "values": {
            "date_entretien": "2027-03-12", "heure_entretien": "09:30", "lieu": "Ici"}}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(now["body"], "Bonjour Camille.");
    assert_eq!(now["template_name"], "Invitation");
    assert_eq!(
        now["sender"]["role"],
        "Conseillère en économie sociale et familiale"
    );
    assert_eq!(
        now["recipient"]["address"],
        json!(["1 quai Perrache", "69002 Lyon"])
    );
}

#[tokio::test]
async fn values_are_checked_against_the_templates_fields() {
    let l = Letters::new().await;
    let template = l.template("convocation").await;
    let write = |values: Value| {
        let body = json!({"template_id": template, "values": values});
        let l = &l;
        async move { l.write(&l.alice, &body).await }
    };
    assert_eq!(
        refused(write(json!({"heure_entretien": "9h30", "lieu": "Ici", "autre": "x"})).await).await,
        [
            pair("/values/date_entretien", "required"),
            pair("/values/heure_entretien", "invalid_format"),
            pair("/values/autre", "unknown_field"),
        ]
    );
    assert_eq!(
        refused(
            write(
                json!({"date_entretien": "12/03/2027", "heure_entretien": "09:30",
                         "lieu": "deux\nlignes"})
            )
            .await
        )
        .await,
        [
            pair("/values/date_entretien", "invalid_format"),
            pair("/values/lieu", "invalid_character"),
        ]
    );
    assert_eq!(
        refused(
            write(
                json!({"date_entretien": "2027-03-12", "heure_entretien": "09:30",
                         "lieu": "  "})
            )
            .await
        )
        .await,
        [pair("/values/lieu", "required")]
    );
    assert_eq!(
        refused(
            write(
                json!({"date_entretien": "2027-03-12", "heure_entretien": "09:30",
                         "lieu": "x".repeat(301)})
            )
            .await
        )
        .await,
        [pair("/values/lieu", "too_long")]
    );
    let number = write(json!({"date_entretien": 12})).await;
    assert_eq!(number.status(), 422);
    // The template: the organisation's, not archived.
    let unknown = l
        .write(
            &l.alice,
            &json!({"template_id": uuid::Uuid::now_v7(), "values": {}}),
        )
        .await;
    assert_eq!(
        refused(unknown).await,
        [pair("/template_id", "unknown_reference")]
    );
    let theirs = super::templates(&l.app, &l.app.token_for("other", &["worker"], "oscar")).await[0]
        ["id"]
        .clone();
    let other = l
        .write(&l.alice, &json!({"template_id": theirs, "values": {}}))
        .await;
    assert_eq!(
        refused(other).await,
        [pair("/template_id", "unknown_reference")]
    );
    let archived = l
        .app
        .patch(
            &format!("{TEMPLATES}/{template}"),
            &l.admin,
            1,
            &json!({"archived": true}),
        )
        .await;
    assert_eq!(archived.status(), 200);
    let refused_archived = write(json!({"date_entretien": "2027-03-12",
                                        "heure_entretien": "09:30", "lieu": "Ici"}))
    .await;
    assert_eq!(
        refused(refused_archived).await,
        [pair("/template_id", "template_archived")]
    );
    let unknown_body = l
        .write(
            &l.alice,
            &json!({"template_id": template, "signature": "x"}),
        )
        .await;
    assert_problem(unknown_body, 400, "unknown_field").await;
    assert_eq!(
        l.app.count("SELECT count(*) FROM letters").await,
        0,
        "nothing refused was written"
    );
}

#[tokio::test]
async fn a_letter_goes_to_the_addressee_its_template_names() {
    let l = Letters::new().await;
    let landlord = l.template("courrier_bailleur").await;
    let attestation = l.template("attestation_suivi").await;
    let convocation = l.template("convocation").await;
    let demand =
        json!({"demande": "Je sollicite un échéancier de six mois pour la dette locative."});
    let missing = l
        .write(
            &l.alice,
            &json!({"template_id": landlord, "values": demand}),
        )
        .await;
    assert_eq!(refused(missing).await, [pair("/recipient", "required")]);
    let not_allowed = l
        .write(
            &l.alice,
            &json!({"template_id": convocation, "recipient": {"name": "Quelqu'un"},
                    "values": {"date_entretien": "2027-03-12", "heure_entretien": "09:30",
                               "lieu": "Ici"}}),
        )
        .await;
    assert_eq!(
        refused(not_allowed).await,
        [pair("/recipient", "not_allowed")]
    );
    let bad_lines = l
        .write(
            &l.alice,
            &json!({"template_id": landlord, "values": demand,
                    "recipient": {"name": "Lyon Métropole Habitat", "address": [" ", "x".repeat(121)]}}),
        )
        .await;
    assert_eq!(
        refused(bad_lines).await,
        [
            pair("/recipient/address/0", "blank"),
            pair("/recipient/address/1", "too_long"),
        ]
    );

    let to_landlord = expect(
        l.write(
            &l.alice,
            &json!({"template_id": landlord, "values": demand,
                    "recipient": {"name": "Lyon Métropole Habitat",
                                  "address": ["194 rue Duguesclin", "69003 Lyon"]}}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(to_landlord["addressee"], "third_party");
    assert_eq!(
        to_landlord["recipient"],
        json!({"name": "Lyon Métropole Habitat", "address": ["194 rue Duguesclin", "69003 Lyon"]})
    );
    assert_eq!(
        to_landlord["subject"],
        "Situation de Madame Camille Lefèvre, votre locataire"
    );
    let body = to_landlord["body"].as_str().unwrap();
    assert!(body.starts_with("Madame, Monsieur,\n\nJ'accompagne actuellement Madame Camille Lefèvre, locataire de votre logement situé 12 rue des Lilas, 69003 Lyon, dans le cadre"), "{body}");

    let attested = expect(
        l.write(&l.alice, &json!({"template_id": attestation}))
            .await,
        201,
    )
    .await;
    assert_eq!(attested["recipient"], Value::Null);
    let body = attested["body"].as_str().unwrap();
    assert!(
        body.starts_with("Je soussignée, Alice Martin, Assistante de service social (CCAS d'Acme), atteste que Madame Camille Lefèvre, née le 3 février 1980, demeurant 12 rue des Lilas, 69003 Lyon, est accompagnée par notre service depuis le "),
        "{body}"
    );

    // Nothing of the person goes to a third party while they restrict the processing.
    let sam = l.app.token("supervisor", "sam");
    let restriction = l
        .app
        .post(
            &format!("/v1/persons/{}/restrictions", l.person_id),
            &sam,
            &json!({"kind": "restriction", "reason": "Conteste l'exactitude de son adresse",
                    "requested_on": today().to_string()}),
        )
        .await;
    assert_eq!(restriction.status(), 201);
    let restricted = l
        .write(
            &l.alice,
            &json!({"template_id": landlord, "values": demand,
                    "recipient": {"name": "Lyon Métropole Habitat"}}),
        )
        .await;
    assert_problem(restricted, 409, "processing_restricted").await;
    // A letter to the person herself is still written.
    expect(
        l.write(&l.alice, &json!({"template_id": attestation}))
            .await,
        201,
    )
    .await;
}

#[tokio::test]
async fn letters_are_written_and_read_by_the_case_team_only_and_audited() {
    let l = Letters::new().await;
    let letter = l.convocation().await;
    let id = letter["id"].as_str().unwrap();
    let template = l.template("attestation_suivi").await;
    let new = json!({"template_id": template});
    for role in ["reception", "admin", "dpo"] {
        let token = l.app.token(role, role);
        assert_problem(l.write(&token, &new).await, 403, "forbidden").await;
        for path in [
            l.path(""),
            l.path(&format!("/{id}")),
            l.path(&format!("/{id}/document")),
        ] {
            assert_eq!(
                l.app.get(&path, &token).await.status(),
                403,
                "{role} {path}"
            );
        }
    }
    // A worker off the team, and another organisation, do not see the case.
    let bob = l.app.token("worker", "bob");
    let oscar = l.app.token_for("other", &["supervisor"], "oscar");
    for token in [&bob, &oscar] {
        assert_problem(l.write(token, &new).await, 404, "not_found").await;
        for path in [
            l.path(""),
            l.path(&format!("/{id}")),
            l.path(&format!("/{id}/document")),
        ] {
            assert_eq!(l.app.get(&path, token).await.status(), 404, "{path}");
        }
    }
    // A supervisor writes and reads any case's letters; an unknown letter is not found.
    let sam = l.app.token("supervisor", "sam");
    expect(l.write(&sam, &new).await, 201).await;
    assert_eq!(
        l.app
            .get(&l.path(&format!("/{}", uuid::Uuid::now_v7())), &sam)
            .await
            .status(),
        404
    );
    let other_case = l.app.create_case(&l.alice).await;
    let elsewhere = format!(
        "/v1/cases/{}/letters/{id}",
        other_case["id"].as_str().unwrap()
    );
    assert_eq!(l.app.get(&elsewhere, &l.alice).await.status(), 404);

    // Every access is audited with the person.
    l.app.get_json(&l.path(""), &l.alice).await;
    l.app.get_json(&l.path(&format!("/{id}")), &l.alice).await;
    let document = l
        .app
        .get(&l.path(&format!("/{id}/document")), &l.alice)
        .await;
    assert_eq!(document.status(), 200);
    let events: Vec<(String, String)> = l
        .app
        .audit_actions(&l.person_id)
        .await
        .into_iter()
        .filter(|(_, resource)| resource.starts_with("case.letter"))
        .collect();
    let pairs: Vec<(&str, &str)> = events
        .iter()
        .map(|(a, r)| (a.as_str(), r.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("create", "case.letter"),
            ("create", "case.letter"),
            ("read", "case.letters"),
            ("read", "case.letter"),
            ("download", "case.letter"),
        ]
    );
    let denied = l
        .app
        .count("SELECT count(*) FROM audit_events WHERE action = 'access_denied'")
        .await;
    assert!(
        denied >= 1,
        "refusals on a case of the organisation are recorded"
    );
}

#[tokio::test]
async fn an_archived_case_takes_no_letter_and_a_closed_one_does() {
    let l = Letters::new().await;
    let attestation = json!({"template_id": l.template("attestation_suivi").await});
    l.app.close_case(&l.alice, &l.case_id).await;
    let after = expect(l.write(&l.alice, &attestation).await, 201).await;
    assert!(after["body"].as_str().unwrap().contains("atteste que"));
    sqlx::query("UPDATE cases SET status = 'archived', archived_at = now() WHERE id = $1::uuid")
        .bind(&l.case_id)
        .execute(&l.app.sql)
        .await
        .unwrap();
    assert_problem(l.write(&l.alice, &attestation).await, 409, "case_archived").await;
    // Its letters are read with a reason.
    let sam = l.app.token("supervisor", "sam");
    assert_problem(l.app.get(&l.path(""), &sam).await, 400, "reason_required").await;
    let listed = l
        .app
        .get_json(&l.path("?reason=Contr%C3%B4le%20du%20dossier"), &sam)
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_retried_letter_is_written_once() {
    let l = Letters::new().await;
    let body = json!({"template_id": l.template("attestation_suivi").await,
                      "values": {"precisions": "Rendez-vous mensuels depuis janvier."}});
    let send = || {
        l.app
            .request(Method::POST, &l.path(""), &l.alice)
            .header("Idempotency-Key", "attestation-1")
            .json(&body)
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send().await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(header(&again, "idempotent-replayed"), "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(l.app.count("SELECT count(*) FROM letters").await, 1);
    assert!(
        first["body"]
            .as_str()
            .unwrap()
            .contains("\n\nRendez-vous mensuels depuis janvier.\n\n")
    );
}

#[tokio::test]
async fn the_persons_letters_are_in_the_right_of_access_export() {
    let l = Letters::new().await;
    let letter = l.convocation().await;
    let dpo = l.app.token("dpo", "dora");
    let path = format!("/v1/persons/{}/export", l.person_id);
    let export = l.app.get_json(&path, &dpo).await;
    relais_tests::assert_conforms("PersonExport", &export);
    let exported = &export["cases"][0]["letters"][0];
    assert_eq!(exported["id"], letter["id"]);
    assert_eq!(exported["subject"], letter["subject"]);
    assert_eq!(exported["body"], letter["body"]);
    assert_eq!(exported["field_values"], letter["values"]);
    assert_eq!(exported["recipient_name"], "Madame Camille Lefèvre");
    assert!(exported.get("org_id").is_none());
    let readable = l
        .app
        .request(Method::GET, &path, &dpo)
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = format!(
        "Courrier du {} : Convocation à un entretien le 12 mars 2027, adressé à Madame Camille \
         Lefèvre",
        super::french_today()
    );
    assert!(readable.contains(&line), "{line} missing from {readable}");
}

/// A person whose names take all the room they may (100 characters each) gets their letter:
/// the recipient's line (`Madame` and both names) is longer than either name.
#[tokio::test]
async fn a_person_with_the_longest_names_gets_a_letter() {
    let l = Letters::new().await;
    let first: String = "Marie-Éloïse-"
        .repeat(9)
        .chars()
        .take(99)
        .collect::<String>()
        + "e";
    let last: String = "Lefèvre-Duchâteau-"
        .repeat(6)
        .chars()
        .take(99)
        .collect::<String>()
        + "x";
    assert_eq!((first.chars().count(), last.chars().count()), (100, 100));
    let person = l
        .app
        .create_person(
            &l.alice,
            json!({"first_name": first, "last_name": last, "civility": "mme",
                   "address": {"line1": "1 rue Longue", "postcode": "69003", "city": "Lyon"}}),
        )
        .await;
    let case = l
        .app
        .open_case_for(&l.alice, person["id"].as_str().unwrap())
        .await;
    let response = l
        .app
        .post(
            &format!("/v1/cases/{}/letters", case["id"].as_str().unwrap()),
            &l.alice,
            &json!({
                "template_id": l.template("convocation").await,
                "values": {"date_entretien": "2027-03-12", "heure_entretien": "09:30",
                           "lieu": "CCAS"}
            }),
        )
        .await;
    let letter = expect(response, 201).await;
    assert!(
        letter["recipient"]["name"]
            .as_str()
            .unwrap()
            .starts_with("Madame Marie-Éloïse"),
        "{letter}"
    );
}
