//! Merging two records of the same person (a duplicate created by mistake) into one.
//!
//! `POST /v1/persons/{id}/merge {duplicate_id, reason}`: the record `id` is kept, the duplicate
//! becomes a tombstone pointing at it. What decides whether a merge may happen, and what becomes
//! of each part of the two records, lives here; the store moves the rows.
//!
//! - Everything attached to the duplicate goes to the kept record: cases (and so their
//!   documents, contacts, plans…), consents, referrals, restrictions and objections, and the
//!   rectification history. A person may have several cases, open ones included (DOMAIN.md sets
//!   no limit): both records' open cases stay open, side by side, for the supervisor to close
//!   one if they were the same accompaniment.
//! - Each field empty on the kept record takes the duplicate's value; a field set on both keeps
//!   the kept record's. Fields that only mean something together move together: the address
//!   (when the kept record has no address line, postcode, city or country), when and how the
//!   person was informed, the legal protection measure with its representative, the recognition
//!   of a disability with its rate.
//! - The NIR moves when only the duplicate has one; two different NIRs are two different
//!   persons, and the merge is refused ([`MergeRefused::NirConflict`]).
//! - The household and the budget move as a whole when the kept record has none
//!   ([`SituationMerge`]); when both have one, the kept record's stays and the duplicate's is
//!   kept, readable, in the merge's entry of the rectification history: nothing is lost, and no
//!   family is counted twice.
//! - The duplicate keeps no personal data: its identity as it was is written in the kept
//!   record's history, and the tombstone keeps only its id, its organisation, when it was
//!   created and into which record it was merged.

use uuid::Uuid;

use crate::Refusal;
use crate::nir::Nir;

/// Why two records cannot be merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MergeRefused {
    /// The duplicate is the kept record itself.
    #[error("a person cannot be merged into themself: give the id of the other record")]
    SamePerson,
    /// The duplicate was already merged into a record.
    #[error("this record was already merged into {into}")]
    AlreadyMerged { into: Uuid },
    /// The kept record was merged into another meanwhile.
    #[error("this person was merged into {into}")]
    KeptMerged { into: Uuid },
    /// One of the records was anonymised: nothing of it can be attached to another.
    #[error("an anonymised record cannot be merged")]
    Anonymised,
    /// Both records have a NIR, and they differ: they are two persons.
    #[error("both records have a NIR and they differ: they are two different persons")]
    NirConflict,
}

impl Refusal for MergeRefused {
    fn code(&self) -> &'static str {
        match self {
            MergeRefused::SamePerson => "same_person",
            MergeRefused::AlreadyMerged { .. } => "already_merged",
            MergeRefused::KeptMerged { .. } => "person_merged",
            MergeRefused::Anonymised => "person_anonymised",
            MergeRefused::NirConflict => "nir_conflict",
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            MergeRefused::SamePerson => {
                "une fiche ne peut pas être fusionnée avec elle-même : donnez l'identifiant de \
                 l'autre fiche"
                    .into()
            }
            MergeRefused::AlreadyMerged { into } => {
                format!("cette fiche a déjà été fusionnée dans la fiche {into}")
            }
            MergeRefused::KeptMerged { into } => {
                format!("cette personne a été fusionnée dans la fiche {into}")
            }
            MergeRefused::Anonymised => "une fiche anonymisée ne peut pas être fusionnée".into(),
            MergeRefused::NirConflict => {
                "les deux fiches ont un NIR, et ils diffèrent : ce sont deux personnes \
                 différentes"
                    .into()
            }
        }
    }
}

/// What a merge needs to know of each record, read under lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merging {
    pub id: Uuid,
    /// The record it was merged into, if it was.
    pub merged_into: Option<Uuid>,
    pub anonymised: bool,
    /// The NIR in clear (compared in clear: during a key rotation the same NIR may have two
    /// search hashes).
    pub nir: Option<Nir>,
}

/// What becomes of the NIR in a merge that may happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NirMerge {
    /// The kept record keeps its own (or neither has one).
    Kept,
    /// Only the duplicate has one: it moves to the kept record.
    Moves,
}

/// Whether `duplicate` may be merged into `kept`, and what becomes of the NIR.
///
/// # Errors
/// [`MergeRefused::SamePerson`], [`MergeRefused::KeptMerged`], [`MergeRefused::AlreadyMerged`],
/// [`MergeRefused::Anonymised`], [`MergeRefused::NirConflict`], checked in that order.
pub fn check_merge(kept: &Merging, duplicate: &Merging) -> Result<NirMerge, MergeRefused> {
    if kept.id == duplicate.id {
        return Err(MergeRefused::SamePerson);
    }
    if let Some(into) = kept.merged_into {
        return Err(MergeRefused::KeptMerged { into });
    }
    if let Some(into) = duplicate.merged_into {
        return Err(MergeRefused::AlreadyMerged { into });
    }
    if kept.anonymised || duplicate.anonymised {
        return Err(MergeRefused::Anonymised);
    }
    match (&kept.nir, &duplicate.nir) {
        (Some(a), Some(b)) if a != b => Err(MergeRefused::NirConflict),
        (None, Some(_)) => Ok(NirMerge::Moves),
        _ => Ok(NirMerge::Kept),
    }
}

/// What becomes of the duplicate's household, or of its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SituationMerge {
    /// The duplicate has none (nothing recorded in it): nothing to do.
    Nothing,
    /// The kept record has none: the duplicate's moves to it, as it is.
    Moves,
    /// Both have one: the kept record's stays, the duplicate's is written in the merge's entry
    /// of the rectification history (readable there, and counted nowhere twice).
    Recorded,
}

/// The rule for the household and the budget: `kept_has` and `duplicate_has` say whether each
/// record has one with anything recorded in it.
pub fn situation_merge(kept_has: bool, duplicate_has: bool) -> SituationMerge {
    match (kept_has, duplicate_has) {
        (_, false) => SituationMerge::Nothing,
        (false, true) => SituationMerge::Moves,
        (true, true) => SituationMerge::Recorded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(nir: Option<&str>) -> Merging {
        Merging {
            id: Uuid::now_v7(),
            merged_into: None,
            anonymised: false,
            nir: nir.map(|n| Nir::parse(n).expect("a valid NIR")),
        }
    }

    const NIR_A: &str = "269054958815780";
    const NIR_B: &str = "185077512345608";

    #[test]
    fn a_record_cannot_be_merged_into_itself() {
        let one = record(None);
        assert_eq!(check_merge(&one, &one), Err(MergeRefused::SamePerson));
    }

    #[test]
    fn two_different_nirs_are_two_persons() {
        let refused = check_merge(&record(Some(NIR_A)), &record(Some(NIR_B)));
        assert_eq!(refused, Err(MergeRefused::NirConflict));
        assert_eq!(MergeRefused::NirConflict.code(), "nir_conflict");
    }

    #[test]
    fn the_duplicates_nir_moves_only_when_the_kept_record_has_none() {
        assert_eq!(
            check_merge(&record(None), &record(Some(NIR_A))),
            Ok(NirMerge::Moves)
        );
        assert_eq!(
            check_merge(&record(Some(NIR_A)), &record(None)),
            Ok(NirMerge::Kept)
        );
        assert_eq!(
            check_merge(&record(None), &record(None)),
            Ok(NirMerge::Kept)
        );
    }

    #[test]
    fn a_merged_or_anonymised_record_is_never_merged_again() {
        let kept = record(None);
        let mut merged = record(None);
        let into = Uuid::now_v7();
        merged.merged_into = Some(into);
        assert_eq!(
            check_merge(&kept, &merged),
            Err(MergeRefused::AlreadyMerged { into })
        );
        assert_eq!(
            check_merge(&merged, &kept),
            Err(MergeRefused::KeptMerged { into })
        );
        let mut anonymised = record(None);
        anonymised.anonymised = true;
        assert_eq!(
            check_merge(&kept, &anonymised),
            Err(MergeRefused::Anonymised)
        );
        assert_eq!(
            check_merge(&anonymised, &kept),
            Err(MergeRefused::Anonymised)
        );
    }

    #[test]
    fn a_household_or_budget_moves_to_a_record_without_one_and_is_recorded_beside_another() {
        assert_eq!(situation_merge(false, false), SituationMerge::Nothing);
        assert_eq!(situation_merge(true, false), SituationMerge::Nothing);
        assert_eq!(situation_merge(false, true), SituationMerge::Moves);
        assert_eq!(situation_merge(true, true), SituationMerge::Recorded);
    }

    #[test]
    fn every_refusal_says_itself_in_french() {
        for refusal in [
            MergeRefused::SamePerson,
            MergeRefused::AlreadyMerged {
                into: Uuid::now_v7(),
            },
            MergeRefused::Anonymised,
            MergeRefused::NirConflict,
        ] {
            assert!(!refusal.sentence_fr().is_empty());
            assert!(!refusal.to_string().is_empty());
        }
    }
}
