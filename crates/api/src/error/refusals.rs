//! The refusals of the domain and of the store, as problems.
//!
//! A refusal knows its code ([`Refusal`]); the table knows the code's status. What is decided
//! here is only *where* a refusal points: at the request as a whole (its code is the problem's),
//! or at one field of the body (a `validation_failed` whose field error carries its code).
//! Handlers then write `rule()?`.

use relais_domain::application::FieldProblem;
use relais_domain::{
    AlreadyLifted, ApplicationTransitionError, CaseLocked, ContactOutcomeRefused, ContactRefused,
    ItemTransitionError, LiaisonTransitionError, MergeRefused, ProcessingRestricted,
    ReferralTransitionError, SendRefusal, TransitionError,
};
use relais_store::StoreError;

use super::{ApiError, FieldError};

/// Refusals that are always of the request as a whole.
macro_rules! whole_request_refusals {
    ($($refusal:ty),* $(,)?) => {
        $(
            impl From<$refusal> for ApiError {
                fn from(refusal: $refusal) -> Self {
                    ApiError::refused(&refusal)
                }
            }
        )*
    };
}

whole_request_refusals!(
    AlreadyLifted,
    CaseLocked,
    ContactOutcomeRefused,
    ContactRefused,
    ItemTransitionError,
    LiaisonTransitionError,
    ProcessingRestricted,
    ReferralTransitionError,
    SendRefusal,
);

impl From<TransitionError> for ApiError {
    fn from(refusal: TransitionError) -> Self {
        match refusal {
            // A missing input is the request's fault: point at the field.
            TransitionError::ClosureReasonRequired => {
                ApiError::refused_at("/closure_reason", &refusal)
            }
            TransitionError::ReasonRequired => ApiError::refused_at("/reason", &refusal),
            // Anything else conflicts with the case's current state.
            _ => ApiError::refused(&refusal),
        }
    }
}

impl From<ApplicationTransitionError> for ApiError {
    fn from(refusal: ApplicationTransitionError) -> Self {
        match refusal {
            ApplicationTransitionError::Invalid(problems) => {
                ApiError::validation(problems.into_iter().map(FieldError::from).collect())
            }
            // `preparing` and `complete` are never asked for: the `to` sent is at fault.
            ApplicationTransitionError::Automatic { .. } => ApiError::refused_at("/to", &refusal),
            ApplicationTransitionError::InvalidTransition { .. }
            | ApplicationTransitionError::Incomplete { .. } => ApiError::refused(&refusal),
        }
    }
}

/// A merge's refusals point at `/duplicate_id`, the record the request names in its body: the
/// same record twice is a 422 there; a state that forbids the merge is its own problem (409),
/// pointing there too. The kept record merged meanwhile answers as its path would.
impl From<MergeRefused> for ApiError {
    fn from(refusal: MergeRefused) -> Self {
        match refusal {
            MergeRefused::SamePerson => ApiError::refused_at("/duplicate_id", &refusal),
            MergeRefused::KeptMerged { into } => ApiError::PersonMerged { merged_into: into },
            MergeRefused::AlreadyMerged { .. }
            | MergeRefused::Anonymised
            | MergeRefused::NirConflict => {
                ApiError::refused(&refusal).at(FieldError::refused("/duplicate_id", &refusal))
            }
        }
    }
}

impl From<FieldProblem> for FieldError {
    fn from(problem: FieldProblem) -> Self {
        FieldError::body(problem.pointer, problem.code, problem.message)
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::VersionMismatch => ApiError::VersionMismatch,
            StoreError::Conflict { code, message } => ApiError::from_table(code, message),
            StoreError::InvalidReference { field, message } => {
                ApiError::invalid(field, "unknown_reference", message)
            }
            StoreError::Transition(refusal) => refusal.into(),
            StoreError::Unavailable(source) => {
                tracing::warn!(error = %source, "database unavailable");
                ApiError::Unavailable
            }
            StoreError::Database(source) => ApiError::internal(source),
        }
    }
}

#[cfg(test)]
mod tests {
    use relais_domain::application::FieldProblem;
    use relais_domain::{
        ApplicationStatus, CaseStatus, ContactKind, ContactOutcomeRefused, ContactStatus,
        ItemStatus, LiaisonStatus, ReferralStatus, Refusal,
    };

    use super::*;
    use crate::error::{Code, Problem};

    fn problem(err: impl Into<ApiError>) -> Problem {
        err.into().problem(None, None)
    }

    /// A refusal: its code, its problem, and its sentences in English and in French.
    type Said = (&'static str, ApiError, String, String);

    /// Every variant of the refusals that are always of the request as a whole.
    fn whole_request_refusals() -> Vec<Said> {
        fn one(refusal: impl Refusal + Into<ApiError> + Clone) -> Said {
            (
                refusal.code(),
                refusal.clone().into(),
                refusal.to_string(),
                refusal.sentence_fr(),
            )
        }
        let mut all = vec![
            one(CaseLocked::Archived),
            one(CaseLocked::NotOpen(CaseStatus::Closed)),
            one(ContactRefused::CaseArchived),
            one(ContactRefused::KindNotAllowedWhenClosed(
                ContactKind::HomeVisit,
            )),
            one(ContactRefused::ReviewNeedsClosedCase),
            one(ItemTransitionError {
                from: ItemStatus::Done,
                to: ItemStatus::Blocked,
            }),
            one(LiaisonTransitionError {
                from: LiaisonStatus::Draft,
                to: LiaisonStatus::Acknowledged,
            }),
            one(ReferralTransitionError {
                from: ReferralStatus::Accepted,
                to: ReferralStatus::Declined,
            }),
            one(TransitionError::InvalidTransition {
                from: CaseStatus::Intake,
                to: CaseStatus::Active,
            }),
            one(TransitionError::AssessmentNeedsAction),
            one(TransitionError::AcceptedProposalRequired),
            one(TransitionError::SystemOnly),
            one(TransitionError::PendingPlanItems { count: 2 }),
            one(ApplicationTransitionError::InvalidTransition {
                from: ApplicationStatus::Decided,
                to: ApplicationStatus::Submitted,
            }),
            one(ApplicationTransitionError::Incomplete { missing: 1 }),
            one(ProcessingRestricted),
            one(AlreadyLifted),
            one(ContactOutcomeRefused::NotPlanned(ContactStatus::Cancelled)),
        ];
        all.extend(SendRefusal::ALL.iter().copied().map(one));
        all
    }

    #[test]
    fn every_refusal_of_a_request_is_a_409_with_its_code_from_the_table() {
        for (code, err, detail, _) in whole_request_refusals() {
            assert!(Code::parse(code).is_some(), "{code} is not in the table");
            let problem = err.problem(None, None);
            assert_eq!(problem.code, code);
            assert_eq!(problem.status, 409, "{code}");
            assert_eq!(problem.title, "Conflict", "{code}");
            assert_eq!(problem.detail, detail, "{code}");
            assert!(problem.errors.is_empty(), "{code}");
        }
    }

    /// A French sentence: not empty, not the English one, lowercase first like the English
    /// ones, without a final full stop, a double space or a value spelt as a code.
    fn assert_french(code: &str, english: &str, french: &str) {
        assert!(!french.trim().is_empty(), "{code} has no French sentence");
        assert_ne!(
            french, english,
            "{code}: the French sentence is the English one"
        );
        assert!(
            french.starts_with(|c: char| !c.is_uppercase()) || french.starts_with("NIR"),
            "{code}: {french:?}"
        );
        assert!(
            !french.ends_with('.') && !french.contains("  "),
            "{code}: {french:?}"
        );
    }

    #[test]
    fn every_refusal_of_a_request_says_its_own_french_sentence_under_a_french_title() {
        for (code, err, english, french) in whole_request_refusals() {
            assert_french(code, &english, &french);
            let words = err.french();
            assert_eq!(words.title, "Conflit", "{code}");
            assert_eq!(words.detail, french, "{code}");
            assert!(words.messages.is_empty(), "{code}");
        }
        // The statuses are named by their French labels.
        let (_, _, _, french) = &whole_request_refusals()[8];
        assert_eq!(
            french,
            "un dossier ne peut pas passer du statut « Pré-évaluation / recueil d'informations » \
             au statut « Relation d'aide active »"
        );
    }

    #[test]
    fn every_refusal_of_a_value_says_its_own_french_sentence() {
        use relais_domain::budget::Side;
        use relais_domain::case::ReviewDateError;
        use relais_domain::document::{DocumentType, FileRefusal};
        use relais_domain::referral::ConsentProofError;
        use relais_domain::{
            AssessmentError, BudgetError, ContactTimeError, Domain, DoneOnError, HouseholdError,
            NirError, OutcomeError, PlanItemTitleError, SiretError,
        };
        let date = chrono::NaiveDate::from_ymd_opt(2027, 3, 12).unwrap_or_default();
        let refusals: Vec<Box<dyn Refusal>> = vec![
            Box::new(TransitionError::ClosureReasonRequired),
            Box::new(TransitionError::ReasonRequired),
            Box::new(ApplicationTransitionError::Automatic {
                to: ApplicationStatus::Complete,
            }),
            Box::new(ApplicationTransitionError::Invalid(Vec::new())),
            Box::new(ReviewDateError::NotAfterClosure { closed_on: date }),
            Box::new(AssessmentError::DuplicateDomain {
                index: 1,
                domain: Domain::Housing,
                first: 0,
            }),
            Box::new(AssessmentError::SituationTooLong { index: 0 }),
            Box::new(AssessmentError::PriorityRequired { index: 0 }),
            Box::new(BudgetError::TooManyLines {
                side: Side::Resources,
            }),
            Box::new(BudgetError::AmountOutOfRange {
                side: Side::Charges,
                index: 0,
            }),
            Box::new(BudgetError::LabelTooLong {
                side: Side::Charges,
                index: 0,
            }),
            Box::new(ConsentProofError::NotConsented),
            Box::new(ConsentProofError::InformedInFuture),
            Box::new(ContactTimeError::BothTimes),
            Box::new(ContactTimeError::NoTime),
            Box::new(ContactTimeError::HeldInFuture),
            Box::new(OutcomeError::NotAnOutcome),
            Box::new(OutcomeError::OccurredAtNotAllowed),
            Box::new(OutcomeError::ReasonNotAllowed),
            Box::new(OutcomeError::ReasonBlank),
            Box::new(OutcomeError::ReasonTooLong),
            Box::new(DoneOnError::InFuture),
            Box::new(DoneOnError::NotDone),
            Box::new(DoneOnError::Required),
            Box::new(FileRefusal::MissingName),
            Box::new(FileRefusal::BlankName),
            Box::new(FileRefusal::NameTooLong),
            Box::new(FileRefusal::UnsafeName),
            Box::new(FileRefusal::ExtensionMismatch(DocumentType::Pdf)),
            Box::new(FileRefusal::DeclaredTypeMismatch(DocumentType::Png)),
            Box::new(HouseholdError::TooManyMembers),
            Box::new(HouseholdError::BirthDateOutOfRange { index: 0 }),
            Box::new(HouseholdError::SecondPartner { index: 2, first: 1 }),
            Box::new(NirError::WrongLength),
            Box::new(NirError::InvalidCharacter),
            Box::new(NirError::InvalidSex),
            Box::new(NirError::InvalidMonth),
            Box::new(NirError::WrongKey),
            Box::new(PlanItemTitleError::Blank),
            Box::new(PlanItemTitleError::TooLong),
            Box::new(SiretError::WrongLength),
            Box::new(SiretError::InvalidCharacter),
            Box::new(SiretError::WrongKey),
        ];
        for refusal in &refusals {
            let (code, english, french) =
                (refusal.code(), refusal.to_string(), refusal.sentence_fr());
            assert_french(code, &english, &french);
            let err = ApiError::refused_at("/field", refusal.as_ref());
            let words = err.french();
            assert_eq!(words.title, "Données invalides", "{code}");
            assert_eq!(
                words.messages.as_slice(),
                std::slice::from_ref(&french),
                "{code}"
            );
            assert_eq!(words.detail, french, "{code}");
            // The English document is untouched.
            let problem = err.problem(None, None);
            assert_eq!(
                (problem.detail, problem.errors[0].code.as_str()),
                (english, code)
            );
        }
        assert_eq!(
            ReviewDateError::NotAfterClosure { closed_on: date }.sentence_fr(),
            "l'entretien bilan doit avoir lieu après la date de clôture (12/03/2027)"
        );
    }

    #[test]
    fn a_refusal_of_one_field_is_a_422_pointing_at_it_with_its_code() {
        let closure = TransitionError::ClosureReasonRequired;
        let reason = TransitionError::ReasonRequired;
        let automatic = ApplicationTransitionError::Automatic {
            to: ApplicationStatus::Complete,
        };
        for (refusal, pointer, code) in [
            (
                problem(closure),
                "/closure_reason",
                "closure_reason_required",
            ),
            (problem(reason), "/reason", "reason_required"),
            (problem(automatic.clone()), "/to", "automatic_status"),
        ] {
            assert_eq!(refusal.status, 422, "{code}");
            assert_eq!(refusal.code, "validation_failed", "{code}");
            assert_eq!(refusal.errors.len(), 1, "{code}");
            assert_eq!(refusal.errors[0].pointer, pointer);
            assert_eq!(refusal.errors[0].location, "body");
            assert_eq!(refusal.errors[0].code, code);
            assert_eq!(refusal.detail, refusal.errors[0].message);
        }
        assert_eq!(
            problem(automatic).detail,
            "complete is reached by the documents checklist alone; it cannot be asked for"
        );
    }

    #[test]
    fn the_field_problems_of_an_application_transition_are_a_422_with_each_of_them() {
        let problems = vec![
            FieldProblem {
                pointer: "/submitted_on".into(),
                code: "required",
                message: "when it was submitted".into(),
            },
            FieldProblem {
                pointer: "/decision".into(),
                code: "not_allowed",
                message: "only with decided".into(),
            },
        ];
        let refused = problem(ApplicationTransitionError::Invalid(problems));
        assert_eq!(
            (refused.status, refused.code.as_str()),
            (422, "validation_failed")
        );
        assert_eq!(refused.detail, "2 fields are invalid");
        let french = ApiError::from(ApplicationTransitionError::Invalid(vec![
            FieldProblem {
                pointer: "/submitted_on".into(),
                code: "required",
                message: "when it was submitted".into(),
            },
            FieldProblem {
                pointer: "/decision".into(),
                code: "not_allowed",
                message: "only with decided".into(),
            },
        ]))
        .french();
        assert_eq!(french.detail, "2 champs sont invalides");
        assert_eq!(
            french.messages,
            ["ce champ est obligatoire", "ce champ n'est pas accepté ici"]
        );
        let codes: Vec<_> = refused
            .errors
            .iter()
            .map(|e| (e.pointer.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            [("/submitted_on", "required"), ("/decision", "not_allowed")]
        );
    }

    /// The codes of the store's `StoreError::Conflict` (`code: "…"` in crates/store/src), and
    /// of the referral transition it refuses.
    const STORE_CONFLICTS: &[&str] = &[
        "already_decided",
        "application_in_progress",
        "case_closed",
        "consent_already_withdrawn",
        "delivery_pending",
        "document_too_large",
        "duplicate_document_code",
        "duplicate_nir",
        "empty_plan",
        "idempotency_key_in_flight",
        "invalid_transition",
        "letter_template_name_taken",
        "organisation_exists",
        "scheme_name_taken",
        "superseded",
    ];

    #[test]
    fn every_conflict_of_the_store_is_a_409_with_its_code_from_the_table() {
        for &code in STORE_CONFLICTS {
            let refused = problem(StoreError::Conflict {
                code,
                message: "why".into(),
            });
            assert_eq!(refused.code, code);
            assert_eq!(refused.status, 409, "{code}");
            assert_eq!(refused.detail, "why");
            // The store says no French sentence: the code's generic detail stands for it.
            let french = ApiError::from(StoreError::Conflict {
                code,
                message: "why".into(),
            })
            .french();
            let table = Code::parse(code).unwrap_or(Code::InternalError);
            assert_eq!(french.title, "Conflit", "{code}");
            assert_eq!(french.detail, table.detail_fr(), "{code}");
        }
    }

    #[test]
    fn an_unknown_reference_is_a_422_pointing_at_its_field() {
        let refused = problem(StoreError::InvalidReference {
            field: "/referent_id",
            message: "no such agent".into(),
        });
        assert_eq!(
            (refused.status, refused.code.as_str()),
            (422, "validation_failed")
        );
        assert_eq!(refused.detail, "no such agent");
        assert_eq!(refused.errors[0].pointer, "/referent_id");
        assert_eq!(refused.errors[0].code, "unknown_reference");
    }

    #[test]
    fn a_code_missing_from_the_table_is_a_bug_answered_as_one() {
        let refused = problem(StoreError::Conflict {
            code: "no_such_code",
            message: "details that stay in the log".into(),
        });
        assert_eq!(
            (refused.status, refused.code.as_str()),
            (500, "internal_error")
        );
        assert_eq!(refused.detail, "Internal server error");
        let french = ApiError::from(StoreError::Conflict {
            code: "no_such_code",
            message: "details that stay in the log".into(),
        })
        .french();
        assert_eq!(french.title, "Erreur interne du serveur");
        assert_eq!(french.detail, Code::InternalError.detail_fr());
    }
}
