//! Request and response types of the scheme catalogue, and the checks that turn a request into
//! the store's data.

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::eligibility::{Issue, parse_criteria};
use relais_domain::scheme::{documents_json, parse_required_documents};
use relais_domain::{Criterion, Domain, RequiredDocument};
use relais_store::schemes::{ImportCounts, SchemeData, SchemeRecord};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::error::{ApiError, FieldError};
use crate::patch::{apply, not_null, nullable};
use crate::routes::trimmed;
use crate::routes::view_from;

/// One eligibility criterion, tagged by `kind`. Figures are data: ages in whole years
/// (inclusive), amounts in cents **a month** (inclusive ceilings), postcode prefixes of 1 to 5
/// digits. Every criterion may carry a `note` for the worker (500 characters at most). See
/// `GET /v1/reference` for the `criterion_kind`, `resources_basis`, `housing_status`,
/// `employment_status`, `debt_kind` and `legal_protection_kind` codes.
#[derive(Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[allow(dead_code)]
pub enum CriterionSchema {
    /// The person's age today: `min ≤ age ≤ max`; at least one bound.
    #[schema(title = "AgeCriterion")]
    Age {
        #[schema(minimum = 0, maximum = 150, example = 25)]
        min: Option<u32>,
        #[schema(minimum = 0, maximum = 150)]
        max: Option<u32>,
        #[schema(
            min_length = 1,
            max_length = 500,
            pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
        )]
        note: Option<String>,
    },
    /// The household's size (the person included) and dependent children; at least one bound.
    #[schema(title = "HouseholdCriterion")]
    Household {
        #[schema(minimum = 0, maximum = 30)]
        min_members: Option<u32>,
        #[schema(minimum = 1, maximum = 30)]
        max_members: Option<u32>,
        #[schema(minimum = 0, maximum = 30, example = 1)]
        min_dependent_children: Option<u32>,
        #[schema(minimum = 0, maximum = 30)]
        max_dependent_children: Option<u32>,
        #[schema(
            min_length = 1,
            max_length = 500,
            pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
        )]
        note: Option<String>,
    },
    /// Monthly resources on `basis` at most the ceiling: exactly one of `max_cents`,
    /// `max_cents_by_household_size` (`[0]` for one person; beyond the table, the last amount
    /// plus `additional_member_cents` per member) or `max_cents_by_dependent_children` (`[0]`
    /// without a child; beyond, plus `additional_child_cents` per child).
    #[schema(title = "ResourcesCeilingCriterion")]
    ResourcesCeiling {
        #[schema(schema_with = crate::schema::resources_basis)]
        basis: String,
        #[schema(minimum = 0, maximum = 1_000_000_000, example = 64652)]
        max_cents: Option<i64>,
        #[schema(schema_with = crate::schema::cents_scale)]
        max_cents_by_household_size: Option<Vec<i64>>,
        #[schema(minimum = 0, maximum = 1_000_000_000)]
        additional_member_cents: Option<i64>,
        #[schema(schema_with = crate::schema::cents_scale)]
        max_cents_by_dependent_children: Option<Vec<i64>>,
        #[schema(minimum = 0, maximum = 1_000_000_000)]
        additional_child_cents: Option<i64>,
        #[schema(
            min_length = 1,
            max_length = 500,
            pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
        )]
        note: Option<String>,
    },
    /// The address postcode starts with one of the prefixes (département `"69"`, commune
    /// `"69003"`).
    #[schema(title = "PostcodePrefixCriterion")]
    PostcodePrefix {
        #[schema(schema_with = crate::schema::postcode_prefixes)]
        prefixes: Vec<String>,
        #[schema(
            min_length = 1,
            max_length = 500,
            pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
        )]
        note: Option<String>,
    },
    /// The household's housing status is one of these.
    #[schema(title = "HousingCriterion")]
    Housing {
        #[schema(schema_with = crate::schema::housing_statuses)]
        any_of: Vec<String>,
        #[schema(
            min_length = 1,
            max_length = 500,
            pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
        )]
        note: Option<String>,
    },
    /// The person's employment status is one of these.
    #[schema(title = "EmploymentCriterion")]
    Employment {
        #[schema(schema_with = crate::schema::employment_statuses)]
        any_of: Vec<String>,
        #[schema(
            min_length = 1,
            max_length = 500,
            pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
        )]
        note: Option<String>,
    },
    /// A disability recognised by the MDPH: met by a recognition `yes`, unmet by `no`; `pending`,
    /// `unknown` or nothing recorded is unknown (the scheme is then `to_check`).
    #[schema(title = "DisabilityRecognisedCriterion")]
    DisabilityRecognised {
        #[schema(
            min_length = 1,
            max_length = 500,
            pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
        )]
        note: Option<String>,
    },
    /// A recognised disability of at least `min_percent`: met when the lowest rate of the
    /// recorded band reaches it, unmet when the band's highest rate is below it (or the
    /// recognition is `no`), unknown otherwise (the minimum inside the band, no rate recorded).
    #[schema(title = "DisabilityRateMinCriterion")]
    DisabilityRateMin {
        #[schema(minimum = 1, maximum = 100, example = 80)]
        min_percent: u32,
        #[schema(
            min_length = 1,
            max_length = 500,
            pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
        )]
        note: Option<String>,
    },
    /// A debt of one of these kinds, still owed, in the person's budget; unknown without a
    /// recorded budget.
    #[schema(title = "DebtKindsCriterion")]
    DebtKinds {
        #[schema(schema_with = crate::schema::debt_kinds)]
        any_of: Vec<String>,
        #[schema(
            min_length = 1,
            max_length = 500,
            pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
        )]
        note: Option<String>,
    },
    /// A legal protection measure of one of these kinds; unknown when no measure is recorded
    /// (the absence of a record is not proof there is none).
    #[schema(title = "LegalProtectionCriterion")]
    LegalProtection {
        #[schema(schema_with = crate::schema::legal_protection_kinds)]
        any_of: Vec<String>,
        #[schema(
            min_length = 1,
            max_length = 500,
            pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
        )]
        note: Option<String>,
    },
}

/// A supporting document the scheme requires.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct RequiredDocumentSchema {
    /// `snake_case`, unique within the scheme.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = "^[a-z][a-z0-9_]*$",
        example = "proof_of_address"
    )]
    code: String,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$",
        example = "Justificatif de domicile de moins de 3 mois"
    )]
    label: String,
    /// Who usually obtains it.
    #[schema(schema_with = crate::schema::document_provider)]
    provider: String,
}

/// A scheme as written: by `POST /v1/schemes`, in an import, and in an export.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Revenu de solidarité active (RSA)",
    "domain": "finances",
    "provider": "Conseil départemental (versé par la CAF ou la MSA)",
    "description": "Revenu minimum des personnes sans ressources ou à faibles ressources.",
    "criteria": [
        {"kind": "age", "min": 25, "max": null, "note": "Sans condition d'âge pour un parent isolé ou une femme enceinte"},
        {"kind": "resources_ceiling", "basis": "total", "max_cents_by_household_size": [64652, 96978, 116374, 135770], "additional_member_cents": 25861}
    ],
    "required_documents": [
        {"code": "identity_document", "label": "Pièce d'identité ou titre de séjour", "provider": "person"},
        {"code": "bank_details", "label": "Relevé d'identité bancaire (RIB)", "provider": "person"}
    ],
    "usual_processing_days": 30,
    "source_url": "https://www.service-public.fr/particuliers/vosdroits/F19778",
    "figures_read_on": "2026-11-22",
    "notes": "Montants forfaitaires en vigueur au 1er avril 2025.",
    "active": true
}))]
pub struct NewScheme {
    /// Unique within the organisation (the import matches schemes by name).
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub name: String,
    #[schema(schema_with = crate::schema::domain)]
    pub domain: Domain,
    /// The body that grants it (CAF, conseil départemental, CPAM, CCAS…).
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub provider: String,
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// The eligibility criteria, all required (none: every situation is eligible).
    #[validate(length(max = 50))]
    #[schema(value_type = Vec<CriterionSchema>, max_items = 50)]
    #[serde(default)]
    pub criteria: Vec<Value>,
    /// The supporting documents, in the order of the checklist.
    #[validate(length(max = 50))]
    #[schema(value_type = Vec<RequiredDocumentSchema>, max_items = 50)]
    #[serde(default)]
    pub required_documents: Vec<Value>,
    /// Usual time from a complete application to the decision, in days.
    #[validate(range(min = 0, max = 730))]
    #[schema(minimum = 0, maximum = 730)]
    pub usual_processing_days: Option<i32>,
    /// The public page the criteria and figures come from (`http(s)://`).
    #[validate(length(min = 8, max = 2000))]
    #[schema(
        min_length = 8,
        max_length = 2000,
        format = "uri",
        pattern = "^https?://[^\\s]+$"
    )]
    pub source_url: Option<String>,
    /// When the figures were read from the source (not in the future).
    pub figures_read_on: Option<NaiveDate>,
    /// What the admin should know or adapt (local figures, simplifications…).
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub notes: Option<String>,
    /// Inactive schemes are kept but not matched (default true).
    pub active: Option<bool>,
}

/// Changes to a scheme (JSON merge patch: absent keeps, `null` clears). Lists are replaced
/// whole. `active: false` takes it out of the matching.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false, "notes": null, "usual_processing_days": 45}))]
pub struct SchemePatch {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(schema_with = crate::schema::domain)]
    pub domain: Option<Domain>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub provider: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 5000)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = Vec<CriterionSchema>, max_items = 50)]
    pub criteria: Option<Vec<Value>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = Vec<RequiredDocumentSchema>, max_items = 50)]
    pub required_documents: Option<Vec<Value>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 730)]
    pub usual_processing_days: Option<Option<i32>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(
        value_type = Option<String>,
        min_length = 8,
        max_length = 2000,
        format = "uri",
        pattern = "^https?://[^\\s]+$"
    )]
    pub source_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub figures_read_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 5000)]
    pub notes: Option<Option<String>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub active: Option<bool>,
}

/// A scheme of the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct Scheme {
    pub id: Uuid,
    #[schema(example = "Revenu de solidarité active (RSA)")]
    pub name: String,
    #[schema(schema_with = crate::schema::domain)]
    pub domain: Domain,
    #[schema(example = "Conseil départemental (versé par la CAF ou la MSA)")]
    pub provider: String,
    pub description: Option<String>,
    #[schema(value_type = Vec<CriterionSchema>)]
    pub criteria: Vec<Criterion>,
    #[schema(value_type = Vec<RequiredDocumentSchema>)]
    pub required_documents: Vec<RequiredDocument>,
    pub usual_processing_days: Option<i32>,
    pub source_url: Option<String>,
    pub figures_read_on: Option<NaiveDate>,
    pub notes: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Uuid,
    pub version: i32,
}

view_from!(SchemeRecord => Scheme {
    id, name, domain, provider, description, criteria, required_documents, usual_processing_days,
    source_url, figures_read_on, notes, active, created_at, created_by, updated_at, updated_by,
    version,
});

/// A page of schemes, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SchemeList {
    pub items: Vec<Scheme>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A whole catalogue, as exported and imported (the starter catalogue
/// `data/schemes/starter-catalogue.json` has this shape).
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"schemes": [{
    "name": "Chèque énergie",
    "domain": "housing",
    "provider": "État (Agence de services et de paiement)",
    "criteria": [{"kind": "resources_ceiling", "basis": "per_consumption_unit", "max_cents": 91666}],
    "required_documents": [{"code": "tax_notice", "label": "Dernier avis d'impôt sur le revenu", "provider": "person"}],
    "source_url": "https://chequeenergie.gouv.fr/",
    "figures_read_on": "2026-11-22",
    "active": true
}]}))]
pub struct Catalogue {
    /// At most 500 schemes, with distinct names.
    #[validate(length(max = 500), nested)]
    #[schema(max_items = 500)]
    pub schemes: Vec<NewScheme>,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    /// Schemes whose name was new in the organisation.
    #[schema(example = 12)]
    pub created: u32,
    /// Existing schemes (same name) that changed; their version grew.
    #[schema(example = 2)]
    pub updated: u32,
    /// Existing schemes identical to the imported ones, left untouched.
    #[schema(example = 0)]
    pub unchanged: u32,
}

view_from!(ImportCounts => ImportResult {
    created, updated, unchanged,
});

/// The written form of a stored scheme (for an export, or to merge a patch into).
pub(super) fn written(r: &SchemeRecord) -> NewScheme {
    NewScheme {
        name: r.name.clone(),
        domain: r.domain,
        provider: r.provider.clone(),
        description: r.description.clone(),
        criteria: r.criteria.iter().map(Criterion::to_json).collect(),
        required_documents: match documents_json(&r.required_documents) {
            Value::Array(items) => items,
            _ => Vec::new(),
        },
        usual_processing_days: r.usual_processing_days,
        source_url: r.source_url.clone(),
        figures_read_on: r.figures_read_on,
        notes: r.notes.clone(),
        active: Some(r.active),
    }
}

fn issues_under(prefix: &str, issues: Vec<Issue>, errors: &mut Vec<FieldError>) {
    errors.extend(
        issues
            .into_iter()
            .map(|i| FieldError::body(format!("{prefix}{}", i.pointer), i.code, i.message)),
    );
}

/// Checks a validated scheme beyond its length rules (blank texts, the source URL, the date,
/// the criteria and documents through the domain types), with pointers under `prefix` (`""`
/// for a body, `/schemes/3` in an import); converts it into the store's data.
pub(super) fn scheme_data(
    input: &NewScheme,
    prefix: &str,
    today: NaiveDate,
    errors: &mut Vec<FieldError>,
) -> Option<SchemeData> {
    let before = errors.len();
    for (field, value) in [("name", &input.name), ("provider", &input.provider)] {
        if value.trim().is_empty() {
            errors.push(FieldError::body(
                format!("{prefix}/{field}"),
                "blank",
                "must not be blank",
            ));
        }
    }
    if let Some(url) = input.source_url.as_deref() {
        let url = url.trim();
        let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
        // Checked on the trimmed value, which is what is stored: an address after the scheme.
        let has_host = url
            .split_once("://")
            .is_some_and(|(_, rest)| !rest.is_empty());
        if !scheme_ok || !has_host || url.chars().any(char::is_whitespace) {
            errors.push(FieldError::body(
                format!("{prefix}/source_url"),
                "invalid_url",
                "expected an http(s):// address without spaces",
            ));
        }
    }
    if input.figures_read_on.is_some_and(|d| d > today) {
        errors.push(FieldError::body(
            format!("{prefix}/figures_read_on"),
            "in_future",
            "the figures cannot have been read after today",
        ));
    }
    let criteria = parse_criteria(&Value::Array(input.criteria.clone()))
        .map_err(|issues| issues_under(&format!("{prefix}/criteria"), issues, errors))
        .ok();
    let documents = parse_required_documents(&Value::Array(input.required_documents.clone()))
        .map_err(|issues| issues_under(&format!("{prefix}/required_documents"), issues, errors))
        .ok();
    if errors.len() > before {
        return None;
    }
    Some(SchemeData {
        name: input.name.trim().to_owned(),
        domain: input.domain,
        provider: input.provider.trim().to_owned(),
        description: trimmed(input.description.as_deref()),
        criteria: criteria?,
        required_documents: documents?,
        usual_processing_days: input.usual_processing_days,
        source_url: trimmed(input.source_url.as_deref()),
        figures_read_on: input.figures_read_on,
        notes: trimmed(input.notes.as_deref()),
        active: input.active.unwrap_or(true),
    })
}

/// One scheme of a body, checked: its data or a 422 with every pointer.
pub(super) fn checked(input: &NewScheme, today: NaiveDate) -> Result<SchemeData, ApiError> {
    let mut errors = Vec::new();
    match scheme_data(input, "", today, &mut errors) {
        Some(data) if errors.is_empty() => Ok(data),
        _ => Err(ApiError::validation(errors)),
    }
}

/// Every scheme of an import, checked (names distinct, compared trimmed): all or a 422 with
/// every pointer.
pub(super) fn checked_catalogue(
    catalogue: &Catalogue,
    today: NaiveDate,
) -> Result<Vec<SchemeData>, ApiError> {
    let mut errors = Vec::new();
    let mut schemes = Vec::with_capacity(catalogue.schemes.len());
    for (index, input) in catalogue.schemes.iter().enumerate() {
        let prefix = format!("/schemes/{index}");
        let name = input.name.trim();
        if let Some(first) = catalogue.schemes[..index]
            .iter()
            .position(|s| s.name.trim() == name)
        {
            errors.push(FieldError::body(
                format!("{prefix}/name"),
                "duplicate",
                format!("the scheme at /schemes/{first} has the same name"),
            ));
        }
        if let Some(data) = scheme_data(input, &prefix, today, &mut errors) {
            schemes.push(data);
        }
    }
    if errors.is_empty() {
        Ok(schemes)
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Merges a patch into the current scheme and checks the result with exactly the rules of a
/// creation, so PATCH can never store what POST refuses.
pub(super) fn patched(
    current: &SchemeRecord,
    patch: &SchemePatch,
    today: NaiveDate,
) -> Result<SchemeData, ApiError> {
    let base = written(current);
    let merged = NewScheme {
        name: patch.name.clone().unwrap_or(base.name),
        domain: patch.domain.unwrap_or(base.domain),
        provider: patch.provider.clone().unwrap_or(base.provider),
        description: apply(base.description, patch.description.clone()),
        criteria: patch.criteria.clone().unwrap_or(base.criteria),
        required_documents: patch
            .required_documents
            .clone()
            .unwrap_or(base.required_documents),
        usual_processing_days: apply(base.usual_processing_days, patch.usual_processing_days),
        source_url: apply(base.source_url, patch.source_url.clone()),
        figures_read_on: apply(base.figures_read_on, patch.figures_read_on),
        notes: apply(base.notes, patch.notes.clone()),
        active: Some(patch.active.unwrap_or(current.active)),
    };
    merged
        .validate()
        .map_err(|e| ApiError::validation(crate::extract::validation_errors(&e)))?;
    checked(&merged, today)
}
