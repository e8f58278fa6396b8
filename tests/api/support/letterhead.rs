//! The organisation's letterhead in the document tests: a profile and a logo written as an
//! administrator would, and what every printed document must then show.

use relais_tests::{TestApp, pdf_images, pdf_text};
use serde_json::{Value, json};

/// The profile the document tests write.
pub const NAME: &str = "Centre communal d'action sociale d'Acme";
pub const STREET: &str = "12 place de la Mairie";
pub const TOWN: &str = "69100 Villeurbanne";
pub const PHONE: &str = "04 72 65 80 00";

/// The logo's size in pixels.
pub const LOGO: (u32, u32) = (120, 40);

/// A `width`×`height` RGBA PNG: a gradient with a transparent band.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        let mut data = Vec::with_capacity((width * height * 4) as usize);
        for y in 0..height {
            for x in 0..width {
                let alpha = if y < 4 { 0 } else { 255 };
                data.extend_from_slice(&[
                    u8::try_from(x * 255 / width).unwrap(),
                    90,
                    u8::try_from(y * 255 / height).unwrap(),
                    alpha,
                ]);
            }
        }
        writer.write_image_data(&data).unwrap();
    }
    out
}

/// A `width`×`height` JPEG in `color`.
pub fn jpeg(width: u16, height: u16, color: jpeg_encoder::ColorType) -> Vec<u8> {
    let channels = match color {
        jpeg_encoder::ColorType::Luma => 1,
        jpeg_encoder::ColorType::Cmyk => 4,
        _ => 3,
    };
    let data: Vec<u8> = (0..usize::from(width) * usize::from(height) * channels)
        .map(|i| u8::try_from(i % 251).unwrap())
        .collect();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 85)
        .encode(&data, width, height, color)
        .unwrap();
    out
}

/// Writes the profile and uploads a PNG logo as the organisation's administrator.
pub async fn install(app: &TestApp) -> Value {
    let admin = app.token("admin", "adele");
    let written = app
        .put(
            "/v1/organisation/profile",
            &admin,
            Some("*"),
            &json!({
                "name": NAME,
                "address_lines": [STREET],
                "postcode": "69100",
                "city": "Villeurbanne",
                "phone": PHONE,
                "email": "ccas@acme.example",
                "website": "https://acme.example/ccas"
            }),
        )
        .await;
    assert_eq!(written.status(), 200, "{}", written.text().await.unwrap());
    let logo = app
        .request(reqwest::Method::PUT, "/v1/organisation/logo", &admin)
        .header("Content-Type", "image/png")
        .body(png(LOGO.0, LOGO.1))
        .send()
        .await
        .unwrap();
    assert_eq!(logo.status(), 200, "{}", logo.text().await.unwrap());
    app.get_json("/v1/organisation/profile", &admin).await
}

/// Asserts that a PDF carries the letterhead written by [`install`]: its text and its logo.
pub fn assert_in_pdf(pdf: &[u8]) {
    let text = pdf_text(pdf);
    for part in [NAME, STREET, TOWN, PHONE, "ccas@acme.example"] {
        assert!(text.contains(part), "{part} missing from {text}");
    }
    let images = pdf_images(pdf);
    assert!(
        images.contains(&(LOGO.0, LOGO.1, "rgb".to_owned())),
        "the logo is not embedded: {images:?}"
    );
}

/// Asserts that an HTML document carries the letterhead written by [`install`].
pub fn assert_in_html(page: &str) {
    for part in [
        "Centre communal d&#x27;action sociale d&#x27;Acme",
        STREET,
        TOWN,
        // Attribute values are entity-decoded by browsers: `&#x2f;` is `/`.
        "<img src=\"data:image&#x2f;png;base64,",
    ] {
        assert!(page.contains(part), "{part} missing from the page");
    }
}
