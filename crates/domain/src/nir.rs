//! The NIR (numéro d'inscription au répertoire, the French social security number).
//!
//! A [`Nir`] is only built by [`Nir::parse`], so holding one means the number is well formed
//! and its key matches. It is personal data under professional secrecy: its `Debug` prints the
//! masked form, it has no `Display` and no serde support, so that logging or serialising it in
//! clear is always a deliberate call to [`Nir::as_str`].

use std::fmt;

use crate::refusal::Refusal;

/// The longest text read as a NIR: 15 characters and the spaces between groups, with room
/// to spare (`"1 85 05 78 006 084 91"` has 21).
pub const MAX_NIR_INPUT_CHARS: usize = 30;

/// A valid NIR: 13 characters (sex, year, month, department, commune, order) and a 2-digit key.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Nir(String);

/// Why a string is not a valid NIR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NirError {
    /// Not 15 characters once spaces are removed (or longer than [`MAX_NIR_INPUT_CHARS`] with
    /// them).
    #[error("a NIR has 15 characters (13 and a 2-digit key), spaces aside")]
    WrongLength,
    /// A character other than a digit, a space, or the A/B of Corsican departments 2A/2B.
    #[error("a NIR has only digits, spaces, and 2A or 2B as a Corsican department")]
    InvalidCharacter,
    /// The first digit is not 1, 2, 3, 4, 7 or 8.
    #[error("the first digit of a NIR must be 1, 2, 3, 4, 7 or 8")]
    InvalidSex,
    /// The month (4th and 5th digits) is not 01–12, 20–42 or 50–99.
    #[error("the birth month of a NIR must be 01 to 12, 20 to 42, or 50 to 99")]
    InvalidMonth,
    /// The key does not match the 13 first characters.
    #[error("the key of the NIR does not match its number")]
    WrongKey,
}

impl Refusal for NirError {
    fn code(&self) -> &'static str {
        match self {
            NirError::WrongLength => "nir_wrong_length",
            NirError::InvalidCharacter => "nir_invalid_character",
            NirError::InvalidSex => "nir_invalid_sex",
            NirError::InvalidMonth => "nir_invalid_month",
            NirError::WrongKey => "nir_wrong_key",
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            NirError::WrongLength => {
                "un NIR compte 15 caractères (13, puis une clé de 2 chiffres), espaces non compris"
            }
            NirError::InvalidCharacter => {
                "un NIR ne contient que des chiffres, des espaces, et 2A ou 2B pour un \
                 département corse"
            }
            NirError::InvalidSex => "le premier chiffre d'un NIR doit être 1, 2, 3, 4, 7 ou 8",
            NirError::InvalidMonth => {
                "le mois de naissance d'un NIR doit être compris entre 01 et 12, entre 20 et 42, \
                 ou entre 50 et 99"
            }
            NirError::WrongKey => "la clé du NIR ne correspond pas à son numéro",
        }
        .into()
    }
}

/// Whitespace accepted between groups: the plain space, and the no-break spaces that French
/// typography (and so copy-paste from documents) puts between digit groups.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}')
}

impl Nir {
    /// Parses a NIR written with or without spaces, e.g. `"1 85 05 78 006 084 91"`.
    ///
    /// Corsican departments may be written `2a`/`2b` and are kept upper case.
    ///
    /// # Errors
    /// A [`NirError`] saying which rule the input breaks, checked in this order: symbols or
    /// separators, length, letters other than a Corsican 2A/2B, sex, month, key.
    pub fn parse(input: &str) -> Result<Nir, NirError> {
        if input.chars().count() > MAX_NIR_INPUT_CHARS {
            return Err(NirError::WrongLength);
        }
        let mut chars: Vec<char> = Vec::with_capacity(15);
        for c in input.chars().filter(|&c| !is_space(c)) {
            if !c.is_ascii_alphanumeric() {
                return Err(NirError::InvalidCharacter);
            }
            if chars.len() == 15 {
                // No need to read a long paste to the end to know it is not a NIR.
                return Err(NirError::WrongLength);
            }
            chars.push(c.to_ascii_uppercase());
        }
        if chars.len() != 15 {
            return Err(NirError::WrongLength);
        }
        // Only the department (6th and 7th characters) may hold a letter, and only as 2A/2B.
        let corsica = match (chars[5], chars[6]) {
            ('2', 'A') => Some(19),
            ('2', 'B') => Some(18),
            _ => None,
        };
        let is_digit_or_corsica =
            |(i, c): (usize, &char)| c.is_ascii_digit() || (corsica.is_some() && i == 6);
        if !chars.iter().enumerate().all(is_digit_or_corsica) {
            return Err(NirError::InvalidCharacter);
        }
        let digits = |from: usize, to: usize| {
            chars[from..to].iter().fold(0_u64, |n, c| {
                n * 10 + u64::from(c.to_digit(10).unwrap_or(0))
            })
        };

        if !matches!(chars[0], '1' | '2' | '3' | '4' | '7' | '8') {
            return Err(NirError::InvalidSex);
        }
        if !matches!(digits(3, 5), 1..=12 | 20..=42 | 50..=99) {
            return Err(NirError::InvalidMonth);
        }
        // For the key, Corsica counts as department 19 (2A) or 18 (2B).
        let number = match corsica {
            Some(department) => digits(0, 5) * 100_000_000 + department * 1_000_000 + digits(7, 13),
            None => digits(0, 13),
        };
        if 97 - number % 97 != digits(13, 15) {
            return Err(NirError::WrongKey);
        }
        Ok(Nir(chars.into_iter().collect()))
    }

    /// The canonical form: 15 characters, no spaces, Corsica upper case.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form shown by default: sex, year and month of birth and the key visible, the rest
    /// hidden, grouped like a carte Vitale, e.g. `"1 85 05 ** *** *** 42"`.
    pub fn masked(&self) -> String {
        let n = &self.0;
        format!(
            "{} {} {} ** *** *** {}",
            &n[0..1],
            &n[1..3],
            &n[3..5],
            &n[13..15]
        )
    }
}

impl fmt::Debug for Nir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nir({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key computed independently of `Nir::parse`: digit by digit, with the official
    /// Corsican rule (replace the letter by 0, then subtract 1 000 000 for 2A, 2 000 000 for 2B).
    fn key(thirteen: &str) -> String {
        let compact: String = thirteen.chars().filter(|c| *c != ' ').collect();
        let upper = compact.to_ascii_uppercase();
        let (numeric, minus) = if upper.contains("2A") {
            (upper.replacen("2A", "20", 1), 1_000_000)
        } else if upper.contains("2B") {
            (upper.replacen("2B", "20", 1), 2_000_000)
        } else {
            (upper, 0)
        };
        let n: i128 = numeric.parse::<i128>().expect("digits") - minus;
        format!("{:02}", 97 - n % 97)
    }

    fn with_key(thirteen: &str) -> String {
        format!("{thirteen} {}", key(thirteen))
    }

    #[test]
    fn a_valid_nir_with_spaces_parses_to_its_compact_form() {
        let written = with_key("1 85 05 78 006 084");
        let nir = Nir::parse(&written).expect("valid");
        assert_eq!(nir.as_str(), written.replace(' ', ""));
        assert_eq!(nir.as_str().len(), 15);
    }

    #[test]
    fn the_key_of_a_well_known_example_is_91() {
        assert_eq!(key("1 85 05 78 006 084"), "91");
        assert!(Nir::parse("185057800608491").is_ok());
    }

    #[test]
    fn a_nir_without_spaces_or_with_no_break_spaces_is_accepted() {
        let compact = with_key("2 69 12 75 116 003").replace(' ', "");
        assert!(Nir::parse(&compact).is_ok());
        let typographic = format!(
            "2\u{a0}69\u{a0}12\u{202f}75 116 003 {}",
            key("2 69 12 75 116 003")
        );
        assert_eq!(
            Nir::parse(&typographic).map(|n| n.as_str().to_owned()),
            Ok(compact)
        );
    }

    #[test]
    fn corsican_departments_use_their_own_key_rule() {
        for thirteen in ["1 78 03 2A 004 012", "2 91 11 2B 033 145"] {
            let nir = Nir::parse(&with_key(thirteen)).expect(thirteen);
            assert_eq!(&nir.as_str()[5..7], &thirteen[8..10]);
        }
        // Computing the key as if 2A were 20 must fail: the rule really is 19 and 18.
        let wrong = format!("1 78 03 2A 004 012 {}", key("1 78 03 20 004 012"));
        assert_eq!(Nir::parse(&wrong), Err(NirError::WrongKey));
    }

    #[test]
    fn a_lower_case_corsican_department_is_canonicalised_to_upper_case() {
        let nir = Nir::parse(&with_key("1 78 03 2a 004 012")).expect("valid");
        assert_eq!(&nir.as_str()[5..7], "2A");
        let nir = Nir::parse(&with_key("2 91 11 2b 033 145")).expect("valid");
        assert_eq!(&nir.as_str()[5..7], "2B");
    }

    #[test]
    fn every_legal_sex_digit_and_month_range_is_accepted() {
        for sex in ['1', '2', '3', '4', '7', '8'] {
            for month in ["01", "12", "20", "42", "50", "99"] {
                let thirteen = format!("{sex} 85 {month} 78 006 084");
                assert!(Nir::parse(&with_key(&thirteen)).is_ok(), "{thirteen}");
            }
        }
    }

    #[test]
    fn a_nir_of_the_wrong_length_is_refused() {
        assert_eq!(Nir::parse(""), Err(NirError::WrongLength));
        assert_eq!(Nir::parse("1 85 05 78 006 084"), Err(NirError::WrongLength));
        assert_eq!(Nir::parse("1850578006084911"), Err(NirError::WrongLength));
    }

    #[test]
    fn separators_other_than_spaces_and_stray_letters_are_refused() {
        assert_eq!(
            Nir::parse("1-85-05-78-006-084-91"),
            Err(NirError::InvalidCharacter)
        );
        assert_eq!(
            Nir::parse("1.85.05.78.006.084.91"),
            Err(NirError::InvalidCharacter)
        );
        assert_eq!(
            Nir::parse("185057800608X91"),
            Err(NirError::InvalidCharacter)
        );
        assert_eq!(
            Nir::parse("18505A800608491"),
            Err(NirError::InvalidCharacter)
        );
        assert_eq!(
            Nir::parse("185052C00608491"),
            Err(NirError::InvalidCharacter)
        );
        assert_eq!(
            Nir::parse("１85057800608491"),
            Err(NirError::InvalidCharacter)
        );
    }

    #[test]
    fn a_first_digit_other_than_a_legal_sex_is_refused() {
        for sex in ['0', '5', '6', '9'] {
            let thirteen = format!("{sex} 85 05 78 006 084");
            assert_eq!(Nir::parse(&with_key(&thirteen)), Err(NirError::InvalidSex));
        }
    }

    #[test]
    fn a_month_outside_the_legal_ranges_is_refused() {
        for month in ["00", "13", "19", "43", "49"] {
            let thirteen = format!("1 85 {month} 78 006 084");
            assert_eq!(
                Nir::parse(&with_key(&thirteen)),
                Err(NirError::InvalidMonth)
            );
        }
    }

    #[test]
    fn a_key_that_does_not_match_is_refused() {
        assert_eq!(Nir::parse("1 85 05 78 006 084 92"), Err(NirError::WrongKey));
        assert_eq!(Nir::parse("1 85 05 78 006 084 00"), Err(NirError::WrongKey));
        assert_eq!(Nir::parse("1 85 05 78 006 084 98"), Err(NirError::WrongKey));
    }

    #[test]
    fn errors_have_stable_codes_and_english_messages() {
        let all = [
            (NirError::WrongLength, "nir_wrong_length"),
            (NirError::InvalidCharacter, "nir_invalid_character"),
            (NirError::InvalidSex, "nir_invalid_sex"),
            (NirError::InvalidMonth, "nir_invalid_month"),
            (NirError::WrongKey, "nir_wrong_key"),
        ];
        for (error, code) in all {
            assert_eq!(error.code(), code);
            assert!(
                error.to_string().starts_with("a NIR") || error.to_string().starts_with("the ")
            );
        }
    }

    #[test]
    fn the_masked_form_shows_sex_year_month_and_key_only() {
        let nir = Nir::parse("1 85 05 78 006 084 91").expect("valid");
        assert_eq!(nir.masked(), "1 85 05 ** *** *** 91");
        let corsican = Nir::parse(&with_key("1 78 03 2A 004 012")).expect("valid");
        assert!(!corsican.masked().contains("2A"));
    }

    #[test]
    fn debug_never_prints_the_number() {
        let nir = Nir::parse("185057800608491").expect("valid");
        let debug = format!("{nir:?}");
        assert_eq!(debug, "Nir(1 85 05 ** *** *** 91)");
        assert!(!debug.contains("78006084"));
    }
}
