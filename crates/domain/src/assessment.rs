//! The assessment of a case (analyse de la situation / diagnostic): per [`Domain`], the
//! situation, whether action is needed, and how urgent it is.
//!
//! An assessment is replaced whole: [`check`] lists what is wrong with the new entries (at most
//! one per domain, a priority whenever action is needed, situations of bounded length), and
//! [`unchanged`] says which entries keep who assessed them and when. The case lifecycle only
//! needs [`domains_needing_action`]: `planning` requires at least one.

use crate::codes::Coded;
use crate::reference::Domain;
use crate::refusal::Refusal;

crate::coded_enum! {
    /// Whether a domain of the person's situation calls for action in the plan.
    pub enum NeedsAction in "needs_action" {
        /// Action is needed: the plan will hold steps in this domain.
        Yes => "yes" { fr: "Oui", en: "Yes" },
        /// Nothing to do in this domain.
        No => "no" { fr: "Non", en: "No" },
        /// Not known yet; to look into at a later interview.
        ToEvaluate => "to_evaluate" { fr: "À évaluer", en: "To evaluate" },
    }
}

crate::coded_enum! {
    /// How urgent the action in a domain is.
    pub enum Priority in "priority" {
        /// Can wait until the more urgent matters are settled.
        Low => "low" { fr: "Basse", en: "Low" },
        /// To deal with in the course of the plan.
        Medium => "medium" { fr: "Moyenne", en: "Medium" },
        /// To deal with first.
        High => "high" { fr: "Haute", en: "High" },
    }
}

/// Longest situation text of one domain, in characters.
pub const MAX_SITUATION_CHARS: usize = 10_000;

/// Most entries of one assessment: one per domain.
pub const MAX_DOMAINS: usize = Domain::ALL.len();

/// One assessed domain, as written by the worker (who and when are added by the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainAssessment {
    /// The domain assessed.
    pub domain: Domain,
    /// The situation in this domain, in the worker's words.
    pub situation: String,
    /// Whether action is needed.
    pub needs_action: NeedsAction,
    /// How urgent; required when action is needed.
    pub priority: Option<Priority>,
}

/// What is wrong with one entry of an assessment; `index` is its position in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AssessmentError {
    /// The domain was already given by an earlier entry.
    #[error("the domain {domain} is assessed twice (first at entry {first})")]
    DuplicateDomain {
        /// The entry repeating the domain.
        index: usize,
        /// The repeated domain.
        domain: Domain,
        /// The entry that gave it first.
        first: usize,
    },
    /// The situation is longer than [`MAX_SITUATION_CHARS`].
    #[error("a situation has at most {MAX_SITUATION_CHARS} characters")]
    SituationTooLong {
        /// The entry at fault.
        index: usize,
    },
    /// Action is needed but no priority was given.
    #[error("a domain that needs action needs a priority")]
    PriorityRequired {
        /// The entry at fault.
        index: usize,
    },
}

impl AssessmentError {
    /// The position of the entry at fault.
    pub fn index(self) -> usize {
        match self {
            AssessmentError::DuplicateDomain { index, .. }
            | AssessmentError::SituationTooLong { index }
            | AssessmentError::PriorityRequired { index } => index,
        }
    }

    /// The field of the entry at fault: `domain`, `situation` or `priority`.
    pub fn field(self) -> &'static str {
        match self {
            AssessmentError::DuplicateDomain { .. } => "domain",
            AssessmentError::SituationTooLong { .. } => "situation",
            AssessmentError::PriorityRequired { .. } => "priority",
        }
    }
}

impl Refusal for AssessmentError {
    fn code(&self) -> &'static str {
        match self {
            AssessmentError::DuplicateDomain { .. } => "duplicate_domain",
            AssessmentError::SituationTooLong { .. } => "too_long",
            AssessmentError::PriorityRequired { .. } => "priority_required",
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            AssessmentError::DuplicateDomain { domain, first, .. } => format!(
                "le domaine « {} » est évalué deux fois (déjà à l'entrée {first})",
                domain.label_fr()
            ),
            AssessmentError::SituationTooLong { .. } => {
                format!("une situation compte au plus {MAX_SITUATION_CHARS} caractères")
            }
            AssessmentError::PriorityRequired { .. } => {
                "un domaine qui nécessite une action doit avoir une priorité".into()
            }
        }
    }
}

/// Every problem of `entries`, in entry order (empty when the assessment is acceptable).
pub fn check(entries: &[DomainAssessment]) -> Vec<AssessmentError> {
    let mut errors = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        if let Some(first) = entries[..index]
            .iter()
            .position(|e| e.domain == entry.domain)
        {
            errors.push(AssessmentError::DuplicateDomain {
                index,
                domain: entry.domain,
                first,
            });
        }
        if entry.situation.chars().count() > MAX_SITUATION_CHARS {
            errors.push(AssessmentError::SituationTooLong { index });
        }
        if entry.needs_action == NeedsAction::Yes && entry.priority.is_none() {
            errors.push(AssessmentError::PriorityRequired { index });
        }
    }
    errors
}

/// How many domains need action (`needs_action: yes`).
pub fn domains_needing_action<I>(needs: I) -> usize
where
    I: IntoIterator<Item = NeedsAction>,
{
    needs.into_iter().filter(|n| *n == NeedsAction::Yes).count()
}

/// Whether `entry` says exactly what the assessment `before` said about its domain, so that it
/// keeps who assessed it and when. A new domain, or any change of situation, need or priority,
/// is a new assessment by the caller.
pub fn unchanged(before: &[DomainAssessment], entry: &DomainAssessment) -> bool {
    before.iter().any(|b| b == entry)
}

/// The position of `domain` in the reference order, to list domains always the same way.
pub fn domain_rank(domain: Domain) -> usize {
    Domain::ALL
        .iter()
        .position(|d| *d == domain)
        .unwrap_or(Domain::ALL.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(domain: Domain, needs: NeedsAction, priority: Option<Priority>) -> DomainAssessment {
        DomainAssessment {
            domain,
            situation: "Loyer impayé depuis trois mois".into(),
            needs_action: needs,
            priority,
        }
    }

    #[test]
    fn codes_and_french_labels_are_those_of_the_practice() {
        let labels: Vec<_> = NeedsAction::ALL
            .iter()
            .map(|n| (n.code(), n.label_fr()))
            .collect();
        assert_eq!(
            labels,
            [("yes", "Oui"), ("no", "Non"), ("to_evaluate", "À évaluer")]
        );
        let labels: Vec<_> = Priority::ALL
            .iter()
            .map(|p| (p.code(), p.label_fr()))
            .collect();
        assert_eq!(
            labels,
            [("low", "Basse"), ("medium", "Moyenne"), ("high", "Haute")]
        );
        assert_eq!(NeedsAction::LIST, "needs_action");
        assert_eq!(Priority::LIST, "priority");
    }

    #[test]
    fn only_domains_answered_yes_count_as_needing_action() {
        use NeedsAction::*;
        assert_eq!(domains_needing_action([]), 0);
        assert_eq!(domains_needing_action([No, ToEvaluate, No]), 0);
        assert_eq!(domains_needing_action([Yes, No, Yes, ToEvaluate]), 2);
    }

    #[test]
    fn a_well_formed_assessment_has_no_error() {
        let entries = [
            entry(Domain::Housing, NeedsAction::Yes, Some(Priority::High)),
            entry(Domain::Health, NeedsAction::No, None),
            entry(Domain::Finances, NeedsAction::ToEvaluate, None),
            entry(
                Domain::Digital,
                NeedsAction::ToEvaluate,
                Some(Priority::Low),
            ),
        ];
        assert!(check(&entries).is_empty());
        assert!(check(&[]).is_empty());
    }

    #[test]
    fn a_repeated_domain_is_reported_at_the_repetition() {
        let entries = [
            entry(Domain::Housing, NeedsAction::No, None),
            entry(Domain::Health, NeedsAction::No, None),
            entry(Domain::Housing, NeedsAction::No, None),
        ];
        let errors = check(&entries);
        assert_eq!(
            errors,
            [AssessmentError::DuplicateDomain {
                index: 2,
                domain: Domain::Housing,
                first: 0
            }]
        );
        assert_eq!((errors[0].index(), errors[0].field()), (2, "domain"));
        assert_eq!(errors[0].code(), "duplicate_domain");
    }

    #[test]
    fn a_domain_needing_action_needs_a_priority_and_others_do_not() {
        let entries = [
            entry(Domain::Health, NeedsAction::No, None),
            entry(Domain::Housing, NeedsAction::Yes, None),
        ];
        let errors = check(&entries);
        assert_eq!(errors, [AssessmentError::PriorityRequired { index: 1 }]);
        assert_eq!(errors[0].field(), "priority");
        assert_eq!(errors[0].code(), "priority_required");
    }

    #[test]
    fn a_situation_is_measured_in_characters_not_bytes() {
        let mut at_limit = entry(Domain::Family, NeedsAction::No, None);
        at_limit.situation = "é".repeat(MAX_SITUATION_CHARS);
        assert!(check(std::slice::from_ref(&at_limit)).is_empty());
        at_limit.situation.push('é');
        let errors = check(&[at_limit]);
        assert_eq!(errors, [AssessmentError::SituationTooLong { index: 0 }]);
        assert_eq!(errors[0].field(), "situation");
    }

    #[test]
    fn only_an_identical_entry_keeps_its_assessor() {
        let before = [
            entry(Domain::Housing, NeedsAction::Yes, Some(Priority::High)),
            entry(Domain::Health, NeedsAction::No, None),
        ];
        assert!(unchanged(&before, &before[0]));
        assert!(unchanged(&before, &before[1]));
        let mut reworded = before[0].clone();
        reworded.situation.push_str(" et dette EDF");
        assert!(!unchanged(&before, &reworded));
        let reprioritised = entry(Domain::Housing, NeedsAction::Yes, Some(Priority::Low));
        assert!(!unchanged(&before, &reprioritised));
        let new_domain = entry(Domain::Mobility, NeedsAction::No, None);
        assert!(!unchanged(&before, &new_domain));
        assert!(!unchanged(&[], &before[0]));
    }

    #[test]
    fn domains_rank_in_reference_order_and_fit_in_one_assessment() {
        assert_eq!(domain_rank(Domain::Health), 0);
        assert_eq!(domain_rank(Domain::Other), MAX_DOMAINS - 1);
        assert_eq!(MAX_DOMAINS, 10);
    }
}
