//! Commit-message trailers (`Key: value` lines in the last paragraph), PAO's metadata in Git.
//!
//! Every `Pao-*` key is a constant here; writers and readers (both backends, the
//! orchestrator) name keys only through these constants, so a key cannot be misspelt in one
//! place and silently read as missing in another.

use std::collections::BTreeMap;

/// The request id (request commits, status commits, merge commits).
pub const REQUEST_ID: &str = "Pao-Request-Id";
/// `create`, `update` or `decommission`.
pub const OPERATION: &str = "Pao-Operation";
/// The requesting team.
pub const TEAM: &str = "Pao-Team";
/// The catalog item id.
pub const ITEM: &str = "Pao-Item";
/// The resource name.
pub const RESOURCE: &str = "Pao-Resource";
/// The catalog item's version.
pub const ITEM_VERSION: &str = "Pao-Item-Version";
/// The catalog commit the item was read at.
pub const CATALOG_COMMIT: &str = "Pao-Catalog-Commit";
/// The fulfilment hint.
pub const HINT: &str = "Pao-Hint";
/// The requester's user id.
pub const REQUESTER: &str = "Pao-Requester";
/// The requester's e-mail address.
pub const REQUESTER_EMAIL: &str = "Pao-Requester-Email";
/// The correlation id.
pub const CORRELATION_ID: &str = "Pao-Correlation-Id";
/// The pull request's labels, comma-separated.
pub const LABELS: &str = "Pao-Labels";
/// A status commit's status.
pub const STATUS: &str = "Pao-Status";
/// A status commit's note.
pub const NOTE: &str = "Pao-Note";

/// The keys the backends write themselves; a change's extra trailers cannot override them.
pub const IDENTITY_KEYS: [&str; 5] = [REQUEST_ID, OPERATION, TEAM, ITEM, RESOURCE];

/// Appends a trailer paragraph to a commit message. Values are flattened to one line.
pub fn with_trailers(message: &str, trailers: &[(String, String)]) -> String {
    let mut out = message.trim_end().to_owned();
    if trailers.is_empty() {
        out.push('\n');
        return out;
    }
    out.push_str("\n\n");
    for (key, value) in trailers {
        let value: String = value.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        out.push_str(key);
        out.push_str(": ");
        out.push_str(value.trim());
        out.push('\n');
    }
    out
}

/// Reads the `Key: value` lines of a message's last paragraph; the last value of a key wins.
/// An empty value may have lost its space after the colon (`Key:` ending the message, which is
/// trimmed), so the separator is the first `:`; a key never holds one.
pub fn parse_trailers(message: &str) -> BTreeMap<String, String> {
    let last = message.trim_end().rsplit("\n\n").next().unwrap_or_default();
    last.lines()
        .filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            if !(value.is_empty() || value.starts_with(' ')) {
                return None;
            }
            let valid = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            valid.then(|| (key.to_owned(), value.trim().to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `names` fuzz target: an empty value written last (`Key: ` then the end of
    /// the message) did not read back.
    #[test]
    fn empty_values_read_back_even_last() {
        let trailers =
            vec![("Pao-Requester".to_owned(), String::new()), ("Pao-Requester-Email".to_owned(), String::new())];
        let message = with_trailers("\n\n", &trailers);
        let read = parse_trailers(&message);
        assert_eq!(read.get("Pao-Requester").map(String::as_str), Some(""));
        assert_eq!(read.get("Pao-Requester-Email").map(String::as_str), Some(""));
        // `Key:value` without the space is no trailer, as before.
        assert!(parse_trailers("m\n\nPao-Team:dba").is_empty());
    }

    #[test]
    fn round_trip() {
        let message = with_trailers(
            "title\n\nbody: not a trailer\n",
            &[("Pao-Status".into(), "pr_open".into()), ("Pao-Note".into(), "two\nlines".into())],
        );
        let trailers = parse_trailers(&message);
        assert_eq!(trailers["Pao-Status"], "pr_open");
        assert_eq!(trailers["Pao-Note"], "two lines");
        assert!(!trailers.contains_key("body"));
    }
}
