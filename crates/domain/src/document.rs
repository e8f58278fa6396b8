//! Case documents (*pièces justificatives*): what an uploaded file may be.
//!
//! A document is a PDF, PNG or JPEG file. Its type is recognised from its content (by the API,
//! which reads the magic numbers); what the uploader says — the name's extension and the part's
//! declared media type — must agree with it, so a file always opens as what it is and a
//! renamed executable is refused. The name is kept as given (trimmed) for the download, so it
//! may hold no path and no character that disguises it.

pub use crate::referral::AttachmentType as DocumentType;
use crate::refusal::Refusal;

/// The default upload limit: 10 MiB.
pub const DEFAULT_UPLOAD_LIMIT: usize = 10 * 1024 * 1024;
/// The largest upload limit a deployment may configure: 64 MiB (the database's CHECK repeats
/// it; larger files do not belong in a `bytea`).
pub const MAX_UPLOAD_LIMIT: usize = 64 * 1024 * 1024;
const _: () = assert!(DEFAULT_UPLOAD_LIMIT <= MAX_UPLOAD_LIMIT && MAX_UPLOAD_LIMIT == 67_108_864);
/// Longest file name, in characters.
pub const MAX_FILENAME_CHARS: usize = 255;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// The extensions a file of this type may have (lowercase, without the dot).
pub fn extensions(kind: DocumentType) -> &'static [&'static str] {
    match kind {
        DocumentType::Pdf => &["pdf"],
        DocumentType::Png => &["png"],
        DocumentType::Jpeg => &["jpg", "jpeg"],
    }
}

/// Path separators, control characters, and the invisible ones that disguise a name (line and
/// paragraph separators, zero-width and bidirectional formatting characters).
pub fn unsafe_in_filename(c: char) -> bool {
    c == '/'
        || c == '\\'
        || c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// Why a file name, or what was declared about the file, is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FileRefusal {
    #[error("the file has no name")]
    MissingName,
    #[error("the file name must not be blank")]
    BlankName,
    #[error("the file name is longer than {MAX_FILENAME_CHARS} characters")]
    NameTooLong,
    #[error("a file name has no path and no control or invisible character")]
    UnsafeName,
    #[error("the file name's extension does not match its content ({})", .0.mime())]
    ExtensionMismatch(DocumentType),
    #[error("the declared media type does not match the content ({})", .0.mime())]
    DeclaredTypeMismatch(DocumentType),
}

impl Refusal for FileRefusal {
    fn code(&self) -> &'static str {
        match self {
            FileRefusal::MissingName => "filename_required",
            FileRefusal::BlankName => "blank",
            FileRefusal::NameTooLong => "too_long",
            FileRefusal::UnsafeName => "invalid_filename",
            FileRefusal::ExtensionMismatch(_) | FileRefusal::DeclaredTypeMismatch(_) => {
                "type_mismatch"
            }
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            FileRefusal::MissingName => "le fichier n'a pas de nom".into(),
            FileRefusal::BlankName => "le nom du fichier ne doit pas être vide".into(),
            FileRefusal::NameTooLong => {
                format!("le nom du fichier dépasse {MAX_FILENAME_CHARS} caractères")
            }
            FileRefusal::UnsafeName => {
                "un nom de fichier ne contient ni chemin, ni caractère de contrôle ou invisible"
                    .into()
            }
            FileRefusal::ExtensionMismatch(kind) => format!(
                "l'extension du nom de fichier ne correspond pas à son contenu ({})",
                kind.mime()
            ),
            FileRefusal::DeclaredTypeMismatch(kind) => format!(
                "le type de média déclaré ne correspond pas au contenu ({})",
                kind.mime()
            ),
        }
    }
}

/// The name to keep (trimmed), when it is acceptable for a file of type `kind`.
pub fn check_filename(name: &str, kind: DocumentType) -> Result<&str, FileRefusal> {
    let name = name.trim();
    if name.is_empty() {
        return Err(FileRefusal::BlankName);
    }
    if name.chars().count() > MAX_FILENAME_CHARS {
        return Err(FileRefusal::NameTooLong);
    }
    if name.chars().any(unsafe_in_filename) {
        return Err(FileRefusal::UnsafeName);
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    if !extensions(kind).contains(&extension.as_str()) {
        return Err(FileRefusal::ExtensionMismatch(kind));
    }
    Ok(name)
}

/// Whether the media type the uploader declared for the file agrees with the type found in
/// its content. Declaring nothing, or `application/octet-stream` ("some bytes", what browsers
/// and curl send when they do not know), leaves the decision to the content; parameters and
/// case are ignored, and the common aliases `image/jpg`, `image/pjpeg` and
/// `application/x-pdf` are accepted.
pub fn declared_type_agrees(declared: Option<&str>, kind: DocumentType) -> bool {
    let Some(declared) = declared else {
        return true;
    };
    let essence = declared
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence.is_empty() || essence == "application/octet-stream" {
        return true;
    }
    essence == kind.mime()
        || matches!(
            (kind, essence.as_str()),
            (DocumentType::Jpeg, "image/jpg" | "image/pjpeg")
                | (DocumentType::Pdf, "application/x-pdf")
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_may_not_hide_a_path_or_invisible_characters() {
        for name in [
            "a/b.pdf",
            "a\\b.pdf",
            "C:\\Users\\x\\avis.pdf",
            "a\nb.pdf",
            "a\u{2028}b.pdf",
            "fact\u{202E}fdp.pdf",
            "\u{FEFF}a.pdf",
        ] {
            assert_eq!(
                check_filename(name, DocumentType::Pdf),
                Err(FileRefusal::UnsafeName),
                "{name:?}"
            );
        }
        assert_eq!(
            check_filename("  Avis d'imposition 2026 – é.PDF ", DocumentType::Pdf),
            Ok("Avis d'imposition 2026 – é.PDF")
        );
    }

    #[test]
    fn the_extension_must_be_one_of_the_content_type() {
        assert_eq!(
            check_filename("photo.jpeg", DocumentType::Jpeg),
            Ok("photo.jpeg")
        );
        assert_eq!(
            check_filename("photo.JPG", DocumentType::Jpeg),
            Ok("photo.JPG")
        );
        assert_eq!(
            check_filename("photo.png", DocumentType::Jpeg),
            Err(FileRefusal::ExtensionMismatch(DocumentType::Jpeg))
        );
        assert_eq!(
            check_filename("facture", DocumentType::Pdf),
            Err(FileRefusal::ExtensionMismatch(DocumentType::Pdf))
        );
        assert_eq!(
            check_filename("facture.pdf.exe", DocumentType::Pdf),
            Err(FileRefusal::ExtensionMismatch(DocumentType::Pdf))
        );
    }

    #[test]
    fn blank_and_overlong_names_are_refused() {
        assert_eq!(
            check_filename("   ", DocumentType::Png),
            Err(FileRefusal::BlankName)
        );
        let long = format!("{}.png", "é".repeat(251));
        assert_eq!(check_filename(&long, DocumentType::Png), Ok(long.as_str()));
        let longer = format!("{}.png", "é".repeat(252));
        assert_eq!(
            check_filename(&longer, DocumentType::Png),
            Err(FileRefusal::NameTooLong)
        );
    }

    #[test]
    fn a_declared_type_must_agree_with_the_content_unless_it_says_nothing() {
        assert!(declared_type_agrees(None, DocumentType::Pdf));
        assert!(declared_type_agrees(
            Some("application/octet-stream"),
            DocumentType::Png
        ));
        assert!(declared_type_agrees(
            Some("Application/PDF; name=x"),
            DocumentType::Pdf
        ));
        assert!(declared_type_agrees(Some("image/jpg"), DocumentType::Jpeg));
        assert!(!declared_type_agrees(
            Some("application/pdf"),
            DocumentType::Png
        ));
        assert!(!declared_type_agrees(Some("image/png"), DocumentType::Jpeg));
        assert!(!declared_type_agrees(
            Some("application/x-msdownload"),
            DocumentType::Pdf
        ));
    }

    #[test]
    fn every_refusal_has_a_code() {
        for refusal in [
            FileRefusal::MissingName,
            FileRefusal::BlankName,
            FileRefusal::NameTooLong,
            FileRefusal::UnsafeName,
            FileRefusal::ExtensionMismatch(DocumentType::Pdf),
            FileRefusal::DeclaredTypeMismatch(DocumentType::Pdf),
        ] {
            assert!(!refusal.code().is_empty());
            assert!(!refusal.to_string().is_empty());
        }
    }
}
