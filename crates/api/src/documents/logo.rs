//! The organisation's logo: checked once when it is uploaded (a PNG or JPEG that decodes, of
//! bounded dimensions), then drawn at the top of every document — as a `data:` URI in the HTML,
//! as an image XObject in the PDF (a JPEG as is, a PNG decoded, its transparency as a soft
//! mask).

use std::io::Cursor;

use zune_jpeg::JpegDecoder;
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;

/// The largest logo file accepted, in bytes (512 KiB).
pub const MAX_BYTES: usize = 512 * 1024;
/// The largest width or height accepted, in pixels.
pub const MAX_SIDE: u32 = 4096;
/// The most pixels a logo may have (a PNG decodes to four bytes per pixel).
const MAX_PIXELS: u64 = 4_000_000;

/// The formats a logo may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
}

impl ImageKind {
    pub fn media_type(self) -> &'static str {
        match self {
            ImageKind::Png => "image/png",
            ImageKind::Jpeg => "image/jpeg",
        }
    }

    pub fn from_media_type(media_type: &str) -> Option<Self> {
        match media_type {
            "image/png" => Some(ImageKind::Png),
            "image/jpeg" => Some(ImageKind::Jpeg),
            _ => None,
        }
    }
}

/// A logo that was checked: its format and size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    pub kind: ImageKind,
    pub width: u32,
    pub height: u32,
}

/// Why an uploaded logo is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogoRefused {
    #[error("the file is {0}: only PNG and JPEG images are accepted")]
    NotAnImage(String),
    #[error("the image cannot be read: {0}")]
    Unreadable(String),
    #[error(
        "the image is {width}×{height} pixels: at most {MAX_SIDE} pixels a side and 4 million in all"
    )]
    TooLarge { width: u32, height: u32 },
    #[error("the JPEG is in CMYK: save it in RGB or greyscale")]
    Cmyk,
}

impl LogoRefused {
    /// The machine code of the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            LogoRefused::NotAnImage(_) => "unsupported_type",
            LogoRefused::Unreadable(_) => "unreadable_image",
            LogoRefused::TooLarge { .. } => "image_too_large",
            LogoRefused::Cmyk => "unsupported_color_space",
        }
    }
}

fn bounded(width: u32, height: u32) -> Result<(), LogoRefused> {
    if width == 0
        || height == 0
        || width > MAX_SIDE
        || height > MAX_SIDE
        || u64::from(width) * u64::from(height) > MAX_PIXELS
    {
        return Err(LogoRefused::TooLarge { width, height });
    }
    Ok(())
}

/// Checks an uploaded logo: its content is a PNG or a JPEG (whatever the name or media type
/// said), of bounded dimensions, and decodes whole.
///
/// # Errors
/// [`LogoRefused`] saying why.
pub fn check(bytes: &[u8]) -> Result<Checked, LogoRefused> {
    let kind = match infer::get(bytes).map(|t| t.mime_type()) {
        Some("image/png") => ImageKind::Png,
        Some("image/jpeg") => ImageKind::Jpeg,
        Some(other) => return Err(LogoRefused::NotAnImage(other.to_owned())),
        None => return Err(LogoRefused::NotAnImage("of an unknown type".to_owned())),
    };
    let (width, height) = match kind {
        ImageKind::Png => {
            let png = decode_png(bytes)?;
            (png.width, png.height)
        }
        ImageKind::Jpeg => {
            let info = jpeg_info(bytes)?;
            let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), jpeg_options());
            decoder
                .decode()
                .map_err(|e| LogoRefused::Unreadable(e.to_string()))?;
            (info.width, info.height)
        }
    };
    Ok(Checked {
        kind,
        width,
        height,
    })
}

/// Strict: a JPEG that is truncated or corrupt is refused, not filled in (the PDFs embed the
/// file as it is).
fn jpeg_options() -> DecoderOptions {
    DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(MAX_SIDE as usize)
        .set_max_height(MAX_SIDE as usize)
}

/// A JPEG's header: size and colour.
struct JpegInfo {
    width: u32,
    height: u32,
    gray: bool,
}

fn jpeg_info(bytes: &[u8]) -> Result<JpegInfo, LogoRefused> {
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), jpeg_options());
    decoder
        .decode_headers()
        .map_err(|e| LogoRefused::Unreadable(e.to_string()))?;
    let info = decoder
        .info()
        .ok_or_else(|| LogoRefused::Unreadable("no JPEG header".to_owned()))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    bounded(width, height)?;
    match decoder.input_colorspace() {
        Some(ColorSpace::Luma) => Ok(JpegInfo {
            width,
            height,
            gray: true,
        }),
        Some(ColorSpace::YCbCr | ColorSpace::RGB) => Ok(JpegInfo {
            width,
            height,
            gray: false,
        }),
        Some(ColorSpace::CMYK | ColorSpace::YCCK) => Err(LogoRefused::Cmyk),
        other => Err(LogoRefused::Unreadable(format!(
            "unsupported colour space {other:?}"
        ))),
    }
}

/// A PNG decoded to 8-bit samples, its alpha apart.
struct DecodedPng {
    width: u32,
    height: u32,
    gray: bool,
    /// One (grey) or three (RGB) bytes per pixel.
    color: Vec<u8>,
    /// One byte per pixel, when the image has transparency.
    alpha: Option<Vec<u8>>,
}

fn decode_png(bytes: &[u8]) -> Result<DecodedPng, LogoRefused> {
    let unreadable = |e: png::DecodingError| LogoRefused::Unreadable(e.to_string());
    let mut decoder = png::Decoder::new_with_limits(
        Cursor::new(bytes),
        png::Limits {
            bytes: 4 * MAX_PIXELS as usize + 1024 * 1024,
        },
    );
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    {
        let info = decoder.read_header_info().map_err(unreadable)?;
        bounded(info.width, info.height)?;
    }
    let mut reader = decoder.read_info().map_err(unreadable)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| LogoRefused::Unreadable("image too large to decode".to_owned()))?;
    let mut buffer = vec![0; size];
    let frame = reader.next_frame(&mut buffer).map_err(unreadable)?;
    buffer.truncate(frame.buffer_size());
    let (width, height) = (frame.width, frame.height);
    let (gray, channels, has_alpha) = match frame.color_type {
        png::ColorType::Grayscale => (true, 1, false),
        png::ColorType::GrayscaleAlpha => (true, 2, true),
        png::ColorType::Rgb => (false, 3, false),
        png::ColorType::Rgba => (false, 4, true),
        png::ColorType::Indexed => {
            return Err(LogoRefused::Unreadable(
                "an indexed image was not expanded".to_owned(),
            ));
        }
    };
    if !has_alpha {
        return Ok(DecodedPng {
            width,
            height,
            gray,
            color: buffer,
            alpha: None,
        });
    }
    let pixels = buffer.len() / channels;
    let mut color = Vec::with_capacity(pixels * (channels - 1));
    let mut alpha = Vec::with_capacity(pixels);
    for pixel in buffer.chunks_exact(channels) {
        color.extend_from_slice(&pixel[..channels - 1]);
        alpha.push(pixel[channels - 1]);
    }
    // A fully opaque image needs no mask.
    let alpha = alpha.iter().any(|&a| a != u8::MAX).then_some(alpha);
    Ok(DecodedPng {
        width,
        height,
        gray,
        color,
        alpha,
    })
}

/// A logo as the PDF draws it.
#[derive(Debug, Clone)]
pub struct PdfImage {
    pub width: u32,
    pub height: u32,
    pub gray: bool,
    /// The samples: a JPEG file as is (`DCTDecode`), or raw 8-bit samples to compress.
    pub data: ImageData,
    /// Raw 8-bit alpha, one byte per pixel, to compress as the soft mask.
    pub alpha: Option<Vec<u8>>,
}

/// How a [`PdfImage`]'s samples are stored.
#[derive(Debug, Clone)]
pub enum ImageData {
    Jpeg(Vec<u8>),
    Raw(Vec<u8>),
}

/// A stored logo prepared for the PDF.
///
/// # Errors
/// [`LogoRefused`] when the stored file no longer reads (it was checked on upload).
pub fn pdf_image(kind: ImageKind, bytes: &[u8]) -> Result<PdfImage, LogoRefused> {
    match kind {
        ImageKind::Jpeg => {
            let info = jpeg_info(bytes)?;
            Ok(PdfImage {
                width: info.width,
                height: info.height,
                gray: info.gray,
                data: ImageData::Jpeg(bytes.to_vec()),
                alpha: None,
            })
        }
        ImageKind::Png => {
            let png = decode_png(bytes)?;
            Ok(PdfImage {
                width: png.width,
                height: png.height,
                gray: png.gray,
                data: ImageData::Raw(png.color),
                alpha: png.alpha,
            })
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A `width`×`height` RGBA PNG, a gradient with a transparent corner.
    pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut out, width, height);
            encoder.set_color(png::ColorType::Rgba);
            encoder.set_depth(png::BitDepth::Eight);
            let mut writer = encoder.write_header().unwrap();
            let mut data = Vec::new();
            for y in 0..height {
                for x in 0..width {
                    let alpha = if x < 2 && y < 2 { 0 } else { 255 };
                    data.extend_from_slice(&[
                        (x * 255 / width) as u8,
                        80,
                        (y * 255 / height) as u8,
                        alpha,
                    ]);
                }
            }
            writer.write_image_data(&data).unwrap();
        }
        out
    }

    #[test]
    fn a_png_is_checked_and_split_into_colour_and_alpha() {
        let bytes = png(40, 20);
        let checked = check(&bytes).unwrap();
        assert_eq!(
            checked,
            Checked {
                kind: ImageKind::Png,
                width: 40,
                height: 20
            }
        );
        let image = pdf_image(ImageKind::Png, &bytes).unwrap();
        let ImageData::Raw(color) = &image.data else {
            panic!("a PNG is decoded")
        };
        assert_eq!(color.len(), 40 * 20 * 3);
        assert_eq!(image.alpha.as_ref().map(Vec::len), Some(40 * 20));
        assert!(!image.gray);
    }

    #[test]
    fn anything_else_is_refused_with_its_reason() {
        assert!(matches!(
            check(b"%PDF-1.7 not an image"),
            Err(LogoRefused::NotAnImage(t)) if t == "application/pdf"
        ));
        assert!(matches!(check(b"hello"), Err(LogoRefused::NotAnImage(_))));
        let mut truncated = png(40, 20);
        truncated.truncate(truncated.len() - 20);
        assert!(matches!(check(&truncated), Err(LogoRefused::Unreadable(_))));
        // A header announcing a huge image is refused before anything is decoded.
        let huge = png(5000, 1);
        assert!(matches!(
            check(&huge),
            Err(LogoRefused::TooLarge { width: 5000, .. })
        ));
    }
}
