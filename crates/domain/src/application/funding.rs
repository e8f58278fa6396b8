//! The funding plan (*plan de financement*): the need, the funders asked with their answers,
//! and the remaining gap.

use super::{FUNDER_NAME_MAX_CHARS, FieldProblem, FunderStatus, MAX_FUNDERS, amount_problem};

/// A funder of the funding plan, as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunderInput<'a> {
    pub name: &'a str,
    pub requested_cents: i64,
    pub status: FunderStatus,
    pub granted_cents: Option<i64>,
}

/// A funder, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Funder {
    /// Trimmed.
    pub name: String,
    pub requested_cents: i64,
    pub status: FunderStatus,
    /// Exactly when granted (the amount requested) or partially granted (less than it).
    pub granted_cents: Option<i64>,
}

/// Checks a funding plan: the need (1 cent to [`MAX_AMOUNT_CENTS`](super::MAX_AMOUNT_CENTS)) and at most
/// [`MAX_FUNDERS`] funders, each named once (case and surrounding spaces aside), asked 1 cent
/// to [`MAX_AMOUNT_CENTS`](super::MAX_AMOUNT_CENTS); a `granted` funder grants what was requested (the amount may be
/// left out), a `partially_granted` one less than that (the amount is required), and the
/// others no amount.
///
/// # Errors
/// Every problem found, at `/need_cents`, `/funders` or `/funders/{i}/…`.
pub fn check_funding_plan(
    need_cents: i64,
    funders: &[FunderInput<'_>],
) -> Result<Vec<Funder>, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    problems.extend(amount_problem(need_cents, "/need_cents".into()));
    if funders.len() > MAX_FUNDERS {
        problems.push(FieldProblem::new(
            "/funders",
            "too_many",
            format!("a funding plan has at most {MAX_FUNDERS} funders"),
        ));
    }
    let mut seen: Vec<String> = Vec::new();
    let mut checked = Vec::with_capacity(funders.len());
    for (i, f) in funders.iter().enumerate() {
        let at = |field: &str| format!("/funders/{i}/{field}");
        let name = f.name.trim();
        let key = name.to_lowercase();
        if name.is_empty() {
            problems.push(FieldProblem::new(at("name"), "blank", "name the funder"));
        } else if name.chars().count() > FUNDER_NAME_MAX_CHARS {
            problems.push(FieldProblem::new(
                at("name"),
                "too_long",
                format!("at most {FUNDER_NAME_MAX_CHARS} characters"),
            ));
        } else if seen.contains(&key) {
            problems.push(FieldProblem::new(
                at("name"),
                "duplicate",
                format!("{name} is already in the plan"),
            ));
        }
        seen.push(key);
        problems.extend(amount_problem(f.requested_cents, at("requested_cents")));
        let granted = match (f.status, f.granted_cents) {
            (FunderStatus::Granted, None) => Some(f.requested_cents),
            (FunderStatus::Granted, Some(g)) if g == f.requested_cents => Some(g),
            (FunderStatus::Granted, Some(_)) => {
                problems.push(FieldProblem::new(
                    at("granted_cents"),
                    "granted_amount_mismatch",
                    "a granted funder grants what was requested (partially_granted otherwise)",
                ));
                None
            }
            (FunderStatus::PartiallyGranted, None) => {
                problems.push(FieldProblem::new(
                    at("granted_cents"),
                    "required",
                    "say how much was granted",
                ));
                None
            }
            (FunderStatus::PartiallyGranted, Some(g)) if (1..f.requested_cents).contains(&g) => {
                Some(g)
            }
            (FunderStatus::PartiallyGranted, Some(_)) => {
                problems.push(FieldProblem::new(
                    at("granted_cents"),
                    "out_of_range",
                    "a partial grant is at least 1 cent and less than the amount requested",
                ));
                None
            }
            (FunderStatus::Requested | FunderStatus::Refused, Some(_)) => {
                problems.push(FieldProblem::new(
                    at("granted_cents"),
                    "not_allowed",
                    format!("a {} funder has granted nothing", f.status),
                ));
                None
            }
            (FunderStatus::Requested | FunderStatus::Refused, None) => None,
        };
        checked.push(Funder {
            name: name.to_owned(),
            requested_cents: f.requested_cents,
            status: f.status,
            granted_cents: granted,
        });
    }
    if problems.is_empty() {
        Ok(checked)
    } else {
        Err(problems)
    }
}

/// The figures of a funding plan, in cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FundingTotals {
    /// The need the plan covers.
    pub need_cents: i64,
    /// Σ of every funder's request.
    pub requested_cents: i64,
    /// Σ of what was granted (whole and partial grants).
    pub granted_cents: i64,
    /// Σ of the requests still awaiting an answer.
    pub pending_cents: i64,
    /// The remaining gap: need − granted, or 0 once the grants cover the need.
    pub gap_cents: i64,
    /// What the grants exceed the need by (0 when they do not).
    pub excess_cents: i64,
    /// What is not asked of any funder yet: need − requested, or 0.
    pub unrequested_cents: i64,
}

/// The totals of a funding plan. Amounts are bounded ([`MAX_AMOUNT_CENTS`](super::MAX_AMOUNT_CENTS) each, at most
/// [`MAX_FUNDERS`] funders), so the sums cannot overflow; they saturate anyway.
pub fn funding_totals(need_cents: i64, funders: &[Funder]) -> FundingTotals {
    let sum = |f: &dyn Fn(&Funder) -> i64| {
        funders
            .iter()
            .map(f)
            .fold(0i64, |acc, v| acc.saturating_add(v))
    };
    let requested_cents = sum(&|f| f.requested_cents);
    let granted_cents = sum(&|f| f.granted_cents.unwrap_or(0));
    let pending_cents = sum(&|f| {
        if f.status == FunderStatus::Requested {
            f.requested_cents
        } else {
            0
        }
    });
    let remaining = need_cents.saturating_sub(granted_cents);
    FundingTotals {
        need_cents,
        requested_cents,
        granted_cents,
        pending_cents,
        gap_cents: remaining.max(0),
        excess_cents: (-remaining).max(0),
        unrequested_cents: need_cents.saturating_sub(requested_cents).max(0),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::application::FunderStatus;

    fn funder(
        name: &'static str,
        requested: i64,
        status: FunderStatus,
        granted: Option<i64>,
    ) -> FunderInput<'static> {
        FunderInput {
            name,
            requested_cents: requested,
            status,
            granted_cents: granted,
        }
    }

    #[test]
    fn the_gap_is_the_need_less_what_was_granted() {
        let funders = check_funding_plan(
            150_000,
            &[
                funder("FSL", 80_000, FunderStatus::Granted, None),
                funder("CCAS", 40_000, FunderStatus::PartiallyGranted, Some(25_000)),
                funder("Fondation", 20_000, FunderStatus::Requested, None),
                funder("Caisse de retraite", 10_000, FunderStatus::Refused, None),
            ],
        )
        .unwrap();
        assert_eq!(
            funders[0].granted_cents,
            Some(80_000),
            "granted: as requested"
        );
        let totals = funding_totals(150_000, &funders);
        assert_eq!(
            totals,
            FundingTotals {
                need_cents: 150_000,
                requested_cents: 150_000,
                granted_cents: 105_000,
                pending_cents: 20_000,
                gap_cents: 45_000,
                excess_cents: 0,
                unrequested_cents: 0,
            }
        );
    }

    #[test]
    fn grants_beyond_the_need_leave_no_gap_and_show_the_excess() {
        let funders = check_funding_plan(
            50_000,
            &[funder("FSL", 70_000, FunderStatus::Granted, Some(70_000))],
        )
        .unwrap();
        let totals = funding_totals(50_000, &funders);
        assert_eq!(totals.gap_cents, 0);
        assert_eq!(totals.excess_cents, 20_000);
        assert_eq!(totals.unrequested_cents, 0);
        let nobody = funding_totals(50_000, &[]);
        assert_eq!(nobody.gap_cents, 50_000);
        assert_eq!(nobody.unrequested_cents, 50_000);
    }

    #[test]
    fn a_funding_plan_points_at_each_bad_funder_field() {
        let problems = check_funding_plan(
            0,
            &[
                funder(" ", 100, FunderStatus::Requested, Some(5)),
                funder("FSL", 100, FunderStatus::Granted, Some(90)),
                funder("fsl ", 100, FunderStatus::PartiallyGranted, Some(100)),
                funder("CCAS", 0, FunderStatus::PartiallyGranted, None),
            ],
        )
        .unwrap_err();
        let found: Vec<(&str, &str)> = problems
            .iter()
            .map(|p| (p.pointer.as_str(), p.code))
            .collect();
        assert_eq!(
            found,
            [
                ("/need_cents", "out_of_range"),
                ("/funders/0/name", "blank"),
                ("/funders/0/granted_cents", "not_allowed"),
                ("/funders/1/granted_cents", "granted_amount_mismatch"),
                ("/funders/2/name", "duplicate"),
                ("/funders/2/granted_cents", "out_of_range"),
                ("/funders/3/requested_cents", "out_of_range"),
                ("/funders/3/granted_cents", "required"),
            ]
        );
    }

    #[test]
    fn a_funding_plan_has_at_most_twenty_funders() {
        let names: Vec<String> = (0..=MAX_FUNDERS).map(|i| format!("F{i}")).collect();
        let funders: Vec<FunderInput<'_>> = names
            .iter()
            .map(|n| FunderInput {
                name: n,
                requested_cents: 100,
                status: FunderStatus::Requested,
                granted_cents: None,
            })
            .collect();
        let problems = check_funding_plan(1000, &funders).unwrap_err();
        assert_eq!(problems[0].pointer, "/funders");
    }
}
