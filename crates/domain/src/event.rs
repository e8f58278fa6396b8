//! Events for the organisation's own systems: what happened to its cases, referrals, liaisons,
//! steps and applications, for the change feed (`GET /v1/events`), the organisation's webhooks
//! and its agents' notifications.
//!
//! An event carries identifiers, codes and dates only, never a name or a free text: whoever
//! receives it reads the record through the API, and that read is audited. The state changes
//! are recorded by the database in the transaction of the change (migration `events`); the
//! time-based ones (`plan_item.overdue`, `review.due`, `contact.upcoming`) by the periodic job.

crate::coded_enum! {
    /// What an event reports.
    pub enum EventType in "event_type" {
        /// A case was opened (by a worker, an import, or the acceptance of a referral).
        CaseOpened => "case.opened" {
            fr: "Accompagnement ouvert",
            en: "Case opened"
        },
        /// A case got a referent (at its opening, in a handover or a reassignment).
        CaseAssigned => "case.assigned" {
            fr: "Accompagnement attribué",
            en: "Case assigned"
        },
        /// A case moved to another status (closure and archiving included).
        CaseStatusChanged => "case.status_changed" {
            fr: "Changement de statut d'un accompagnement",
            en: "Case status changed"
        },
        /// A partner posted a referral.
        ReferralReceived => "referral.received" {
            fr: "Orientation reçue",
            en: "Referral received"
        },
        /// A referral was left unanswered past its expiry.
        ReferralExpired => "referral.expired" {
            fr: "Orientation expirée",
            en: "Referral expired"
        },
        /// A liaison sheet the organisation sent was acknowledged by its destination.
        LiaisonAcknowledged => "liaison.acknowledged" {
            fr: "Fiche de liaison reçue par le destinataire",
            en: "Liaison sheet acknowledged"
        },
        /// A liaison sheet the organisation sent was declined by its destination.
        LiaisonDeclined => "liaison.declined" {
            fr: "Fiche de liaison refusée par le destinataire",
            en: "Liaison sheet declined"
        },
        /// A step of a plan is past its due date and not done (once, the day after it).
        PlanItemOverdue => "plan_item.overdue" {
            fr: "Démarche en retard",
            en: "Plan step overdue"
        },
        /// The post-closure review of a case is due.
        ReviewDue => "review.due" {
            fr: "Entretien bilan à faire",
            en: "Post-closure review due"
        },
        /// An application for aid was decided (granted, partially granted or refused).
        ApplicationDecided => "application.decided" {
            fr: "Décision sur une demande d'aide",
            en: "Application decided"
        },
        /// A planned contact is due within 24 hours.
        ContactUpcoming => "contact.upcoming" {
            fr: "Rendez-vous dans les 24 heures",
            en: "Contact within 24 hours"
        },
    }
}

crate::coded_enum! {
    /// What a notification tells an agent: an event that concerns them, or a delegation.
    pub enum NotificationKind in "notification_kind" {
        /// A referral arrived in the inbox (reception and supervisors).
        ReferralReceived => "referral.received" {
            fr: "Nouvelle orientation reçue",
            en: "New referral received"
        },
        /// A case was assigned to the agent (not at an opening by themselves).
        CaseAssigned => "case.assigned" {
            fr: "Accompagnement qui vous est attribué",
            en: "Case assigned to you"
        },
        /// The agent covers an absent colleague's cases (once per absence).
        AbsenceDelegated => "absence.delegated" {
            fr: "Suppléance d'un collègue absent",
            en: "Covering an absent colleague"
        },
        /// A liaison sheet the agent sent was acknowledged.
        LiaisonAcknowledged => "liaison.acknowledged" {
            fr: "Fiche de liaison reçue par le destinataire",
            en: "Liaison sheet acknowledged"
        },
        /// A liaison sheet the agent sent was declined.
        LiaisonDeclined => "liaison.declined" {
            fr: "Fiche de liaison refusée par le destinataire",
            en: "Liaison sheet declined"
        },
        /// A step of a case the agent is referent of is overdue.
        PlanItemOverdue => "plan_item.overdue" {
            fr: "Démarche en retard",
            en: "Plan step overdue"
        },
        /// The post-closure review of a case the agent was referent of is due.
        ReviewDue => "review.due" {
            fr: "Entretien bilan à faire",
            en: "Post-closure review due"
        },
        /// An application of a case the agent is referent of was decided.
        ApplicationDecided => "application.decided" {
            fr: "Décision sur une demande d'aide",
            en: "Application decided"
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::Coded;

    #[test]
    fn every_event_type_reads_back_from_its_code() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.code()), Some(*t));
        }
        assert_eq!(EventType::ALL.len(), 11);
        assert_eq!(EventType::parse("case.closed"), None);
    }
}
