//! The audit trail's vocabulary: what kind of record an access was to.
//!
//! Every audit event names its action ([`AuditAction`](crate::AuditAction)) and the kind of
//! resource it touched from this list, so the log can be filtered and read by a DPO without
//! guessing at free text. A dotted code (`person.nir`) is a part of a record read or written
//! on its own.

crate::coded_enum! {
    /// The kind of record an audit event is about.
    pub enum AuditResource in "audit_resource" {
        /// An agent's profile or status (an agent of the organisation, not a person supported).
        Agent => "agent" { fr: "Agent", en: "Agent" },
        /// An agent's absence and its delegate.
        AgentAbsence => "agent.absence" { fr: "Absence d'un agent", en: "Agent absence" },
        /// An agent's agenda.
        Agenda => "agenda" { fr: "Agenda", en: "Agenda" },
        /// An agent's agenda read through its calendar feed.
        AgendaFeed => "agenda.ics" { fr: "Flux d'agenda", en: "Agenda feed" },
        /// The organisation's agenda feed token.
        AgendaFeedToken => "agenda.feed_token" { fr: "Jeton du flux d'agenda", en: "Agenda feed token" },
        /// An application for aid.
        Application => "application" { fr: "Demande d'aide", en: "Application" },
        /// A supporting document of an application.
        ApplicationDocument => "application.document" { fr: "Pièce justificative", en: "Supporting document" },
        /// The funding plan of an application.
        ApplicationFundingPlan => "application.funding_plan" { fr: "Plan de financement", en: "Funding plan" },
        /// A social report of an application.
        ApplicationSocialReport => "application.social_report" { fr: "Rapport social", en: "Social report" },
        /// A case.
        Case => "case" { fr: "Dossier", en: "Case" },
        /// The applications of a case, as a list.
        CaseApplications => "case.applications" { fr: "Demandes du dossier", en: "Case applications" },
        /// The assessment of a case.
        CaseAssessment => "case.assessment" { fr: "Diagnostic", en: "Assessment" },
        /// The contacts of a case, as a list.
        CaseContacts => "case.contacts" { fr: "Contacts du dossier", en: "Case contacts" },
        /// The documents of a case, as a list.
        CaseDocuments => "case.documents" { fr: "Documents du dossier", en: "Case documents" },
        /// A letter written in a case (courrier), as sent.
        CaseLetter => "case.letter" { fr: "Courrier", en: "Letter" },
        /// The letters of a case, as a list.
        CaseLetters => "case.letters" { fr: "Courriers du dossier", en: "Case letters" },
        /// The liaisons of a case, as a list.
        CaseLiaisons => "case.liaisons" { fr: "Liaisons du dossier", en: "Case liaisons" },
        /// The help plan of a case, as a whole.
        CasePlan => "case.plan" { fr: "Plan d'aide", en: "Help plan" },
        /// The plan items of a case, as a list.
        CasePlanItems => "case.plan_items" { fr: "Démarches du plan", en: "Plan items" },
        /// The schemes a case's person may be eligible to.
        CaseSchemeMatches => "case.scheme_matches" { fr: "Dispositifs mobilisables", en: "Scheme matches" },
        /// The timeline of a case.
        CaseTimeline => "case.timeline" { fr: "Historique du dossier", en: "Case timeline" },
        /// A list of cases.
        Cases => "cases" { fr: "Liste de dossiers", en: "Case list" },
        /// A consent.
        Consent => "consent" { fr: "Consentement", en: "Consent" },
        /// A contact (interview, call, visit…).
        Contact => "contact" { fr: "Contact", en: "Contact" },
        /// A document of a case.
        Document => "document" { fr: "Document", en: "Document" },
        /// A group session.
        GroupSession => "group_session" { fr: "Séance collective", en: "Group session" },
        /// A letter template of the organisation (not a person's data).
        LetterTemplate => "letter_template" { fr: "Modèle de courrier", en: "Letter template" },
        /// A liaison sheet.
        Liaison => "liaison" { fr: "Fiche de liaison", en: "Liaison" },
        /// The organisation's profile and logo (the letterhead of its documents).
        OrganisationProfile => "organisation.profile" {
            fr: "Profil de l'organisation",
            en: "Organisation profile"
        },
        /// A partner organisation.
        Partner => "partner" { fr: "Partenaire", en: "Partner" },
        /// A person.
        Person => "person" { fr: "Personne", en: "Person" },
        /// A person's budget.
        PersonBudget => "person.budget" { fr: "Budget", en: "Budget" },
        /// A person's consents, as a list.
        PersonConsents => "person.consents" { fr: "Consentements", en: "Consents" },
        /// A person's record exported (right of access).
        PersonExport => "person.export" { fr: "Export des données", en: "Data export" },
        /// A person's rectification history.
        PersonHistory => "person.history" {
            fr: "Historique des rectifications",
            en: "Rectification history"
        },
        /// A person's household.
        PersonHousehold => "person.household" { fr: "Foyer", en: "Household" },
        /// A restriction of processing or an objection of a person.
        PersonRestriction => "person.restriction" {
            fr: "Limitation ou opposition",
            en: "Restriction or objection"
        },
        /// A person's NIR, shown in clear.
        PersonNir => "person.nir" { fr: "NIR", en: "NIR" },
        /// A help plan proposal's plan view.
        Plan => "plan" { fr: "Plan", en: "Plan" },
        /// A retention run over the organisation's data.
        RetentionRun => "retention_run" {
            fr: "Traitement de fin de conservation",
            en: "Retention run"
        },
        /// The person's decision on a proposal.
        PlanDecision => "plan.decision" { fr: "Décision sur le plan", en: "Plan decision" },
        /// The written plan (document).
        PlanDocument => "plan.document" { fr: "Plan écrit", en: "Written plan" },
        /// An observation on a proposal.
        PlanObservation => "plan.observation" { fr: "Observation", en: "Observation" },
        /// A proposal of the plan.
        PlanProposal => "plan.proposal" { fr: "Proposition de plan", en: "Plan proposal" },
        /// The proposals of a plan, as a list.
        PlanProposals => "plan.proposals" { fr: "Propositions de plan", en: "Plan proposals" },
        /// A plan item (démarche).
        PlanItem => "plan_item" { fr: "Démarche", en: "Plan item" },
        /// A referral from a partner.
        Referral => "referral" { fr: "Orientation", en: "Referral" },
        /// An attachment of a referral.
        ReferralAttachment => "referral.attachment" { fr: "Pièce jointe d'orientation", en: "Referral attachment" },
        /// A scheme of the catalogue.
        Scheme => "scheme" { fr: "Dispositif", en: "Scheme" },
        /// The scheme catalogue as a whole (export, import).
        SchemeCatalogue => "scheme_catalogue" { fr: "Catalogue des dispositifs", en: "Scheme catalogue" },
        /// The caseload statistics.
        StatsCaseload => "stats.caseload" { fr: "Statistiques de file active", en: "Caseload statistics" },
        StatsActivity => "stats.activity" { fr: "Rapport d'activité", en: "Activity report" },
        /// A webhook delivery.
        WebhookDelivery => "webhook_delivery" { fr: "Envoi de webhook", en: "Webhook delivery" },
        /// A webhook subscription of the organisation.
        WebhookSubscription => "webhook_subscription" { fr: "Abonnement webhook", en: "Webhook subscription" },
    }
}
