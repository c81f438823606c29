//! Commit-message trailers (`Key: value` lines in the last paragraph), PAO's metadata in Git.

use std::collections::BTreeMap;

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
pub fn parse_trailers(message: &str) -> BTreeMap<String, String> {
    let last = message.trim_end().rsplit("\n\n").next().unwrap_or_default();
    last.lines()
        .filter_map(|line| {
            let (key, value) = line.split_once(": ")?;
            let valid = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            valid.then(|| (key.to_owned(), value.trim().to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
