//! Cursor pagination: `?limit=` (default 50, max 200) and an opaque `?cursor=`.
//!
//! Every list takes its paging as [`PageParams`] (next to its own filters), and answers its
//! items with the `next_cursor` of the page after. A cursor names the last item of the page
//! before: an id for most lists, the due date and id of a plan item for the lists in due-date
//! order (the plan and the agenda).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Datelike, NaiveDate};
use relais_store::events::Position;
use relais_store::page::{Page, PageRequest};
use relais_store::plan_items::ItemCursor;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::ApiError;

/// Default page size.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page size.
pub const MAX_LIMIT: u32 = 200;

/// The paging of a list in id order: its cursor is an item id (16 bytes, base64url).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page (empty: the first page).
    #[param(pattern = "^([A-Za-z0-9_-]{21}[AQgw])?$")]
    pub cursor: Option<String>,
}

/// The paging of a list in due-date order (the agenda, a plan's items): its cursor is a due
/// date and an item id (20 bytes, base64url).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DuePageParams {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page (empty: the first page).
    #[param(pattern = "^([A-Za-z0-9_-]{26}[AEIMQUYcgkosw048])?$")]
    pub cursor: Option<String>,
}

impl DuePageParams {
    /// The same paging, read as any list's.
    pub fn paging(&self) -> PageParams {
        PageParams {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
    }
}

impl PageParams {
    /// The page size asked (400 at `limit` outside 1 to 200).
    pub fn limit(&self) -> Result<u32, ApiError> {
        limit_param(self.limit)
    }

    /// The item the page starts after, if a cursor is given (400 at `cursor` when it is not
    /// one this list gave).
    pub fn after<C: Cursor>(&self) -> Result<Option<C>, ApiError> {
        cursor_param("cursor", self.cursor.as_deref())
    }

    /// The page of a list in id order.
    pub fn request(&self) -> Result<PageRequest, ApiError> {
        let limit = self.limit()?;
        Ok(PageRequest {
            limit,
            after: self.after()?,
        })
    }
}

/// A page size given as `limit` (default 50; 400 at `limit` outside 1 to 200).
pub fn limit_param(limit: Option<u32>) -> Result<u32, ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_query(
            "limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    Ok(limit)
}

/// The position a cursor given in the query parameter `name` names, if one is given (400 at
/// `name` when it is not one of `C`'s).
pub fn cursor_param<C: Cursor>(name: &str, value: Option<&str>) -> Result<Option<C>, ApiError> {
    match value {
        None | Some("") => Ok(None),
        Some(cursor) => C::decode(cursor)
            .map(Some)
            .ok_or_else(|| ApiError::bad_query(name, "invalid cursor")),
    }
}

/// What a cursor names, written as opaque URL-safe text.
pub trait Cursor: Sized {
    fn encode(&self) -> String;
    fn decode(cursor: &str) -> Option<Self>;
}

impl Cursor for Uuid {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.as_bytes())
    }

    fn decode(cursor: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
        Uuid::from_slice(&bytes).ok()
    }
}

/// A position in the change feed: the transaction id and the order in it, 8 bytes each. Any 16
/// bytes are a position (a half beyond `i64::MAX` is at the end: no event is after it).
impl Cursor for Position {
    fn encode(&self) -> String {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.tx.to_be_bytes());
        bytes[8..].copy_from_slice(&self.seq.to_be_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn decode(cursor: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
        let (tx, seq) = bytes.split_at_checked(8)?;
        let half = |bytes: &[u8]| -> Option<i64> {
            let value = u64::from_be_bytes(bytes.try_into().ok()?);
            Some(i64::try_from(value).unwrap_or(i64::MAX))
        };
        Some(Position {
            tx: half(tx)?,
            seq: half(seq)?,
        })
    }
}

/// The first and last days a cursor names (a date beyond is at that end).
const FIRST_DAY: NaiveDate = NaiveDate::from_ymd_opt(1, 1, 1).expect("a date");
const LAST_DAY: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a date");

/// Length of an encoded item cursor: the item id, then its due date as days from the common
/// era.
const ITEM_CURSOR_BYTES: usize = 20;

impl Cursor for ItemCursor {
    fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(ITEM_CURSOR_BYTES);
        bytes.extend_from_slice(self.id.as_bytes());
        bytes.extend_from_slice(&self.due_on.num_days_from_ce().to_be_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn decode(cursor: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
        if bytes.len() != ITEM_CURSOR_BYTES {
            return None;
        }
        let (id, days) = bytes.split_at(16);
        let days = i32::from_be_bytes(days.try_into().ok()?);
        // Any 20 bytes name a position: a date outside the years 1 to 9999 is at an end.
        let due_on = NaiveDate::from_num_days_from_ce_opt(days)
            .unwrap_or(if days < 0 { FIRST_DAY } else { LAST_DAY })
            .clamp(FIRST_DAY, LAST_DAY);
        Some(ItemCursor {
            id: Uuid::from_slice(id).ok()?,
            due_on,
        })
    }
}

/// The cursor of the next page, if any.
pub fn next_cursor<T>(page: &Page<T>) -> Option<String> {
    page.next_after.as_ref().map(Cursor::encode)
}

/// A page of records as a list answers it: each record made a view, and the cursor of the
/// next page.
pub fn into_views<R, T>(page: Page<R>, view: impl FnMut(R) -> T) -> (Vec<T>, Option<String>) {
    let next = next_cursor(&page);
    (page.items.into_iter().map(view).collect(), next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(limit: Option<u32>, cursor: Option<&str>) -> PageParams {
        PageParams {
            limit,
            cursor: cursor.map(str::to_owned),
        }
    }

    #[test]
    fn the_limit_defaults_to_fifty_and_stays_within_one_and_two_hundred() {
        assert_eq!(params(None, None).limit().ok(), Some(DEFAULT_LIMIT));
        assert_eq!(params(Some(200), None).limit().ok(), Some(200));
        assert!(params(Some(0), None).limit().is_err());
        assert!(params(Some(201), None).limit().is_err());
    }

    #[test]
    fn an_empty_cursor_is_the_first_page() {
        assert_eq!(params(None, Some("")).after::<Uuid>().ok(), Some(None));
    }

    #[test]
    fn an_id_cursor_round_trips_and_garbage_does_not_decode() {
        let id = Uuid::now_v7();
        assert_eq!(Uuid::decode(&id.encode()), Some(id));
        assert!(params(None, Some("not a cursor")).after::<Uuid>().is_err());
    }

    #[test]
    fn a_feed_position_round_trips_and_any_sixteen_bytes_are_one() {
        let position = Position {
            tx: 4_294_967_301,
            seq: 17,
        };
        let encoded = position.encode();
        assert_eq!(encoded.len(), 22);
        assert_eq!(Position::decode(&encoded), Some(position));
        assert_eq!(
            Position::decode(&URL_SAFE_NO_PAD.encode([0xffu8; 16])),
            Some(Position {
                tx: i64::MAX,
                seq: i64::MAX
            })
        );
        assert_eq!(Position::decode(&URL_SAFE_NO_PAD.encode([0u8; 20])), None);
        assert_eq!(Position::decode("not a cursor"), None);
    }

    #[test]
    fn an_item_cursor_round_trips_and_garbage_does_not_decode() {
        let cursor = ItemCursor {
            id: Uuid::now_v7(),
            due_on: NaiveDate::from_ymd_opt(2026, 12, 15).unwrap_or_default(),
        };
        assert_eq!(ItemCursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(ItemCursor::decode("not a cursor"), None);
        assert_eq!(ItemCursor::decode(&URL_SAFE_NO_PAD.encode([0u8; 16])), None);
    }

    #[test]
    fn any_twenty_bytes_are_an_item_cursor_at_a_date_a_query_can_take() {
        for days in [i32::MIN, -1, 0, 3_652_059, 3_652_060, i32::MAX] {
            let mut bytes = Uuid::now_v7().as_bytes().to_vec();
            bytes.extend_from_slice(&days.to_be_bytes());
            let cursor = ItemCursor::decode(&URL_SAFE_NO_PAD.encode(&bytes)).expect("decodes");
            assert!((FIRST_DAY..=LAST_DAY).contains(&cursor.due_on), "{days}");
        }
    }

    /// The cursor patterns of the document, by the operation whose `cursor` it is.
    fn documented_pattern(path: &str) -> String {
        let document = serde_json::to_value(crate::openapi()).expect("the document");
        let parameters = document["paths"][path]["get"]["parameters"]
            .as_array()
            .expect("parameters")
            .clone();
        parameters
            .iter()
            .find(|p| p["name"] == "cursor")
            .and_then(|p| p["schema"]["pattern"].as_str())
            .expect("a cursor pattern")
            .to_owned()
    }

    #[test]
    fn the_cursor_patterns_say_exactly_which_texts_decode() {
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for (path, length, decodes) in [
            (
                "/v1/persons",
                22,
                &(|c: &str| Uuid::decode(c).is_some()) as &dyn Fn(&str) -> bool,
            ),
            ("/v1/agenda", 27, &|c: &str| ItemCursor::decode(c).is_some()),
        ] {
            let pattern = documented_pattern(path);
            let last = &pattern
                [pattern.rfind('[').expect("a class") + 1..pattern.rfind(']').expect("a class")];
            for c in alphabet.chars() {
                let cursor = format!("{}{c}", "A".repeat(length - 1));
                assert_eq!(decodes(&cursor), last.contains(c), "{path}: {cursor}");
            }
            assert!(
                pattern.contains(&format!("{{{}}}", length - 1)),
                "{path}: {pattern}"
            );
        }
    }
}
