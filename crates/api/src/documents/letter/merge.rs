//! The merge fields of letter templates: what a template may print of the person, the
//! recipient, the sender, the organisation, the case and the day, and the values the worker
//! gave (`values.<name>`).
//!
//! Every merge field is text, empty when it is not known, so that `{% if person.birth_date %}`
//! reads naturally and nothing prints `none`. [`MERGE_FIELDS`] lists them with what each holds:
//! the sandbox accepts exactly those paths (a test checks that [`MergeData`] has them all and
//! nothing else), and the document's description of the templates quotes the same list.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};
use relais_domain::Civility;
use relais_domain::letter::{FieldValue, LetterField, LetterFieldKind};
use relais_store::cases::CaseRecord;
use relais_store::letters::Recipient;
use relais_store::persons::PersonRecord;
use serde::Serialize;

use crate::documents::{DocumentReferent, french};

/// Every merge field a template may use besides `values.<name>`, with what it holds.
pub const MERGE_FIELDS: &[(&str, &str)] = &[
    (
        "person.civility",
        "`Madame` or `Monsieur`, empty when not recorded",
    ),
    (
        "person.salutation",
        "how a letter greets the person: `Madame`, `Monsieur`, or `Madame, Monsieur` when the \
         civility is not recorded",
    ),
    (
        "person.e",
        "the feminine agreement: `e` for Madame, nothing for Monsieur, `·e` when not recorded \
         (`accompagné{{ person.e }}`)",
    ),
    ("person.first_name", "first name"),
    ("person.last_name", "last name"),
    (
        "person.full_name",
        "civility (when recorded), first and last name: `Madame Camille Lefèvre`",
    ),
    (
        "person.birth_date",
        "birth date in French words (`3 février 1980`), empty when not recorded",
    ),
    ("person.address", "postal address, one line per line"),
    (
        "person.address_inline",
        "postal address on one line: `12 rue des Lilas, 69003 Lyon`",
    ),
    (
        "recipient.name",
        "the letter's recipient: the person (`person.full_name`), the third party named when \
         writing, or empty for a letter to nobody",
    ),
    (
        "recipient.address",
        "the recipient's address, one line per line",
    ),
    (
        "referent.display_name",
        "the sender: the case's referent, or the letter's author when the case has none",
    ),
    (
        "referent.job_title",
        "the sender's role as documents print it: their job title, else `Travailleuse sociale`, \
         `Travailleur social` or `Professionnel·le de l'accompagnement`",
    ),
    ("referent.civility", "`Madame`, `Monsieur`, or empty"),
    (
        "referent.e",
        "the sender's feminine agreement, as `person.e`",
    ),
    (
        "referent.email",
        "the sender's e-mail, empty when not given",
    ),
    ("referent.phone", "the sender's phone, empty when not given"),
    (
        "organisation.name",
        "the organisation's name, as its letterhead prints it",
    ),
    (
        "organisation.address",
        "the organisation's postal address, one line per line (from its profile)",
    ),
    (
        "organisation.city",
        "the organisation's city, empty when its profile has none",
    ),
    (
        "organisation.phone",
        "the organisation's phone, empty when its profile has none",
    ),
    (
        "organisation.email",
        "the organisation's e-mail, empty when its profile has none",
    ),
    ("case.reason", "the case's reason for contact"),
    (
        "case.opened_on",
        "the day the case was opened, in French words",
    ),
    ("today", "the letter's date in French words: `12 mars 2027`"),
];

/// Everything a template renders from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergeData {
    pub person: PersonFields,
    pub recipient: RecipientFields,
    pub referent: ReferentFields,
    pub organisation: OrganisationFields,
    pub case: CaseFields,
    pub today: String,
    /// Each declared field's value, printed (a date in French words, a time `9 h 30`); an
    /// optional field without a value is empty.
    pub values: BTreeMap<String, String>,
}

/// The person the case is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonFields {
    pub civility: String,
    pub salutation: String,
    pub e: String,
    pub first_name: String,
    pub last_name: String,
    pub full_name: String,
    pub birth_date: String,
    pub address: String,
    pub address_inline: String,
}

/// The letter's recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecipientFields {
    pub name: String,
    pub address: String,
}

/// The sender (the case's referent, or the author).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferentFields {
    pub display_name: String,
    pub job_title: String,
    pub civility: String,
    pub e: String,
    pub email: String,
    pub phone: String,
}

/// The organisation, from its letterhead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrganisationFields {
    pub name: String,
    pub address: String,
    pub city: String,
    pub phone: String,
    pub email: String,
}

impl OrganisationFields {
    fn of(profile: &relais_store::profiles::Profile) -> Self {
        let given = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or_default().to_owned();
        Self {
            name: profile.name.trim().to_owned(),
            address: crate::documents::letterhead::organisation_address(profile).join("\n"),
            city: given(&profile.city),
            phone: given(&profile.phone),
            email: given(&profile.email),
        }
    }
}

/// The case the letter is written in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseFields {
    pub reason: String,
    pub opened_on: String,
}

fn civility_label(civility: Option<Civility>) -> String {
    civility
        .map(|c| c.label_fr().to_owned())
        .unwrap_or_default()
}

/// The feminine agreement of a word about someone of this civility.
fn agreement(civility: Option<Civility>) -> &'static str {
    match civility {
        Some(Civility::Mme) => "e",
        Some(Civility::M) => "",
        None => "·e",
    }
}

/// `Madame Camille Lefèvre`, or `Camille Lefèvre` when the civility is not recorded.
pub fn full_name(civility: Option<Civility>, first_name: &str, last_name: &str) -> String {
    let names = format!("{} {}", first_name.trim(), last_name.trim());
    match civility {
        Some(c) => format!("{} {names}", c.label_fr()),
        None => names,
    }
}

/// A time of day as French writes it: `9 h 30`.
pub fn time(t: NaiveTime) -> String {
    use chrono::Timelike;
    format!("{} h {:02}", t.hour(), t.minute())
}

/// A value as a template prints it.
fn printed(value: &FieldValue) -> String {
    match value {
        FieldValue::Text(text) => text.clone(),
        FieldValue::Date(date) => french::date(*date),
        FieldValue::Time(t) => time(*t),
    }
}

/// The values of `fields` as a template prints them: each declared field, empty when it has no
/// value.
pub fn printed_values(
    fields: &[LetterField],
    values: &BTreeMap<String, FieldValue>,
) -> BTreeMap<String, String> {
    fields
        .iter()
        .map(|f| {
            let value = values.get(&f.name).map(printed).unwrap_or_default();
            (f.name.clone(), value)
        })
        .collect()
}

impl ReferentFields {
    /// The sender as documents name them.
    pub fn of(sender: &DocumentReferent) -> Self {
        let given = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or_default().to_owned();
        ReferentFields {
            display_name: sender.name.trim().to_owned(),
            job_title: sender.role(),
            civility: civility_label(sender.civility),
            e: agreement(sender.civility).to_owned(),
            email: given(&sender.email),
            phone: given(&sender.phone),
        }
    }
}

/// What a letter is written from, gathered by the caller.
pub struct Sources<'a> {
    pub person: &'a PersonRecord,
    pub case: &'a CaseRecord,
    pub sender: &'a DocumentReferent,
    pub organisation: &'a relais_store::profiles::Profile,
    /// None for a letter to nobody.
    pub recipient: Option<&'a Recipient>,
    pub today: NaiveDate,
    /// The printed values of every declared field ([`printed_values`]).
    pub values: BTreeMap<String, String>,
}

impl MergeData {
    /// The merge fields of a letter.
    pub fn new(s: Sources<'_>) -> Self {
        let civility = s.person.civility.map(|c| c.into_inner());
        let address = super::super::postal_address(s.person);
        MergeData {
            person: PersonFields {
                civility: civility_label(civility),
                salutation: civility
                    .map_or("Madame, Monsieur", |c| c.label_fr())
                    .to_owned(),
                e: agreement(civility).to_owned(),
                first_name: s.person.first_name.trim().to_owned(),
                last_name: s.person.last_name.trim().to_owned(),
                full_name: full_name(civility, &s.person.first_name, &s.person.last_name),
                birth_date: s.person.birth_date.map(french::date).unwrap_or_default(),
                address: address.join("\n"),
                address_inline: address.join(", "),
            },
            recipient: RecipientFields {
                name: s.recipient.map(|r| r.name.clone()).unwrap_or_default(),
                address: s
                    .recipient
                    .map(|r| r.address.join("\n"))
                    .unwrap_or_default(),
            },
            referent: ReferentFields::of(s.sender),
            organisation: OrganisationFields::of(s.organisation),
            case: CaseFields {
                reason: s.case.reason.trim().to_owned(),
                opened_on: french::date(s.case.opened_on),
            },
            today: french::date(s.today),
            values: s.values,
        }
    }

    /// Plausible data for every merge field and every declared field: what a template is
    /// rendered with when it is saved, to find what fails only when it runs.
    pub fn sample(fields: &[LetterField]) -> Self {
        let sample = |field: &LetterField| match field.kind {
            LetterFieldKind::Text => "Exemple de texte".to_owned(),
            LetterFieldKind::LongText => "Premier exemple de ligne\nSecond exemple".to_owned(),
            LetterFieldKind::Date => "12 mars 2027".to_owned(),
            LetterFieldKind::Time => "9 h 30".to_owned(),
        };
        MergeData {
            person: PersonFields {
                civility: "Madame".into(),
                salutation: "Madame".into(),
                e: "e".into(),
                first_name: "Camille".into(),
                last_name: "Lefèvre".into(),
                full_name: "Madame Camille Lefèvre".into(),
                birth_date: "3 février 1980".into(),
                address: "12 rue des Lilas\n69003 Lyon".into(),
                address_inline: "12 rue des Lilas, 69003 Lyon".into(),
            },
            recipient: RecipientFields {
                name: "Madame Camille Lefèvre".into(),
                address: "12 rue des Lilas\n69003 Lyon".into(),
            },
            referent: ReferentFields {
                display_name: "Jeanne Martin".into(),
                job_title: "Assistante de service social".into(),
                civility: "Madame".into(),
                e: "e".into(),
                email: "jeanne.martin@ccas.example".into(),
                phone: "04 72 00 00 00".into(),
            },
            organisation: OrganisationFields {
                name: "CCAS de Lyon".into(),
                address: "Hôtel de ville\n1 place de la Comédie\n69001 Lyon".into(),
                city: "Lyon".into(),
                phone: "04 72 00 00 00".into(),
                email: "ccas@lyon.example".into(),
            },
            case: CaseFields {
                reason: "Difficultés pour payer le loyer".into(),
                opened_on: "5 janvier 2027".into(),
            },
            today: "12 mars 2027".into(),
            values: fields.iter().map(|f| (f.name.clone(), sample(f))).collect(),
        }
    }
}

/// Whether `path` (as the sandbox lists a template's variables: `person.last_name`,
/// `values.lieu`) is a merge field or a field of `fields`.
pub fn is_known(path: &str, fields: &[LetterField]) -> bool {
    match path.strip_prefix("values.") {
        Some(name) => fields.iter().any(|f| f.name == name),
        None => MERGE_FIELDS.iter().any(|(known, _)| *known == path),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The dotted paths of every string of a JSON value.
    fn paths(value: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    let path = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    paths(value, &path, out);
                }
            }
            _ => out.push(prefix.to_owned()),
        }
    }

    #[test]
    fn the_merge_data_has_exactly_the_documented_fields() {
        let field = LetterField {
            name: "lieu".into(),
            label: "Lieu".into(),
            kind: LetterFieldKind::Text,
            required: true,
        };
        let data = serde_json::to_value(MergeData::sample(std::slice::from_ref(&field))).unwrap();
        let mut found = Vec::new();
        paths(&data, "", &mut found);
        found.sort();
        let mut documented: Vec<String> = MERGE_FIELDS
            .iter()
            .map(|(p, _)| (*p).to_owned())
            .chain(["values.lieu".to_owned()])
            .collect();
        documented.sort();
        assert_eq!(found, documented);
        for path in &found {
            assert!(is_known(path, std::slice::from_ref(&field)), "{path}");
        }
        assert!(!is_known("values.autre", &[field]));
        assert!(!is_known("person", &[]));
        assert!(!is_known("person.nir", &[]));
    }

    #[test]
    fn names_agree_with_the_civility() {
        assert_eq!(
            full_name(Some(Civility::Mme), " Camille ", "Lefèvre"),
            "Madame Camille Lefèvre"
        );
        assert_eq!(full_name(None, "Camille", "Lefèvre"), "Camille Lefèvre");
        assert_eq!(agreement(Some(Civility::M)), "");
        assert_eq!(agreement(None), "·e");
        assert_eq!(time(NaiveTime::from_hms_opt(9, 5, 0).unwrap()), "9 h 05");
    }
}
