//! Partner integration: the events partners are notified of by webhook.
//!
//! Webhook payloads follow the Standard Webhooks structure `{type, timestamp, data}` and carry
//! identifiers and statuses only: a partner reads the record itself through the API, with its
//! own token, and that read is audited like any other.

crate::coded_enum! {
    /// What a webhook reports.
    pub enum WebhookEvent in "webhook_event" {
        /// A referral the partner posted was accepted, declined, redirected or expired.
        ReferralStatusChanged => "referral.status_changed" {
            fr: "Changement de statut d'une orientation",
            en: "Referral status changed"
        },
        /// A liaison sheet addressed to the partner was sent.
        LiaisonSent => "liaison.sent" {
            fr: "Fiche de liaison envoyée",
            en: "Liaison sheet sent"
        },
        /// A liaison sheet addressed to the partner was acknowledged or declined.
        LiaisonAcknowledged => "liaison.acknowledged" {
            fr: "Réponse à une fiche de liaison",
            en: "Liaison sheet answered"
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Coded;

    #[test]
    fn event_codes_are_the_documented_ones() {
        assert_eq!(
            WebhookEvent::ReferralStatusChanged.code(),
            "referral.status_changed"
        );
        assert_eq!(
            WebhookEvent::parse("liaison.sent"),
            Some(WebhookEvent::LiaisonSent)
        );
        assert_eq!(WebhookEvent::parse("liaison.unknown"), None);
    }
}
