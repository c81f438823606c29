//! Cursor pagination: `limit` (default 50, at most 200) and an opaque `cursor`.
//!
//! A cursor is URL-safe base64 of `<scope>:<sort key of the last item returned>`. The next page
//! holds the items strictly after that key in the list's order, so a page boundary never moves
//! when new items arrive: requests are listed newest first by `(createdAt, id)`, and a new
//! request sorts before every existing cursor. A cursor of another list, or one that does not
//! decode, is a 400.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use crate::error::ApiError;

/// Default page size.
pub const DEFAULT_LIMIT: usize = 50;
/// Largest page size.
pub const MAX_LIMIT: usize = 200;

/// `pagination` of a list response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Pagination {
    /// Whether more items follow.
    pub has_more: bool,
    /// The cursor of the next page, when there is one.
    pub next_cursor: Option<String>,
}

/// A page of a list: `{ "data": [...], "pagination": {...} }`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Page<T> {
    /// The items.
    pub data: Vec<T>,
    /// Where the next page starts.
    pub pagination: Pagination,
}

/// The page size asked for.
///
/// # Errors
/// 400 for 0 or more than [`MAX_LIMIT`].
pub fn limit(value: Option<usize>) -> Result<usize, ApiError> {
    match value {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::bad_request(
            "invalid_limit",
            format!("limit {n} is out of range; use 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})"),
        )),
    }
}

/// The sort key a cursor of `scope` carries.
///
/// # Errors
/// 400 when the cursor does not decode or belongs to another list.
pub fn decode(scope: &str, cursor: &str) -> Result<String, ApiError> {
    let bad = || {
        ApiError::bad_request(
            "invalid_cursor",
            "the cursor is not one this list returned; pass `pagination.next_cursor` of the previous page unchanged, or leave `cursor` out to start over",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim_end_matches('=')).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    text.strip_prefix(scope).and_then(|rest| rest.strip_prefix(':')).map(str::to_owned).ok_or_else(bad)
}

/// The cursor after an item with sort key `key`.
pub fn encode(scope: &str, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{scope}:{key}"))
}

/// Cuts one page from `items` (already in list order), starting after the cursor's key.
/// `key` gives an item's sort key; `after(a, b)` says whether key `a` comes after key `b`.
/// Items are taken lazily: no more than the page and one beyond it are produced.
///
/// # Errors
/// A bad cursor or limit.
pub fn paginate<T>(
    items: impl IntoIterator<Item = T>,
    scope: &str,
    cursor: Option<&str>,
    limit: Option<usize>,
    key: impl Fn(&T) -> String,
    after: impl Fn(&str, &str) -> bool,
) -> Result<Page<T>, ApiError> {
    let limit = self::limit(limit)?;
    let start = cursor.map(|c| decode(scope, c)).transpose()?;
    let mut data: Vec<T> = items
        .into_iter()
        .skip_while(|item| start.as_ref().is_some_and(|s| !after(&key(item), s)))
        .take(limit + 1)
        .collect();
    let has_more = data.len() > limit;
    data.truncate(limit);
    let next_cursor = if has_more { data.last().map(|last| encode(scope, &key(last))) } else { None };
    Ok(Page { data, pagination: Pagination { has_more, next_cursor } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_cursors_and_bad_ones_are_refused() {
        let items: Vec<u32> = (1..=5).collect();
        let key = |n: &u32| format!("{n:04}");
        let after = |a: &str, b: &str| a > b;
        let first = paginate(items.clone(), "t", None, Some(2), key, after).unwrap();
        assert_eq!(first.data, [1, 2]);
        let cursor = first.pagination.next_cursor.unwrap();
        let second = paginate(items.clone(), "t", Some(&cursor), Some(2), key, after).unwrap();
        assert_eq!(second.data, [3, 4]);
        let third =
            paginate(items.clone(), "t", second.pagination.next_cursor.as_deref(), Some(2), key, after).unwrap();
        assert_eq!((third.data, third.pagination.has_more), (vec![5], false));
        assert_eq!(
            paginate(items.clone(), "other", Some(&cursor), None, key, after).unwrap_err().code,
            "invalid_cursor"
        );
        assert_eq!(paginate(items.clone(), "t", Some("%%%"), None, key, after).unwrap_err().code, "invalid_cursor");
        assert_eq!(paginate(items, "t", None, Some(201), key, after).unwrap_err().code, "invalid_limit");
    }
}
