//! The letterhead at the top of every printed document: the organisation's logo, name, address
//! and how to reach it, from its profile (`PUT /v1/organisation/profile`, `PUT
//! /v1/organisation/logo`). HTML documents show it through their templates ([`Letterhead`] is
//! serialised with the logo as a `data:` URI); PDF documents draw it with [`Letterhead::draw`].

use std::sync::{Arc, LazyLock};

use base64::Engine;
use serde::{Serialize, Serializer};

use super::logo::{self, ImageKind, PdfImage};
use super::pdf::{CONTENT_WIDTH, Layout, MARGIN_X, Style, TextStyle};

/// The letterhead of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Letterhead {
    /// The organisation's name, e.g. `CCAS de Villeurbanne`.
    pub name: String,
    /// The postal address, one line each, the last one `69100 Villeurbanne`.
    pub address: Vec<String>,
    /// How to reach the organisation: `Tél. 04 72 00 00 00`, the e-mail, the website.
    pub contact: Vec<String>,
    /// The city the organisation writes from (`À Villeurbanne, le …`), when known.
    #[serde(skip)]
    pub city: Option<String>,
    /// The logo, as stored.
    #[serde(rename = "logo_uri", serialize_with = "data_uri")]
    pub logo: Option<LogoBytes>,
}

/// A stored logo: its format, its file and the file's SHA-256 (hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoBytes {
    pub kind: ImageKind,
    pub bytes: Arc<[u8]>,
    pub sha256: String,
}

impl LogoBytes {
    /// A stored logo, if its media type is one a logo may have.
    pub fn from_file(file: relais_store::profiles::LogoFile) -> Option<Self> {
        ImageKind::from_media_type(&file.media_type).map(|kind| Self {
            kind,
            bytes: file.content.into(),
            sha256: file.sha256,
        })
    }
}

/// Logos prepared for the PDFs, by their file's SHA-256: a PNG is decoded once per process, not
/// once per document printed. An organisation has one logo; a few organisations share a
/// server.
static PREPARED: LazyLock<quick_cache::sync::Cache<String, Arc<PdfImage>>> =
    LazyLock::new(|| quick_cache::sync::Cache::new(32));

fn data_uri<S: Serializer>(logo: &Option<LogoBytes>, s: S) -> Result<S::Ok, S::Error> {
    match logo {
        Some(logo) => s.serialize_some(&format!(
            "data:{};base64,{}",
            logo.kind.media_type(),
            base64::engine::general_purpose::STANDARD.encode(&logo.bytes)
        )),
        None => s.serialize_none(),
    }
}

const NAME: TextStyle = TextStyle::new(Style::Bold, 11.5);
const LINE: TextStyle = TextStyle::new(Style::Regular, 8.5).gray(0.3);
/// The tallest and widest the logo is drawn, in points.
const LOGO_HEIGHT: f32 = 54.0;
const LOGO_WIDTH: f32 = 150.0;
const LOGO_GAP: f32 = 14.0;

impl Letterhead {
    /// A letterhead with only a name (an organisation that has not written its profile).
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            address: Vec::new(),
            contact: Vec::new(),
            city: None,
            logo: None,
        }
    }

    /// The letterhead of a stored profile and logo.
    pub fn from_profile(
        profile: relais_store::profiles::Profile,
        logo: Option<relais_store::profiles::LogoFile>,
    ) -> Self {
        let present = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let address = organisation_address(&profile);
        let city = present(profile.city);
        let contact = [
            present(profile.phone).map(|p| format!("Tél. {p}")),
            present(profile.email),
            present(profile.website),
        ]
        .into_iter()
        .flatten()
        .collect();
        Self {
            name: profile.name.trim().to_owned(),
            address,
            contact,
            city,
            logo: logo.and_then(LogoBytes::from_file),
        }
    }

    /// The logo prepared for a PDF, if there is one that reads (prepared once per file). A
    /// stored logo was checked on upload; one that no longer reads is left out (and logged)
    /// rather than failing the document.
    pub fn pdf_image(&self) -> Option<Arc<PdfImage>> {
        let logo = self.logo.as_ref()?;
        PREPARED
            .get_or_insert_with(&logo.sha256, || {
                logo::pdf_image(logo.kind, &logo.bytes).map(Arc::new)
            })
            .inspect_err(|e| tracing::error!(error = %e, "stored logo does not read"))
            .ok()
    }

    /// `Le 14 mars 2027`, or `À Villeurbanne, le 14 mars 2027` when the city is known.
    pub fn dated(&self, date: &str) -> String {
        match &self.city {
            Some(city) => format!("À {city}, le {date}"),
            None => format!("Le {date}"),
        }
    }

    /// Draws the letterhead at the top of the first page: the logo (image 0 of the document,
    /// when `image` is given) on the left, the name, address and contact beside it.
    pub fn draw(&self, layout: &mut Layout<'_>, image: Option<&PdfImage>) {
        let top = layout.y();
        let mut text_x = MARGIN_X;
        let mut logo_bottom = top;
        if let Some(image) = image {
            let (w, h) = fit(image.width, image.height);
            layout.page().image(0, (MARGIN_X, top - h), (w, h));
            text_x = MARGIN_X + w + LOGO_GAP;
            logo_bottom = top - h;
        }
        let width = CONTENT_WIDTH - (text_x - MARGIN_X);
        layout.paragraph(NAME, text_x, width, &self.name);
        for line in self.address.iter().chain(&self.contact) {
            layout.paragraph(LINE, text_x, width, line);
        }
        let below = logo_bottom.min(layout.y());
        layout.advance(layout.y() - below);
    }
}

impl Letterhead {
    /// The text of the letterhead, as a letter keeps it.
    pub fn sent(&self) -> relais_store::letters::SentLetterhead {
        relais_store::letters::SentLetterhead {
            name: self.name.clone(),
            address: self.address.clone(),
            contact: self.contact.clone(),
            city: self.city.clone(),
        }
    }

    /// The letterhead a letter kept, with the organisation's logo as it is now.
    pub fn from_sent(sent: relais_store::letters::SentLetterhead, logo: Option<LogoBytes>) -> Self {
        Self {
            name: sent.name,
            address: sent.address,
            contact: sent.contact,
            city: sent.city,
            logo,
        }
    }
}

/// The organisation's postal address, one line each: its street lines, then `69100
/// Villeurbanne`.
pub fn organisation_address(profile: &relais_store::profiles::Profile) -> Vec<String> {
    let present = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let town = [present(&profile.postcode), present(&profile.city)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    profile
        .address_lines
        .iter()
        .map(|l| l.trim().to_owned())
        .chain(Some(town))
        .filter(|l| !l.is_empty())
        .collect()
}

/// The size the logo is drawn at: its proportions kept, within the letterhead's box.
fn fit(width: u32, height: u32) -> (f32, f32) {
    #[allow(clippy::cast_precision_loss)]
    let (w, h) = (width.max(1) as f32, height.max(1) as f32);
    let scale = (LOGO_HEIGHT / h).min(LOGO_WIDTH / w);
    (w * scale, h * scale)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use relais_store::profiles::{LogoFile, Profile};

    #[test]
    fn the_profile_becomes_address_and_contact_lines() {
        let letterhead = Letterhead::from_profile(
            Profile {
                name: " CCAS de Villeurbanne ".into(),
                address_lines: vec![
                    "Hôtel de ville".into(),
                    " ".into(),
                    "Place Lazare-Goujon".into(),
                ],
                postcode: Some("69100".into()),
                city: Some("Villeurbanne".into()),
                phone: Some("04 72 00 00 00".into()),
                email: Some("ccas@villeurbanne.example".into()),
                website: None,
            },
            None,
        );
        assert_eq!(letterhead.name, "CCAS de Villeurbanne");
        assert_eq!(
            letterhead.address,
            [
                "Hôtel de ville",
                "Place Lazare-Goujon",
                "69100 Villeurbanne"
            ]
        );
        assert_eq!(
            letterhead.contact,
            ["Tél. 04 72 00 00 00", "ccas@villeurbanne.example"]
        );
        assert_eq!(
            letterhead.dated("14 mars 2027"),
            "À Villeurbanne, le 14 mars 2027"
        );
        assert_eq!(
            Letterhead::named("X").dated("14 mars 2027"),
            "Le 14 mars 2027"
        );
    }

    #[test]
    fn the_logo_is_serialised_as_a_data_uri() {
        let png = crate::documents::logo::tests::png(8, 8);
        let letterhead = Letterhead::from_profile(
            Profile {
                name: "CCAS".into(),
                ..Profile::default()
            },
            Some(LogoFile {
                media_type: "image/png".into(),
                content: png,
                sha256: String::new(),
            }),
        );
        let json = serde_json::to_value(&letterhead).unwrap();
        assert!(
            json["logo_uri"]
                .as_str()
                .unwrap()
                .starts_with("data:image/png;base64,iVBOR"),
            "{json}"
        );
        assert!(letterhead.pdf_image().is_some());
    }

    #[test]
    fn the_logo_keeps_its_proportions_within_the_box() {
        let close = |(w, h): (f32, f32), (ew, eh): (f32, f32)| {
            assert!((w - ew).abs() < 0.01 && (h - eh).abs() < 0.01, "{w}×{h}");
        };
        close(fit(300, 100), (150.0, 50.0));
        close(fit(100, 100), (54.0, 54.0));
        close(fit(100, 1000), (5.4, 54.0));
    }
}
