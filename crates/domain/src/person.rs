//! Persons as they really come: the legal protection measure and its representative, the
//! recognition of a disability, and when two records are likely the same person.
//!
//! Duplicates are the most repeated complaint of every tool of the field: a person met at the
//! reception desk, referred by a partner and entered again by a colleague ends up three times in
//! the file. [`likely_same`] is the one rule that says two records may be one person: the same
//! birth date and the same names once folded (accents, case, hyphens and apostrophes do not
//! count), where a family name matches either the usual name or the birth name of the other, and
//! first and family names written the wrong way round still match. A NIR is stronger still, and
//! is compared by the store through its keyed hash.

use crate::refusal::Refusal;
use crate::text::fold;
use chrono::NaiveDate;

crate::coded_enum! {
    /// A legal protection measure (mesure de protection juridique des majeurs, or the
    /// accompaniment measures of the Code de l'action sociale).
    pub enum LegalProtectionKind in "legal_protection_kind" {
        /// Tutelle: the representative acts for the person.
        Tutelle => "tutelle" { fr: "Tutelle", en: "Guardianship (tutelle)" },
        /// Curatelle: the person acts, assisted by the curateur.
        Curatelle => "curatelle" { fr: "Curatelle", en: "Curatorship (curatelle)" },
        /// Sauvegarde de justice: a short, light measure.
        SauvegardeDeJustice => "sauvegarde_de_justice" {
            fr: "Sauvegarde de justice",
            en: "Temporary court protection (sauvegarde de justice)"
        },
        /// MASP or MAJ: social or judicial accompaniment measure on benefits.
        MesureAccompagnement => "mesure_accompagnement" {
            fr: "Mesure d'accompagnement (MASP / MAJ)",
            en: "Social support measure (MASP / MAJ)"
        },
        /// Habilitation familiale: a relative is empowered by the judge.
        HabilitationFamiliale => "habilitation_familiale" {
            fr: "Habilitation familiale",
            en: "Family authorisation (habilitation familiale)"
        },
    }
}

crate::coded_enum! {
    /// Whether a disability is recognised (by the MDPH's CDAPH).
    pub enum DisabilityRecognition in "disability_recognition" {
        /// Recognised.
        Yes => "yes" { fr: "Reconnu", en: "Recognised" },
        /// Not recognised.
        No => "no" { fr: "Non reconnu", en: "Not recognised" },
        /// An application is being examined.
        Pending => "pending" { fr: "Demande en cours", en: "Application pending" },
        /// Not known.
        Unknown => "unknown" { fr: "Inconnu", en: "Unknown" },
    }
}

crate::coded_enum! {
    /// The rate of incapacity the MDPH recognised, by the bands the schemes use.
    pub enum DisabilityRate in "disability_rate" {
        /// Below 50 %.
        Below50 => "below_50" { fr: "Inférieur à 50 %", en: "Below 50%" },
        /// From 50 % to 79 %.
        From50To79 => "50_to_79" { fr: "De 50 % à 79 %", en: "50% to 79%" },
        /// 80 % or more.
        AtLeast80 => "80_or_more" { fr: "80 % ou plus", en: "80% or more" },
    }
}

impl DisabilityRate {
    /// The lowest rate of the band, in percent: what a scheme's minimum is compared with.
    pub fn floor_percent(self) -> u32 {
        match self {
            DisabilityRate::Below50 => 0,
            DisabilityRate::From50To79 => 50,
            DisabilityRate::AtLeast80 => 80,
        }
    }
}

/// Longest name or organisation of a representative, in characters.
pub const REPRESENTATIVE_MAX_CHARS: usize = 200;

/// Who represents or assists a protected person: a mandataire judiciaire, an association
/// (UDAF, ATMP), a relative. At least a name or an organisation ([`check_representative`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Representative {
    pub name: Option<String>,
    pub organisation: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// A legal protection measure and, when known, its representative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalProtection {
    pub kind: LegalProtectionKind,
    pub representative: Option<Representative>,
}

/// What is known of a person's disability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disability {
    pub recognised: DisabilityRecognition,
    /// The rate, only with a recognised disability.
    pub rate: Option<DisabilityRate>,
}

/// Why a person's protection or disability cannot be recorded as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PersonRefused {
    /// A rate of incapacity is given for a disability that is not recognised.
    #[error("a rate is only given for a recognised disability (recognised: yes)")]
    RateWithoutRecognition,
    /// A representative with neither a name nor an organisation.
    #[error("a representative needs a name or an organisation")]
    NamelessRepresentative,
}

impl Refusal for PersonRefused {
    fn code(&self) -> &'static str {
        match self {
            PersonRefused::RateWithoutRecognition => "rate_without_recognition",
            PersonRefused::NamelessRepresentative => "representative_unnamed",
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            PersonRefused::RateWithoutRecognition => {
                "un taux d'incapacité ne se renseigne que pour un handicap reconnu".into()
            }
            PersonRefused::NamelessRepresentative => {
                "le représentant doit avoir un nom ou un organisme".into()
            }
        }
    }
}

impl Disability {
    /// The disability as given, or why it cannot be recorded.
    ///
    /// # Errors
    /// [`PersonRefused::RateWithoutRecognition`] when a rate comes with a recognition other than
    /// `yes`.
    pub fn new(
        recognised: DisabilityRecognition,
        rate: Option<DisabilityRate>,
    ) -> Result<Self, PersonRefused> {
        if rate.is_some() && recognised != DisabilityRecognition::Yes {
            return Err(PersonRefused::RateWithoutRecognition);
        }
        Ok(Self { recognised, rate })
    }
}

/// Whether a representative's name and organisation, already trimmed (blank is absent), are
/// enough to reach them.
///
/// # Errors
/// [`PersonRefused::NamelessRepresentative`] when both are absent.
pub fn check_representative(
    name: Option<&str>,
    organisation: Option<&str>,
) -> Result<(), PersonRefused> {
    if name.is_none() && organisation.is_none() {
        return Err(PersonRefused::NamelessRepresentative);
    }
    Ok(())
}

/// The names and birth date that tell whether two records may be one person.
#[derive(Debug, Clone, Copy)]
pub struct Identity<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub birth_name: Option<&'a str>,
    pub birth_date: Option<NaiveDate>,
}

/// Whether `a` and `b` are likely the same person: the same birth date (both known) and the
/// same folded first name, with a family name of one (usual or birth name) equal to a family
/// name of the other; first and family names swapped on one side still match. The NIR is
/// compared elsewhere, by its hash.
///
/// ```
/// use chrono::NaiveDate;
/// use relais_domain::person::{Identity, likely_same};
///
/// let born = NaiveDate::from_ymd_opt(1984, 3, 2);
/// let file = Identity { first_name: "Sandrine", last_name: "Dupont", birth_name: Some("Morel"), birth_date: born };
/// let desk = Identity { first_name: "sandrine", last_name: "MOREL", birth_name: None, birth_date: born };
/// assert!(likely_same(&file, &desk));
/// ```
pub fn likely_same(a: &Identity<'_>, b: &Identity<'_>) -> bool {
    if a.birth_date.is_none() || a.birth_date != b.birth_date {
        return false;
    }
    let (a_first, a_families) = folded(a);
    let (b_first, b_families) = folded(b);
    let shares_family = |families: &[String], name: &str| families.iter().any(|f| f == name);
    let straight = a_first == b_first && a_families.iter().any(|f| shares_family(&b_families, f));
    let swapped = shares_family(&b_families, &a_first) && b_first == fold(a.last_name);
    !a_first.is_empty() && (straight || swapped)
}

/// How two records' NIRs compare: their keyed hashes, as the store holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NirComparison {
    /// Both known and equal.
    Same,
    /// Both known and different.
    Different,
    /// One or both unknown.
    Unknown,
}

/// Why a record may be the person sought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Likeness {
    /// The same NIR: the same person, whatever the names say.
    SameNir,
    /// The same names and birth date ([`likely_same`]), and no NIR that tells them apart.
    SameNames,
}

/// Whether `candidate` may be the person `sought`: the same NIR, or names and birth date alike
/// when their NIRs do not differ (two different NIRs are two persons, whatever the names).
pub fn likeness(
    sought: &Identity<'_>,
    candidate: &Identity<'_>,
    nirs: NirComparison,
) -> Option<Likeness> {
    match nirs {
        NirComparison::Same => Some(Likeness::SameNir),
        NirComparison::Different => None,
        NirComparison::Unknown => likely_same(sought, candidate).then_some(Likeness::SameNames),
    }
}

/// The folded first name, and the folded family names (usual, then birth name if any).
fn folded(identity: &Identity<'_>) -> (String, Vec<String>) {
    let mut families = vec![fold(identity.last_name)];
    if let Some(birth) = identity.birth_name.map(fold).filter(|b| !b.is_empty()) {
        families.push(birth);
    }
    (fold(identity.first_name), families)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn born(day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(1984, 3, day)
    }

    fn who<'a>(first: &'a str, last: &'a str, birth: Option<&'a str>, day: u32) -> Identity<'a> {
        Identity {
            first_name: first,
            last_name: last,
            birth_name: birth,
            birth_date: born(day),
        }
    }

    #[test]
    fn accents_case_hyphens_and_spaces_do_not_count() {
        assert!(likely_same(
            &who("Jean-Éric", "Le Gall", None, 2),
            &who("jean eric", "LE-GALL", None, 2)
        ));
        assert!(likely_same(
            &who("Chloé", "N'Diaye", None, 2),
            &who("CHLOE", "n diaye", None, 2)
        ));
    }

    #[test]
    fn a_birth_name_matches_a_usual_name_either_way() {
        let married = who("Sandrine", "Dupont", Some("Morel"), 2);
        assert!(likely_same(&married, &who("Sandrine", "Morel", None, 2)));
        assert!(likely_same(&who("Sandrine", "Morel", None, 2), &married));
        assert!(likely_same(
            &married,
            &who("Sandrine", "Martin", Some("Morel"), 2)
        ));
    }

    #[test]
    fn names_written_the_wrong_way_round_match() {
        assert!(likely_same(
            &who("Morel", "Sandrine", None, 2),
            &who("Sandrine", "Morel", None, 2)
        ));
    }

    #[test]
    fn another_birth_date_or_an_unknown_one_is_another_person() {
        assert!(!likely_same(
            &who("Sandrine", "Morel", None, 2),
            &who("Sandrine", "Morel", None, 3)
        ));
        let unknown = Identity {
            birth_date: None,
            ..who("Sandrine", "Morel", None, 2)
        };
        assert!(!likely_same(&unknown, &unknown));
    }

    #[test]
    fn another_first_or_family_name_is_another_person() {
        assert!(!likely_same(
            &who("Sandrine", "Morel", None, 2),
            &who("Sandra", "Morel", None, 2)
        ));
        assert!(!likely_same(
            &who("Sandrine", "Morel", None, 2),
            &who("Sandrine", "Moreau", None, 2)
        ));
    }

    #[test]
    fn a_nir_decides_before_the_names() {
        let a = who("Sandrine", "Morel", None, 2);
        let b = who("Paul", "Durand", None, 9);
        assert_eq!(
            likeness(&a, &b, NirComparison::Same),
            Some(Likeness::SameNir)
        );
        assert_eq!(likeness(&a, &a, NirComparison::Different), None);
        assert_eq!(
            likeness(&a, &a, NirComparison::Unknown),
            Some(Likeness::SameNames)
        );
        assert_eq!(likeness(&a, &b, NirComparison::Unknown), None);
    }

    #[test]
    fn a_rate_needs_a_recognised_disability() {
        assert!(
            Disability::new(DisabilityRecognition::Yes, Some(DisabilityRate::AtLeast80)).is_ok()
        );
        assert!(Disability::new(DisabilityRecognition::Pending, None).is_ok());
        assert_eq!(
            Disability::new(
                DisabilityRecognition::Pending,
                Some(DisabilityRate::Below50)
            ),
            Err(PersonRefused::RateWithoutRecognition)
        );
        assert_eq!(DisabilityRate::From50To79.floor_percent(), 50);
    }

    #[test]
    fn a_representative_needs_a_name_or_an_organisation() {
        assert!(check_representative(Some("UDAF du Rhône"), None).is_ok());
        assert!(check_representative(None, Some("ATMP")).is_ok());
        assert_eq!(
            check_representative(None, None),
            Err(PersonRefused::NamelessRepresentative)
        );
    }
}
