//! Parsing of eligibility criteria from JSON, with a JSON pointer for every problem: the only
//! way a [`Criterion`] comes to exist from outside the crate.

use serde_json::{Map, Value};

use super::{
    Ceiling, Criterion, CriterionKind, Issue, MAX_AGE_YEARS, MAX_CENTS, MAX_CRITERIA, MAX_MEMBERS,
    MAX_NOTE_CHARS, MAX_PERCENT, MAX_PREFIXES, MAX_SCALE_ENTRIES, ResourcesBasis, Rule, Scale,
};
use crate::budget::DebtKind;
use crate::codes::{Coded, parse_code};
use crate::household::{EmploymentStatus, HousingStatus};
use crate::number::whole;
use crate::person::LegalProtectionKind;

/// Parses a JSON array of criteria; the issues point into the array (`/2/max_cents`).
///
/// # Errors
/// Every [`Issue`] found, in document order.
pub fn parse_criteria(value: &Value) -> Result<Vec<Criterion>, Vec<Issue>> {
    let Some(items) = value.as_array() else {
        return Err(vec![Issue::new(
            "",
            "invalid_type",
            "expected an array of criteria",
        )]);
    };
    if items.len() > MAX_CRITERIA {
        return Err(vec![Issue::new(
            "",
            "too_many",
            format!("at most {MAX_CRITERIA} criteria"),
        )]);
    }
    let mut criteria = Vec::with_capacity(items.len());
    let mut issues = Vec::new();
    for (index, item) in items.iter().enumerate() {
        match parse_criterion(item) {
            Ok(criterion) => criteria.push(criterion),
            Err(found) => issues.extend(found.into_iter().map(|i| i.under(&format!("/{index}")))),
        }
    }
    if issues.is_empty() {
        Ok(criteria)
    } else {
        Err(issues)
    }
}

/// Parses one criterion; the issues point into it (`/max_cents`).
///
/// # Errors
/// Every [`Issue`] found.
pub fn parse_criterion(value: &Value) -> Result<Criterion, Vec<Issue>> {
    let Some(object) = value.as_object() else {
        return Err(vec![Issue::new(
            "",
            "invalid_type",
            "expected a criterion object",
        )]);
    };
    let mut fields = Fields::new(object);
    let kind = match object.get("kind") {
        None => {
            fields.issue("/kind", "required", "the criterion's kind is required");
            None
        }
        Some(Value::String(code)) => match parse_code::<CriterionKind>(code) {
            Ok(kind) => Some(kind),
            Err(e) => {
                fields.issue("/kind", "unknown_code", e.to_string());
                None
            }
        },
        Some(_) => {
            fields.issue("/kind", "invalid_type", "expected a string");
            None
        }
    };
    fields.seen("kind");
    let note = fields.note();
    let Some(kind) = kind else {
        return Err(fields.issues);
    };
    let rule = match kind {
        CriterionKind::Age => {
            let min = fields.count("min", MAX_AGE_YEARS);
            let max = fields.count("max", MAX_AGE_YEARS);
            fields.bounds("min", min, "max", max);
            fields.some_bound(&[min, max], "give `min`, `max` or both");
            Rule::Age { min, max }
        }
        CriterionKind::Household => {
            let min_members = fields.count("min_members", MAX_MEMBERS);
            let max_members = fields.count("max_members", MAX_MEMBERS);
            let min_children = fields.count("min_dependent_children", MAX_MEMBERS);
            let max_children = fields.count("max_dependent_children", MAX_MEMBERS);
            fields.bounds("min_members", min_members, "max_members", max_members);
            fields.bounds(
                "min_dependent_children",
                min_children,
                "max_dependent_children",
                max_children,
            );
            if max_members == Some(0) {
                fields.issue(
                    "/max_members",
                    "out_of_range",
                    "a household has at least one member",
                );
            }
            fields.some_bound(
                &[min_members, max_members, min_children, max_children],
                "give at least one bound on the members or the dependent children",
            );
            Rule::Household {
                min_members,
                max_members,
                min_dependent_children: min_children,
                max_dependent_children: max_children,
            }
        }
        CriterionKind::ResourcesCeiling => {
            let basis = fields.code::<ResourcesBasis>("basis");
            let ceiling = fields.ceiling();
            match (basis, ceiling) {
                (Some(basis), Some(ceiling)) => Rule::ResourcesCeiling { basis, ceiling },
                _ => return Err(fields.finish_err()),
            }
        }
        CriterionKind::PostcodePrefix => Rule::PostcodePrefix {
            prefixes: fields.prefixes(),
        },
        CriterionKind::Housing => Rule::Housing {
            any_of: fields.any_of::<HousingStatus>(),
        },
        CriterionKind::Employment => Rule::Employment {
            any_of: fields.any_of::<EmploymentStatus>(),
        },
        CriterionKind::DisabilityRecognised => Rule::DisabilityRecognised,
        CriterionKind::DisabilityRateMin => {
            let given = fields
                .object
                .get("min_percent")
                .is_some_and(|v| !v.is_null());
            let min_percent = fields.count("min_percent", MAX_PERCENT);
            match min_percent {
                Some(0) => fields.issue(
                    "/min_percent",
                    "out_of_range",
                    format!("must be between 1 and {MAX_PERCENT}"),
                ),
                None if !given => {
                    fields.issue("/min_percent", "required", "`min_percent` is required");
                }
                _ => {}
            }
            Rule::DisabilityRateMin {
                min_percent: min_percent.unwrap_or(0),
            }
        }
        CriterionKind::DebtKinds => Rule::DebtKinds {
            any_of: fields.any_of::<DebtKind>(),
        },
        CriterionKind::LegalProtection => Rule::LegalProtection {
            any_of: fields.any_of::<LegalProtectionKind>(),
        },
    };
    fields.deny_unknown();
    if fields.issues.is_empty() {
        Ok(Criterion { rule, note })
    } else {
        Err(fields.issues)
    }
}

/// Reads the fields of one JSON object, collecting issues and the names seen.
struct Fields<'a> {
    object: &'a Map<String, Value>,
    seen: Vec<&'static str>,
    issues: Vec<Issue>,
}

impl<'a> Fields<'a> {
    fn new(object: &'a Map<String, Value>) -> Self {
        Self {
            object,
            seen: Vec::new(),
            issues: Vec::new(),
        }
    }

    fn issue(&mut self, pointer: &str, code: &'static str, message: impl Into<String>) {
        self.issues.push(Issue::new(pointer, code, message));
    }

    fn seen(&mut self, name: &'static str) {
        self.seen.push(name);
    }

    /// The value of `name`, treating `null` as absent.
    fn get(&mut self, name: &'static str) -> Option<&'a Value> {
        self.seen(name);
        self.object.get(name).filter(|v| !v.is_null())
    }

    fn note(&mut self) -> Option<String> {
        match self.get("note")? {
            Value::String(text) => {
                let text = text.trim();
                if text.is_empty() {
                    self.issue("/note", "blank", "must not be blank");
                    None
                } else if text.chars().count() > MAX_NOTE_CHARS {
                    self.issue(
                        "/note",
                        "length",
                        format!("at most {MAX_NOTE_CHARS} characters"),
                    );
                    None
                } else {
                    Some(text.to_owned())
                }
            }
            _ => {
                self.issue("/note", "invalid_type", "expected a string");
                None
            }
        }
    }

    /// A whole number from 0 to `max`, or absent.
    fn count(&mut self, name: &'static str, max: u32) -> Option<u32> {
        let value = self.get(name)?;
        match value
            .as_number()
            .and_then(whole)
            .and_then(|n| u32::try_from(n).ok())
        {
            Some(n) if n <= max => Some(n),
            Some(_) => {
                self.issue(
                    &format!("/{name}"),
                    "out_of_range",
                    format!("must be between 0 and {max}"),
                );
                None
            }
            None => {
                let (code, message) = if value.is_number() {
                    (
                        "out_of_range",
                        format!("must be a whole number between 0 and {max}"),
                    )
                } else {
                    ("invalid_type", "expected a whole number".to_owned())
                };
                self.issue(&format!("/{name}"), code, message);
                None
            }
        }
    }

    /// An amount in cents from 0 to [`MAX_CENTS`], at `pointer`.
    fn cents_at(&mut self, value: &Value, pointer: &str) -> Option<i64> {
        match value.as_number().and_then(whole) {
            Some(n) if (0..=MAX_CENTS).contains(&n) => Some(n),
            _ if value.is_number() => {
                self.issue(
                    pointer,
                    "out_of_range",
                    format!("must be a whole number of cents between 0 and {MAX_CENTS}"),
                );
                None
            }
            _ => {
                self.issue(pointer, "invalid_type", "expected a whole number of cents");
                None
            }
        }
    }

    fn bounds(&mut self, min_name: &str, min: Option<u32>, max_name: &str, max: Option<u32>) {
        if let (Some(min), Some(max)) = (min, max)
            && min > max
        {
            self.issue(
                &format!("/{min_name}"),
                "min_above_max",
                format!("`{min_name}` ({min}) is above `{max_name}` ({max})"),
            );
        }
    }

    /// Refuses a criterion that constrains nothing (unless a bound was already refused).
    fn some_bound(&mut self, bounds: &[Option<u32>], message: &str) {
        if self.issues.is_empty() && bounds.iter().all(Option::is_none) {
            self.issue("", "no_bound", message);
        }
    }

    fn code<T: Coded>(&mut self, name: &'static str) -> Option<T> {
        let pointer = format!("/{name}");
        match self.get(name) {
            None => {
                self.issue(&pointer, "required", format!("`{name}` is required"));
                None
            }
            Some(Value::String(code)) => match parse_code::<T>(code) {
                Ok(value) => Some(value),
                Err(e) => {
                    self.issue(&pointer, "unknown_code", e.to_string());
                    None
                }
            },
            Some(_) => {
                self.issue(&pointer, "invalid_type", "expected a string");
                None
            }
        }
    }

    fn ceiling(&mut self) -> Option<Ceiling> {
        let flat = self.get("max_cents");
        let tables: Vec<(Scale, &'a Value)> = [Scale::HouseholdSize, Scale::DependentChildren]
            .into_iter()
            .filter_map(|scale| self.get(scale.fields().0).map(|v| (scale, v)))
            .collect();
        let increments: Vec<(Scale, &'a Value)> = [Scale::HouseholdSize, Scale::DependentChildren]
            .into_iter()
            .filter_map(|scale| self.get(scale.fields().1).map(|v| (scale, v)))
            .collect();
        let given = usize::from(flat.is_some()) + tables.len();
        if given != 1 {
            let (pointer, code, message) = if given == 0 {
                ("/max_cents", "required", "give one of")
            } else {
                ("", "conflict", "give only one of")
            };
            self.issue(
                pointer,
                code,
                format!(
                    "{message} `max_cents`, `max_cents_by_household_size`, \
                     `max_cents_by_dependent_children`"
                ),
            );
            return None;
        }
        let table_scale = tables.first().map(|(scale, _)| *scale);
        for (scale, _) in &increments {
            if Some(*scale) != table_scale {
                let (table, additional) = scale.fields();
                self.issue(
                    &format!("/{additional}"),
                    "conflict",
                    format!("`{additional}` goes with `{table}` only"),
                );
            }
        }
        match (flat, tables.first()) {
            (Some(flat), _) => self.cents_at(flat, "/max_cents").map(Ceiling::Flat),
            (None, Some((scale, value))) => {
                let (table, additional) = scale.fields();
                let Some(entries) = value.as_array() else {
                    self.issue(
                        &format!("/{table}"),
                        "invalid_type",
                        "expected an array of amounts in cents",
                    );
                    return None;
                };
                if entries.is_empty() || entries.len() > MAX_SCALE_ENTRIES {
                    self.issue(
                        &format!("/{table}"),
                        "length",
                        format!("between 1 and {MAX_SCALE_ENTRIES} amounts"),
                    );
                    return None;
                }
                let amounts: Vec<Option<i64>> = entries
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.cents_at(v, &format!("/{table}/{i}")))
                    .collect();
                let additional_cents = increments
                    .iter()
                    .find(|(s, _)| s == scale)
                    .and_then(|(_, v)| self.cents_at(v, &format!("/{additional}")));
                let amounts: Option<Vec<i64>> = amounts.into_iter().collect();
                Some(Ceiling::Table {
                    scale: *scale,
                    amounts: amounts?,
                    additional_cents,
                })
            }
            (None, None) => None,
        }
    }

    fn prefixes(&mut self) -> Vec<String> {
        let Some(value) = self.get("prefixes") else {
            self.issue("/prefixes", "required", "`prefixes` is required");
            return Vec::new();
        };
        let Some(items) = value.as_array() else {
            self.issue("/prefixes", "invalid_type", "expected an array of strings");
            return Vec::new();
        };
        if items.is_empty() || items.len() > MAX_PREFIXES {
            self.issue(
                "/prefixes",
                "length",
                format!("between 1 and {MAX_PREFIXES} prefixes"),
            );
            return Vec::new();
        }
        let mut prefixes: Vec<String> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let pointer = format!("/prefixes/{i}");
            match item.as_str() {
                Some(p) if (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()) => {
                    if prefixes.iter().any(|q| q == p) {
                        self.issue(&pointer, "duplicate", format!("`{p}` is listed twice"));
                    } else {
                        prefixes.push(p.to_owned());
                    }
                }
                Some(_) => self.issue(&pointer, "invalid_format", "expected 1 to 5 digits"),
                None => self.issue(&pointer, "invalid_type", "expected a string of digits"),
            }
        }
        prefixes
    }

    fn any_of<T: Coded + PartialEq>(&mut self) -> Vec<T> {
        let Some(value) = self.get("any_of") else {
            self.issue("/any_of", "required", "`any_of` is required");
            return Vec::new();
        };
        let Some(items) = value.as_array() else {
            self.issue("/any_of", "invalid_type", "expected an array of codes");
            return Vec::new();
        };
        if items.is_empty() || items.len() > T::ALL.len() {
            self.issue(
                "/any_of",
                "length",
                format!("between 1 and {} codes of `{}`", T::ALL.len(), T::LIST),
            );
            return Vec::new();
        }
        let mut codes: Vec<T> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let pointer = format!("/any_of/{i}");
            match item.as_str().map(parse_code::<T>) {
                Some(Ok(code)) if codes.contains(&code) => {
                    self.issue(
                        &pointer,
                        "duplicate",
                        format!("`{}` is listed twice", code.code()),
                    );
                }
                Some(Ok(code)) => codes.push(code),
                Some(Err(e)) => self.issue(&pointer, "unknown_code", e.to_string()),
                None => self.issue(&pointer, "invalid_type", "expected a code"),
            }
        }
        codes
    }

    /// Refuses the fields this kind does not know.
    fn deny_unknown(&mut self) {
        let unknown: Vec<String> = self
            .object
            .keys()
            .filter(|k| !self.seen.contains(&k.as_str()))
            .cloned()
            .collect();
        for name in unknown {
            let message = format!(
                "unknown field `{name}`; this kind has: {}",
                self.seen.join(", ")
            );
            self.issues.push(Issue::new(
                format!("/{}", crate::text::pointer_token(&name)),
                "unknown_field",
                message,
            ));
        }
    }

    fn finish_err(mut self) -> Vec<Issue> {
        self.deny_unknown();
        self.issues
    }
}
