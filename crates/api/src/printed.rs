//! Content negotiation for the operations that answer a document in several formats (the
//! written plan, the liaison sheet, the right-of-access export): which format the `Accept`
//! header asks for, and the answer of a printed document.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use utoipa::ToSchema;

use crate::documents::PdfError;
use crate::documents::letterhead::Letterhead;
use crate::error::ApiError;

/// A format an operation can answer in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Html,
    Pdf,
    Zip,
    Csv,
    Xlsx,
}

/// The media type of an XLSX workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The formats of a printed document, HTML first (the default).
pub const PRINTED: [Format; 2] = [Format::Html, Format::Pdf];

impl Format {
    fn media_type(self) -> (&'static str, &'static str) {
        match self {
            Format::Json => ("application", "json"),
            Format::Html => ("text", "html"),
            Format::Pdf => ("application", "pdf"),
            Format::Zip => ("application", "zip"),
            Format::Csv => ("text", "csv"),
            Format::Xlsx => (
                "application",
                "vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
        }
    }
}

/// The format `req`'s `Accept` header asks for among `offered`; 406 when it accepts none.
///
/// # Errors
/// [`ApiError::NotAcceptable`] when no offered format is acceptable.
pub fn format(req: &HttpRequest, offered: &[Format]) -> Result<Format, ApiError> {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        // An unreadable header matches nothing.
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    negotiate(accept, offered).ok_or(ApiError::NotAcceptable)
}

/// A printed document as the answer, never stored by a cache: printable HTML, or a PDF rendered
/// off the async threads, shown inline as `filename`.
pub(crate) async fn document_response<D: Send + 'static>(
    format: Format,
    printable: D,
    html: fn(&D) -> String,
    pdf: fn(&D) -> Result<Vec<u8>, PdfError>,
    filename: &str,
) -> Result<HttpResponse, ApiError> {
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::VARY, "Accept"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"));
    Ok(match format {
        Format::Pdf => {
            let bytes = off_thread(move || pdf(&printable).map_err(ApiError::internal)).await?;
            response
                .content_type("application/pdf")
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!("inline; filename=\"{filename}\""),
                ))
                .body(bytes)
        }
        Format::Html => response
            .content_type("text/html; charset=utf-8")
            .body(html(&printable)),
        // A printed document is offered as HTML or PDF only (see `PRINTED`).
        Format::Json | Format::Zip | Format::Csv | Format::Xlsx => {
            return Err(ApiError::NotAcceptable);
        }
    })
}

/// The organisation's letterhead, as every document prints it (the profile, then the logo's
/// file when there is one).
pub(crate) async fn letterhead(
    conn: &mut relais_store::PgConnection,
) -> Result<Letterhead, ApiError> {
    let (profile, logo) = relais_store::profiles::letterhead(conn).await?;
    Ok(Letterhead::from_profile(profile, logo))
}

/// Renders a document (a PDF, an archive) on the blocking threads, not the async ones that
/// serve requests.
pub(crate) async fn off_thread<T: Send + 'static>(
    render: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    web::block(render).await.map_err(ApiError::internal)?
}

/// A PDF file, for the document.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct PdfFile(Vec<u8>);

/// An XLSX workbook, for the document.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct XlsxFile(Vec<u8>);

/// A ZIP archive, for the document.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct ZipFile(Vec<u8>);

/// How well one media range of `Accept` matches `format`: `(specificity, q)` of the range, or
/// `None` when it does not match at all.
fn range_match(range: &str, format: Format) -> Option<(u8, f32)> {
    let mut parts = range.split(';');
    let media = parts.next()?.trim().to_ascii_lowercase();
    let mut q = 1.0_f32;
    for param in parts {
        if let Some((name, value)) = param.split_once('=')
            && name.trim().eq_ignore_ascii_case("q")
        {
            q = value
                .trim()
                .parse::<f32>()
                .ok()
                .filter(|q| (0.0..=1.0).contains(q))?;
        }
    }
    let (kind, sub) = media.split_once('/')?;
    let (want_kind, want_sub) = format.media_type();
    let specificity = match (kind.trim(), sub.trim()) {
        ("*", "*") => 0,
        (k, "*") if k == want_kind => 1,
        (k, s) if k == want_kind && s == want_sub => 2,
        _ => return None,
    };
    Some((specificity, q))
}

/// The format to answer with for an `Accept` header (RFC 9110 §12.5.1): the most specific
/// range matching each offered format gives its quality; the best quality above zero wins, the
/// first offered on a tie. No header, or a blank one, means the first offered. `None` when
/// nothing acceptable is offered.
pub fn negotiate(accept: Option<&str>, offered: &[Format]) -> Option<Format> {
    let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
        return offered.first().copied();
    };
    let quality = |format: Format| {
        accept
            .split(',')
            .filter_map(|range| range_match(range, format))
            .max_by_key(|&(specificity, _)| specificity)
            .map_or(0.0, |(_, q)| q)
    };
    let mut best: Option<(Format, f32)> = None;
    for &format in offered {
        let q = quality(format);
        if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
            best = Some((format, q));
        }
    }
    best.map(|(format, _)| format)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(accept: Option<&str>) -> Option<Format> {
        negotiate(accept, &PRINTED)
    }

    const EXPORT: [Format; 4] = [Format::Json, Format::Html, Format::Pdf, Format::Zip];

    #[test]
    fn html_is_the_default_for_no_blank_or_wildcard_accept() {
        for accept in [None, Some(""), Some("  "), Some("*/*"), Some("text/*")] {
            assert_eq!(printed(accept), Some(Format::Html), "{accept:?}");
        }
        assert_eq!(
            printed(Some("text/html,application/xhtml+xml,*/*;q=0.8")),
            Some(Format::Html)
        );
    }

    #[test]
    fn pdf_is_chosen_when_asked_for_or_preferred() {
        assert_eq!(printed(Some("application/pdf")), Some(Format::Pdf));
        assert_eq!(printed(Some("APPLICATION/PDF")), Some(Format::Pdf));
        assert_eq!(printed(Some("application/*")), Some(Format::Pdf));
        assert_eq!(
            printed(Some("text/html;q=0.5, application/pdf")),
            Some(Format::Pdf)
        );
        assert_eq!(
            printed(Some("*/*;q=0.1, application/pdf;q=0.9")),
            Some(Format::Pdf)
        );
    }

    #[test]
    fn the_most_specific_range_decides_and_q_zero_refuses() {
        assert_eq!(
            printed(Some("*/*, text/html;q=0")),
            Some(Format::Pdf),
            "HTML explicitly refused, PDF through */*"
        );
        assert_eq!(printed(Some("text/html;q=0, application/pdf;q=0")), None);
        assert_eq!(printed(Some("*/*;q=0")), None);
    }

    #[test]
    fn other_media_types_and_garbage_are_not_acceptable() {
        for accept in [
            "application/json",
            "image/png, text/plain",
            "text/html;q=2",
            "nonsense",
            "\u{0}",
        ] {
            assert_eq!(printed(Some(accept)), None, "{accept:?}");
        }
    }

    #[test]
    fn the_first_offered_format_is_the_default_and_wins_ties() {
        for accept in [None, Some("*/*"), Some("application/*")] {
            assert_eq!(negotiate(accept, &EXPORT), Some(Format::Json), "{accept:?}");
        }
        assert_eq!(
            negotiate(Some("application/zip"), &EXPORT),
            Some(Format::Zip)
        );
        assert_eq!(negotiate(Some("text/*"), &EXPORT), Some(Format::Html));
        assert_eq!(
            negotiate(Some("application/json;q=0.2, application/pdf"), &EXPORT),
            Some(Format::Pdf)
        );
        assert_eq!(negotiate(Some("image/png"), &EXPORT), None);
    }
}
