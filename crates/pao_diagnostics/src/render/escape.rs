//! Control characters from file names and YAML never reach a terminal or a CI log raw: an
//! `ESC [` from a hostile key could recolour, hide or rewrite what the reader sees. Every
//! renderer passes text through here.
//!
//! - [`escape_text`] for messages, help and file names: each control character (C0 except the
//!   line break and tab kept where asked, DEL, C1) becomes `\u{…}`, as Rust's `escape_debug`
//!   writes it.
//! - [`mask_source`] for snippet text, where byte offsets must stay put: each control character
//!   (but tab, line feed and carriage return) becomes as many `?` as it has bytes.
//! - [`escape_json_c1`] for JSON text: serde already escapes C0 and DEL is harmless there, but C1
//!   characters (such as U+009B, a terminal's CSI) are written raw; they become `\u009b`, which is
//!   the same JSON string.

use std::borrow::Cow;

fn is_control(c: char) -> bool {
    c.is_control()
}

/// `text` with its control characters escaped; `keep_newlines` keeps `\n` and `\t` (multi-line
/// help), otherwise they are escaped too (file names).
pub fn escape_text(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let escape = |c: char| is_control(c) && !(keep_newlines && (c == '\n' || c == '\t'));
    if !text.chars().any(escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if escape(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Snippet text with control characters replaced byte for byte, so spans still fit.
pub fn mask_source(text: &str) -> Cow<'_, str> {
    let mask = |c: char| is_control(c) && !matches!(c, '\t' | '\n' | '\r');
    if !text.chars().any(mask) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if mask(c) {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// JSON text with C1 control characters written as `\u00XX` escapes.
pub fn escape_json_c1(json: String) -> String {
    if !json.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if ('\u{80}'..='\u{9f}').contains(&c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_keeps_offsets_in_sources() {
        assert_eq!(escape_text("a\u{1b}[31mb", true), "a\\u{1b}[31mb");
        assert_eq!(escape_text("a\nb\tc", true), "a\nb\tc");
        assert_eq!(escape_text("a\nb", false), "a\\u{a}b");
        assert_eq!(escape_text("x\u{9b}y\u{7f}", false), "x\\u{9b}y\\u{7f}");
        assert!(matches!(escape_text("plain é", false), Cow::Borrowed(_)));
        let masked = mask_source("k\u{1b}: \u{9b}v\r\n");
        assert_eq!(masked, "k?: ??v\r\n");
        assert_eq!(masked.len(), "k\u{1b}: \u{9b}v\r\n".len());
        assert_eq!(escape_json_c1("\"a\u{9b}b\"".to_owned()), "\"a\\u009bb\"");
        let back: String = serde_json::from_str(&escape_json_c1("\"a\u{9b}b\"".to_owned())).unwrap();
        assert_eq!(back, "a\u{9b}b");
    }
}
