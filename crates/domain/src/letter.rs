//! Letters (*courriers*): the organisation's letter templates, the fields a worker fills in when
//! writing a letter from one, and the French starter set every organisation begins with.
//!
//! A template has a name, a subject and a body written in a small template language (the API's
//! sandbox renders them), an addressee ([`Addressee`]: the person, a third party named when the
//! letter is written, or nobody, for an attestation), and declared [`LetterField`]s: what the
//! worker fills in, each exposed to the template as `values.<name>`. [`check_fields`] checks a
//! template's fields; [`check_values`] checks what a worker gives for them, into
//! [`FieldValue`]s. The texts of the starter set are in [`starters`].

pub mod starters;

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::eligibility::Issue;

pub use starters::{STARTERS, Starter, StarterField};

/// Longest template name, in characters.
pub const MAX_NAME_CHARS: usize = 120;
/// Longest subject template, in characters.
pub const MAX_SUBJECT_CHARS: usize = 300;
/// Longest body template, in characters.
pub const MAX_BODY_CHARS: usize = 20_000;
/// Most fields a template declares.
pub const MAX_FIELDS: usize = 20;
/// Longest field name, in characters.
pub const MAX_FIELD_NAME_CHARS: usize = 40;
/// Longest field label, in characters.
pub const MAX_LABEL_CHARS: usize = 120;
/// Longest value of a `text` field, in characters.
pub const MAX_TEXT_CHARS: usize = 300;
/// Longest value of a `long_text` field, in characters.
pub const MAX_LONG_TEXT_CHARS: usize = 5_000;
/// Longest rendered subject, in characters.
pub const MAX_RENDERED_SUBJECT_CHARS: usize = 500;
/// Longest rendered body, in characters.
pub const MAX_RENDERED_BODY_CHARS: usize = 60_000;

crate::coded_enum! {
    /// What a field of a letter template asks the worker for.
    pub enum LetterFieldKind in "letter_field_kind" {
        /// One line of text (a place, a reference), at most 300 characters.
        Text => "text" { fr: "Texte court", en: "Short text" },
        /// Paragraphs (a list of documents, a request), at most 5,000 characters.
        LongText => "long_text" { fr: "Texte long", en: "Long text" },
        /// A date (`YYYY-MM-DD`), printed in French words: `12 mars 2027`.
        Date => "date" { fr: "Date", en: "Date" },
        /// A time of day (`HH:MM`), printed the French way: `9 h 30`.
        Time => "time" { fr: "Heure", en: "Time" },
    }
}

crate::coded_enum! {
    /// To whom a letter written from a template is addressed: the recipient block it prints.
    pub enum Addressee in "letter_addressee" {
        /// The person supported: their name and address, as recorded when the letter is written.
        Person => "person" { fr: "La personne accompagnée", en: "The person supported" },
        /// Someone else (a landlord, an institution), named when the letter is written.
        ThirdParty => "third_party" {
            fr: "Un tiers (bailleur, organisme…), indiqué à la rédaction",
            en: "A third party (landlord, institution…), named when writing"
        },
        /// Nobody: a document handed to the person (an attestation).
        Nobody => "none" {
            fr: "Sans destinataire (attestation remise à la personne)",
            en: "No addressee (an attestation handed to the person)"
        },
    }
}

/// A field a template declares: what the worker fills in when writing a letter from it,
/// exposed to the template as `values.<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterField {
    /// `snake_case`: a lowercase letter, then lowercase letters, digits and `_` (40 at most).
    pub name: String,
    /// What the worker is asked, in French (120 characters at most).
    pub label: String,
    pub kind: LetterFieldKind,
    /// Whether a letter needs a value for it (an optional field left out is empty).
    pub required: bool,
}

/// Whether `name` is a valid field name: `snake_case`, 1 to 40 characters.
pub fn is_field_name(name: &str) -> bool {
    (1..=MAX_FIELD_NAME_CHARS).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn issue(pointer: impl Into<String>, code: &'static str, message: impl Into<String>) -> Issue {
    Issue {
        pointer: pointer.into(),
        code,
        message: message.into(),
    }
}

/// The problems of a template's declared fields, pointing into the list (`/2/name`): a name
/// that is not `snake_case`, a name declared twice, a blank or too long label, too many
/// fields. Empty when the fields are fine.
pub fn check_fields(fields: &[LetterField]) -> Vec<Issue> {
    if fields.len() > MAX_FIELDS {
        return vec![issue(
            "",
            "too_many",
            format!("a template declares at most {MAX_FIELDS} fields"),
        )];
    }
    let mut issues = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        if !is_field_name(&field.name) {
            issues.push(issue(
                format!("/{i}/name"),
                "invalid_format",
                format!(
                    "a field name is snake_case: a lowercase letter, then lowercase letters, \
                     digits and _ ({MAX_FIELD_NAME_CHARS} characters at most)"
                ),
            ));
        } else if fields[..i].iter().any(|f| f.name == field.name) {
            issues.push(issue(
                format!("/{i}/name"),
                "duplicate",
                format!("the field {} is declared twice", field.name),
            ));
        }
        if field.label.trim().is_empty() {
            issues.push(issue(format!("/{i}/label"), "blank", "must not be blank"));
        } else if field.label.chars().count() > MAX_LABEL_CHARS {
            issues.push(issue(
                format!("/{i}/label"),
                "too_long",
                format!("at most {MAX_LABEL_CHARS} characters"),
            ));
        }
    }
    issues
}

/// A value a worker gave for a field, checked against its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    /// A `text` or `long_text` value, trimmed (line breaks as `\n`).
    Text(String),
    Date(NaiveDate),
    Time(NaiveTime),
}

impl FieldValue {
    /// The value as it was given, normalised (`2027-03-12`, `09:30`, the trimmed text): what
    /// the letter stores.
    pub fn as_given(&self) -> String {
        match self {
            FieldValue::Text(text) => text.clone(),
            FieldValue::Date(date) => date.format("%Y-%m-%d").to_string(),
            FieldValue::Time(time) => time.format("%H:%M").to_string(),
        }
    }
}

/// Checks the values a worker gives for a template's fields, by field name: every value names a
/// declared field (`unknown_field`), every required field has a value that is not blank
/// (`required`), a text fits its kind (`too_long`; a `text` holds no line break,
/// `invalid_character`), a date is `YYYY-MM-DD` and a time `HH:MM` (`invalid_format`). A blank
/// value of an optional field counts as absent. The issues point at `/<name>`.
///
/// # Errors
/// Every [`Issue`] found, in the order of the fields, unknown names last.
pub fn check_values(
    fields: &[LetterField],
    given: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, FieldValue>, Vec<Issue>> {
    let mut issues = Vec::new();
    let mut values = BTreeMap::new();
    for field in fields {
        let pointer = format!("/{}", field.name);
        let raw = given
            .get(&field.name)
            .map(|v| v.replace("\r\n", "\n").replace('\r', "\n"))
            .filter(|v| !v.trim().is_empty());
        let Some(raw) = raw else {
            if field.required {
                issues.push(issue(
                    pointer,
                    "required",
                    format!("the letter needs a value for {}", field.name),
                ));
            }
            continue;
        };
        match value(field.kind, raw.trim()) {
            Ok(value) => {
                values.insert(field.name.clone(), value);
            }
            Err((code, message)) => issues.push(issue(pointer, code, message)),
        }
    }
    for name in given.keys() {
        if !fields.iter().any(|f| &f.name == name) {
            issues.push(issue(
                format!("/{}", crate::text::pointer_token(name)),
                "unknown_field",
                "the template declares no such field",
            ));
        }
    }
    if issues.is_empty() {
        Ok(values)
    } else {
        Err(issues)
    }
}

/// A trimmed, non-blank value read as `kind`; the code and message of its refusal otherwise.
fn value(kind: LetterFieldKind, raw: &str) -> Result<FieldValue, (&'static str, String)> {
    let text = |max: usize, lines: bool| {
        if raw.chars().count() > max {
            return Err(("too_long", format!("at most {max} characters")));
        }
        if raw
            .chars()
            .any(|c| c.is_control() && !(lines && (c == '\n' || c == '\t')))
        {
            return Err((
                "invalid_character",
                if lines {
                    "no control character but line breaks and tabs".to_owned()
                } else {
                    "one line of text: no line break or control character".to_owned()
                },
            ));
        }
        Ok(FieldValue::Text(raw.to_owned()))
    };
    match kind {
        LetterFieldKind::Text => text(MAX_TEXT_CHARS, false),
        LetterFieldKind::LongText => text(MAX_LONG_TEXT_CHARS, true),
        LetterFieldKind::Date => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .ok()
            .filter(|_| raw.len() == 10)
            .map(FieldValue::Date)
            .ok_or(("invalid_format", "a date is written YYYY-MM-DD".to_owned())),
        LetterFieldKind::Time => NaiveTime::parse_from_str(raw, "%H:%M")
            .ok()
            .filter(|_| raw.len() == 5)
            .map(FieldValue::Time)
            .ok_or(("invalid_format", "a time is written HH:MM".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn field(name: &str, kind: LetterFieldKind, required: bool) -> LetterField {
        LetterField {
            name: name.into(),
            label: "Libellé".into(),
            kind,
            required,
        }
    }

    fn given(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn codes(issues: &[Issue]) -> Vec<(&str, &str)> {
        issues
            .iter()
            .map(|i| (i.pointer.as_str(), i.code))
            .collect()
    }

    #[test]
    fn an_unknown_value_is_pointed_at_as_its_own_key() {
        let issues = check_values(&[], &given(&[("a/b~c", "x")])).unwrap_err();
        assert_eq!(codes(&issues), [("/a~1b~0c", "unknown_field")]);
    }

    #[test]
    fn field_names_are_snake_case_identifiers() {
        for good in ["date", "date_entretien", "piece_2", "a"] {
            assert!(is_field_name(good), "{good}");
        }
        for bad in [
            "",
            "Date",
            "2e_date",
            "_x",
            "date-rdv",
            "rdv.date",
            "é",
            &"x".repeat(41),
        ] {
            assert!(!is_field_name(bad), "{bad}");
        }
    }

    #[test]
    fn a_templates_fields_are_named_once_and_labelled() {
        let mut fields = vec![
            field("date", LetterFieldKind::Date, true),
            field("Lieu", LetterFieldKind::Text, true),
            field("date", LetterFieldKind::Time, false),
        ];
        fields[0].label = "  ".into();
        fields[2].label = "x".repeat(121);
        assert_eq!(
            codes(&check_fields(&fields)),
            [
                ("/0/label", "blank"),
                ("/1/name", "invalid_format"),
                ("/2/name", "duplicate"),
                ("/2/label", "too_long"),
            ]
        );
        let many: Vec<_> = (0..21)
            .map(|i| field(&format!("f{i}"), LetterFieldKind::Text, false))
            .collect();
        assert_eq!(codes(&check_fields(&many)), [("", "too_many")]);
        assert!(check_fields(&many[..20]).is_empty());
    }

    #[test]
    fn values_are_read_by_the_kind_of_their_field() {
        let fields = [
            field("jour", LetterFieldKind::Date, true),
            field("heure", LetterFieldKind::Time, true),
            field("lieu", LetterFieldKind::Text, true),
            field("pieces", LetterFieldKind::LongText, false),
        ];
        let values = check_values(
            &fields,
            &given(&[
                ("jour", "2027-03-12"),
                ("heure", "09:30"),
                ("lieu", "  12 rue des Lilas "),
                ("pieces", "Avis d'imposition\r\nQuittance de loyer"),
            ]),
        )
        .unwrap();
        assert_eq!(
            values["jour"],
            FieldValue::Date(NaiveDate::from_ymd_opt(2027, 3, 12).unwrap())
        );
        assert_eq!(values["heure"].as_given(), "09:30");
        assert_eq!(values["lieu"], FieldValue::Text("12 rue des Lilas".into()));
        assert_eq!(
            values["pieces"].as_given(),
            "Avis d'imposition\nQuittance de loyer"
        );
    }

    #[test]
    fn a_blank_optional_value_is_absent_and_a_missing_required_one_is_refused() {
        let fields = [
            field("jour", LetterFieldKind::Date, true),
            field("note", LetterFieldKind::LongText, false),
        ];
        let values = check_values(&fields, &given(&[("jour", "2027-03-12"), ("note", " ")]));
        assert!(!values.unwrap().contains_key("note"));
        let refused = check_values(&fields, &given(&[("jour", "  ")])).unwrap_err();
        assert_eq!(codes(&refused), [("/jour", "required")]);
    }

    #[test]
    fn bad_values_and_unknown_names_are_refused_where_they_are() {
        let fields = [
            field("jour", LetterFieldKind::Date, false),
            field("heure", LetterFieldKind::Time, false),
            field("lieu", LetterFieldKind::Text, false),
            field("pieces", LetterFieldKind::LongText, false),
        ];
        let refused = check_values(
            &fields,
            &given(&[
                ("jour", "12/03/2027"),
                ("heure", "9h30"),
                ("lieu", "deux\nlignes"),
                ("pieces", &"x".repeat(5_001)),
                ("autre", "?"),
            ]),
        )
        .unwrap_err();
        assert_eq!(
            codes(&refused),
            [
                ("/jour", "invalid_format"),
                ("/heure", "invalid_format"),
                ("/lieu", "invalid_character"),
                ("/pieces", "too_long"),
                ("/autre", "unknown_field"),
            ]
        );
        for (kind, bad) in [
            (LetterFieldKind::Date, "2027-02-30"),
            (LetterFieldKind::Date, "2027-3-1"),
            (LetterFieldKind::Time, "24:00"),
            (LetterFieldKind::Time, "9:30"),
        ] {
            assert_eq!(value(kind, bad).unwrap_err().0, "invalid_format", "{bad}");
        }
    }
}
