//! Typed values read straight from the node tree: `&Node` is a serde [`Deserializer`].
//!
//! It reads a node exactly as `serde_json::from_value(node.to_json())` would, without building the
//! JSON value: the same visitor calls (an integer from 0 up is visited as a `u64`, a negative one
//! as an `i64`, a float JSON cannot hold as its text), the same checks, and `serde_json::Error` as
//! the error type, so a message reads the same whichever way a document was read.
//!
//! ```
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct Metadata {
//!     id: String,
//!     tags: Vec<String>,
//! }
//!
//! let root = pao_source::parse_yaml("id: pg\ntags: [db, sql]\n").root.unwrap();
//! let metadata = Metadata::deserialize(&root)?;
//! assert_eq!(metadata.tags, ["db", "sql"]);
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::slice;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess, Unexpected, VariantAccess,
    Visitor,
};
use serde_json::Error;

use crate::node::non_finite_text;
use crate::{Entry, Node, Value};

/// Reads a `T` from a node, as `serde_json::from_value(node.to_json())` would.
///
/// # Errors
/// When the node does not fit `T`; the message is serde_json's.
pub fn from_node<'de, T: de::Deserialize<'de>>(node: &'de Node) -> Result<T, Error> {
    T::deserialize(node)
}

/// A node as the JSON value [`Node::to_json`] makes of it, without building that value.
#[derive(Clone, Copy)]
enum Json<'de> {
    Null,
    Bool(bool),
    /// A `serde_json::Number` that is a `PosInt`.
    PosInt(u64),
    /// A `serde_json::Number` that is a `NegInt`.
    NegInt(i64),
    Float(f64),
    Str(&'de str),
    Array(&'de [Node]),
    Object(&'de [Entry]),
}

impl<'de> Json<'de> {
    fn of(node: &'de Node) -> Self {
        match &node.value {
            Value::Null => Self::Null,
            Value::Bool(b) => Self::Bool(*b),
            Value::Int(i) => u64::try_from(*i).map_or(Self::NegInt(*i), Self::PosInt),
            Value::UInt(u) => Self::PosInt(*u),
            Value::Float(f) if f.is_finite() => Self::Float(*f),
            Value::Float(f) => Self::Str(non_finite_text(*f)),
            Value::String(s) => Self::Str(s),
            Value::Seq(items) => Self::Array(items),
            Value::Map(entries) => Self::Object(entries),
        }
    }

    /// What serde_json's `Value::unexpected` says of the value.
    fn unexpected(self) -> Unexpected<'de> {
        match self {
            Self::Null => Unexpected::Unit,
            Self::Bool(b) => Unexpected::Bool(b),
            Self::PosInt(u) => Unexpected::Unsigned(u),
            Self::NegInt(i) => Unexpected::Signed(i),
            Self::Float(f) => Unexpected::Float(f),
            Self::Str(s) => Unexpected::Str(s),
            Self::Array(_) => Unexpected::Seq,
            Self::Object(_) => Unexpected::Map,
        }
    }

    fn invalid_type(self, expected: &dyn de::Expected) -> Error {
        de::Error::invalid_type(self.unexpected(), expected)
    }
}

/// A number read as serde_json reads a `Number`.
fn visit_number<'de, V: Visitor<'de>>(json: Json<'de>, visitor: V) -> Result<V::Value, Error> {
    match json {
        Json::PosInt(u) => visitor.visit_u64(u),
        Json::NegInt(i) => visitor.visit_i64(i),
        Json::Float(f) => visitor.visit_f64(f),
        other => Err(other.invalid_type(&visitor)),
    }
}

fn visit_array<'de, V: Visitor<'de>>(items: &'de [Node], visitor: V) -> Result<V::Value, Error> {
    let mut access = Items(items.iter());
    let value = visitor.visit_seq(&mut access)?;
    if access.0.len() == 0 {
        Ok(value)
    } else {
        Err(de::Error::invalid_length(items.len(), &"fewer elements in array"))
    }
}

fn visit_object<'de, V: Visitor<'de>>(entries: &'de [Entry], visitor: V) -> Result<V::Value, Error> {
    let mut access = Entries { entries: entries.iter(), value: None };
    let value = visitor.visit_map(&mut access)?;
    if access.entries.len() == 0 {
        Ok(value)
    } else {
        Err(de::Error::invalid_length(entries.len(), &"fewer elements in map"))
    }
}

macro_rules! deserialize_number {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visit_number(Json::of(self), visitor)
        }
    )*};
}

impl<'de> Deserializer<'de> for &'de Node {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match Json::of(self) {
            Json::Null => visitor.visit_unit(),
            Json::Bool(b) => visitor.visit_bool(b),
            number @ (Json::PosInt(_) | Json::NegInt(_) | Json::Float(_)) => visit_number(number, visitor),
            Json::Str(s) => visitor.visit_borrowed_str(s),
            Json::Array(items) => visit_array(items, visitor),
            Json::Object(entries) => visit_object(entries, visitor),
        }
    }

    deserialize_number!(
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64
    );

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    /// An enum is its variant's name, or a mapping of one key, the variant, to its content.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match Json::of(self) {
            Json::Object([entry]) => visitor.visit_enum(Variant { name: &entry.key, value: Some(&entry.value) }),
            Json::Object(_) => Err(de::Error::invalid_value(Unexpected::Map, &"map with a single key")),
            Json::Str(name) => visitor.visit_enum(Variant { name, value: None }),
            other => Err(de::Error::invalid_type(other.unexpected(), &"string or map")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match Json::of(self) {
            Json::Bool(b) => visitor.visit_bool(b),
            other => Err(other.invalid_type(&visitor)),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match Json::of(self) {
            Json::Str(s) => visitor.visit_borrowed_str(s),
            other => Err(other.invalid_type(&visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match Json::of(self) {
            Json::Str(s) => visitor.visit_borrowed_str(s),
            Json::Array(items) => visit_array(items, visitor),
            other => Err(other.invalid_type(&visitor)),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match Json::of(self) {
            Json::Null => visitor.visit_unit(),
            other => Err(other.invalid_type(&visitor)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match Json::of(self) {
            Json::Array(items) => visit_array(items, visitor),
            other => Err(other.invalid_type(&visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match Json::of(self) {
            Json::Object(entries) => visit_object(entries, visitor),
            other => Err(other.invalid_type(&visitor)),
        }
    }

    /// A struct is a mapping, or (as serde_json allows) a sequence of its fields in order.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match Json::of(self) {
            Json::Array(items) => visit_array(items, visitor),
            Json::Object(entries) => visit_object(entries, visitor),
            other => Err(other.invalid_type(&visitor)),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

impl<'de> IntoDeserializer<'de, Error> for &'de Node {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

/// A sequence's items.
struct Items<'de>(slice::Iter<'de, Node>);

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        self.0.next().map(|item| seed.deserialize(item)).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// A mapping's entries; `value` is the one whose key was read last.
struct Entries<'de> {
    entries: slice::Iter<'de, Entry>,
    value: Option<&'de Node>,
}

impl<'de> MapAccess<'de> for Entries<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let Some(entry) = self.entries.next() else { return Ok(None) };
        self.value = Some(&entry.value);
        seed.deserialize(Key(&entry.key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(value),
            None => Err(de::Error::custom("value is missing")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// A mapping key: text, read as a number or a boolean when that is what is asked for, as
/// serde_json reads the keys of a JSON object.
struct Key<'de>(&'de str);

/// serde_json's message for a key that is not the number asked for.
fn expected_numeric_key() -> Error {
    de::Error::custom("invalid value: expected key to be a number in quotes")
}

macro_rules! deserialize_numeric_key {
    ($($method:ident)*) => {$(
        /// The key's text read as a JSON number, as serde_json does: it must start like one
        /// and hold nothing after it.
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            let json_space = |c: char| matches!(c, ' ' | '\n' | '\t' | '\r');
            if !self.0.starts_with(|c: char| c.is_ascii_digit() || c == '-') || self.0.ends_with(json_space) {
                return Err(expected_numeric_key());
            }
            let mut text = serde_json::Deserializer::from_str(self.0);
            let number = (&mut text).$method(visitor)?;
            text.end().map_err(|_| expected_numeric_key())?;
            Ok(number)
        }
    )*};
}

impl<'de> Deserializer<'de> for Key<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_borrowed_str(self.0)
    }

    deserialize_numeric_key!(
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64
    );

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            other => Err(de::Error::invalid_type(Unexpected::Str(other), &visitor)),
        }
    }

    /// A key is never null.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        IntoDeserializer::<Error>::into_deserializer(self.0).deserialize_enum(name, variants, visitor)
    }

    serde::forward_to_deserialize_any! {
        char str string bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// An enum's variant, by name, with its content when written as `{ variant: content }`.
struct Variant<'de> {
    name: &'de str,
    value: Option<&'de Node>,
}

impl<'de> EnumAccess<'de> for Variant<'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let name = seed.deserialize(IntoDeserializer::<Error>::into_deserializer(self.name))?;
        Ok((name, self))
    }
}

impl<'de> VariantAccess<'de> for Variant<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.value {
            Some(value) => de::Deserialize::deserialize(value),
            None => Ok(()),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        match self.value {
            Some(value) => seed.deserialize(value),
            None => Err(de::Error::invalid_type(Unexpected::UnitVariant, &"newtype variant")),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        match self.value.map(Json::of) {
            Some(Json::Array([])) => visitor.visit_unit(),
            Some(Json::Array(items)) => visit_array(items, visitor),
            Some(other) => Err(de::Error::invalid_type(other.unexpected(), &"tuple variant")),
            None => Err(de::Error::invalid_type(Unexpected::UnitVariant, &"tuple variant")),
        }
    }

    fn struct_variant<V: Visitor<'de>>(self, _fields: &'static [&'static str], visitor: V) -> Result<V::Value, Error> {
        match self.value.map(Json::of) {
            Some(Json::Object(entries)) => visit_object(entries, visitor),
            Some(other) => Err(de::Error::invalid_type(other.unexpected(), &"struct variant")),
            None => Err(de::Error::invalid_type(Unexpected::UnitVariant, &"struct variant")),
        }
    }
}
