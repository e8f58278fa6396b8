//! `POST /v1/imports/cases`: an existing caseload entered from a file, persons and cases.
//!
//! Each row is checked by the rules of a case opened with a new person (`POST /v1/cases`): the
//! row becomes the same request ([`NewCase`] with its `person`), read, validated and converted
//! by the same functions, and their JSON pointers are told as the file's columns. Persons are
//! matched as for duplicates, the whole file in one lookup; rows of one person are one person.
//! The whole file commits in one transaction or not at all, in a bounded number of statements
//! whatever its length (`relais_store::imports`).

mod file;
mod report;

use std::collections::{BTreeSet, HashMap};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::NaiveDate;
use relais_domain::case::default_target_end;
use relais_domain::person::{Identity, Likeness, NirComparison, likeness};
use relais_domain::{AuditAction, AuditResource, Permission};
use relais_store::absences::{self, SyncScope};
use relais_store::audit::NewAuditEvent;
use relais_store::crypto::NirVault;
use relais_store::db::Access;
use relais_store::duplicates::{self, Candidate, Sought};
use relais_store::imports::{self, ImportedCase};
use relais_store::persons::{NirChange, PersonData};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use validator::Validate;

pub use report::{
    CaseImportError, CaseImportProblem, CaseImportReport, CaseImportResult, ImportErrors,
    ImportedCaseRow, PersonOutcome,
};

use self::file::{Format, Row};
use self::report::RowError;
use crate::context::Ctx;
use crate::error::{ApiError, Code, problem_answer};
use crate::extract::{Query, media_type, parse_json, read_body, validation_errors};
use crate::language::Language;
use crate::routes::cases::{NewCase, case_months, opening, referent_or_caller};
use crate::routes::persons::person_data;
use crate::routes::today;
use crate::work::Work;

/// The largest file accepted, in bytes (a 10,000-row CSV file is 2 to 3 MB).
pub const IMPORT_LIMIT: usize = 10 * 1024 * 1024;

/// The most rows a file may have.
pub const MAX_ROWS: usize = 50_000;

/// The query of an import.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `true` checks the file and answers the report, writing nothing.
    pub dry_run: Option<bool>,
}

/// Imports an existing caseload: one case (and its person) per row of a CSV or NDJSON file.
///
/// Supervisors (403 for other roles). The body is `text/csv` (UTF-8, a byte order mark
/// tolerated; `;` or `,`, found from the header row, which names the columns) or
/// `application/x-ndjson` (one JSON object per line, the same names); the columns are listed in
/// the README ("Import"); an unknown column is refused at line 1. At most 10 MiB (413) and
/// 50,000 rows (422 `too_many_rows`); another media type is a 415.
///
/// Each row is checked as `POST /v1/cases` with a new `person` checks it (codes such as
/// `required`, `invalid_value`, `nir_wrong_key`, `out_of_range`, `in_future`); dates are
/// `1984-03-02` or `02/03/1984`; the referent is an agent of the organisation at work, by
/// `referent_email` or `referent_id` (`unknown_reference`), by default none (the intake
/// queue). Persons are matched as for duplicates: a row whose person has the NIR of a person of
/// the organisation, or is the only one likely to be them (same names and birth date), has its
/// case opened for that person; several likely ones are refused (`ambiguous_person`, naming
/// them) unless the row's `confirm_distinct` says it is another person. Rows of the file that
/// are the same person (by the same rule) are one person with several cases, created from the
/// first of them.
///
/// With `dry_run=true` the answer is 200 with the report (`rows`, `accepted`, `errors` with
/// each refused row's `line`, `column`, `code` and message), and nothing is written. Otherwise
/// the whole file is imported in one transaction or not at all: any refused row answers 422
/// `validation_failed` with the `report` and nothing is written; success answers 201 with the
/// report and what was created. Each case is audited as a `create` of `case`, each new person
/// as a `create` of `person`; the persons named as likely ones as a `search` of `person`.
#[utoipa::path(
    tag = "imports",
    operation_id = "import_cases",
    params(ImportParams, crate::responses::IdempotencyKeyHeader),
    request_body(
        description = "The file: a header row naming the columns, then one row per case (CSV), or one JSON object per case (NDJSON)",
        content(
            (String = "text/csv", example = json!("first_name;last_name;birth_date;reason;origin;opened_on;referent_email\nÉloïse;Martin;02/03/1984;Impayés de loyer;self;15/01/2026;claire.martin@example.org\n")),
            (String = "application/x-ndjson", example = json!("{\"first_name\": \"Éloïse\", \"last_name\": \"Martin\", \"birth_date\": \"1984-03-02\", \"reason\": \"Impayés de loyer\", \"origin\": \"self\"}\n"))
        )
    ),
    responses(
        (status = 200, description = "Dry run: the report; nothing written", body = CaseImportReport),
        (status = 201, description = "Imported: the report and what was created", body = CaseImportResult),
        (status = 422, description = "A row is refused (`validation_failed` with the `report`): nothing was written; or the Idempotency-Key was used with another request (`idempotency_key_reused`, without a report)", body = CaseImportProblem, content_type = "application/problem+json"),
        ImportErrors,
    ),
    security(("bearer" = []))
)]
#[post("/cases")]
pub async fn import_cases(
    ctx: Ctx,
    req: HttpRequest,
    params: Query<ImportParams>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseImport)?;
    let format = match media_type(&req).as_str() {
        "text/csv" => Format::Csv,
        "application/x-ndjson" => Format::Ndjson,
        other => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "{}send text/csv or application/x-ndjson",
                if other.is_empty() {
                    String::new()
                } else {
                    format!("{other}; ")
                }
            )));
        }
    };
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|n| n > IMPORT_LIMIT) {
        return Err(ApiError::PayloadTooLarge {
            limit: IMPORT_LIMIT,
        });
    }
    let body = read_body(payload, IMPORT_LIMIT).await?;
    let language = Language::preferred(
        req.headers()
            .get_all(header::ACCEPT_LANGUAGE)
            .filter_map(|v| v.to_str().ok()),
    );
    let dry_run = params.dry_run.unwrap_or(false);
    let today = today();

    let read = file::read(format, &body, MAX_ROWS);
    drop(body);
    let rows = read.rows.len() + read.bad_rows;
    let mut errors = read.errors;
    let mut checked = Vec::with_capacity(read.rows.len());
    // A file refused as a whole (too many rows) is not read further.
    if !errors.iter().any(|e| e.code == "too_many_rows") {
        for row in &read.rows {
            match check_row(row, today) {
                Ok(c) => checked.push(c),
                Err(refused) => errors.extend(refused),
            }
        }
    }
    let file_refused = !errors.is_empty() && checked.is_empty();

    let mut work = ctx
        .work(if dry_run { Access::Read } else { Access::Write })
        .await?;
    let months = case_months(&work.actor);
    let mut plan = Plan::default();
    if !file_refused {
        referents(&mut work, &mut checked, &mut errors).await?;
        plan = match_persons(&mut work, &ctx, &checked, &mut errors).await?;
    }
    errors.sort_by_key(|e| e.line);
    let refused_lines: BTreeSet<usize> = errors.iter().map(|e| e.line).collect();
    let accepted = if errors.iter().any(|e| e.code == "too_many_rows") {
        0
    } else {
        checked
            .iter()
            .filter(|c| !refused_lines.contains(&c.line))
            .count()
    };
    let report = CaseImportReport {
        rows,
        accepted,
        errors: errors.iter().map(|e| e.view(language)).collect(),
    };
    if dry_run {
        return work.commit(HttpResponse::Ok().json(report)).await;
    }
    if !errors.is_empty() {
        let refused = rows - accepted;
        let error = ApiError::new(
            Code::ValidationFailed,
            format!(
                "{refused} of the file's {rows} row(s) are refused: nothing was imported (see \
                 `report`)"
            ),
        )
        .with_detail_fr(format!(
            "{refused} ligne(s) sur {rows} sont refusées : rien n'a été importé (voir `report`)"
        ));
        let body = CaseImportProblem {
            problem: error.problem(None, None),
            report,
        };
        return work.commit(problem_answer(&error, &body)?).await;
    }
    let vault = &ctx.state.vault;
    let result = write(&mut work, vault, &checked, &plan, report, (today, months)).await?;
    work.commit(HttpResponse::Created().json(result)).await
}

/// A row that passed the rules of a creation.
struct Checked {
    line: usize,
    person: PersonData,
    confirm_distinct: bool,
    reason: String,
    origin: relais_domain::CaseOrigin,
    opened_on: NaiveDate,
    target_end_on: Option<NaiveDate>,
    referent_id: Option<Uuid>,
    referent_email: Option<String>,
    /// Whether the row named its referent (else the caller's default applies).
    referent_given: bool,
}

/// A date as a file writes it: `1984-03-02` or `02/03/1984` (also `2/3/1984`).
fn parse_date(value: &str) -> Option<NaiveDate> {
    if let Ok(date) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Some(date);
    }
    let mut parts = value.split('/');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || d.len() > 2 || m.len() > 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// A boolean cell: `true`/`false`, `yes`/`no`, `oui`/`non`, `1`/`0`, `x` (a ticked box).
fn parse_bool(value: &str) -> Option<bool> {
    match value.to_lowercase().as_str() {
        "true" | "yes" | "oui" | "1" | "x" | "vrai" => Some(true),
        "false" | "no" | "non" | "0" | "faux" => Some(false),
        _ => None,
    }
}

/// The column of the file a pointer of the case's request names.
fn column_of(pointer: &str) -> Option<&'static str> {
    let inner = pointer.strip_prefix("/person").unwrap_or(pointer);
    let name = match inner {
        "/address" | "/address/line1" => "address_line1",
        "/address/line2" => "address_line2",
        "/address/postcode" => "postcode",
        "/address/city" => "city",
        "/address/country" => "country",
        "/legal_protection" | "/legal_protection/kind" => "legal_protection",
        "/legal_protection/representative" | "/legal_protection/representative/name" => {
            "representative_name"
        }
        "/legal_protection/representative/organisation" => "representative_organisation",
        "/legal_protection/representative/phone" => "representative_phone",
        "/legal_protection/representative/email" => "representative_email",
        "/disability" | "/disability/recognised" => "disability_recognised",
        "/disability/rate" => "disability_rate",
        other => other.trim_start_matches('/'),
    };
    file::COLUMNS.iter().find(|c| **c == name).copied()
}

/// The errors of a refused request, told as the row's columns.
fn row_errors(line: usize, error: &ApiError) -> Vec<RowError> {
    match error {
        ApiError::Coded { errors, .. } if !errors.is_empty() => errors
            .iter()
            .map(|e| RowError::of_field(line, column_of(&e.pointer), e))
            .collect(),
        other => {
            let french = other.french();
            vec![RowError::new(
                line,
                None,
                other.code().map_or("invalid", |c| c.as_str()),
                other.to_string(),
                french.detail,
            )]
        }
    }
}

/// The row as the request `POST /v1/cases` would receive it, checked by its rules.
fn check_row(row: &Row, today: NaiveDate) -> Result<Checked, Vec<RowError>> {
    use serde_json::{Map, Value};
    let line = row.line;
    let mut errors = Vec::new();
    let text = |name: &str| row.get(name).map(|v| Value::String(v.to_owned()));
    let date = |name: &str, errors: &mut Vec<RowError>| {
        let value = row.get(name)?;
        match parse_date(value) {
            Some(date) => Some(Value::String(date.to_string())),
            None => {
                errors.push(RowError::new(
                    line,
                    Some(name),
                    "invalid_date",
                    format!(
                        "{value:?} is not a date (expected a date such as 1980-02-29 or \
                         29/02/1980)"
                    ),
                    format!(
                        "« {value} » n'est pas une date (attendu une date telle que 1980-02-29 \
                         ou 29/02/1980)"
                    ),
                ));
                None
            }
        }
    };
    let fields = |pairs: &[(&str, Option<Value>)]| -> Option<Value> {
        let map: Map<String, Value> = pairs
            .iter()
            .filter_map(|(k, v)| v.clone().map(|v| ((*k).to_owned(), v)))
            .collect();
        (!map.is_empty()).then_some(Value::Object(map))
    };
    let birth_date = date("birth_date", &mut errors);
    let opened_on = date("opened_on", &mut errors);
    let target_end_on = date("target_end_on", &mut errors);
    let confirm_distinct = match row.get("confirm_distinct") {
        None => false,
        Some(value) => parse_bool(value).unwrap_or_else(|| {
            errors.push(RowError::new(
                line,
                Some("confirm_distinct"),
                "invalid_value",
                format!("{value:?} is not a yes or no (true/false, oui/non, 1/0)"),
                format!("« {value} » n'est ni oui ni non (true/false, oui/non, 1/0)"),
            ));
            false
        }),
    };
    if row.get("referent_email").is_some() && row.get("referent_id").is_some() {
        errors.push(RowError::new(
            line,
            Some("referent_email"),
            "one_of",
            "give referent_email or referent_id, not both".into(),
            "indiquez referent_email ou referent_id, pas les deux".into(),
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let representative = fields(&[
        ("name", text("representative_name")),
        ("organisation", text("representative_organisation")),
        ("phone", text("representative_phone")),
        ("email", text("representative_email")),
    ]);
    let legal_protection = fields(&[
        ("kind", text("legal_protection")),
        ("representative", representative),
    ]);
    let person = fields(&[
        ("first_name", text("first_name")),
        ("last_name", text("last_name")),
        ("birth_name", text("birth_name")),
        ("birth_date", birth_date),
        ("nir", text("nir")),
        ("caf_number", text("caf_number")),
        ("marital_status", text("marital_status")),
        ("civility", text("civility")),
        ("phone", text("phone")),
        ("email", text("email")),
        (
            "address",
            fields(&[
                ("line1", text("address_line1")),
                ("line2", text("address_line2")),
                ("postcode", text("postcode")),
                ("city", text("city")),
                ("country", text("country")),
            ]),
        ),
        ("legal_protection", legal_protection),
        (
            "disability",
            fields(&[
                ("recognised", text("disability_recognised")),
                ("rate", text("disability_rate")),
            ]),
        ),
    ]);
    let request = fields(&[
        (
            "person",
            Some(person.unwrap_or_else(|| Value::Object(Map::new()))),
        ),
        ("reason", text("reason")),
        ("origin", text("origin")),
        ("opened_on", opened_on),
        ("target_end_on", target_end_on),
        ("referent_id", text("referent_id")),
    ])
    .unwrap_or_default();
    let bytes = serde_json::to_vec(&request).map_err(|e| {
        vec![RowError::new(
            line,
            None,
            "invalid",
            e.to_string(),
            e.to_string(),
        )]
    })?;
    let body: NewCase = parse_json(&bytes).map_err(|e| row_errors(line, &e))?;
    body.validate()
        .map_err(|e| row_errors(line, &ApiError::validation(validation_errors(&e))))?;
    let Some(person) = body.person.as_ref() else {
        // Never: the row's request always has its person.
        return Err(vec![RowError::new(
            line,
            Some("first_name"),
            "required",
            "the person is missing".into(),
            "la personne manque".into(),
        )]);
    };
    let data = person_data(person, "/person").map_err(|e| row_errors(line, &e))?;
    let opened_on = opening(&body, today).map_err(|e| row_errors(line, &e))?;
    Ok(Checked {
        line,
        person: data,
        confirm_distinct,
        reason: body.reason.trim().to_owned(),
        origin: body.origin,
        opened_on,
        target_end_on: body.target_end_on,
        referent_id: body.referent_id,
        referent_email: row.get("referent_email").map(str::to_lowercase),
        referent_given: body.referent_id.is_some() || row.get("referent_email").is_some(),
    })
}

/// Finds each row's referent, by e-mail or id, among the organisation's agents at work: two
/// lookups at most for the whole file.
async fn referents(
    work: &mut Work,
    checked: &mut [Checked],
    errors: &mut Vec<RowError>,
) -> Result<(), ApiError> {
    let emails: Vec<String> = checked
        .iter()
        .filter_map(|c| c.referent_email.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let ids: Vec<Uuid> = checked
        .iter()
        .filter_map(|c| c.referent_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let by_email = if emails.is_empty() {
        Vec::new()
    } else {
        imports::agents_by_email(&mut work.tx, &emails).await?
    };
    let by_id: HashMap<Uuid, bool> = if ids.is_empty() {
        HashMap::new()
    } else {
        relais_store::agents::existing(&mut work.tx, &ids)
            .await?
            .into_iter()
            .collect()
    };
    for c in checked.iter_mut() {
        if let Some(email) = &c.referent_email {
            let found: Vec<_> = by_email.iter().filter(|a| &a.email == email).collect();
            match found.as_slice() {
                [] => errors.push(RowError::new(
                    c.line,
                    Some("referent_email"),
                    "unknown_reference",
                    format!("no agent of the organisation has the e-mail {email}"),
                    format!("aucun agent de l'organisme n'a l'adresse {email}"),
                )),
                [agent] if !agent.active => {
                    errors.push(inactive(c.line, "referent_email", agent.id))
                }
                [agent] => c.referent_id = Some(agent.id),
                several => errors.push(RowError::new(
                    c.line,
                    Some("referent_email"),
                    "ambiguous_reference",
                    format!(
                        "{} agents have the e-mail {email}: use referent_id",
                        several.len()
                    ),
                    format!(
                        "{} agents ont l'adresse {email} : utilisez referent_id",
                        several.len()
                    ),
                )),
            }
        } else if let Some(id) = c.referent_id {
            match by_id.get(&id) {
                None => errors.push(RowError::new(
                    c.line,
                    Some("referent_id"),
                    "unknown_reference",
                    format!("no agent {id} in this organisation"),
                    format!("aucun agent {id} dans l'organisme"),
                )),
                Some(false) => errors.push(inactive(c.line, "referent_id", id)),
                Some(true) => {}
            }
        }
    }
    Ok(())
}

fn inactive(line: usize, column: &str, id: Uuid) -> RowError {
    RowError::new(
        line,
        Some(column),
        "unknown_reference",
        format!("agent {id} is no longer active in this organisation"),
        format!("l'agent {id} n'est plus en activité dans l'organisme"),
    )
}

/// Whose case each row opens.
#[derive(Debug, Clone, Copy)]
enum Whose {
    /// A person of the organisation.
    Existing(Uuid),
    /// The new person of group `group` (created from its first row).
    New { group: usize, first: usize },
}

/// What the matching decided, by index of the checked rows.
#[derive(Debug, Default)]
struct Plan {
    whose: Vec<Whose>,
    /// The rows (indexes) each new person is created from, in the file's order.
    new_groups: Vec<usize>,
}

/// The NIR a row gives, if any.
fn nir_of(data: &PersonData) -> Option<&relais_domain::Nir> {
    match &data.nir {
        NirChange::Set(nir) => Some(nir),
        NirChange::Keep | NirChange::Clear => None,
    }
}

fn identity(data: &PersonData) -> Identity<'_> {
    Identity {
        first_name: &data.first_name,
        last_name: &data.last_name,
        birth_name: data.birth_name.as_deref(),
        birth_date: data.birth_date,
    }
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// The rows of the file that are one person (`relais_domain::person::likeness`, both ways):
/// union of the rows with the same NIR, and of the rows alike. Only rows born the same day with
/// a name in common can be alike (a first name, or a first name that is the other's family
/// name when names are swapped): each row is compared with those, found by the day and its
/// folded first name, not with every row (a file whose unknown birth dates were all written
/// `01/01/1900` stays fast). Each row's group is the index of its group's first row.
fn groups(checked: &[Checked]) -> Vec<usize> {
    use relais_domain::text::fold;
    let mut parent: Vec<usize> = (0..checked.len()).collect();
    let union = |parent: &mut Vec<usize>, a: usize, b: usize| {
        let (ra, rb) = (find(parent, a), find(parent, b));
        if ra != rb {
            // The earlier row stands for the group.
            parent[ra.max(rb)] = ra.min(rb);
        }
    };
    let mut by_nir: HashMap<&str, usize> = HashMap::new();
    let mut by_first: HashMap<(NaiveDate, String), Vec<usize>> = HashMap::new();
    for (i, c) in checked.iter().enumerate() {
        if let Some(nir) = nir_of(&c.person) {
            match by_nir.get(nir.as_str()) {
                Some(&first) => union(&mut parent, first, i),
                None => {
                    by_nir.insert(nir.as_str(), i);
                }
            }
        }
        let Some(date) = c.person.birth_date else {
            continue;
        };
        let p = &c.person;
        let mut names = vec![fold(&p.first_name), fold(&p.last_name)];
        names.extend(p.birth_name.as_deref().map(fold));
        names.sort_unstable();
        names.dedup();
        for name in &names {
            let Some(earlier) = by_first.get(&(date, name.clone())) else {
                continue;
            };
            for &j in earlier {
                let nirs = match (nir_of(p), nir_of(&checked[j].person)) {
                    (Some(x), Some(y)) if x.as_str() == y.as_str() => NirComparison::Same,
                    (Some(_), Some(_)) => NirComparison::Different,
                    _ => NirComparison::Unknown,
                };
                let (a, b) = (identity(p), identity(&checked[j].person));
                if likeness(&a, &b, nirs).is_some() || likeness(&b, &a, nirs).is_some() {
                    union(&mut parent, j, i);
                }
            }
        }
        by_first
            .entry((date, fold(&p.first_name)))
            .or_default()
            .push(i);
    }
    (0..checked.len()).map(|i| find(&mut parent, i)).collect()
}

/// Whom a row's candidates make its person: the same NIR, or the only likely one (unless the
/// row says it is another person); several likely ones are an ambiguity.
fn existing(found: &[Candidate], confirm_distinct: bool) -> Result<Option<Uuid>, Vec<Uuid>> {
    if let Some(same) = found.iter().find(|c| c.likeness == Likeness::SameNir) {
        return Ok(Some(same.id));
    }
    match found {
        _ if confirm_distinct => Ok(None),
        [] => Ok(None),
        [one] => Ok(Some(one.id)),
        several => Err(several.iter().map(|c| c.id).collect()),
    }
}

/// Matches the file's persons with the organisation's (one lookup for the whole file) and
/// with each other; an ambiguity is an error of its row, and its candidates are audited as a
/// `search` of `person` (the report names them).
async fn match_persons(
    work: &mut Work,
    ctx: &Ctx,
    checked: &[Checked],
    errors: &mut Vec<RowError>,
) -> Result<Plan, ApiError> {
    let sought: Vec<Sought<'_>> = checked
        .iter()
        .map(|c| Sought {
            identity: identity(&c.person),
            nir: nir_of(&c.person),
        })
        .collect();
    let found = duplicates::candidates(&mut work.tx, &sought, &ctx.state.vault).await?;
    let groups = groups(checked);
    let mut named: BTreeSet<Uuid> = BTreeSet::new();
    // Each group's person of the organisation, and the row that found it.
    let mut group_person: HashMap<usize, (Uuid, usize)> = HashMap::new();
    let mut row_person: Vec<Option<Uuid>> = vec![None; checked.len()];
    for (i, c) in checked.iter().enumerate() {
        match existing(&found[i], c.confirm_distinct) {
            Ok(person) => row_person[i] = person,
            Err(ids) => {
                let list: Vec<String> = ids.iter().map(Uuid::to_string).collect();
                errors.push(RowError::new(
                    c.line,
                    None,
                    "ambiguous_person",
                    format!(
                        "{} persons of the organisation may be this one ({}): merge them first, \
                         or set confirm_distinct if this is another person",
                        ids.len(),
                        list.join(", ")
                    ),
                    format!(
                        "{} personnes de l'organisme peuvent être celle-ci ({}) : fusionnez-les \
                         d'abord, ou indiquez confirm_distinct s'il s'agit d'une autre personne",
                        ids.len(),
                        list.join(", ")
                    ),
                ));
                named.extend(ids);
            }
        }
    }
    for (i, c) in checked.iter().enumerate() {
        let Some(person) = row_person[i] else {
            continue;
        };
        match group_person.get(&groups[i]) {
            None => {
                group_person.insert(groups[i], (person, i));
            }
            Some(&(other, first)) if other != person => {
                errors.push(RowError::new(
                    c.line,
                    None,
                    "ambiguous_person",
                    format!(
                        "this row's person is line {}'s, whose person is {other}, but this row \
                         matches {person}: merge them first",
                        checked[first].line
                    ),
                    format!(
                        "la personne de cette ligne est celle de la ligne {}, qui est {other}, \
                         mais cette ligne correspond à {person} : fusionnez-les d'abord",
                        checked[first].line
                    ),
                ));
                named.extend([person, other]);
            }
            Some(_) => {}
        }
    }
    work.audit_all(
        named
            .into_iter()
            .map(|id| NewAuditEvent::new(AuditAction::Search, AuditResource::Person, id).about(id)),
    );
    let mut plan = Plan {
        whose: Vec::with_capacity(checked.len()),
        new_groups: Vec::new(),
    };
    let mut new_index: HashMap<usize, usize> = HashMap::new();
    for group in &groups {
        let whose = match group_person.get(group) {
            Some(&(person, _)) => Whose::Existing(person),
            None => {
                let next = plan.new_groups.len();
                let index = *new_index.entry(*group).or_insert(next);
                if index == next {
                    plan.new_groups.push(*group);
                }
                Whose::New {
                    group: index,
                    first: *group,
                }
            }
        };
        plan.whose.push(whose);
    }
    Ok(plan)
}

/// Writes the checked file: its new persons, then its cases (teams, timeline events), the
/// absent referents' delegates, and the audit events; a bounded number of statements.
async fn write(
    work: &mut Work,
    vault: &NirVault,
    checked: &[Checked],
    plan: &Plan,
    report: CaseImportReport,
    (today, months): (NaiveDate, u32),
) -> Result<CaseImportResult, ApiError> {
    let (org_id, agent_id) = (work.actor.org.id, work.actor.agent_id);
    let data: Vec<&PersonData> = plan
        .new_groups
        .iter()
        .map(|&first| &checked[first].person)
        .collect();
    let person_ids = imports::create_persons(&mut work.tx, org_id, agent_id, &data, vault).await?;
    let mut cases = Vec::with_capacity(checked.len());
    let mut items = Vec::with_capacity(checked.len());
    let mut matched: BTreeSet<Uuid> = BTreeSet::new();
    for (i, c) in checked.iter().enumerate() {
        let (person_id, outcome, same_as_line) = match plan.whose[i] {
            Whose::Existing(id) => {
                matched.insert(id);
                (id, PersonOutcome::Matched, None)
            }
            Whose::New { group, first } if first == i => {
                (person_ids[group], PersonOutcome::Created, None)
            }
            Whose::New { group, first } => (
                person_ids[group],
                PersonOutcome::SameAsEarlierRow,
                Some(checked[first].line),
            ),
        };
        let referent_id = if c.referent_given {
            c.referent_id
        } else {
            referent_or_caller(None, &work.actor)
        };
        cases.push(ImportedCase {
            person_id,
            reason: c.reason.clone(),
            origin: c.origin,
            referent_id,
            opened_on: c.opened_on,
            target_end_on: c
                .target_end_on
                .unwrap_or_else(|| default_target_end(c.opened_on, months)),
        });
        items.push((c.line, person_id, outcome, same_as_line));
    }
    let case_ids = imports::create_cases(&mut work.tx, org_id, agent_id, &cases).await?;
    // A case given to an absent referent has their delegate at once, as when opened alone.
    let delegated: Vec<Uuid> = case_ids
        .iter()
        .zip(&cases)
        .filter(|(_, c)| c.referent_id.is_some_and(|r| r != agent_id))
        .map(|(id, _)| *id)
        .collect();
    if !delegated.is_empty() {
        absences::sync(&mut work.tx, today, SyncScope::Cases(&delegated)).await?;
    }
    work.audit_all(
        person_ids.iter().map(|id| {
            NewAuditEvent::new(AuditAction::Create, AuditResource::Person, *id).about(*id)
        }),
    );
    work.audit_all(case_ids.iter().zip(&cases).map(|(id, c)| {
        NewAuditEvent::new(AuditAction::Create, AuditResource::Case, *id).about(c.person_id)
    }));
    Ok(CaseImportResult {
        report,
        cases_created: case_ids.len(),
        persons_created: person_ids.len(),
        persons_matched: matched.len(),
        items: items
            .into_iter()
            .zip(case_ids)
            .map(
                |((line, person_id, person, same_as_line), case_id)| ImportedCaseRow {
                    line,
                    case_id,
                    person_id,
                    person,
                    same_as_line,
                },
            )
            .collect(),
    })
}
