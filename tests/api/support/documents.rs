//! Shared by the document tests (`documents` and `documents::access`): multipart forms built by
//! hand (so the tests choose the boundary, the part headers and the file name encoding), small
//! files of each type, and a case of the worker `alice` to upload to.

use std::ops::Deref;

use relais_tests::TestApp;
use reqwest::{Method, Response};
use serde_json::Value;

use super::case::WorkerCase;

pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n";
pub const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02";
pub const JPEG: &[u8] = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00";
pub const EXE: &[u8] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00PE\x00\x00";

/// One part of a multipart form.
pub struct Part<'a> {
    pub name: &'a str,
    pub filename: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
}

pub fn file<'a>(filename: &'a str, content_type: &'a str, body: &'a [u8]) -> Part<'a> {
    Part {
        name: "file",
        filename: Some(filename),
        content_type: Some(content_type),
        body,
    }
}

pub fn text<'a>(name: &'a str, value: &'a str) -> Part<'a> {
    Part {
        name,
        filename: None,
        content_type: None,
        body: value.as_bytes(),
    }
}

/// A `multipart/form-data` body; a non-ASCII file name goes in `filename*` (RFC 7578 allows
/// either; browsers send raw UTF-8 in `filename`).
pub fn form(boundary: &str, parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", part.name);
        match part.filename {
            Some(name) if name.is_ascii() => {
                disposition.push_str(&format!("; filename=\"{name}\""))
            }
            Some(name) => {
                let encoded: String = name.bytes().map(|b| format!("%{b:02X}")).collect();
                disposition.push_str(&format!("; filename=\"x\"; filename*=UTF-8''{encoded}"));
            }
            None => {}
        }
        body.extend_from_slice(format!("{disposition}\r\n").as_bytes());
        if let Some(content_type) = part.content_type {
            body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(part.body);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

/// A case opened by `alice` (a worker, so on its team).
pub struct Fixture {
    base: WorkerCase,
}

impl Deref for Fixture {
    type Target = WorkerCase;
    fn deref(&self) -> &WorkerCase {
        &self.base
    }
}

impl Fixture {
    pub async fn new() -> Self {
        Self::on(TestApp::spawn().await).await
    }

    pub async fn on(app: TestApp) -> Self {
        Fixture {
            base: WorkerCase::on(app).await,
        }
    }

    pub fn documents(&self) -> String {
        format!("/v1/cases/{}/documents", self.case_id)
    }

    pub async fn upload_with(
        &self,
        token: &str,
        boundary: &str,
        key: Option<&str>,
        parts: &[Part<'_>],
    ) -> Response {
        let mut request = self
            .app
            .request(Method::POST, &self.documents(), token)
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(form(boundary, parts));
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().await.unwrap()
    }

    pub async fn upload_as(&self, token: &str, parts: &[Part<'_>]) -> Response {
        self.upload_with(token, "relais-test-boundary", None, parts)
            .await
    }

    pub async fn upload(&self, parts: &[Part<'_>]) -> Response {
        self.upload_as(&self.alice, parts).await
    }

    /// Uploads a PDF and answers its metadata.
    pub async fn uploaded(&self) -> Value {
        let response = self
            .upload(&[file("avis.pdf", "application/pdf", PDF)])
            .await;
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }

    pub async fn stored(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM documents WHERE case_id = $1::uuid")
            .bind(&self.case_id)
            .fetch_one(&self.app.sql)
            .await
            .unwrap()
    }
}

pub async fn sha256_hex(app: &TestApp, bytes: &[u8]) -> String {
    sqlx::query_scalar("SELECT encode(sha256($1), 'hex')")
        .bind(bytes)
        .fetch_one(&app.sql)
        .await
        .unwrap()
}
