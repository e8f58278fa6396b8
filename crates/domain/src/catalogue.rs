//! The code lists of `GET /v1/reference`: every enumeration of the domain, in a stable order.
//!
//! This module depends on all the others and nothing depends on it, so the enumerations can
//! live with the rules that use them.

use crate::activity::{AgeBand, HouseholdComposition, Indicator, Unit};
use crate::agent::Civility;
use crate::application::{ApplicationDecision, ApplicationStatus, DocumentStatus, FunderStatus};
use crate::assessment::{NeedsAction, Priority};
use crate::budget::{ChargeKind, DebtKind, ResourceKind};
use crate::case::{CaseOrigin, CaseStatus, ClosureReason};
use crate::codes::{CodeList, list};
use crate::contact::{ContactKind, ContactStatus};
use crate::eligibility::{
    CriterionKind, CriterionResult, MatchResult, ResourcesBasis, SituationData,
};
use crate::household::{EmploymentStatus, HousingStatus, Relationship};
use crate::letter::{Addressee, LetterFieldKind};
use crate::liaison::{LiaisonContent, LiaisonStatus};
use crate::person::{DisabilityRate, DisabilityRecognition, LegalProtectionKind};
use crate::plan::{ItemCategory, ItemKind, ItemStatus, Party};
use crate::proposal::{DecisionChannel, DecisionOutcome};
use crate::reference::{
    AuditAction, ConsentChannel, ConsentScope, Domain, InformedChannel, LegalBasis, MaritalStatus,
};
use crate::referral::{DeclineReason, ReferralOutcome, ReferralStatus, SupportStatus, Urgency};
use crate::restriction::RestrictionKind;
use crate::role::Role;
use crate::scheme::DocumentProvider;
use crate::webhook::DeliveryStatus;

/// Every code list of `GET /v1/reference`, always in the same order.
pub fn catalogue() -> Vec<CodeList> {
    vec![
        list::<Role>(),
        list::<Domain>(),
        list::<CaseStatus>(),
        list::<CaseOrigin>(),
        list::<ClosureReason>(),
        list::<MaritalStatus>(),
        list::<InformedChannel>(),
        list::<ConsentScope>(),
        list::<ConsentChannel>(),
        list::<RestrictionKind>(),
        list::<AuditAction>(),
        list::<LegalBasis>(),
        list::<NeedsAction>(),
        list::<Priority>(),
        list::<Party>(),
        list::<ItemKind>(),
        list::<ItemCategory>(),
        list::<ItemStatus>(),
        list::<DecisionOutcome>(),
        list::<DecisionChannel>(),
        list::<LiaisonContent>(),
        list::<LiaisonStatus>(),
        list::<ContactKind>(),
        list::<ContactStatus>(),
        list::<ReferralStatus>(),
        list::<Urgency>(),
        list::<DeclineReason>(),
        list::<ReferralOutcome>(),
        list::<SupportStatus>(),
        list::<DeliveryStatus>(),
        list::<Relationship>(),
        list::<HousingStatus>(),
        list::<EmploymentStatus>(),
        list::<ResourceKind>(),
        list::<ChargeKind>(),
        list::<DebtKind>(),
        list::<CriterionKind>(),
        list::<ResourcesBasis>(),
        list::<CriterionResult>(),
        list::<MatchResult>(),
        list::<SituationData>(),
        list::<DocumentProvider>(),
        list::<ApplicationStatus>(),
        list::<ApplicationDecision>(),
        list::<DocumentStatus>(),
        list::<FunderStatus>(),
        list::<Civility>(),
        list::<LegalProtectionKind>(),
        list::<DisabilityRecognition>(),
        list::<DisabilityRate>(),
        list::<Indicator>(),
        list::<AgeBand>(),
        list::<HouseholdComposition>(),
        list::<Unit>(),
        list::<LetterFieldKind>(),
        list::<Addressee>(),
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::codes::Coded;

    #[test]
    fn the_catalogue_lists_every_code_list_in_a_stable_order() {
        let names: Vec<_> = catalogue().iter().map(|l| l.name).collect();
        assert_eq!(
            names,
            [
                "role",
                "domain",
                "case_status",
                "case_origin",
                "closure_reason",
                "marital_status",
                "informed_channel",
                "consent_scope",
                "consent_channel",
                "restriction_kind",
                "audit_action",
                "legal_basis",
                "needs_action",
                "priority",
                "party",
                "item_kind",
                "item_category",
                "item_status",
                "decision_outcome",
                "decision_channel",
                "liaison_content",
                "liaison_status",
                "contact_kind",
                "contact_status",
                "referral_status",
                "referral_urgency",
                "referral_decline_reason",
                "referral_outcome",
                "referral_support_status",
                "webhook_delivery_status",
                "household_relationship",
                "housing_status",
                "employment_status",
                "resource_kind",
                "charge_kind",
                "debt_kind",
                "criterion_kind",
                "resources_basis",
                "criterion_result",
                "match_result",
                "situation_data",
                "document_provider",
                "application_status",
                "application_decision",
                "application_document_status",
                "funder_status",
                "civility",
                "legal_protection_kind",
                "disability_recognition",
                "disability_rate",
                "activity_indicator",
                "age_band",
                "household_composition",
                "figure_unit",
                "letter_field_kind",
                "letter_addressee",
            ]
        );
    }

    #[test]
    fn every_code_is_unique_snake_case_and_labelled_in_both_languages() {
        // Digits are allowed: the contract names rate bands `below_50`, `50_to_79`.
        for list in catalogue() {
            assert!(!list.codes.is_empty(), "{} is empty", list.name);
            let mut seen = HashSet::new();
            for entry in &list.codes {
                assert!(
                    seen.insert(entry.code),
                    "{} repeats {}",
                    list.name,
                    entry.code
                );
                assert!(
                    !entry.code.is_empty()
                        && entry
                            .code
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                    "{} has a code that is not snake_case: {}",
                    list.name,
                    entry.code
                );
                assert!(!entry.fr.trim().is_empty() && !entry.en.trim().is_empty());
            }
        }
    }

    #[test]
    fn codes_are_exactly_those_of_the_api_contract() {
        let codes = |name: &str| -> Vec<&str> {
            catalogue()
                .into_iter()
                .find(|l| l.name == name)
                .map(|l| l.codes.iter().map(|e| e.code).collect())
                .unwrap_or_default()
        };
        assert_eq!(
            codes("case_status"),
            [
                "intake",
                "assessment",
                "planning",
                "active",
                "closed",
                "archived"
            ]
        );
        assert_eq!(
            codes("case_origin"),
            ["self", "partner_referral", "internal", "other"]
        );
        assert_eq!(
            codes("legal_basis"),
            ["consent", "shared_secrecy", "legal_obligation"]
        );
        assert_eq!(codes("domain").len(), 10);
        assert_eq!(codes("audit_action").len(), 13);
        assert!(codes("audit_action").contains(&"access_denied"));
        assert!(codes("audit_action").contains(&"retention"));
        assert!(codes("audit_action").contains(&"merge"));
    }

    #[test]
    fn the_self_referral_origin_travels_as_self() {
        assert_eq!(CaseOrigin::SelfReferral.code(), "self");
        assert_eq!(CaseOrigin::parse("self"), Some(CaseOrigin::SelfReferral));
    }

    #[test]
    fn french_labels_use_the_words_of_the_practice() {
        assert_eq!(
            CaseStatus::Intake.label_fr(),
            "Pré-évaluation / recueil d'informations"
        );
        assert_eq!(CaseStatus::Active.label_fr(), "Relation d'aide active");
        assert_eq!(ClosureReason::GoalsMet.label_fr(), "Objectifs atteints");
        assert_eq!(
            LegalBasis::SharedSecrecy.label_fr(),
            "Secret professionnel partagé"
        );
    }
}
