//! French formatting shared by the printed documents: dates in words, times in French civil
//! time, amounts in euros. (HTML escaping is the templates' own: see `documents::templates`.)

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use chrono_tz::Europe::Paris;

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

/// A moment as written in a French letter, in French civil time (Europe/Paris, summer time
/// included): `12 mars 2027 à 9 h 05`.
pub fn moment(at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&Paris);
    format!(
        "{} à {} h {:02}",
        date(local.date_naive()),
        local.hour(),
        local.minute()
    )
}

/// An amount of cents in euros as French writes it: `1 234,50 €`, `-12,00 €`.
pub fn euros(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    let units = (cents / 100).to_string();
    let mut grouped = String::with_capacity(units.len() + units.len() / 3);
    for (i, digit) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push(' ');
        }
        grouped.push(digit);
    }
    format!("{sign}{grouped},{:02} €", cents % 100)
}

/// Where and when a document is signed by hand: `Fait à ……, le ……`.
pub const SIGNED_AT: &str = "Fait à ……………………, le ……………………";

/// A text as printed: trimmed, `None` when absent or blank.
pub fn present(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
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
    fn moments_are_in_french_civil_time_with_summer_time() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            moment(at("2027-01-12T08:05:00Z")),
            "12 janvier 2027 à 9 h 05"
        );
        assert_eq!(
            moment(at("2027-07-01T12:30:00Z")),
            "1er juillet 2027 à 14 h 30"
        );
        assert_eq!(
            moment(at("2027-12-31T23:30:00Z")),
            "1er janvier 2028 à 0 h 30"
        );
    }

    #[test]
    fn amounts_are_written_in_euros_with_grouped_thousands() {
        assert_eq!(euros(0), "0,00 €");
        assert_eq!(euros(5), "0,05 €");
        assert_eq!(euros(60_775), "607,75 €");
        assert_eq!(euros(123_450), "1 234,50 €");
        assert_eq!(euros(10_000_000_000), "100 000 000,00 €");
        assert_eq!(euros(-1_200), "-12,00 €");
    }
}
