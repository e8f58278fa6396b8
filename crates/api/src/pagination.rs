//! Cursor pagination: `?limit=` (default 50, max 200) and an opaque `?cursor=`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use relais_store::page::{Page, PageRequest};
use uuid::Uuid;

use crate::error::ApiError;

/// Default page size.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page size.
pub const MAX_LIMIT: u32 = 200;

/// Reads `limit` and `cursor` into a page request.
pub fn page_request(limit: Option<u32>, cursor: Option<&str>) -> Result<PageRequest, ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_query(
            "limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let after = match cursor {
        None | Some("") => None,
        Some(cursor) => {
            Some(decode(cursor).ok_or_else(|| ApiError::bad_query("cursor", "invalid cursor"))?)
        }
    };
    Ok(PageRequest { limit, after })
}

fn decode(cursor: &str) -> Option<Uuid> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    Uuid::from_slice(&bytes).ok()
}

/// The cursor of the next page, if any.
pub fn next_cursor<T>(page: &Page<T>) -> Option<String> {
    page.next_after
        .map(|id| URL_SAFE_NO_PAD.encode(id.as_bytes()))
}
