//! The enumerations shared by several parts of the domain, or that have no richer home.
//!
//! Each enumeration here is declared with [`coded_enum!`](crate::coded_enum), so its codes
//! and labels live side by side; [`crate::catalogue`] lists every code list. French labels
//! use the vocabulary of social work practice, as they appear on printed documents.

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
        /// An access to a record of the organisation was refused: the caller's role or their
        /// need to know did not allow it (PROTECTION.md).
        AccessDenied => "access_denied" { fr: "Accès refusé", en: "Access denied" },
        /// The retention run archived, anonymised or erased what its periods ended.
        Retention => "retention" {
            fr: "Traitement de fin de conservation",
            en: "Retention run"
        },
        /// Two records of the same person were merged into one (recorded on both).
        Merge => "merge" { fr: "Fusion de doublons", en: "Merge of duplicates" },
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
