//! Restriction of processing (GDPR art. 18) and objection (art. 21): while one is active, the
//! person's data is kept but not shared — no liaison is sent or read by a partner, no referral
//! about them is redirected, no partner-visible answer includes them — and the person is left out
//! of statistics. A restriction is lifted, never deleted.

use crate::refusal::Refusal;

crate::coded_enum! {
    /// What the person asked.
    pub enum RestrictionKind in "restriction_kind" {
        /// Restriction of processing (art. 18): kept, not used, while a dispute is settled.
        Restriction => "restriction" {
            fr: "Limitation du traitement",
            en: "Restriction of processing"
        },
        /// Objection to processing (art. 21).
        Objection => "objection" { fr: "Opposition au traitement", en: "Objection to processing" },
    }
}

/// Sharing is refused: a restriction or an objection of the person is active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the person restricted or objected to the processing of their data: it is not shared")]
pub struct ProcessingRestricted;

impl Refusal for ProcessingRestricted {
    fn code(&self) -> &'static str {
        "processing_restricted"
    }

    fn sentence_fr(&self) -> String {
        "la personne a demandé la limitation du traitement de ses données ou s'y est opposée : \
         elles ne sont pas partagées"
            .into()
    }
}

/// Whether the data of a person may be shared now: not while `restricted` (a restriction or
/// an objection of theirs is active).
///
/// # Errors
/// [`ProcessingRestricted`] while one is active.
pub fn check_sharing(restricted: bool) -> Result<(), ProcessingRestricted> {
    if restricted {
        Err(ProcessingRestricted)
    } else {
        Ok(())
    }
}

/// A restriction cannot be lifted twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this restriction was already lifted")]
pub struct AlreadyLifted;

impl Refusal for AlreadyLifted {
    fn code(&self) -> &'static str {
        "restriction_already_lifted"
    }

    fn sentence_fr(&self) -> String {
        "cette limitation a déjà été levée".into()
    }
}

/// Whether a restriction may be lifted: only while active (`lifted` says it no longer is).
///
/// # Errors
/// [`AlreadyLifted`] once lifted.
pub fn check_lift(lifted: bool) -> Result<(), AlreadyLifted> {
    if lifted { Err(AlreadyLifted) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_active_restriction_stops_sharing_and_is_lifted_once() {
        assert_eq!(check_sharing(false), Ok(()));
        assert_eq!(
            check_sharing(true).map_err(|e| e.code()),
            Err("processing_restricted")
        );
        assert_eq!(check_lift(false), Ok(()));
        assert_eq!(
            check_lift(true).map_err(|e| e.code()),
            Err("restriction_already_lifted")
        );
    }
}
