//! A small, deterministic YAML writer for request files (block style, keys in the order given).
//!
//! Strings are written plain when that cannot change their meaning and as JSON-style
//! double-quoted scalars (valid YAML) otherwise, so every file reads back to the same JSON.

use serde_json::Value;

/// Writes a JSON value as a YAML document.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        scalar => {
            out.push_str(&scalar_text(scalar));
            out.push('\n');
        }
    }
    out
}

/// YAML limits an implicit (`key: value`) key to 1024 characters; longer keys are written as
/// explicit keys (`? key` then `: value`), with room to spare for the quotes.
const IMPLICIT_KEY_LIMIT: usize = 1000;

fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, indent: usize) {
    for (key, value) in map {
        out.push_str(&" ".repeat(indent));
        let key = string_text(key);
        if key.chars().count() > IMPLICIT_KEY_LIMIT {
            out.push_str("? ");
            out.push_str(&key);
            out.push('\n');
            out.push_str(&" ".repeat(indent));
        } else {
            out.push_str(&key);
        }
        out.push(':');
        write_child(out, value, indent);
    }
}

fn write_seq(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match item {
            Value::Object(map) if !map.is_empty() => {
                // First key on the dash line, the others aligned under it.
                let mut inner = String::new();
                write_map(&mut inner, map, indent + 2);
                out.push(' ');
                out.push_str(&inner[indent + 2..]);
            }
            other => write_child(out, other, indent),
        }
    }
}

fn write_child(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, indent + 2);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, items, indent + 2);
        }
        scalar => {
            out.push(' ');
            out.push_str(&scalar_text(scalar));
            out.push('\n');
        }
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string_text(s),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

fn string_text(s: &str) -> String {
    if is_plain_safe(s) { s.to_owned() } else { Value::String(s.to_owned()).to_string() }
}

fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else { return false };
    let reserved = ["true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"];
    first.is_ascii_alphanumeric()
        && !s.ends_with(' ')
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.' | '/' | '@' | '+' | '(' | ')' | ',')
        })
        && !s.contains(" #")
        && !reserved.contains(&s.to_ascii_lowercase().as_str())
        && !looks_numeric(s)
}

fn looks_numeric(s: &str) -> bool {
    s.parse::<f64>().is_ok()
        || s.starts_with("0x")
        || s.starts_with("0o")
        || s.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '_' | ':' | 'e' | 'E' | '+'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Fuzz finding (`request` target): a key longer than YAML's 1024-character limit for
    /// implicit keys (here 1,500 control characters, six characters each when escaped) was
    /// written as `key: value` and did not read back.
    #[test]
    fn long_keys_are_written_as_explicit_keys() {
        let long = format!("e{}alues", "\u{1e}".repeat(250));
        let plain = "k".repeat(1500);
        let value = json!({
            "values": { &long: null, "short": 1, &plain: { "nested": [1, { &long: "x", "after": true }] } },
            "list": [{ &plain: "first key on the dash line" }],
        });
        let text = to_yaml(&value);
        assert!(text.contains("\n  ? \"e\\u001e"), "{text}");
        let parsed = pao_source::parse_yaml(&text);
        assert!(parsed.errors.is_empty(), "{text}\n{:?}", parsed.errors);
        assert_eq!(parsed.root.expect("a tree").to_json(), value, "{text}");
    }

    /// Fuzz finding (`request` target): `u64` values above `i64::MAX` read back as floats.
    #[test]
    fn numbers_at_the_limits_read_back_exactly() {
        let value = json!({
            "max": u64::MAX, "above_i64": 9_223_372_036_854_775_808_u64, "min": i64::MIN,
            "float": 1.844_674_407_370_955_2e19, "tiny": 5e-324, "whole": 2.0,
        });
        let text = to_yaml(&value);
        let parsed = pao_source::parse_yaml(&text);
        assert!(parsed.errors.is_empty(), "{text}\n{:?}", parsed.errors);
        assert_eq!(parsed.root.expect("a tree").to_json(), value, "{text}");
    }

    #[test]
    fn round_trips_through_the_yaml_parser() {
        let value = json!({
            "apiVersion": "pao/v1",
            "plain": "orders-db",
            "tricky": ["true", "1.0", "", " lead", "a: b", "x #y", "multi\nline", "{{ fields.x }}", "16", "2026-01-01"],
            "nested": { "list": [{ "id": "a", "n": 1, "deep": { "k": [1, 2] } }, [true, null]], "empty": {}, "none": [] },
            "unicode": "naïve ü",
        });
        let text = to_yaml(&value);
        let parsed = pao_source::parse_yaml(&text);
        assert!(parsed.errors.is_empty(), "{text}\n{:?}", parsed.errors);
        assert_eq!(parsed.root.unwrap().to_json(), value, "{text}");
    }
}
