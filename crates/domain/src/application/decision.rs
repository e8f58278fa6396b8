//! The submission and the decision of an application, and the social report's text: what
//! each needs and the bounds of its values.

use chrono::NaiveDate;

use super::{
    ApplicationDecision, FieldProblem, REASON_MAX_CHARS, RECIPIENT_MAX_CHARS,
    SOCIAL_REPORT_MAX_CHARS, amount_problem, optional_text,
};

fn not_in_future(date: NaiveDate, field: &str, today: NaiveDate) -> Option<FieldProblem> {
    (date > today).then(|| {
        FieldProblem::new(
            format!("/{field}"),
            "out_of_range",
            format!("{date} is in the future"),
        )
    })
}

/// The submission's date and recipient: both required, the date not in the future, the
/// recipient not blank and at most [`RECIPIENT_MAX_CHARS`].
///
/// # Errors
/// Every problem found, at `/submitted_on` and `/submitted_to`.
pub fn check_submission(
    on: Option<NaiveDate>,
    to: Option<&str>,
    today: NaiveDate,
) -> Result<(NaiveDate, String), Vec<FieldProblem>> {
    let mut problems = Vec::new();
    if on.is_none() {
        problems.push(FieldProblem::required(
            "submitted_on",
            "say when the dossier was sent",
        ));
    }
    problems.extend(on.and_then(|d| not_in_future(d, "submitted_on", today)));
    let to = match optional_text(to, "submitted_to", RECIPIENT_MAX_CHARS) {
        Ok(None) => {
            problems.push(FieldProblem::required(
                "submitted_to",
                "say to whom the dossier was sent",
            ));
            None
        }
        Ok(to) => to,
        Err(problem) => {
            problems.push(problem);
            None
        }
    };
    match (on, to) {
        (Some(on), Some(to)) if problems.is_empty() => Ok((on, to)),
        _ => Err(problems),
    }
}

/// A decision as given (by a transition, or by a correction of a decided application).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecisionInput<'a> {
    pub decision: Option<ApplicationDecision>,
    pub decided_on: Option<NaiveDate>,
    pub amount_granted_cents: Option<i64>,
    pub reason: Option<&'a str>,
}

/// A decision, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub decision: ApplicationDecision,
    pub decided_on: NaiveDate,
    /// Exactly when granted or partially granted.
    pub amount_granted_cents: Option<i64>,
    /// Always when refused; optional otherwise.
    pub reason: Option<String>,
}

/// Checks a decision: the decision and its date are required; the date is neither before the
/// submission nor in the future; a grant (whole or partial) has its amount (1 cent to
/// [`MAX_AMOUNT_CENTS`]) and a refusal has none but has a reason.
///
/// # Errors
/// Every problem found, at `/decision`, `/decided_on`, `/amount_granted_cents` or `/reason`.
pub fn check_decision(
    input: &DecisionInput<'_>,
    submitted_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<Decision, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    if input.decision.is_none() {
        problems.push(FieldProblem::required(
            "decision",
            "granted, partially_granted or refused",
        ));
    }
    match input.decided_on {
        None => problems.push(FieldProblem::required(
            "decided_on",
            "say when the decision was made",
        )),
        Some(date) => {
            problems.extend(not_in_future(date, "decided_on", today));
            if let Some(sent) = submitted_on
                && date < sent
            {
                problems.push(FieldProblem::new(
                    "/decided_on",
                    "out_of_range",
                    format!("the decision cannot come before the submission ({sent})"),
                ));
            }
        }
    }
    let granted = matches!(
        input.decision,
        Some(ApplicationDecision::Granted | ApplicationDecision::PartiallyGranted)
    );
    match input.amount_granted_cents {
        None if granted => problems.push(FieldProblem::required(
            "amount_granted_cents",
            "a grant says how much was granted",
        )),
        Some(_) if input.decision == Some(ApplicationDecision::Refused) => problems.push(
            FieldProblem::not_allowed("amount_granted_cents", "a refusal grants no amount"),
        ),
        Some(amount) => {
            problems.extend(amount_problem(amount, "/amount_granted_cents".into()));
        }
        None => {}
    }
    let reason = match optional_text(input.reason, "reason", REASON_MAX_CHARS) {
        Ok(None) if input.decision == Some(ApplicationDecision::Refused) => {
            problems.push(FieldProblem::required(
                "reason",
                "a refusal is recorded with its reason",
            ));
            None
        }
        Ok(reason) => reason,
        Err(problem) => {
            problems.push(problem);
            None
        }
    };
    match (input.decision, input.decided_on) {
        (Some(decision), Some(decided_on)) if problems.is_empty() => Ok(Decision {
            decision,
            decided_on,
            amount_granted_cents: input.amount_granted_cents.filter(|_| granted),
            reason,
        }),
        _ => Err(problems),
    }
}

/// A social report's text: trimmed, 1 to [`SOCIAL_REPORT_MAX_CHARS`] characters.
///
/// # Errors
/// [`FieldProblem`] at `/text`: `blank` or `too_long`.
pub fn social_report_text(raw: &str) -> Result<String, FieldProblem> {
    let text = raw.trim();
    if text.is_empty() {
        Err(FieldProblem::new("/text", "blank", "the report is empty"))
    } else if text.chars().count() > SOCIAL_REPORT_MAX_CHARS {
        Err(FieldProblem::new(
            "/text",
            "too_long",
            format!("a social report has at most {SOCIAL_REPORT_MAX_CHARS} characters"),
        ))
    } else {
        Ok(text.to_owned())
    }
}
