//! The code lists of `GET /v1/reference`, and the enumerations that have no richer home.
//!
//! Each enumeration here is declared with [`coded_enum!`](crate::coded_enum), so its codes
//! and labels live side by side; [`catalogue`] lists them all in a stable order. French labels
//! use the vocabulary of social work practice, as they appear on printed documents.

use crate::assessment::{NeedsAction, Priority};
use crate::case::{CaseOrigin, CaseStatus, ClosureReason};
use crate::codes::{CodeList, list};
use crate::contact::ContactKind;
use crate::liaison::{LiaisonContent, LiaisonStatus};
use crate::plan::{ItemCategory, ItemKind, ItemStatus, Party};
use crate::proposal::{DecisionChannel, DecisionOutcome};
use crate::role::Role;

crate::coded_enum! {
    /// A domain of social protection in which a situation is assessed and steps are planned.
    pub enum Domain in "domain" {
        /// Health, care, health insurance.
        Health => "health" { fr: "Santé", en: "Health" },
        /// Housing, accommodation, energy.
        Housing => "housing" { fr: "Logement", en: "Housing" },
        /// Employment, training, professional integration.
        Employment => "employment" { fr: "Emploi et insertion professionnelle", en: "Employment" },
        /// Family, parenthood, children.
        Family => "family" { fr: "Famille", en: "Family" },
        /// Resources, budget, debts.
        Finances => "finances" { fr: "Budget et ressources", en: "Finances" },
        /// Old age, retirement, loss of autonomy.
        OldAge => "old_age" { fr: "Vieillesse et autonomie", en: "Old age" },
        /// Access to rights, identity papers, administrative procedures.
        Administrative => "administrative" {
            fr: "Accès aux droits et démarches administratives",
            en: "Administrative matters"
        },
        /// Transport, driving licence.
        Mobility => "mobility" { fr: "Mobilité", en: "Mobility" },
        /// Digital inclusion: equipment, skills, online procedures.
        Digital => "digital" { fr: "Inclusion numérique", en: "Digital inclusion" },
        /// Anything else.
        Other => "other" { fr: "Autre", en: "Other" },
    }
}

crate::coded_enum! {
    /// A person's marital status (situation familiale).
    pub enum MaritalStatus in "marital_status" {
        /// Single.
        Single => "single" { fr: "Célibataire", en: "Single" },
        /// Married.
        Married => "married" { fr: "Marié(e)", en: "Married" },
        /// Bound by a PACS.
        CivilPartnership => "civil_partnership" { fr: "Pacsé(e)", en: "Civil partnership" },
        /// Living together without a legal bond.
        Cohabiting => "cohabiting" { fr: "En concubinage", en: "Cohabiting" },
        /// Separated.
        Separated => "separated" { fr: "Séparé(e)", en: "Separated" },
        /// Divorced.
        Divorced => "divorced" { fr: "Divorcé(e)", en: "Divorced" },
        /// Widowed.
        Widowed => "widowed" { fr: "Veuf / veuve", en: "Widowed" },
        /// Not known or not given.
        Unknown => "unknown" { fr: "Non renseigné", en: "Unknown" },
    }
}

crate::coded_enum! {
    /// How the person was informed of how their data is processed, before any sharing.
    pub enum InformedChannel in "informed_channel" {
        /// Told during an interview.
        InPerson => "in_person" { fr: "En entretien", en: "In person" },
        /// Told on the phone.
        Phone => "phone" { fr: "Par téléphone", en: "By phone" },
        /// Sent by email.
        Email => "email" { fr: "Par courriel", en: "By email" },
        /// Sent by post.
        Post => "post" { fr: "Par courrier", en: "By post" },
        /// An information notice displayed in the premises.
        NoticeDisplayed => "notice_displayed" {
            fr: "Affichage de la notice d'information",
            en: "Notice displayed"
        },
        /// Anything else.
        Other => "other" { fr: "Autre", en: "Other" },
    }
}

crate::coded_enum! {
    /// What a consent covers.
    pub enum ConsentScope in "consent_scope" {
        /// Processing of personal data by the organisation.
        DataProcessing => "data_processing" {
            fr: "Traitement des données personnelles",
            en: "Processing of personal data"
        },
        /// Sharing information with the registered partners.
        ShareWithPartners => "share_with_partners" {
            fr: "Partage d'informations avec les partenaires",
            en: "Sharing with partners"
        },
        /// Sharing information with one named institution.
        ShareWithNamedInstitution => "share_with_named_institution" {
            fr: "Partage d'informations avec un organisme désigné",
            en: "Sharing with a named institution"
        },
        /// Being contacted by email.
        ContactByEmail => "contact_by_email" { fr: "Contact par courriel", en: "Contact by email" },
        /// Being contacted by text message.
        ContactBySms => "contact_by_sms" { fr: "Contact par SMS", en: "Contact by text message" },
    }
}

crate::coded_enum! {
    /// How a consent (or its withdrawal) was collected.
    pub enum ConsentChannel in "consent_channel" {
        /// Given orally during an interview.
        InPerson => "in_person" { fr: "En entretien", en: "In person" },
        /// A paper form signed by the person.
        SignedPaper => "signed_paper" { fr: "Document papier signé", en: "Signed paper form" },
        /// On the phone.
        Phone => "phone" { fr: "Par téléphone", en: "By phone" },
        /// By email.
        Email => "email" { fr: "Par courriel", en: "By email" },
        /// By post.
        Post => "post" { fr: "Par courrier", en: "By post" },
        /// Through an online form.
        Online => "online" { fr: "En ligne", en: "Online" },
    }
}

crate::coded_enum! {
    /// What an audit event records being done to personal data.
    pub enum AuditAction in "audit_action" {
        /// A record was read.
        Read => "read" { fr: "Consultation", en: "Read" },
        /// A record was created.
        Create => "create" { fr: "Création", en: "Create" },
        /// A record was changed.
        Update => "update" { fr: "Modification", en: "Update" },
        /// A record was deleted.
        Delete => "delete" { fr: "Suppression", en: "Delete" },
        /// A case or application changed status.
        Transition => "transition" { fr: "Changement de statut", en: "Status change" },
        /// A search returned personal data.
        Search => "search" { fr: "Recherche", en: "Search" },
        /// A masked value (the NIR) was shown in clear.
        Reveal => "reveal" { fr: "Affichage d'une donnée masquée", en: "Reveal of masked data" },
        /// A person's record was exported.
        Export => "export" { fr: "Export", en: "Export" },
        /// Information was shared outside the organisation.
        Share => "share" { fr: "Partage", en: "Share" },
        /// A document was downloaded.
        Download => "download" { fr: "Téléchargement", en: "Download" },
    }
}

crate::coded_enum! {
    /// The legal ground for sharing information outside the organisation.
    pub enum LegalBasis in "legal_basis" {
        /// The person's recorded consent.
        Consent => "consent" { fr: "Consentement de la personne", en: "Consent of the person" },
        /// Shared professional secrecy (CASF art. L121-6-2).
        SharedSecrecy => "shared_secrecy" {
            fr: "Secret professionnel partagé",
            en: "Shared professional secrecy"
        },
        /// A legal obligation to inform (e.g. child protection).
        LegalObligation => "legal_obligation" { fr: "Obligation légale", en: "Legal obligation" },
    }
}

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
            ]
        );
    }

    #[test]
    fn every_code_is_unique_snake_case_and_labelled_in_both_languages() {
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
                            .all(|c| c.is_ascii_lowercase() || c == '_'),
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
        assert_eq!(codes("audit_action").len(), 10);
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
