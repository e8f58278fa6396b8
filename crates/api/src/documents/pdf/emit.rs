//! Writes laid-out pages as a PDF 1.7 file.
//!
//! Each face used is embedded as a subset TrueType font (`CIDFontType2` under a `Type0` font
//! with `Identity-H` encoding: two bytes per glyph), with the glyph widths and a `ToUnicode`
//! map from each glyph back to its character, which is what lets readers and `pdftotext`
//! extract the text with its accents. Streams are Flate-compressed. The output is
//! deterministic: the same pages give the same bytes.

use std::collections::BTreeMap;
use std::io::Write;

use flate2::Compression;
use flate2::write::ZlibEncoder;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use subsetter::GlyphRemapper;

use super::font::{Font, Fonts, Style};
use super::{Op, PAGE_HEIGHT, PAGE_WIDTH, Page, PdfError};
use crate::documents::logo::{ImageData, PdfImage};

/// Document-level metadata.
pub struct Info<'a> {
    pub title: &'a str,
    pub author: &'a str,
    pub subject: &'a str,
    /// BCP 47 language of the text, e.g. `fr`.
    pub lang: &'a str,
}

const FONT_NAMES: [&[u8]; 2] = [b"F0", b"F1"];
/// Subset tags (six capitals, as the PDF specification asks for subset fonts).
const SUBSET_TAGS: [&str; 2] = ["RLSREG", "RLSBLD"];

/// The glyphs one face draws in the document, renumbered for its subset.
struct UsedGlyphs {
    remapper: GlyphRemapper,
    /// New glyph id → the character it stands for, for `ToUnicode`.
    chars: BTreeMap<u16, char>,
}

impl UsedGlyphs {
    fn new() -> Self {
        Self {
            remapper: GlyphRemapper::new(),
            chars: BTreeMap::new(),
        }
    }

    /// The two-byte codes of `text` in the subset, registering new glyphs.
    fn encode(&mut self, font: &Font, text: &str) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let (glyph, shown) = font.glyph(c);
            let new = self.remapper.remap(glyph);
            self.chars.entry(new).or_insert(shown);
            bytes.extend_from_slice(&new.to_be_bytes());
        }
        bytes
    }
}

/// Hands out consecutive object ids.
struct Ids(i32);

impl Ids {
    fn next(&mut self) -> Ref {
        self.0 += 1;
        Ref::new(self.0)
    }
}

fn deflate(data: &[u8]) -> Result<Vec<u8>, PdfError> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data)?;
    Ok(encoder.finish()?)
}

/// The name of image `index` in a page's resources: `Im0`, `Im1`…
fn image_name(index: usize) -> String {
    format!("Im{index}")
}

/// The PDF for `pages`, whose [`Op::Image`]s draw `images` (each embedded once).
pub fn write(
    fonts: &Fonts,
    pages: &[Page],
    images: &[&PdfImage],
    info: &Info<'_>,
) -> Result<Vec<u8>, PdfError> {
    let mut ids = Ids(0);
    let catalog_id = ids.next();
    let tree_id = ids.next();
    let info_id = ids.next();
    let font_ids: Vec<Ref> = Style::ALL.iter().map(|_| ids.next()).collect();
    let image_ids: Vec<Ref> = images.iter().map(|_| ids.next()).collect();
    let image_names: Vec<String> = (0..images.len()).map(image_name).collect();

    let mut used: Vec<UsedGlyphs> = Style::ALL.iter().map(|_| UsedGlyphs::new()).collect();
    let mut pdf = Pdf::new();
    let mut page_ids = Vec::with_capacity(pages.len());

    for page in pages {
        let page_id = ids.next();
        let content_id = ids.next();
        page_ids.push(page_id);
        let content = content_stream(fonts, page, &mut used);
        pdf.stream(content_id, &deflate(&content)?)
            .filter(Filter::FlateDecode);
        let mut writer = pdf.page(page_id);
        writer
            .parent(tree_id)
            .media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .contents(content_id);
        let mut resources = writer.resources();
        let mut names = resources.fonts();
        for style in Style::ALL {
            names.pair(Name(FONT_NAMES[style.index()]), font_ids[style.index()]);
        }
        names.finish();
        if !images.is_empty() {
            let mut objects = resources.x_objects();
            for (name, &id) in image_names.iter().zip(&image_ids) {
                objects.pair(Name(name.as_bytes()), id);
            }
            objects.finish();
        }
        resources.finish();
        writer.finish();
    }

    for style in Style::ALL {
        let i = style.index();
        write_font(
            &mut pdf,
            &mut ids,
            font_ids[i],
            fonts.get(style),
            &used[i],
            i,
        )?;
    }

    for (image, &id) in images.iter().zip(&image_ids) {
        write_image(&mut pdf, &mut ids, id, image)?;
    }

    pdf.pages(tree_id)
        .kids(page_ids.iter().copied())
        .count(i32::try_from(page_ids.len()).unwrap_or(i32::MAX));
    pdf.catalog(catalog_id)
        .pages(tree_id)
        .lang(TextStr(info.lang));
    pdf.document_info(info_id)
        .title(TextStr(info.title))
        .author(TextStr(info.author))
        .subject(TextStr(info.subject))
        .creator(TextStr("Relais"))
        .producer(TextStr("Relais"));
    Ok(pdf.finish())
}

fn content_stream(fonts: &Fonts, page: &Page, used: &mut [UsedGlyphs]) -> Vec<u8> {
    let mut content = Content::new();
    for op in &page.ops {
        match op {
            Op::Text {
                look,
                x,
                baseline,
                text,
            } => {
                let i = look.style.index();
                let encoded = used[i].encode(fonts.get(look.style), text);
                content
                    .set_fill_gray(look.gray)
                    .begin_text()
                    .set_font(Name(FONT_NAMES[i]), look.size)
                    .next_line(*x, *baseline)
                    .show(Str(&encoded))
                    .end_text();
            }
            Op::Line {
                from,
                to,
                width,
                gray,
            } => {
                content
                    .set_stroke_gray(*gray)
                    .set_line_width(*width)
                    .move_to(from.0, from.1)
                    .line_to(to.0, to.1)
                    .stroke();
            }
            Op::Fill { x, y, w, h, gray } => {
                content
                    .set_fill_gray(*gray)
                    .rect(*x, *y, *w, *h)
                    .fill_nonzero();
            }
            Op::Image { index, x, y, w, h } => {
                content
                    .save_state()
                    .transform([*w, 0.0, 0.0, *h, *x, *y])
                    .x_object(Name(image_name(*index).as_bytes()))
                    .restore_state();
            }
        }
    }
    content.finish().to_vec()
}

/// An image XObject: a JPEG as is, raw samples compressed, transparency as a soft mask.
fn write_image(pdf: &mut Pdf, ids: &mut Ids, id: Ref, image: &PdfImage) -> Result<(), PdfError> {
    let width = i32::try_from(image.width).unwrap_or(i32::MAX);
    let height = i32::try_from(image.height).unwrap_or(i32::MAX);
    let mask_id = image.alpha.as_ref().map(|_| ids.next());
    let (data, filter) = match &image.data {
        ImageData::Jpeg(bytes) => (bytes.clone(), Filter::DctDecode),
        ImageData::Raw(samples) => (deflate(samples)?, Filter::FlateDecode),
    };
    let mut xobject = pdf.image_xobject(id, &data);
    xobject.filter(filter);
    xobject.width(width);
    xobject.height(height);
    if image.gray {
        xobject.color_space().device_gray();
    } else {
        xobject.color_space().device_rgb();
    }
    xobject.bits_per_component(8);
    if let Some(mask_id) = mask_id {
        xobject.s_mask(mask_id);
    }
    xobject.finish();
    if let (Some(mask_id), Some(alpha)) = (mask_id, &image.alpha) {
        let compressed = deflate(alpha)?;
        let mut mask = pdf.image_xobject(mask_id, &compressed);
        mask.filter(Filter::FlateDecode);
        mask.width(width);
        mask.height(height);
        mask.color_space().device_gray();
        mask.bits_per_component(8);
        mask.finish();
    }
    Ok(())
}

fn write_font(
    pdf: &mut Pdf,
    ids: &mut Ids,
    type0_id: Ref,
    font: &Font,
    used: &UsedGlyphs,
    index: usize,
) -> Result<(), PdfError> {
    let cid_id = ids.next();
    let descriptor_id = ids.next();
    let file_id = ids.next();
    let cmap_id = ids.next();
    let base_name = format!("{}+{}", SUBSET_TAGS[index], font.postscript_name);
    let base_name = Name(base_name.as_bytes());
    let system_info = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };

    pdf.type0_font(type0_id)
        .base_font(base_name)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_id)
        .to_unicode(cmap_id);

    let widths: Vec<f32> = used
        .remapper
        .remapped_gids()
        .map(|old| font.advance(old).round())
        .collect();
    let mut cid = pdf.cid_font(cid_id);
    cid.subtype(CidFontType::Type2)
        .base_font(base_name)
        .system_info(system_info)
        .font_descriptor(descriptor_id)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    cid.widths().consecutive(0, widths);
    cid.finish();

    let (x0, y0, x1, y1) = font.bbox();
    let mut flags = FontFlags::NON_SYMBOLIC;
    if font.italic_angle() != 0.0 {
        flags |= FontFlags::ITALIC;
    }
    pdf.font_descriptor(descriptor_id)
        .name(base_name)
        .flags(flags)
        .bbox(Rect::new(x0, y0, x1, y1))
        .italic_angle(font.italic_angle())
        .ascent(font.ascent())
        .descent(font.descent())
        .cap_height(font.cap_height())
        .stem_v(if font.weight() >= 600 { 140.0 } else { 80.0 })
        .weight(font.weight())
        .font_file2(file_id);

    let subset = subsetter::subset(font.data, 0, &used.remapper)
        .map_err(|e| PdfError::Subset(e.to_string()))?;
    let subset_len = i32::try_from(subset.len()).unwrap_or(i32::MAX);
    pdf.stream(file_id, &deflate(&subset)?)
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), subset_len);

    let mut cmap = UnicodeCmap::new(Name(b"Relais-UTF16"), system_info);
    for (&glyph, &c) in &used.chars {
        cmap.pair(glyph, c);
    }
    let cmap = cmap.finish();
    let compressed = deflate(cmap.as_slice())?;
    let mut cmap = pdf.cmap(cmap_id, &compressed);
    cmap.name(Name(b"Relais-UTF16")).system_info(system_info);
    cmap.filter(Filter::FlateDecode);
    Ok(())
}
