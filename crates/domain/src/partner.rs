//! Partner integration: the events partners are notified of by webhook.
//!
//! Webhook payloads follow the Standard Webhooks structure `{type, timestamp, data}` and carry
//! identifiers and statuses only: a partner reads the record itself through the API, with its
//! own token, and that read is audited like any other.
//!
//! A partner may be identified by its [`Siret`], the 14-digit number of an establishment in the
//! French company register (SIRENE).

use std::fmt;

use crate::refusal::Refusal;

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
        /// The support of a person the partner referred (and the organisation accepted) ended,
        /// or started again.
        ReferralOutcome => "referral.outcome" {
            fr: "Issue d'un accompagnement orienté",
            en: "Outcome of a referred person's support"
        },
    }
}

/// The longest text read as a SIRET: 14 digits and the spaces between groups
/// (`"534 083 665 00016"` has 17).
pub const MAX_SIRET_INPUT_CHARS: usize = 20;

/// A valid SIRET: the 9-digit SIREN of the company and the 5-digit NIC of the establishment,
/// whose last digit is a check digit.
///
/// Only built by [`Siret::parse`], so holding one means the number is well formed and its check
/// digit matches: the Luhn algorithm, except for the establishments of La Poste (SIREN
/// 356000000), which share one SIREN between thousands of establishments and use instead the
/// rule "the sum of the 14 digits is a multiple of 5" (its head office, 356 000 000 00048, keeps
/// the Luhn check). A SIRET identifies an organisation, not a person: it may be shown and logged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Siret(String);

/// Why a string is not a valid SIRET.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SiretError {
    /// Not 14 digits once spaces are removed.
    #[error("a SIRET has 14 digits (spaces aside)")]
    WrongLength,
    /// A character other than a digit or a space.
    #[error("a SIRET has only digits (and optional spaces)")]
    InvalidCharacter,
    /// The check digit does not match.
    #[error("the check digit of the SIRET does not match its number")]
    WrongKey,
}

impl Refusal for SiretError {
    fn code(&self) -> &'static str {
        match self {
            SiretError::WrongLength => "siret_wrong_length",
            SiretError::InvalidCharacter => "siret_invalid_character",
            SiretError::WrongKey => "siret_wrong_key",
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            SiretError::WrongLength => "un SIRET compte 14 chiffres (espaces non compris)",
            SiretError::InvalidCharacter => {
                "un SIRET ne contient que des chiffres (et des espaces facultatifs)"
            }
            SiretError::WrongKey => {
                "le chiffre de contrôle du SIRET ne correspond pas à son numéro"
            }
        }
        .into()
    }
}

/// The SIREN of La Poste, whose establishments follow their own check rule.
const LA_POSTE_SIREN: &str = "356000000";
/// La Poste's head office, which follows the Luhn check like every other company.
const LA_POSTE_HEAD_OFFICE: &str = "35600000000048";

impl Siret {
    /// Parses a SIRET written with or without spaces, e.g. `"732 829 320 00074"`.
    ///
    /// # Errors
    /// A [`SiretError`] saying which rule the input breaks: characters, length, check digit.
    pub fn parse(input: &str) -> Result<Siret, SiretError> {
        if input.chars().count() > MAX_SIRET_INPUT_CHARS {
            return Err(SiretError::WrongLength);
        }
        let mut digits = String::with_capacity(14);
        for c in input
            .chars()
            .filter(|&c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        {
            if !c.is_ascii_digit() {
                return Err(SiretError::InvalidCharacter);
            }
            if digits.len() == 14 {
                return Err(SiretError::WrongLength);
            }
            digits.push(c);
        }
        if digits.len() != 14 {
            return Err(SiretError::WrongLength);
        }
        let valid = if digits.starts_with(LA_POSTE_SIREN) && digits != LA_POSTE_HEAD_OFFICE {
            digit_sum(&digits).is_multiple_of(5)
        } else {
            luhn_valid(&digits)
        };
        if valid {
            Ok(Siret(digits))
        } else {
            Err(SiretError::WrongKey)
        }
    }

    /// The 14 digits, without spaces.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The SIREN: the company's 9 first digits.
    pub fn siren(&self) -> &str {
        &self.0[..9]
    }
}

impl fmt::Display for Siret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The values of ASCII digits.
fn values(digits: &str) -> impl DoubleEndedIterator<Item = u32> + '_ {
    digits.bytes().map(|b| u32::from(b - b'0'))
}

fn digit_sum(digits: &str) -> u32 {
    values(digits).sum()
}

/// The Luhn check: from the right, every second digit is doubled (minus 9 above 9), and the
/// total is a multiple of 10.
fn luhn_valid(digits: &str) -> bool {
    let total: u32 = values(digits)
        .rev()
        .enumerate()
        .map(|(i, d)| match (i % 2, d * 2) {
            (1, doubled) if doubled > 9 => doubled - 9,
            (1, doubled) => doubled,
            _ => d,
        })
        .sum();
    total.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

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

    #[test]
    fn a_siret_with_a_matching_luhn_key_parses_with_or_without_spaces() {
        let siret = Siret::parse("732 829 320 00074").unwrap();
        assert_eq!(siret.as_str(), "73282932000074");
        assert_eq!(siret.siren(), "732829320");
        assert_eq!(siret.to_string(), "73282932000074");
        assert_eq!(Siret::parse("44306184100047").unwrap().siren(), "443061841");
        assert_eq!(
            Siret::parse("732\u{a0}829\u{202f}320 00074").unwrap(),
            siret
        );
    }

    #[test]
    fn a_wrong_check_digit_is_refused() {
        assert_eq!(Siret::parse("73282932000075"), Err(SiretError::WrongKey));
        assert_eq!(Siret::parse("12345678901234"), Err(SiretError::WrongKey));
    }

    #[test]
    fn la_poste_establishments_use_the_multiple_of_five_rule() {
        // 3+5+6+4+9+8+3+7 = 45: valid for La Poste although its Luhn sum is not.
        assert!(Siret::parse("35600000049837").is_ok());
        assert_eq!(Siret::parse("35600000049838"), Err(SiretError::WrongKey));
        // A La Poste number that only passes Luhn is refused…
        assert_eq!(Siret::parse("35600000049813"), Err(SiretError::WrongKey));
        // …except its head office, which keeps the Luhn check.
        assert!(Siret::parse("35600000000048").is_ok());
        // The rule is La Poste's only: another SIREN with a multiple-of-5 sum needs Luhn.
        assert_eq!(Siret::parse("12345678901234"), Err(SiretError::WrongKey));
    }

    #[test]
    fn length_and_characters_are_checked_before_the_key() {
        assert_eq!(Siret::parse(""), Err(SiretError::WrongLength));
        assert_eq!(Siret::parse("7328293200007"), Err(SiretError::WrongLength));
        assert_eq!(
            Siret::parse("732829320000740"),
            Err(SiretError::WrongLength)
        );
        assert_eq!(
            Siret::parse("7328293200007A"),
            Err(SiretError::InvalidCharacter)
        );
        assert_eq!(
            Siret::parse("732-829-320-00074"),
            Err(SiretError::InvalidCharacter)
        );
        assert_eq!(
            Siret::parse("７３２８２９３２０００７４"),
            Err(SiretError::InvalidCharacter)
        );
        assert_eq!(SiretError::WrongKey.code(), "siret_wrong_key");
    }
}
