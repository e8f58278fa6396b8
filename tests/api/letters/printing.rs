//! A letter's document: printable HTML by default, a PDF with extractable text on `Accept`
//! (the person's name, the rendered subject and body, the date in French), 406 otherwise;
//! nothing a value holds becomes markup.

use relais_tests::{assert_problem, header, pdf_text, today};

use super::french_today;
use serde_json::json;

use super::expect;
use super::writing::Letters;

#[tokio::test]
async fn a_letter_prints_as_a_pdf_with_its_text() {
    let l = Letters::new().await;
    let letter = l.convocation().await;
    let path = l.path(&format!("/{}/document", letter["id"].as_str().unwrap()));
    let response = l
        .app
        .request(reqwest::Method::GET, &path, &l.alice)
        .header("Accept", "application/pdf")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), "application/pdf");
    assert_eq!(
        header(&response, "content-disposition"),
        format!("inline; filename=\"courrier-{}.pdf\"", today())
    );
    assert_eq!(header(&response, "cache-control"), "private, no-store");
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let text = pdf_text(&bytes);
    // pdftotext keeps the lines of the layout: compare words.
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for part in [
        "CCAS d'Acme",
        "Madame Camille Lefèvre",
        "12 rue des Lilas",
        "69003 Lyon",
        "Alice Martin",
        "Assistante de service social",
        &format!("Le {}", french_today()),
        "Objet : Convocation à un entretien le 12 mars 2027",
        "Je vous propose un entretien le 12 mars 2027 à 9 h 30",
        "Avis d'imposition",
        "Quittance de loyer",
        "l'expression de mes salutations distinguées.",
    ] {
        assert!(words.contains(part), "{part} missing from {text}");
    }
}

#[tokio::test]
async fn the_html_escapes_every_value_and_other_media_types_are_not_acceptable() {
    let l = Letters::new().await;
    let body = json!({
        "template_id": l.template("convocation").await,
        "values": {"date_entretien": "2027-03-12", "heure_entretien": "09:30",
                   "lieu": "<script>alert('lieu')</script>",
                   "objet": "{{ person.nir }} & <b>gras</b>"}
    });
    let letter = expect(l.write(&l.alice, &body).await, 201).await;
    let path = l.path(&format!("/{}/document", letter["id"].as_str().unwrap()));
    let response = l.app.get(&path, &l.alice).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        "text/html; charset=utf-8"
    );
    let page = response.text().await.unwrap();
    assert!(
        !page.contains("<script>") && !page.contains("<b>"),
        "{page}"
    );
    assert!(page.contains("&lt;script&gt;alert("), "{page}");
    assert!(
        page.contains("{{ person.nir }} &amp; &lt;b&gt;gras"),
        "{page}"
    );
    assert!(page.contains("Objet : Convocation à un entretien le 12 mars 2027"));
    assert!(page.contains(&format!("Le {}", french_today())), "{page}");

    let refused = l
        .app
        .request(reqwest::Method::GET, &path, &l.alice)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_problem(refused, 406, "not_acceptable").await;
}

/// A letter carries the letterhead as it was when sent — its text kept with the letter, dated
/// from the organisation's city — and the organisation's logo.
#[tokio::test]
async fn a_letter_carries_the_letterhead_it_was_sent_under() {
    let l = Letters::new().await;
    crate::support::letterhead::install(&l.app).await;
    let letter = l.convocation().await;
    let path = l.path(&format!("/{}/document", letter["id"].as_str().unwrap()));
    let pdf = || {
        let request = l
            .app
            .request(reqwest::Method::GET, &path, &l.alice)
            .header("Accept", "application/pdf");
        async move { request.send().await.unwrap().bytes().await.unwrap() }
    };
    let bytes = pdf().await;
    crate::support::letterhead::assert_in_pdf(&bytes);
    let words = pdf_text(&bytes)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        words.contains(&format!("À Villeurbanne, le {}", french_today())),
        "{words}"
    );
    let page = l.app.get(&path, &l.alice).await.text().await.unwrap();
    crate::support::letterhead::assert_in_html(&page);

    // The profile changes afterwards: the letter is reprinted as it was sent.
    let admin = l.app.token("admin", "adele");
    let changed = l
        .app
        .put(
            "/v1/organisation/profile",
            &admin,
            Some("*"),
            &json!({"name": "CCAS renommé", "city": "Lyon"}),
        )
        .await;
    assert_eq!(changed.status(), 200);
    let again = pdf_text(&pdf().await);
    assert!(
        again.contains(crate::support::letterhead::STREET),
        "{again}"
    );
    assert!(!again.contains("CCAS renommé"), "{again}");
    // A new letter takes the new profile, and a merge field reads it.
    let newer = l.convocation().await;
    assert_eq!(newer["organisation"], "CCAS renommé");
}
