//! Request and response types of the letter templates, and the checks that turn a request into
//! the store's data: the domain's rules for the fields, the sandbox's for the texts.

use chrono::{DateTime, Utc};
use relais_domain::letter::{Addressee, LetterField, LetterFieldKind, check_fields};
use relais_store::letter_templates::{TemplateData, TemplateRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::documents::letter::sandbox;
use crate::error::{ApiError, FieldError};
use crate::patch::not_null;

/// A field a template declares: what the worker fills in when writing a letter from it, read
/// in the template as `values.<name>`.
#[derive(Debug, Clone, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "date_entretien", "label": "Date de l'entretien", "kind": "date", "required": true
}))]
pub struct LetterTemplateField {
    /// `snake_case`: a lowercase letter, then lowercase letters, digits and `_`; unique in the
    /// template.
    #[schema(min_length = 1, max_length = 40, pattern = "^[a-z][a-z0-9_]*$")]
    pub name: String,
    /// What the worker is asked, in French.
    #[validate(length(min = 1, max = 120))]
    #[schema(
        min_length = 1,
        max_length = 120,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub label: String,
    /// `text` (one line, 300 characters), `long_text` (5,000), `date` (`YYYY-MM-DD`, printed
    /// `12 mars 2027`) or `time` (`HH:MM`, printed `9 h 30`).
    #[schema(schema_with = crate::schema::letter_field_kind)]
    pub kind: LetterFieldKind,
    /// Whether a letter needs a value for it (default false: an optional field left out is
    /// empty).
    #[serde(default)]
    pub required: bool,
}

impl From<&LetterTemplateField> for LetterField {
    fn from(f: &LetterTemplateField) -> Self {
        LetterField {
            name: f.name.clone(),
            label: f.label.trim().to_owned(),
            kind: f.kind,
            required: f.required,
        }
    }
}

impl From<LetterField> for LetterTemplateField {
    fn from(f: LetterField) -> Self {
        LetterTemplateField {
            name: f.name,
            label: f.label,
            kind: f.kind,
            required: f.required,
        }
    }
}

/// A letter template to create.
///
/// `subject` and `body` are plain text in a small template language (MiniJinja, a subset of
/// Jinja2): `{{ person.last_name }}` prints a merge field, `{% if values.objet %}…{% endif %}`
/// prints a part only when a value is given (a block tag alone on its line leaves no blank line),
/// and the filters `upper`, `lower`, `capitalize`, `title`, `trim` and `replace` change a text.
/// Nothing else is reachable: no file (`include`, `import`, `extends` do not exist), no
/// function, no server state. Every merge field is text, empty when unknown:
///
/// - `person.civility` (`Madame`, `Monsieur` or empty), `person.salutation` (`Madame`,
///   `Monsieur`, or `Madame, Monsieur` when the civility is not recorded), `person.e` (the
///   feminine agreement: `e`, nothing, or `·e`: `accompagné{{ person.e }}`),
///   `person.first_name`, `person.last_name`, `person.full_name` (`Madame Camille Lefèvre`),
///   `person.birth_date` (`3 février 1980`), `person.address` (one line per line),
///   `person.address_inline` (`12 rue des Lilas, 69003 Lyon`);
/// - `recipient.name`, `recipient.address`: whom the letter is addressed to (the person, the
///   third party named when writing, or nobody);
/// - `referent.display_name`, `referent.job_title`, `referent.civility`, `referent.e`,
///   `referent.email`, `referent.phone`: the sender, the case's referent (or the letter's
///   author when the case has none), the job title as documents print it;
/// - `organisation.name`, `organisation.address` (one line per line), `organisation.city`,
///   `organisation.phone`, `organisation.email`: from the organisation's profile (its
///   letterhead); `case.reason`, `case.opened_on`; `today` (`12 mars 2027`);
/// - `values.<name>`: each declared field's value (a date in French words, a time `9 h 30`;
///   empty when an optional field is left out).
///
/// The template is checked when it is saved: a syntax error is refused at `/subject` or
/// `/body` with its line (`template_syntax`), a variable that is neither a merge field nor a
/// declared field by its name (`unknown_merge_field`), and it is rendered once with sample data
/// (`template_error` when that fails, `too_long` when the text is longer than 500 characters
/// for a subject, 60,000 for a body).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Convocation à un entretien",
    "addressee": "person",
    "subject": "Convocation à un entretien le {{ values.date_entretien }}",
    "body": "{{ person.salutation }},\n\nJe vous propose un entretien le {{ values.date_entretien }} à {{ values.heure_entretien }}.\n\nJe vous prie d'agréer, {{ person.salutation }}, l'expression de mes salutations distinguées.",
    "fields": [
        {"name": "date_entretien", "label": "Date de l'entretien", "kind": "date", "required": true},
        {"name": "heure_entretien", "label": "Heure de l'entretien", "kind": "time", "required": true}
    ]
}))]
pub struct NewLetterTemplate {
    /// Unique in the organisation (409 `letter_template_name_taken`).
    #[validate(length(min = 1, max = 120))]
    #[schema(
        min_length = 1,
        max_length = 120,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub name: String,
    /// To whom its letters are addressed (default `person`): the person (their name and
    /// address), a `third_party` named in each letter (`recipient`), or `none` (an
    /// attestation handed to the person).
    #[schema(schema_with = crate::schema::letter_addressee)]
    pub addressee: Option<Addressee>,
    /// The subject line's template (the letter prints `Objet : …`).
    #[validate(length(min = 1, max = 300))]
    #[schema(
        min_length = 1,
        max_length = 300,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub subject: String,
    /// The body's template: from the greeting to the closing formula (the signature is printed
    /// after it); a blank line starts a new paragraph.
    #[validate(length(min = 1, max = 20000))]
    #[schema(
        min_length = 1,
        max_length = 20000,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub body: String,
    /// The fields the worker fills in (20 at most), in the order they are asked.
    #[validate(length(max = 20), nested)]
    #[serde(default)]
    #[schema(max_items = 20)]
    pub fields: Vec<LetterTemplateField>,
}

/// Changes to a template (JSON merge patch: absent keeps; no field can be cleared). `fields`
/// is replaced whole; the result is checked as a creation. `archived: true` takes the template
/// out of use: it takes no new letter, and its letters stay as they were sent.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"archived": true}))]
pub struct LetterTemplatePatch {
    #[serde(default, deserialize_with = "not_null")]
    #[validate(length(min = 1, max = 120))]
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 120,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(schema_with = crate::schema::letter_addressee)]
    pub addressee: Option<Addressee>,
    #[serde(default, deserialize_with = "not_null")]
    #[validate(length(min = 1, max = 300))]
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 300,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub subject: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[validate(length(min = 1, max = 20000))]
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 20000,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub body: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[validate(length(max = 20), nested)]
    #[schema(nullable = false, max_items = 20)]
    pub fields: Option<Vec<LetterTemplateField>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub archived: Option<bool>,
}

/// A letter template of the organisation: what its letters say, with the merge fields and the
/// fields a worker fills in (see `NewLetterTemplate` for the template language).
#[derive(Debug, Serialize, ToSchema)]
pub struct LetterTemplate {
    pub id: Uuid,
    #[schema(example = "Convocation à un entretien")]
    pub name: String,
    #[schema(schema_with = crate::schema::letter_addressee)]
    pub addressee: Addressee,
    pub subject: String,
    pub body: String,
    /// The fields a worker fills in when writing a letter, in order.
    pub fields: Vec<LetterTemplateField>,
    /// The starter it began as (`convocation`, `pieces_justificatives`, `courrier_bailleur`,
    /// `attestation_suivi`, `orientation`), null for the organisation's own.
    pub starter: Option<String>,
    /// An archived template takes no new letter.
    pub archived: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl From<TemplateRecord> for LetterTemplate {
    fn from(r: TemplateRecord) -> Self {
        LetterTemplate {
            id: r.id,
            name: r.name,
            addressee: r.addressee,
            subject: r.subject,
            body: r.body,
            fields: r.fields.into_iter().map(Into::into).collect(),
            starter: r.starter,
            archived: r.archived,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

/// A page of templates, oldest first (the starter set first).
#[derive(Debug, Serialize, ToSchema)]
pub struct LetterTemplateList {
    pub items: Vec<LetterTemplate>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Checks a validated request (or a patch merged into the current template) beyond its length
/// rules — the fields by the domain's rules, the texts in the sandbox — and converts it into
/// the store's data.
pub(super) fn template_data(
    input: &NewLetterTemplate,
    archived: bool,
) -> Result<TemplateData, ApiError> {
    let mut errors = Vec::new();
    for (pointer, text) in [
        ("/name", &input.name),
        ("/subject", &input.subject),
        ("/body", &input.body),
    ] {
        if text.trim().is_empty() {
            errors.push(FieldError::body(pointer, "blank", "must not be blank"));
        }
    }
    let fields: Vec<LetterField> = input.fields.iter().map(LetterField::from).collect();
    let field_issues = check_fields(&fields);
    errors.extend(field_issues.iter().map(|issue| {
        FieldError::body(
            format!("/fields{}", issue.pointer),
            issue.code,
            issue.message.clone(),
        )
    }));
    // The texts are checked against fields that are themselves valid.
    if field_issues.is_empty() {
        errors.extend(
            sandbox::check(&input.subject, &input.body, &fields)
                .into_iter()
                .map(|p| FieldError::body(p.part.pointer(), p.code, p.message)),
        );
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(TemplateData {
        name: input.name.trim().to_owned(),
        addressee: input.addressee.unwrap_or(Addressee::Person),
        subject: input.subject.clone(),
        body: input.body.clone(),
        fields,
        archived,
    })
}

/// Merges a patch into the current template and checks the result with exactly the rules of a
/// creation, so PATCH can never store what POST refuses.
pub(super) fn patched(
    current: &TemplateRecord,
    patch: &LetterTemplatePatch,
) -> Result<TemplateData, ApiError> {
    let merged = NewLetterTemplate {
        name: patch.name.clone().unwrap_or_else(|| current.name.clone()),
        addressee: Some(patch.addressee.unwrap_or(current.addressee)),
        subject: patch
            .subject
            .clone()
            .unwrap_or_else(|| current.subject.clone()),
        body: patch.body.clone().unwrap_or_else(|| current.body.clone()),
        fields: patch.fields.clone().unwrap_or_else(|| {
            current
                .fields
                .iter()
                .cloned()
                .map(LetterTemplateField::from)
                .collect()
        }),
    };
    template_data(&merged, patch.archived.unwrap_or(current.archived))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use crate::documents::letter::merge::MERGE_FIELDS;
    use crate::documents::letter::sandbox::FILTERS;

    #[test]
    fn the_document_names_every_merge_field_and_filter() {
        let document = serde_json::to_value(crate::document()).unwrap();
        let description = document["components"]["schemas"]["NewLetterTemplate"]["description"]
            .as_str()
            .unwrap();
        for (path, _) in MERGE_FIELDS {
            assert!(description.contains(&format!("`{path}`")), "{path}");
        }
        for filter in FILTERS {
            assert!(description.contains(&format!("`{filter}`")), "{filter}");
        }
    }
}
