//! Coded enumerations: the English `snake_case` codes the API speaks, with their French and
//! English labels.
//!
//! Every enumeration of the API (statuses, reasons, channels…) is declared once with
//! [`coded_enum!`](crate::coded_enum), which gives it its code, both labels, serde support
//! through the code string, `Display` and `FromStr`. `GET /v1/reference` is then a plain
//! walk over [`Coded::ALL`], so a code can never exist in the API without its labels.

use std::fmt;
use std::marker::PhantomData;

use serde::{Deserializer, Serialize, de};

/// An enumeration whose values travel as stable English codes and are shown with labels.
pub trait Coded: Sized + Copy + 'static {
    /// Name of the code list in `GET /v1/reference`, e.g. `"case_status"`.
    const LIST: &'static str;
    /// Every value, in the order the reference lists them.
    const ALL: &'static [Self];

    /// The English `snake_case` code used in JSON and query parameters.
    fn code(self) -> &'static str;
    /// The French label, as shown to agents and printed in documents.
    fn label_fr(self) -> &'static str;
    /// The English label, for third-party user interfaces.
    fn label_en(self) -> &'static str;

    /// The value whose code is exactly `code` (codes are case-sensitive), if any.
    fn parse(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.code() == code)
    }
}

/// A code that is not part of its list, e.g. `"finished"` given as a case status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {list} code `{code}`; expected one of: {}", .allowed.join(", "))]
pub struct UnknownCode {
    list: &'static str,
    code: String,
    allowed: Vec<&'static str>,
}

/// Longest part of a rejected code echoed back in [`UnknownCode`]: the message ends up in
/// problem+json bodies and logs, which must not carry a caller's megabyte string.
const ECHO_LIMIT: usize = 64;

impl UnknownCode {
    /// The error for `code` given where a value of `T` was expected.
    pub fn new<T: Coded>(code: &str) -> Self {
        let code = match code.char_indices().nth(ECHO_LIMIT) {
            Some((cut, _)) => format!("{}…", &code[..cut]),
            None => code.to_owned(),
        };
        Self {
            list: T::LIST,
            code,
            allowed: T::ALL.iter().map(|c| c.code()).collect(),
        }
    }

    /// The code list that was expected, e.g. `"case_status"`.
    pub fn list(&self) -> &'static str {
        self.list
    }

    /// The rejected code (cut after 64 characters).
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The codes that would have been accepted.
    pub fn allowed(&self) -> &[&'static str] {
        &self.allowed
    }
}

/// The index of the first value that repeats an earlier one, if any (a list of codes that
/// must name each code once).
pub fn first_repeat<T: PartialEq>(values: &[T]) -> Option<usize> {
    (1..values.len()).find(|&i| values[..i].contains(&values[i]))
}

/// Parses `code` as a value of `T`, with an error naming the allowed codes.
///
/// # Errors
/// [`UnknownCode`] when `code` is not one of `T::ALL`'s codes.
pub fn parse_code<T: Coded>(code: &str) -> Result<T, UnknownCode> {
    T::parse(code).ok_or_else(|| UnknownCode::new::<T>(code))
}

/// One code list of `GET /v1/reference`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeList {
    /// The list's name, e.g. `"case_status"`.
    pub name: &'static str,
    /// Its codes, in reference order.
    pub codes: Vec<CodeEntry>,
}

/// One code with its labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CodeEntry {
    /// The English `snake_case` code.
    pub code: &'static str,
    /// The French label.
    pub fr: &'static str,
    /// The English label.
    pub en: &'static str,
}

/// The code list of `T`, ready to serialise.
pub fn list<T: Coded>() -> CodeList {
    CodeList {
        name: T::LIST,
        codes: T::ALL
            .iter()
            .map(|&c| CodeEntry {
                code: c.code(),
                fr: c.label_fr(),
                en: c.label_en(),
            })
            .collect(),
    }
}

/// Deserialises a coded value from its code string; used by [`coded_enum!`](crate::coded_enum).
#[doc(hidden)]
pub fn deserialize_code<'de, T: Coded, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    deserializer.deserialize_str(CodeVisitor::<T>(PhantomData))
}

/// Accepts any string form (borrowed, transient or owned) and maps it through [`parse_code`].
struct CodeVisitor<T>(PhantomData<T>);

impl<T: Coded> de::Visitor<'_> for CodeVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} code", T::LIST)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        parse_code(v).map_err(E::custom)
    }
}

/// Declares a [`Coded`] enumeration: variants, codes and French/English labels in one place.
///
/// The enum derives `Debug, Clone, Copy, PartialEq, Eq, Hash`, has inherent `const fn`s
/// `code`, `label_fr` and `label_en` (usable without importing [`Coded`]), and gets `Display`
/// (the code), `FromStr` (error [`UnknownCode`]) and serde `Serialize`/`Deserialize` through
/// the code.
///
/// ```
/// relais_domain::coded_enum! {
///     /// How urgent a referral is.
///     pub enum Urgency in "urgency" {
///         /// Can wait for the next appointment.
///         Normal => "normal" { fr: "Normale", en: "Normal" },
///         /// Within the week.
///         High => "high" { fr: "Élevée", en: "High" },
///     }
/// }
/// use relais_domain::Coded;
/// assert_eq!(Urgency::parse("high"), Some(Urgency::High));
/// assert_eq!(Urgency::High.label_fr(), "Élevée");
/// ```
#[macro_export]
macro_rules! coded_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident in $list:literal {
            $(
                $(#[$vmeta:meta])*
                $variant:ident => $code:literal { fr: $fr:literal, en: $en:literal }
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        // Inherent twins of the trait methods, so callers need not import `Coded`.
        impl $name {
            /// The English `snake_case` code used in JSON and query parameters.
            pub const fn code(self) -> &'static str {
                match self { $(Self::$variant => $code),+ }
            }

            /// The French label, as shown to agents and printed in documents.
            pub const fn label_fr(self) -> &'static str {
                match self { $(Self::$variant => $fr),+ }
            }

            /// The English label, for third-party user interfaces.
            pub const fn label_en(self) -> &'static str {
                match self { $(Self::$variant => $en),+ }
            }
        }

        impl $crate::codes::Coded for $name {
            const LIST: &'static str = $list;
            const ALL: &'static [Self] = &[$(Self::$variant),+];

            fn code(self) -> &'static str {
                $name::code(self)
            }

            fn label_fr(self) -> &'static str {
                $name::label_fr(self)
            }

            fn label_en(self) -> &'static str {
                $name::label_en(self)
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str($crate::codes::Coded::code(*self))
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = $crate::codes::UnknownCode;

            fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                $crate::codes::parse_code(s)
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error>
            where
                S: $crate::__private::serde::Serializer,
            {
                serializer.serialize_str($crate::codes::Coded::code(*self))
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D>(deserializer: D) -> ::core::result::Result<Self, D::Error>
            where
                D: $crate::__private::serde::Deserializer<'de>,
            {
                $crate::codes::deserialize_code(deserializer)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as ValueError, StrDeserializer};

    use super::*;

    crate::coded_enum! {
        /// A test list.
        pub enum Colour in "colour" {
            /// Red.
            Red => "red" { fr: "Rouge", en: "Red" },
            /// Light blue, to exercise snake_case codes.
            LightBlue => "light_blue" { fr: "Bleu clair", en: "Light blue" },
        }
    }

    fn from_code(code: &str) -> Result<Colour, ValueError> {
        let deserializer: StrDeserializer<'_, ValueError> = code.into_deserializer();
        Colour::deserialize(deserializer)
    }

    #[test]
    fn a_coded_enum_knows_its_codes_and_labels() {
        assert_eq!(Colour::LIST, "colour");
        assert_eq!(Colour::ALL, &[Colour::Red, Colour::LightBlue]);
        assert_eq!(Colour::LightBlue.code(), "light_blue");
        assert_eq!(Colour::LightBlue.label_fr(), "Bleu clair");
        assert_eq!(Colour::LightBlue.label_en(), "Light blue");
    }

    #[test]
    fn a_code_parses_back_to_its_value_and_displays_as_itself() {
        for &c in Colour::ALL {
            assert_eq!(Colour::parse(c.code()), Some(c));
            assert_eq!(c.to_string(), c.code());
            assert_eq!(c.code().parse::<Colour>(), Ok(c));
        }
    }

    #[test]
    fn codes_are_case_sensitive() {
        assert_eq!(Colour::parse("Red"), None);
        assert_eq!(Colour::parse("LightBlue"), None);
    }

    #[test]
    fn an_unknown_code_is_an_error_naming_the_allowed_codes() {
        let err = "green".parse::<Colour>().err();
        let err = err.expect("green is not a colour");
        assert_eq!(err.list(), "colour");
        assert_eq!(err.code(), "green");
        assert_eq!(err.allowed(), &["red", "light_blue"]);
        assert_eq!(
            err.to_string(),
            "unknown colour code `green`; expected one of: red, light_blue"
        );
    }

    #[test]
    fn a_huge_unknown_code_is_not_echoed_in_full() {
        let huge = "é".repeat(10_000);
        let err = UnknownCode::new::<Colour>(&huge);
        assert_eq!(err.code().chars().count(), ECHO_LIMIT + 1);
        assert!(err.code().ends_with('…'));
    }

    #[test]
    fn a_coded_enum_deserialises_from_its_code() {
        assert_eq!(from_code("light_blue").ok(), Some(Colour::LightBlue));
    }

    #[test]
    fn deserialising_an_unknown_code_fails_with_the_allowed_codes() {
        let message = from_code("blue").err().map(|e| e.to_string());
        assert_eq!(
            message.as_deref(),
            Some("unknown colour code `blue`; expected one of: red, light_blue")
        );
    }

    #[test]
    fn a_code_list_carries_every_code_with_both_labels() {
        let list = list::<Colour>();
        assert_eq!(list.name, "colour");
        assert_eq!(
            list.codes,
            vec![
                CodeEntry {
                    code: "red",
                    fr: "Rouge",
                    en: "Red"
                },
                CodeEntry {
                    code: "light_blue",
                    fr: "Bleu clair",
                    en: "Light blue"
                },
            ]
        );
    }
}
