//! French formatting shared by the printed documents: dates in words and HTML escaping.

use chrono::{Datelike, NaiveDate};

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// A date as written in a French letter: `12 mars 2027`, `1er avril 2027`.
pub fn date(d: NaiveDate) -> String {
    let month = MONTHS[d.month0() as usize];
    match d.day() {
        1 => format!("1er {month} {}", d.year()),
        day => format!("{day} {month} {}", d.year()),
    }
}

/// `text` safe to place in HTML text or in a double- or single-quoted attribute.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Appends `<open>escaped text</tag>` and a line break to `out`, where `open` is a tag name
/// with optional static attributes.
pub fn push_element(out: &mut String, open: &str, text: &str) {
    let tag = open.split(' ').next().unwrap_or(open);
    out.push('<');
    out.push_str(open);
    out.push('>');
    out.push_str(&escape_html(text));
    out.push_str("</");
    out.push_str(tag);
    out.push_str(">\n");
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dates_are_written_with_french_month_names() {
        assert_eq!(date(d(2027, 3, 12)), "12 mars 2027");
        assert_eq!(date(d(2027, 8, 31)), "31 août 2027");
        assert_eq!(date(d(2027, 2, 5)), "5 février 2027");
        assert_eq!(date(d(2027, 12, 25)), "25 décembre 2027");
    }

    #[test]
    fn the_first_of_the_month_is_written_premier() {
        assert_eq!(date(d(2027, 4, 1)), "1er avril 2027");
    }

    #[test]
    fn html_special_characters_are_escaped() {
        assert_eq!(
            escape_html(r#"<script>alert("x")</script> & l'été"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; l&#39;été"
        );
    }
}
