//! The language of the answer: English by default, French when the request's `Accept-Language`
//! prefers it (RFC 9110 §12.5.4). Only problem documents are translated (see
//! [`crate::error::french`]); everything else (codes, field names) is the same in both.

/// A language the API speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// The default.
    En,
    Fr,
}

impl Language {
    /// The language tag, as in `Content-Language`.
    pub const fn tag(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Fr => "fr",
        }
    }

    /// The language the `Accept-Language` field values prefer, from each language's weight:
    /// the highest `q` among the ranges of its primary subtag (`fr`, `fr-FR`, `fr-CA`…),
    /// else the weight of `*`, else 0 (not acceptable). French when it weighs more than English,
    /// or as much but is listed first (`fr, en`); English otherwise: without the header, with
    /// `*` alone, when neither is acceptable. A malformed element is ignored, as RFC 9110 allows.
    pub fn preferred<'a>(values: impl IntoIterator<Item = &'a str>) -> Language {
        let mut weights = Weights::default();
        let elements = values.into_iter().flat_map(|v| v.split(','));
        for (position, element) in elements.enumerate() {
            if let Some((range, q)) = parse_element(element) {
                weights.add(range, q, position);
            }
        }
        let fr = weights.of(&weights.fr);
        let en = weights.of(&weights.en);
        // A weight of 0 is "not acceptable"; otherwise more weight wins, then the earlier range.
        if fr.0 > 0 && (fr.0 > en.0 || (fr.0 == en.0 && fr.1 < en.1)) {
            Language::Fr
        } else {
            Language::En
        }
    }
}

/// The weight (in thousandths) and the position of the best range found for each language.
#[derive(Default)]
struct Weights {
    fr: Option<(u16, usize)>,
    en: Option<(u16, usize)>,
    any: Option<(u16, usize)>,
}

impl Weights {
    fn add(&mut self, range: &str, q: u16, position: usize) {
        let primary = range.split('-').next().unwrap_or(range);
        let slot = if range == "*" {
            &mut self.any
        } else if primary.eq_ignore_ascii_case("fr") {
            &mut self.fr
        } else if primary.eq_ignore_ascii_case("en") {
            &mut self.en
        } else {
            return;
        };
        // The highest weight wins; among equal weights, the first listed.
        if slot.is_none_or(|(best, _)| q > best) {
            *slot = Some((q, position));
        }
    }

    fn of(&self, language: &Option<(u16, usize)>) -> (u16, usize) {
        language.or(self.any).unwrap_or((0, usize::MAX))
    }
}

/// One element of the list: a language range (`*`, or subtags of 1 to 8 letters and digits,
/// the first letters only) and its weight in thousandths (1000 without `q`). `None` when
/// malformed or empty.
fn parse_element(element: &str) -> Option<(&str, u16)> {
    let mut parts = element.split(';');
    let range = parts.next()?.trim();
    let well_formed = range == "*"
        || range.split('-').enumerate().all(|(i, subtag)| {
            (1..=8).contains(&subtag.len())
                && if i == 0 {
                    subtag.bytes().all(|b| b.is_ascii_alphabetic())
                } else {
                    subtag.bytes().all(|b| b.is_ascii_alphanumeric())
                }
        });
    if !well_formed {
        return None;
    }
    let mut q = 1000;
    for parameter in parts {
        let (name, value) = parameter.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("q") {
            q = parse_qvalue(value.trim())?;
        }
    }
    Some((range, q))
}

/// A `qvalue` (RFC 9110 §12.4.2): `0` to `1` with at most three decimals, in thousandths.
fn parse_qvalue(value: &str) -> Option<u16> {
    let (whole, decimals) = value.split_once('.').unwrap_or((value, ""));
    if decimals.len() > 3 || !decimals.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{decimals:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preferred(header: &str) -> Language {
        Language::preferred([header])
    }

    #[test]
    fn french_is_chosen_when_preferred() {
        for header in [
            "fr",
            "fr-FR",
            "FR-fr",
            "fr-CA;q=0.9, en;q=0.5",
            "fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7",
            "fr, en",
            "fr-FR;q=0.3, en-US;q=0.3",
            "de, fr;q=0.5",
            "de;q=1, fr;q=0.1",
            "en;q=0.4, fr;q=0.5",
            "*;q=0.5, fr",
            "en;q=0, *",
            "fr ; q=1",
            "fr;Q=0.8",
            "fr;q=1.000",
        ] {
            assert_eq!(preferred(header), Language::Fr, "{header:?}");
        }
    }

    #[test]
    fn english_is_the_default_and_wins_when_preferred() {
        for header in [
            "",
            "*",
            "en",
            "en-GB",
            "en, fr;q=0.5",
            "en, fr",
            "fr;q=0.5, en",
            "de",
            "de, *",
            "fr;q=0",
            "fr;q=0, en;q=0",
            "*, fr;q=0.5",
            "en-US;q=0.3, fr-FR;q=0.3",
        ] {
            assert_eq!(preferred(header), Language::En, "{header:?}");
        }
    }

    #[test]
    fn the_highest_weight_of_a_language_counts() {
        assert_eq!(preferred("fr-CH;q=0.1, en;q=0.5, fr;q=0.9"), Language::Fr);
        assert_eq!(preferred("fr;q=0.9, en-GB;q=0.95, en;q=0.1"), Language::En);
    }

    #[test]
    fn a_malformed_element_is_ignored() {
        for header in [
            "fr;q=2",
            "fr;q=1.5",
            "fr;q=0.1234",
            "fr;q=abc",
            "fr;q",
            "français",
            "f r",
            "fr_FR",
            "123",
            "fr-toolongsubtag",
            ",,",
        ] {
            assert_eq!(preferred(header), Language::En, "{header:?}");
        }
        assert_eq!(preferred("fr;q=2, fr-BE;q=0.7, en;q=0.6"), Language::Fr);
    }

    #[test]
    fn several_header_lines_are_one_list() {
        assert_eq!(Language::preferred(["en;q=0.5", "fr;q=0.8"]), Language::Fr);
        assert_eq!(Language::preferred(["en", "fr"]), Language::En);
        assert_eq!(Language::preferred(std::iter::empty()), Language::En);
    }

    #[test]
    fn qvalues_are_read_in_thousandths() {
        assert_eq!(parse_qvalue("0"), Some(0));
        assert_eq!(parse_qvalue("0."), Some(0));
        assert_eq!(parse_qvalue("0.5"), Some(500));
        assert_eq!(parse_qvalue("0.05"), Some(50));
        assert_eq!(parse_qvalue("0.123"), Some(123));
        assert_eq!(parse_qvalue("1"), Some(1000));
        assert_eq!(parse_qvalue("1.0"), Some(1000));
        assert_eq!(parse_qvalue("1.001"), None);
        assert_eq!(parse_qvalue(".5"), None);
        assert_eq!(parse_qvalue("0.-1"), None);
        assert_eq!(parse_qvalue(""), None);
    }
}
