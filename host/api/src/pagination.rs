//! Pagination: every list takes `?limit=` (1 to 500, default 50) and
//! `?cursor=`, and answers `{"items": […], "next_cursor": "…" | null}`.
//!
//! A cursor is opaque to clients: base64url of the list's name and the key of
//! the last item handed out, so a cursor of one list is refused by another
//! (`400 invalid_cursor`) and items added meanwhile are neither skipped nor
//! repeated when a list is ordered by a key that does not change.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ApiError;
use crate::wire::Page;

/// Items per page when the client does not say.
pub const DEFAULT_LIMIT: u32 = 50;
/// The most items a page may hold.
pub const MAX_LIMIT: u32 = 500;

/// The page size asked for, checked.
pub fn limit(requested: Option<u32>) -> Result<usize, ApiError> {
    match requested.unwrap_or(DEFAULT_LIMIT) {
        limit @ 1..=MAX_LIMIT => Ok(limit as usize),
        other => Err(ApiError::invalid("limit", format!("must be between 1 and {MAX_LIMIT}, got {other}"))),
    }
}

/// The cursor for `list` continuing after the item with `key`.
pub fn encode(list: &str, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{list}:{key}"))
}

/// The key a cursor of `list` continues after; `None` without a cursor.
pub fn decode(list: &str, cursor: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(cursor) = cursor else { return Ok(None) };
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| ApiError::invalid_cursor())?;
    let text = String::from_utf8(bytes).map_err(|_| ApiError::invalid_cursor())?;
    match text.split_once(':') {
        Some((name, key)) if name == list => Ok(Some(key.to_owned())),
        _ => Err(ApiError::invalid_cursor()),
    }
}

/// The key a cursor of `list` continues after, parsed as a number.
pub fn decode_number<N: std::str::FromStr>(list: &str, cursor: Option<&str>) -> Result<Option<N>, ApiError> {
    decode(list, cursor)?.map(|key| key.parse().map_err(|_| ApiError::invalid_cursor())).transpose()
}

/// A page from `items`, which were fetched with one more than `limit` to
/// learn whether more follow; `key` names an item for the next cursor.
pub fn page<T>(mut items: Vec<T>, limit: usize, list: &str, key: impl Fn(&T) -> String) -> Page<T> {
    let more = items.len() > limit;
    items.truncate(limit);
    let next_cursor = if more { items.last().map(|last| encode(list, &key(last))) } else { None };
    Page { items, next_cursor }
}

/// A page of a list held whole in memory (ordered, append-only): the
/// cursor is the position after the last item handed out.
pub fn page_of_slice<T: Clone>(all: &[T], limit: usize, list: &str, cursor: Option<&str>) -> Result<Page<T>, ApiError> {
    let start: usize = decode_number(list, cursor)?.unwrap_or(0);
    if start > all.len() {
        return Err(ApiError::invalid_cursor());
    }
    let end = (start + limit).min(all.len());
    let items = all[start..end].to_vec();
    let next_cursor = (end < all.len()).then(|| encode(list, &end.to_string()));
    Ok(Page { items, next_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_checked() {
        assert_eq!(limit(None).unwrap(), 50);
        assert_eq!(limit(Some(500)).unwrap(), 500);
        assert_eq!(limit(Some(0)).unwrap_err().code, "invalid_request");
        assert_eq!(limit(Some(501)).unwrap_err().code, "invalid_request");
    }

    #[test]
    fn cursors_belong_to_their_list() {
        let cursor = encode("stations", "CP:1");
        assert_eq!(decode("stations", Some(&cursor)).unwrap().as_deref(), Some("CP:1"));
        assert_eq!(decode("tokens", Some(&cursor)).unwrap_err().code, "invalid_cursor");
        assert_eq!(decode("stations", Some("!!")).unwrap_err().code, "invalid_cursor");
        assert_eq!(decode("stations", None).unwrap(), None);
        assert_eq!(decode_number::<u64>("stations", Some(&cursor)).unwrap_err().code, "invalid_cursor");
    }

    #[test]
    fn pages_know_whether_more_follow() {
        let full = page(vec![1, 2, 3], 2, "n", |n| n.to_string());
        assert_eq!(full.items, vec![1, 2]);
        assert_eq!(decode_number::<i32>("n", full.next_cursor.as_deref()).unwrap(), Some(2));
        let last = page(vec![1, 2], 2, "n", |n| n.to_string());
        assert_eq!(last.next_cursor, None);
        let all: Vec<u8> = (0..5).collect();
        let first = page_of_slice(&all, 2, "h", None).unwrap();
        let second = page_of_slice(&all, 2, "h", first.next_cursor.as_deref()).unwrap();
        let third = page_of_slice(&all, 2, "h", second.next_cursor.as_deref()).unwrap();
        assert_eq!((first.items, second.items, third.items.clone()), (vec![0, 1], vec![2, 3], vec![4]));
        assert_eq!(third.next_cursor, None);
    }
}
