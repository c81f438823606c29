//! The YAML node tree: values with the byte ranges they were read from.

use std::ops::Range;

/// A YAML value and the bytes it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Byte range of the value in the file (for a quoted scalar, with its quotes).
    pub span: Range<usize>,
}

/// A YAML value, resolved with the YAML 1.2 core schema (`yes` is a string, `1.0` a float).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~` or nothing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits `i64`.
    Int(i64),
    /// An integer above `i64::MAX` that fits `u64` (JSON and serde read it as one too).
    UInt(u64),
    /// Any other number.
    Float(f64),
    /// Text.
    String(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in file order, without duplicate keys.
    Map(Vec<Entry>),
}

/// One key/value pair of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key, as text (YAML keys that are numbers or booleans are written as text).
    pub key: String,
    /// Byte range of the key.
    pub key_span: Range<usize>,
    /// The value.
    pub value: Node,
}

impl Node {
    /// The value of `key`, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    /// The entry of `key`, if this is a mapping that has it.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|entry| entry.key == key),
            _ => None,
        }
    }

    /// The mapping's entries, or none.
    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// The sequence's items, or none.
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// The text, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The node a JSON Pointer (`/metadata/owner/team`, `/fulfillment/manual/actions/0`) names.
    pub fn pointer(&self, pointer: &str) -> Option<&Node> {
        self.walk(pointer).map(|(node, _)| node)
    }

    /// The byte range of the key a JSON Pointer ends in, or of the item for a sequence index,
    /// or of the whole document for the empty pointer. This is where a diagnostic about a key
    /// (unknown, duplicated, misspelled) points.
    pub fn key_span(&self, pointer: &str) -> Option<Range<usize>> {
        self.walk(pointer).map(|(node, key)| key.unwrap_or_else(|| node.span.clone()))
    }

    /// Follows a JSON Pointer; returns the node and, if the last step was a mapping key, its span.
    fn walk(&self, pointer: &str) -> Option<(&Node, Option<Range<usize>>)> {
        let mut node = self;
        let mut key_span = None;
        if pointer.is_empty() {
            return Some((node, None));
        }
        for raw in pointer.strip_prefix('/')?.split('/') {
            let segment: std::borrow::Cow<'_, str> =
                if raw.contains('~') { raw.replace("~1", "/").replace("~0", "~").into() } else { raw.into() };
            match &node.value {
                Value::Map(entries) => {
                    let entry = entries.iter().find(|entry| entry.key == *segment)?;
                    key_span = Some(entry.key_span.clone());
                    node = &entry.value;
                }
                Value::Seq(items) => {
                    node = items.get(segment.parse::<usize>().ok()?)?;
                    key_span = None;
                }
                _ => return None,
            }
        }
        Some((node, key_span))
    }

    /// Counts this node and all nodes below it.
    pub fn count(&self) -> usize {
        let mut total = 0;
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            total += 1;
            match &node.value {
                Value::Seq(items) => stack.extend(items),
                Value::Map(entries) => stack.extend(entries.iter().map(|entry| &entry.value)),
                _ => {}
            }
        }
        total
    }

    /// The value as JSON. Floats JSON cannot hold (`.inf`, `.nan`) become strings, so the schema
    /// reports them as the wrong type. Schema validation (`json`, feature `jsonschema`) and
    /// typed deserialisation ([`crate::de`]) read the tree as this value without building it.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::UInt(u) => J::from(*u),
            Value::Float(f) => {
                serde_json::Number::from_f64(*f).map_or_else(|| J::String(non_finite_text(*f).into()), J::Number)
            }
            Value::String(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => {
                J::Object(entries.iter().map(|entry| (entry.key.clone(), entry.value.to_json())).collect())
            }
        }
    }
}

/// The text a float JSON cannot hold (`.inf`, `-.inf`, `.nan`) stands for in JSON: what Rust
/// prints for it.
pub(crate) fn non_finite_text(f: f64) -> &'static str {
    if f.is_nan() {
        "NaN"
    } else if f > 0.0 {
        "inf"
    } else {
        "-inf"
    }
}

#[cfg(test)]
mod tests {
    use super::non_finite_text;

    #[test]
    fn non_finite_text_is_what_rust_prints() {
        for f in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN, -f64::NAN] {
            assert_eq!(non_finite_text(f), f.to_string());
        }
    }
}
