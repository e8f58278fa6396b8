//! Text folding for accent- and case-insensitive search on names.
//!
//! Names are typed in many ways at the front desk (`Éloïse`, `ELOISE`, `eloise`, with or
//! without the hyphen of a compound name). Storing and querying the folded form makes all of
//! them meet.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds `s` for search: lower case, no diacritics, ligatures spelt out (œ → oe, æ → ae,
/// ß → ss), apostrophes, hyphens and other punctuation turned into spaces, whitespace
/// collapsed and trimmed.
///
/// ```
/// assert_eq!(
///     relais_domain::text::fold("Éloïse  D'Hérouville-Saint"),
///     "eloise d herouville saint"
/// );
/// ```
pub fn fold(s: &str) -> String {
    // Lower-casing first: some upper-case letters lower-case into a letter and a combining
    // mark (İ → i + dot above), which the decomposition below then drops.
    let lower: String = s.chars().flat_map(char::to_lowercase).collect();
    let mut out = String::with_capacity(lower.len());
    let mut pending_space = false;
    for c in lower.nfd().filter(|&c| !is_combining_mark(c)) {
        let mut buf = [0; 4];
        let piece: &str = match c {
            'œ' => "oe",
            'æ' => "ae",
            'ß' => "ss",
            // Letters with a stroke have no decomposition; people type them without it.
            'ø' => "o",
            'ł' => "l",
            'đ' => "d",
            c if c.is_alphanumeric() => c.encode_utf8(&mut buf),
            // Whitespace, apostrophes, hyphens, punctuation and symbols all separate words.
            _ => {
                pending_space = true;
                continue;
            }
        };
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        out.push_str(piece);
    }
    out
}

/// `key` as one reference token of a JSON pointer (RFC 6901): `~` as `~0`, `/` as `~1`, so a
/// client's key naming a field is pointed at as itself.
///
/// ```
/// assert_eq!(relais_domain::text::pointer_token("a/b~c"), "a~1b~0c");
/// ```
pub fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn accents_case_apostrophes_and_hyphens_are_folded_away() {
        assert_eq!(
            fold("Éloïse  D'Hérouville-Saint"),
            "eloise d herouville saint"
        );
    }

    #[test]
    fn every_french_diacritic_is_stripped() {
        assert_eq!(fold("àâäéèêëîïôöùûüÿç"), "aaaeeeeiioouuuyc");
        assert_eq!(fold("ÀÂÄÉÈÊËÎÏÔÖÙÛÜŸÇ"), "aaaeeeeiioouuuyc");
    }

    #[test]
    fn ligatures_are_spelt_out() {
        assert_eq!(fold("Lætitia Œuvray"), "laetitia oeuvray");
        assert_eq!(fold("Cœur Straße"), "coeur strasse");
        assert_eq!(fold("STRAẞE"), "strasse");
    }

    #[test]
    fn letters_with_a_stroke_lose_it() {
        assert_eq!(fold("Søren Łukasz Đorđe"), "soren lukasz dorde");
    }

    #[test]
    fn a_precomposed_and_a_decomposed_accent_fold_the_same() {
        assert_eq!(fold("Ame\u{301}lie"), fold("Amélie"));
        assert_eq!(fold("Amélie"), "amelie");
    }

    #[test]
    fn typographic_apostrophes_and_punctuation_become_spaces() {
        assert_eq!(fold("N’Diaye"), "n diaye");
        assert_eq!(fold("Dupont, Jean."), "dupont jean");
        assert_eq!(fold("Jean--Pierre (dit « JP »)"), "jean pierre dit jp");
    }

    #[test]
    fn whitespace_is_collapsed_and_trimmed() {
        assert_eq!(fold("  \t Marie \n  Curie  "), "marie curie");
        assert_eq!(fold("\u{a0}Anne\u{202f}Sophie\u{a0}"), "anne sophie");
    }

    #[test]
    fn digits_are_kept() {
        assert_eq!(fold("Appt 3-B"), "appt 3 b");
    }

    #[test]
    fn blank_or_punctuation_only_input_folds_to_an_empty_string() {
        assert_eq!(fold(""), "");
        assert_eq!(fold("  - ' , "), "");
    }

    #[test]
    fn folding_is_idempotent() {
        let once = fold("Ÿvette D’ÆLBERG-Noël");
        assert_eq!(fold(&once), once);
        assert_eq!(once, "yvette d aelberg noel");
    }
}
