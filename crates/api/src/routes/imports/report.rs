//! The report of an import: each refused row's line, column, code and message, and what was
//! created.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{FieldError, Problem};
use crate::language::Language;

/// A refused row, as found: its message in both languages.
#[derive(Debug, Clone)]
pub struct RowError {
    pub line: usize,
    pub column: Option<String>,
    pub code: String,
    pub message: String,
    pub message_fr: String,
}

impl RowError {
    pub fn new(
        line: usize,
        column: Option<&str>,
        code: &str,
        message: String,
        message_fr: String,
    ) -> Self {
        Self {
            line,
            column: column.map(str::to_owned),
            code: code.to_owned(),
            message,
            message_fr,
        }
    }

    /// A field error of the rules of a creation, found on `line` at `column`.
    pub fn of_field(line: usize, column: Option<&str>, error: &FieldError) -> Self {
        Self {
            line,
            column: column.map(str::to_owned),
            code: error.code.clone(),
            message: error.message.clone(),
            message_fr: error.french_message(),
        }
    }

    /// The error as the report shows it, in `language`: the message starts with where it is.
    pub fn view(&self, language: Language) -> CaseImportError {
        let message = match (language, &self.column) {
            (Language::En, Some(column)) => {
                format!("line {}, column {column}: {}", self.line, self.message)
            }
            (Language::En, None) => format!("line {}: {}", self.line, self.message),
            (Language::Fr, Some(column)) => {
                format!(
                    "ligne {}, colonne {column} : {}",
                    self.line, self.message_fr
                )
            }
            (Language::Fr, None) => format!("ligne {} : {}", self.line, self.message_fr),
        };
        CaseImportError {
            line: self.line,
            column: self.column.clone(),
            code: self.code.clone(),
            message,
        }
    }
}

/// Why a row of the file is refused.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseImportError {
    /// The line of the file (1 is a CSV file's header row; a quoted value spanning lines counts
    /// them all, the row being where it starts).
    #[schema(example = 14)]
    pub line: usize,
    /// The column at fault, when it is one.
    #[schema(example = "birth_date")]
    pub column: Option<String>,
    /// The code, as the API's field errors have it (`required`, `invalid_value`, `nir_wrong_key`,
    /// `ambiguous_person`, `unknown_column`…).
    #[schema(example = "invalid_date")]
    pub code: String,
    /// Where and what, in French when `Accept-Language` prefers it.
    #[schema(
        example = "line 14, column birth_date: \"31/02/1980\" is not a date (expected a date such as 1980-02-29 or 29/02/1980)"
    )]
    pub message: String,
}

/// What an import checked: the rows read, those that may be imported, and why the others may
/// not.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseImportReport {
    /// The file's rows (a CSV file's header and blank rows aside).
    pub rows: usize,
    /// The rows that pass every check.
    pub accepted: usize,
    /// The refused rows' errors, by line (several for one row when it has several faults).
    pub errors: Vec<CaseImportError>,
}

/// Whose case a row opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PersonOutcome {
    /// A new person, created from this row.
    Created,
    /// A person the organisation already had (the same NIR, or the only likely one).
    Matched,
    /// The person of an earlier row of the file (the same person: `same_as_line`).
    SameAsEarlierRow,
}

/// A row imported: its case and person.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedCaseRow {
    pub line: usize,
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub person: PersonOutcome,
    /// The first line of the file with this person, when it is an earlier row's.
    pub same_as_line: Option<usize>,
}

/// A committed import: the report, and what it created.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseImportResult {
    #[serde(flatten)]
    pub report: CaseImportReport,
    pub cases_created: usize,
    pub persons_created: usize,
    /// Existing persons of the organisation the file's cases were opened for.
    pub persons_matched: usize,
    /// Each row, in the file's order.
    pub items: Vec<ImportedCaseRow>,
}

/// 422 `validation_failed` of an import (nothing was written): the problem document and the
/// report.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseImportProblem {
    #[serde(flatten)]
    pub problem: Problem,
    /// With `validation_failed`: the per-row report (absent from the other 422s, such as
    /// `idempotency_key_reused`).
    #[schema(required = false)]
    pub report: CaseImportReport,
}

crate::responses::problem_responses! {
    /// Errors of an import, besides the 422 that carries the report.
    ImportErrors with token {
        BadRequest = 400: "A bad parameter (`dry_run` is `true` or `false`)",
        Conflict = 409: "The Idempotency-Key is in flight",
        TooLarge = 413: "The file is larger than 10 MiB (`payload_too_large`)",
        UnsupportedMediaType = 415: "Content-Type is neither text/csv nor application/x-ndjson",
    }
}
