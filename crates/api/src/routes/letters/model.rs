//! Request and response types of a case's letters.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::letter::{Addressee, MAX_FIELDS, MAX_LONG_TEXT_CHARS};
use relais_store::letters::{LetterRecord, Recipient};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Type};
use utoipa::openapi::{RefOr, Schema};
use uuid::Uuid;
use validator::Validate;

use crate::error::FieldError;

/// Most lines of a recipient's address.
const MAX_ADDRESS_LINES: usize = 6;
/// Longest line of a recipient's address, in characters.
const MAX_ADDRESS_LINE_CHARS: usize = 120;

/// Schema of values by field name: a text (at most `max_length` characters) under each.
fn values_by_name(max_length: Option<usize>, description: &str) -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .max_properties(Some(MAX_FIELDS))
            .property_names(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("^[a-z][a-z0-9_]{0,39}$")),
            ))
            .additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(Schema::Object(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(max_length)
                    .build(),
            )))))
            .description(Some(description))
            .build(),
    ))
}

/// Schema of the values a worker gives.
fn values_schema() -> RefOr<Schema> {
    values_by_name(
        Some(MAX_LONG_TEXT_CHARS),
        "The value of each field the template declares, by its name: a text (`text`: one \
         line, 300 characters; `long_text`: 5,000), a date `YYYY-MM-DD` or a time `HH:MM`. A \
         required field needs a value that is not blank; an optional one may be left out.",
    )
}

/// Schema of the values a letter was written with.
pub(crate) fn given_values_schema() -> RefOr<Schema> {
    values_by_name(
        None,
        "The values given, by field name (dates `YYYY-MM-DD`, times `HH:MM`); an optional \
         field left out is absent.",
    )
}

/// Schema of a recipient's address: its lines.
fn address_schema() -> RefOr<Schema> {
    crate::schema::printed_lines(
        MAX_ADDRESS_LINES,
        MAX_ADDRESS_LINE_CHARS,
        "The postal address, one line per item (6 lines at most, each 120 characters at most).",
    )
}

/// A letter to write in a case, from a template: the template renders it once, and it is stored
/// as sent.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "template_id": "01930a4e-7d2c-7a51-9d3e-3f2a9b1c4d5e",
    "values": {"date_entretien": "2027-03-12", "heure_entretien": "09:30",
               "lieu": "CCAS, 3 place de la Mairie, bureau 2"}
}))]
pub struct NewLetter {
    /// A template of the organisation that is not archived.
    pub template_id: Uuid,
    #[serde(default)]
    #[schema(schema_with = values_schema)]
    pub values: BTreeMap<String, String>,
    /// Whom the letter is to, when the template's `addressee` is `third_party` (required
    /// then, refused otherwise: a letter to the person is addressed with their record).
    #[validate(nested)]
    pub recipient: Option<NewLetterRecipient>,
}

/// A third party a letter is addressed to (a landlord, an institution).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Office public de l'habitat du Rhône, service contentieux",
    "address": ["194 rue Duguesclin", "69003 Lyon"]
}))]
pub struct NewLetterRecipient {
    /// One line: no line break or control character.
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    pub name: String,
    #[serde(default)]
    #[validate(length(max = 6))]
    #[schema(schema_with = address_schema)]
    pub address: Vec<String>,
}

impl NewLetterRecipient {
    /// The recipient as stored, or the problems of its lines (blank, too long, a line break).
    pub(super) fn checked(&self, errors: &mut Vec<FieldError>) -> Recipient {
        if self.name.trim().is_empty() {
            errors.push(FieldError::body(
                "/recipient/name",
                "blank",
                "must not be blank",
            ));
        }
        if self.name.chars().any(char::is_control) {
            errors.push(FieldError::body(
                "/recipient/name",
                "invalid_character",
                "one line of text: no line break or control character",
            ));
        }
        let mut address = Vec::with_capacity(self.address.len());
        for (i, line) in self.address.iter().enumerate() {
            let pointer = format!("/recipient/address/{i}");
            if line.trim().is_empty() {
                errors.push(FieldError::body(pointer, "blank", "must not be blank"));
            } else if line.chars().count() > MAX_ADDRESS_LINE_CHARS {
                errors.push(FieldError::body(
                    pointer,
                    "too_long",
                    format!("at most {MAX_ADDRESS_LINE_CHARS} characters"),
                ));
            } else if line.chars().any(char::is_control) {
                errors.push(FieldError::body(
                    pointer,
                    "invalid_character",
                    "one line of text: no line break or control character",
                ));
            } else {
                address.push(line.trim().to_owned());
            }
        }
        Recipient {
            name: self.name.trim().to_owned(),
            address,
        }
    }
}

/// Who a letter is from, as printed: the case's referent, or its author when the case had none.
#[derive(Debug, Serialize, ToSchema)]
pub struct LetterSender {
    #[schema(example = "Jeanne Martin")]
    pub name: String,
    #[schema(example = "Assistante de service social")]
    pub role: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// Whom a letter is to, as printed.
#[derive(Debug, Serialize, ToSchema)]
pub struct LetterRecipient {
    #[schema(example = "Madame Camille Lefèvre")]
    pub name: String,
    /// The postal address, one line per item.
    #[schema(example = json!(["12 rue des Lilas", "69003 Lyon"]))]
    pub address: Vec<String>,
}

/// A letter of a case, as it was sent: what the template rendered, the values given, and what
/// is printed around it. A reprint is this letter, whatever the template, the profiles or the
/// person's address became since.
#[derive(Debug, Serialize, ToSchema)]
pub struct Letter {
    pub id: Uuid,
    pub case_id: Uuid,
    pub template_id: Uuid,
    /// The template's name when the letter was written.
    #[schema(example = "Convocation à un entretien")]
    pub template_name: String,
    #[schema(schema_with = crate::schema::letter_addressee)]
    pub addressee: Addressee,
    #[schema(example = "Convocation à un entretien le 12 mars 2027")]
    pub subject: String,
    /// The body as rendered: lines, a blank line between paragraphs.
    pub body: String,
    #[schema(schema_with = given_values_schema)]
    pub values: BTreeMap<String, String>,
    /// The letterhead: the organisation's name.
    pub organisation: String,
    pub sender: LetterSender,
    /// Null for a letter to nobody (an attestation).
    pub recipient: Option<LetterRecipient>,
    /// The letter's date (`Le 12 mars 2027`).
    pub written_on: NaiveDate,
    /// The agent who wrote it.
    pub author_id: Uuid,
    pub created_at: DateTime<Utc>,
}

impl From<LetterRecord> for Letter {
    fn from(r: LetterRecord) -> Self {
        Letter {
            id: r.id,
            case_id: r.case_id,
            template_id: r.template_id,
            template_name: r.template_name,
            addressee: r.addressee,
            subject: r.subject,
            body: r.body,
            values: r.values,
            organisation: r.letterhead.name,
            sender: LetterSender {
                name: r.sender.name,
                role: r.sender.role,
                email: r.sender.email,
                phone: r.sender.phone,
            },
            recipient: r.recipient.map(|r| LetterRecipient {
                name: r.name,
                address: r.address,
            }),
            written_on: r.written_on,
            author_id: r.author_id,
            created_at: r.created_at,
        }
    }
}

/// A page of a case's letters, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct LetterList {
    pub items: Vec<Letter>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}
