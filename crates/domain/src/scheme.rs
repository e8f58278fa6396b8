//! Schemes (dispositifs) of the catalogue: their required supporting documents (pièces
//! justificatives). The eligibility criteria are in [`crate::eligibility`].
//!
//! Required documents are a JSON array of `{code, label, provider}`:
//!
//! ```json
//! [
//!   {"code": "identity_document", "label": "Pièce d'identité", "provider": "person"},
//!   {"code": "employer_certificate", "label": "Attestation employeur", "provider": "worker"}
//! ]
//! ```
//!
//! `code` is `snake_case` (letters, digits and `_`, 1 to 64 characters, starting with a letter)
//! and unique within the scheme; an application's checklist copies the list and refers to
//! documents by code.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};

use crate::codes::parse_code;
use crate::eligibility::Issue;

/// Most required documents of a scheme.
pub const MAX_REQUIRED_DOCUMENTS: usize = 50;
/// Longest document code.
pub const MAX_DOCUMENT_CODE_CHARS: usize = 64;
/// Longest document label.
pub const MAX_DOCUMENT_LABEL_CHARS: usize = 200;

crate::coded_enum! {
    /// Who usually obtains a supporting document.
    pub enum DocumentProvider in "document_provider" {
        /// The person brings it (identity document, bank statement, rent receipt…).
        Person => "person" { fr: "La personne", en: "The person" },
        /// The worker obtains it, intervening with an employer or an institution.
        Worker => "worker" {
            fr: "Le travailleur social (auprès d'un employeur ou d'une institution)",
            en: "The worker (from an employer or an institution)"
        },
        /// An institution issues it directly (CAF certificate, tax notice online…).
        Institution => "institution" {
            fr: "L'organisme qui le délivre",
            en: "The issuing institution"
        },
    }
}

/// A supporting document a scheme requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequiredDocument {
    /// `snake_case`, unique within the scheme, e.g. `proof_of_address`.
    pub code: String,
    /// What to bring, in French, e.g. "Justificatif de domicile de moins de 3 mois".
    pub label: String,
    pub provider: DocumentProvider,
}

impl<'de> Deserialize<'de> for RequiredDocument {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        parse_document(&value).map_err(|issues| {
            D::Error::custom(match issues.first() {
                Some(i) => format!("{} at {}", i.message, i.pointer),
                None => "invalid required document".to_owned(),
            })
        })
    }
}

/// Whether `code` is a valid document code.
pub fn is_document_code(code: &str) -> bool {
    (1..=MAX_DOCUMENT_CODE_CHARS).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Parses a JSON array of required documents; the issues point into the array
/// (`/1/provider`). Codes must be unique.
///
/// # Errors
/// Every [`Issue`] found, in document order.
pub fn parse_required_documents(value: &Value) -> Result<Vec<RequiredDocument>, Vec<Issue>> {
    let Some(items) = value.as_array() else {
        return Err(vec![issue(
            "",
            "invalid_type",
            "expected an array of documents",
        )]);
    };
    if items.len() > MAX_REQUIRED_DOCUMENTS {
        return Err(vec![issue(
            "",
            "too_many",
            format!("at most {MAX_REQUIRED_DOCUMENTS} documents"),
        )]);
    }
    let mut documents: Vec<RequiredDocument> = Vec::with_capacity(items.len());
    let mut issues = Vec::new();
    for (index, item) in items.iter().enumerate() {
        match parse_document(item) {
            Ok(document) if documents.iter().any(|d| d.code == document.code) => {
                issues.push(issue(
                    &format!("/{index}/code"),
                    "duplicate",
                    format!("`{}` is listed twice", document.code),
                ));
            }
            Ok(document) => documents.push(document),
            Err(found) => issues.extend(found.into_iter().map(|i| i.under(&format!("/{index}")))),
        }
    }
    if issues.is_empty() {
        Ok(documents)
    } else {
        Err(issues)
    }
}

/// Parses one required document; the issues point into it (`/code`).
///
/// # Errors
/// Every [`Issue`] found.
pub fn parse_document(value: &Value) -> Result<RequiredDocument, Vec<Issue>> {
    let Some(object) = value.as_object() else {
        return Err(vec![issue(
            "",
            "invalid_type",
            "expected a document object",
        )]);
    };
    let mut issues = Vec::new();
    let text = |name: &str, issues: &mut Vec<Issue>| -> Option<String> {
        match object.get(name) {
            None | Some(Value::Null) => {
                issues.push(issue(
                    &format!("/{name}"),
                    "required",
                    format!("`{name}` is required"),
                ));
                None
            }
            Some(Value::String(s)) => Some(s.trim().to_owned()),
            Some(_) => {
                issues.push(issue(
                    &format!("/{name}"),
                    "invalid_type",
                    "expected a string",
                ));
                None
            }
        }
    };
    let code = text("code", &mut issues);
    if let Some(code) = &code
        && !is_document_code(code)
    {
        issues.push(issue(
            "/code",
            "invalid_format",
            format!(
                "expected snake_case: a lowercase letter, then lowercase letters, digits or `_` \
                 ({MAX_DOCUMENT_CODE_CHARS} characters at most)"
            ),
        ));
    }
    let label = text("label", &mut issues);
    if let Some(label) = &label {
        if label.is_empty() {
            issues.push(issue("/label", "blank", "must not be blank"));
        } else if label.chars().count() > MAX_DOCUMENT_LABEL_CHARS {
            issues.push(issue(
                "/label",
                "length",
                format!("at most {MAX_DOCUMENT_LABEL_CHARS} characters"),
            ));
        }
    }
    let provider = text("provider", &mut issues).and_then(|p| {
        parse_code::<DocumentProvider>(&p)
            .map_err(|e| issues.push(issue("/provider", "unknown_code", e.to_string())))
            .ok()
    });
    for key in object.keys() {
        if !["code", "label", "provider"].contains(&key.as_str()) {
            issues.push(issue(
                &format!("/{}", crate::text::pointer_token(key)),
                "unknown_field",
                format!("unknown field `{key}`; a document has: code, label, provider"),
            ));
        }
    }
    match (code, label, provider) {
        (Some(code), Some(label), Some(provider)) if issues.is_empty() => Ok(RequiredDocument {
            code,
            label,
            provider,
        }),
        _ => Err(issues),
    }
}

/// The JSON form of a list of documents, as stored and answered.
pub fn documents_json(documents: &[RequiredDocument]) -> Value {
    Value::Array(
        documents
            .iter()
            .map(|d| json!({"code": d.code, "label": d.label, "provider": d.provider.code()}))
            .collect(),
    )
}

fn issue(pointer: &str, code: &'static str, message: impl Into<String>) -> Issue {
    Issue {
        pointer: pointer.to_owned(),
        code,
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_list_of_documents_parses_and_round_trips() {
        let value = json!([
            {"code": "identity_document", "label": " Pièce d'identité ", "provider": "person"},
            {"code": "employer_certificate", "label": "Attestation employeur", "provider": "worker"},
            {"code": "caf_certificate_2", "label": "Attestation CAF", "provider": "institution"}
        ]);
        let documents = parse_required_documents(&value).unwrap();
        assert_eq!(documents.len(), 3);
        assert_eq!(documents[0].label, "Pièce d'identité");
        assert_eq!(documents[1].provider, DocumentProvider::Worker);
        let again = parse_required_documents(&documents_json(&documents)).unwrap();
        assert_eq!(again, documents);
        let via_serde: Vec<RequiredDocument> = serde_json::from_value(value).unwrap();
        assert_eq!(via_serde, documents);
    }

    #[test]
    fn an_empty_list_is_a_scheme_without_documents() {
        assert_eq!(parse_required_documents(&json!([])).unwrap(), []);
    }

    #[test]
    fn every_fault_is_pointed_at() {
        let issues = parse_required_documents(&json!([
            {"code": "Pièce", "label": "  ", "provider": "mayor"},
            {"label": "x", "provider": 3, "extra": true},
            "a string",
        ]))
        .unwrap_err();
        let found: Vec<(&str, &str)> = issues
            .iter()
            .map(|i| (i.pointer.as_str(), i.code))
            .collect();
        assert_eq!(
            found,
            [
                ("/0/code", "invalid_format"),
                ("/0/label", "blank"),
                ("/0/provider", "unknown_code"),
                ("/1/code", "required"),
                ("/1/provider", "invalid_type"),
                ("/1/extra", "unknown_field"),
                ("/2", "invalid_type"),
            ]
        );
    }

    #[test]
    fn codes_are_unique_within_a_scheme() {
        let issues = parse_required_documents(&json!([
            {"code": "rib", "label": "RIB", "provider": "person"},
            {"code": "rib", "label": "Relevé d'identité bancaire", "provider": "person"},
        ]))
        .unwrap_err();
        assert_eq!(issues.len(), 1);
        assert_eq!(
            (issues[0].pointer.as_str(), issues[0].code),
            ("/1/code", "duplicate")
        );
    }

    #[test]
    fn document_codes_are_snake_case_and_bounded() {
        assert!(is_document_code("proof_of_address_3"));
        assert!(!is_document_code(""));
        assert!(!is_document_code("3_months"));
        assert!(!is_document_code("Proof"));
        assert!(!is_document_code("proof-of-address"));
        assert!(is_document_code(&"a".repeat(64)));
        assert!(!is_document_code(&"a".repeat(65)));
    }

    #[test]
    fn a_label_is_at_most_200_characters() {
        let long = "é".repeat(201);
        let issues =
            parse_document(&json!({"code": "x", "label": long, "provider": "person"})).unwrap_err();
        assert_eq!(issues[0].code, "length");
        assert!(
            parse_document(&json!({"code": "x", "label": "é".repeat(200), "provider": "person"}))
                .is_ok()
        );
    }

    #[test]
    fn too_many_documents_are_refused_as_a_whole() {
        let many: Vec<Value> = (0..51)
            .map(|i| json!({"code": format!("d{i}"), "label": "x", "provider": "person"}))
            .collect();
        let issues = parse_required_documents(&Value::Array(many)).unwrap_err();
        assert_eq!(
            (issues[0].pointer.as_str(), issues[0].code),
            ("", "too_many")
        );
    }
}
