#![allow(clippy::unwrap_used)]

use relais_domain::letter::{LetterField, LetterFieldKind, STARTERS};

use super::merge::MergeData;
use super::sandbox::{FILTERS, Part, check, render, tidy};
use super::*;

fn letter() -> LetterDocument {
    LetterDocument {
        letterhead: crate::documents::letterhead::Letterhead::named("CCAS d'Acme <b>"),
        title: "Convocation à un entretien".into(),
        sender: LetterSender {
            name: "Jeanne \"Martin\"".into(),
            role: "Assistante de service social".into(),
            email: Some("jeanne.martin@acme.example".into()),
            phone: Some("04 72 00 00 00".into()),
        },
        recipient: Some(LetterRecipient {
            name: "Madame Camille Lefèvre & fils".into(),
            address: vec!["12 rue des <i>Lilas</i>".into(), "69003 Lyon".into()],
        }),
        date: NaiveDate::from_ymd_opt(2027, 3, 12).unwrap(),
        subject: "Convocation <script>alert(1)</script>".into(),
        body: "Madame,\n\nPremière ligne\nSeconde ligne d'un paragraphe\n\n\
               <img src=x onerror=alert(1)> {{ person.nir }}\n\nJe vous prie d'agréer…"
            .into(),
    }
}

fn field(name: &str, kind: LetterFieldKind, required: bool) -> LetterField {
    LetterField {
        name: name.into(),
        label: "Libellé".into(),
        kind,
        required,
    }
}

/// The codes and parts of what `check` finds in a body (the subject being fine).
fn body_problems(body: &str, fields: &[LetterField]) -> Vec<(&'static str, String)> {
    check("Objet", body, fields)
        .into_iter()
        .map(|p| {
            assert_eq!(p.part, Part::Body);
            (p.code, p.message)
        })
        .collect()
}

#[test]
fn the_page_lays_out_every_part_of_the_letter() {
    let page = html(&letter());
    assert!(page.starts_with("<!doctype html>"), "{page}");
    for part in [
        "Le 12 mars 2027",
        "Objet : Convocation",
        "Assistante de service social",
        "Tél. : 04 72 00 00 00",
        "69003 Lyon",
        "Première ligne\nSeconde ligne",
        "Je vous prie d&#x27;agréer…",
    ] {
        assert!(page.contains(part), "{part} missing from {page}");
    }
    assert!(page.matches("<p>").count() >= 3, "{page}");
}

#[test]
fn every_value_of_the_letter_is_escaped() {
    let page = html(&letter());
    for markup in ["<script>", "<b>", "<i>", "<img"] {
        assert!(!page.contains(markup), "{markup} in {page}");
    }
    for escaped in [
        "CCAS d&#x27;Acme &lt;b&gt;",
        "Jeanne &quot;Martin&quot;",
        "Camille Lefèvre &amp; fils",
        "12 rue des &lt;i&gt;Lilas&lt;&#x2f;i&gt;",
        "Convocation &lt;script&gt;",
        "&lt;img src=x onerror=alert(1)&gt;",
        // Printed as written: the body is text, not a template.
        "{{ person.nir }}",
    ] {
        assert!(page.contains(escaped), "{escaped} missing from {page}");
    }
}

#[test]
fn a_pdf_is_produced_and_a_place_goes_before_the_date() {
    let bytes = pdf(&letter()).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let mut long = letter();
    long.body = "Un paragraphe assez long pour remplir des lignes. ".repeat(40) + "\n\n";
    long.body = long.body.repeat(8);
    long.recipient = None;
    long.letterhead.city = Some("Lyon".into());
    assert_eq!(long.date_line(), "À Lyon, le 12 mars 2027");
    assert!(pdf(&long).unwrap().starts_with(b"%PDF-"));
}

#[test]
fn blank_lines_separate_paragraphs() {
    assert_eq!(
        letter().paragraphs()[1],
        ["Première ligne", "Seconde ligne d'un paragraphe"]
    );
    assert_eq!(letter().paragraphs().len(), 4);
}

#[test]
fn every_starter_checks_and_renders_with_sample_and_sparse_data() {
    for starter in STARTERS {
        let fields = starter.fields();
        assert_eq!(
            check(starter.subject, starter.body, &fields),
            [],
            "{}",
            starter.key
        );
        let data = MergeData::sample(&fields);
        let body = render(Part::Body, starter.body, &data).unwrap();
        assert!(!body.contains("{{") && !body.contains("{%"), "{body}");
        assert!(!body.contains("\n\n\n"), "{}: {body}", starter.key);
        assert!(
            body.contains("salutations distinguées") || body.contains("ce que de droit"),
            "{body}"
        );
        // Nothing but what is required: the optional paragraphs go, and no blank line stays.
        let mut sparse = data.clone();
        for f in &fields {
            if !f.required {
                sparse.values.insert(f.name.clone(), String::new());
            }
        }
        sparse.person.birth_date.clear();
        sparse.person.address_inline.clear();
        sparse.referent.email.clear();
        sparse.referent.phone.clear();
        let body = render(Part::Body, starter.body, &sparse).unwrap();
        assert!(
            !body.contains("  ") && !body.contains(" ,"),
            "{}: {body}",
            starter.key
        );
        let subject = render(Part::Subject, starter.subject, &sparse).unwrap();
        assert!(!subject.is_empty() && !subject.contains('\n'));
    }
}

#[test]
fn the_convocation_reads_as_a_letter() {
    let convocation = &STARTERS[0];
    let mut data = MergeData::sample(&convocation.fields());
    data.values.insert("objet".into(), String::new());
    data.values.insert("documents".into(), String::new());
    let body = render(Part::Body, convocation.body, &data).unwrap();
    assert_eq!(
        body,
        "Madame,\n\nJe vous propose un entretien le 12 mars 2027 à 9 h 30, à l'adresse \
         suivante : Exemple de texte.\n\nSi vous n'étiez pas disponible à cette date, je vous \
         remercie de bien vouloir me prévenir dès que possible au 04 72 00 00 00 ou par courriel \
         à jeanne.martin@ccas.example, afin que nous convenions ensemble d'un autre \
         rendez-vous.\n\nJe vous prie d'agréer, Madame, l'expression de mes salutations \
         distinguées."
    );
}

#[test]
fn no_file_can_be_reached_from_a_template() {
    for source in [
        "{% include \"/etc/passwd\" %}",
        "{% import \"x\" as y %}",
        "{% extends \"../Cargo.toml\" %}",
        "{% from \"x\" import y %}",
        "{% block content %}x{% endblock %}",
    ] {
        let found = body_problems(source, &[]);
        assert_eq!(found.len(), 1, "{source}");
        assert_eq!(found[0].0, "template_syntax", "{source}: {found:?}");
        assert!(found[0].1.starts_with("line 1: syntax error"), "{found:?}");
    }
}

#[test]
fn syntax_errors_name_their_line() {
    let found = check("Objet {{ ", "Madame,\n\n{% if %}", &[]);
    assert_eq!(found.len(), 2);
    assert_eq!(
        (found[0].part, found[0].code),
        (Part::Subject, "template_syntax")
    );
    assert_eq!(
        (found[1].part, found[1].code),
        (Part::Body, "template_syntax")
    );
    assert!(found[1].message.starts_with("line 3:"), "{found:?}");
}

#[test]
fn only_merge_fields_and_declared_fields_are_read() {
    let fields = [field("lieu", LetterFieldKind::Text, true)];
    assert_eq!(
        body_problems(
            "{{ person.last_name }} {{ values.lieu }} {{ today }}",
            &fields
        ),
        []
    );
    let found = body_problems(
        "{{ values.heure }} {{ person.nir }} {{ person }} {{ env }} {{ range(3) }} \
         {{ values.lieu.x }}",
        &fields,
    );
    let names: Vec<_> = found
        .iter()
        .map(|(code, message)| {
            assert_eq!(*code, "unknown_merge_field");
            message.split(' ').next().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        names,
        [
            "env",
            "person",
            "person.nir",
            "range",
            "values.heure",
            "values.lieu.x"
        ]
    );
    // Variables of the template's own are not merge fields.
    assert_eq!(
        body_problems(
            "{% set n = person.last_name | upper %}{{ n }}{% for c in person.first_name %}\
             {{ loop.index }}{{ c }}{% endfor %}",
            &fields
        ),
        []
    );
}

#[test]
fn endless_work_and_recursion_stop_with_an_error() {
    let loops = "{% set s = \"x\" * 1000 %}{% for a in s %}{% for b in s %}{% for c in s %}.\
                 {% endfor %}{% endfor %}{% endfor %}";
    let started = std::time::Instant::now();
    let found = body_problems(loops, &[]);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "template_error");
    assert!(found[0].1.contains("too much work"), "{found:?}");
    let recursive = "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}";
    let found = body_problems(recursive, &[]);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "template_error");
    assert!(found[0].1.contains("recursion"), "{found:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // A big text is refused by its length, before it is stored.
    let found = body_problems("{{ \"x\" * 60001 }}", &[]);
    assert_eq!(found[0].0, "too_long", "{found:?}");
}

#[test]
fn only_the_listed_filters_exist_and_nothing_of_the_server_is_reachable() {
    for filter in FILTERS {
        let call = if *filter == "replace" {
            "replace(\"è\", \"e\")".to_owned()
        } else {
            (*filter).to_owned()
        };
        let source = format!("{{{{ person.last_name | {call} }}}}");
        assert_eq!(body_problems(&source, &[]), [], "{source}");
    }
    for source in [
        "{{ person.last_name | tojson }}",
        "{{ person.last_name | safe }}",
        "{{ debug() }}",
        "{{ namespace() }}",
        "{{ self }}",
    ] {
        let found = body_problems(source, &[]);
        assert_eq!(found.len(), 1, "{source}: {found:?}");
        assert!(
            ["template_error", "unknown_merge_field"].contains(&found[0].0),
            "{source}: {found:?}"
        );
    }
}

#[test]
fn a_value_is_printed_as_written_never_evaluated() {
    let fields = [field("note", LetterFieldKind::LongText, false)];
    let mut data = MergeData::sample(&fields);
    data.values.insert(
        "note".into(),
        "{{ person.nir }} {% include \"/etc/passwd\" %} <b>".into(),
    );
    assert_eq!(
        render(Part::Body, "Note : {{ values.note }}", &data).unwrap(),
        "Note : {{ person.nir }} {% include \"/etc/passwd\" %} <b>"
    );
}

#[test]
fn rendered_text_is_tidied() {
    assert_eq!(
        tidy(Part::Subject, "  Convocation\n  le 12   mars "),
        "Convocation le 12 mars"
    );
    assert_eq!(
        tidy(Part::Body, "\n\nMadame,  \n\n\n\nTexte\nsuite \n\n"),
        "Madame,\n\nTexte\nsuite"
    );
}
