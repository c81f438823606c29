//! The node tree as an instance representation of the `jsonschema` validator, so a document is
//! validated where it is, without building a `serde_json::Value` for it first.
//!
//! Build a validator with `jsonschema::options_for::<NodeJson>()` and pass it `&Node`s. The
//! validator sees exactly the JSON value [`Node::to_json`] makes: mapping keys in file order,
//! integers and floats as numbers, and floats JSON cannot hold (`.inf`, `.nan`) as text, so the
//! schema reports them as the wrong type. Errors carry their instance as `to_json` builds it; only
//! invalid documents pay for that.

use std::borrow::Cow;
use std::ops::Range;

use jsonschema::json::{Array, Json, Node as JsonNode, NodeIdentity, Object, cmp};
use jsonschema::types::JsonType;

use crate::node::non_finite_text;
use crate::{Entry, Node, Value};

/// The `jsonschema` representation whose nodes are `&pao_source::Node`s.
#[derive(Debug, Clone, Copy)]
pub struct NodeJson;

impl Json for NodeJson {
    type Node<'a> = &'a Node;
    type PreparedKey = String;
    type StringBuffer = Option<Node>;

    /// A key lookup scans the entries in order, as a members pass does; a pass that looks for
    /// several keys at once may take a few keys per lookup it replaces.
    const KEYS_PER_LOOKUP: usize = 4;
    /// Aliases are expanded into copies, so the tree has no cycles.
    const ACYCLIC: bool = true;

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>(buffer: &mut Option<Node>, string: &str, f: impl FnOnce(&Node) -> T) -> T {
        const NO_SPAN: Range<usize> = 0..0;
        let node = buffer.get_or_insert_with(|| Node { value: Value::String(String::new()), span: NO_SPAN });
        match &mut node.value {
            Value::String(text) => {
                text.clear();
                text.push_str(string);
            }
            other => *other = Value::String(string.to_owned()),
        }
        f(node)
    }
}

/// The text the validator sees for a node, if it sees text.
fn text(node: &Node) -> Option<&str> {
    match &node.value {
        Value::String(s) => Some(s),
        Value::Float(f) if !f.is_finite() => Some(non_finite_text(*f)),
        _ => None,
    }
}

impl<'a> JsonNode<'a, NodeJson> for &'a Node {
    type Object = &'a [Entry];
    type Array = &'a [Node];
    type Number = serde_json::Number;

    fn as_object(&self) -> Option<&'a [Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<&'a [Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        text(self).map(Cow::Borrowed)
    }

    fn as_number(&self) -> Option<serde_json::Number> {
        match self.value {
            Value::Int(i) => Some(i.into()),
            Value::UInt(u) => Some(u.into()),
            Value::Float(f) => serde_json::Number::from_f64(f),
            _ => None,
        }
    }

    fn is_number(&self) -> bool {
        match self.value {
            Value::Int(_) | Value::UInt(_) => true,
            Value::Float(f) => f.is_finite(),
            _ => false,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    fn json_type(&self) -> JsonType {
        match &self.value {
            Value::Null => JsonType::Null,
            Value::Bool(_) => JsonType::Boolean,
            Value::Int(_) | Value::UInt(_) => JsonType::Number,
            Value::Float(f) if f.is_finite() => JsonType::Number,
            Value::Float(_) | Value::String(_) => JsonType::String,
            Value::Seq(_) => JsonType::Array,
            Value::Map(_) => JsonType::Object,
        }
    }

    /// Whether the length in code points lies in `min..=max`, from the byte length when that
    /// decides it: a code point takes one to four bytes.
    fn string_length_within(&self, min: u64, max: u64) -> Option<bool> {
        let text = text(self)?;
        let bytes = text.len() as u64;
        if bytes < min || bytes.div_ceil(4) > max {
            return Some(false);
        }
        if min <= bytes.div_ceil(4) && bytes <= max {
            return Some(true);
        }
        Some((min..=max).contains(&(text.chars().count() as u64)))
    }

    /// JSON Schema equality (`jsonschema::json::cmp::equal`) with `to_json`'s value, without
    /// building it.
    fn equals_value(&self, expected: &serde_json::Value) -> bool {
        use serde_json::Value as J;
        match (&self.value, expected) {
            (Value::Null, J::Null) => true,
            (Value::Bool(b), J::Bool(e)) => b == e,
            (Value::Int(_) | Value::UInt(_) | Value::Float(_), J::Number(e)) => {
                self.as_number().is_some_and(|number| cmp::equal_numbers(&number, e))
            }
            (Value::String(_) | Value::Float(_), J::String(e)) => text(self) == Some(e.as_str()),
            (Value::Seq(items), J::Array(e)) => {
                items.len() == e.len() && items.iter().zip(e).all(|(item, e)| item.equals_value(e))
            }
            (Value::Map(entries), J::Object(e)) => {
                // Keys are unique on both sides, so equal lengths and every key found is equality.
                entries.len() == e.len()
                    && entries.iter().all(|entry| e.get(&entry.key).is_some_and(|v| (&entry.value).equals_value(v)))
            }
            _ => false,
        }
    }

    fn to_value(&self) -> Cow<'a, serde_json::Value> {
        Cow::Owned(self.to_json())
    }

    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::new(std::ptr::from_ref::<Node>(*self) as usize))
    }
}

impl<'a> Object<'a, NodeJson> for &'a [Entry] {
    type Node = &'a Node;
    type MemberName = &'a str;
    type MembersIter = Members<'a>;

    fn len(&self) -> usize {
        <[Entry]>::len(self)
    }

    fn get(&self, key: &String) -> Option<&'a Node> {
        self.iter().find(|entry| entry.key == *key).map(|entry| &entry.value)
    }

    fn members(&self) -> Members<'a> {
        Members(self.iter())
    }
}

/// A mapping's keys and values, in file order.
#[derive(Debug, Clone)]
pub struct Members<'a>(std::slice::Iter<'a, Entry>);

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, &'a Node);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|entry| (entry.key.as_str(), &entry.value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<'a> Array<'a, NodeJson> for &'a [Node] {
    type Node = &'a Node;
    type ElementsIter = std::slice::Iter<'a, Node>;

    fn len(&self) -> usize {
        <[Node]>::len(self)
    }

    fn elements(&self) -> std::slice::Iter<'a, Node> {
        self.iter()
    }
}
