//! `presentation.form`: the request form, its fields, validation and conditional visibility.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// How the item is presented to requesters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Presentation {
    /// The request form.
    pub form: Form,
}

/// A request form: groups of fields, shown in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Form {
    /// Field groups, shown in order as sections of the form.
    pub groups: Vec<FormGroup>,
}

impl Form {
    /// Every field of every group, in form order.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.groups.iter().flat_map(|group| group.fields.iter())
    }

    /// The field with this id, if the form has one.
    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields().find(|field| field.id == id)
    }
}

/// A titled section of the form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FormGroup {
    /// Group id, unique within the form, e.g. `basic`.
    #[schemars(pattern(crate::patterns::FIELD_ID))]
    pub id: String,
    /// Section title, e.g. `Basic Configuration`.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Text shown under the section title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The fields of this section, in order.
    pub fields: Vec<Field>,
}

/// One input of the request form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Field {
    /// Field id, unique within the item; templates read it as `fields.<id>`. Lower camelCase,
    /// e.g. `instanceName`.
    #[schemars(pattern(crate::patterns::FIELD_ID))]
    pub id: String,
    /// Label shown next to the input.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Input type: `string`, `number`, `integer`, `boolean`, `select`, `multiselect`, `date`,
    /// `textarea` or `password`.
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// Whether a value must be given (only while the field is visible).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// Value used when the requester gives none; must match the field's type and options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    /// Example shown in an empty input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// Help text shown under the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Choices of a `select` or `multiselect` field: plain values, or `{ value, label }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<OptionEntry>>,
    /// Constraints on the value, with the message shown when one fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<Validation>,
    /// Show this field only when another, earlier field has a given value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional: Option<Conditional>,
}

/// Input types of form fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// Single-line text.
    String,
    /// Any number.
    Number,
    /// A whole number.
    Integer,
    /// A checkbox.
    Boolean,
    /// One of `options`.
    Select,
    /// Several of `options`.
    Multiselect,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// Multi-line text.
    Textarea,
    /// A secret typed by the requester; never written to Git or logs.
    Password,
}

impl FieldType {
    /// Every field type, in SPEC order.
    pub const ALL: [Self; 9] = [
        Self::String,
        Self::Number,
        Self::Integer,
        Self::Boolean,
        Self::Select,
        Self::Multiselect,
        Self::Date,
        Self::Textarea,
        Self::Password,
    ];

    /// The type as written in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Integer => "integer",
            Self::Boolean => "boolean",
            Self::Select => "select",
            Self::Multiselect => "multiselect",
            Self::Date => "date",
            Self::Textarea => "textarea",
            Self::Password => "password",
        }
    }

    /// Whether the field takes its values from `options`.
    pub fn has_options(self) -> bool {
        matches!(self, Self::Select | Self::Multiselect)
    }

    /// Whether the value is text (and so `pattern`, `minLength` and `maxLength` apply).
    pub fn is_text(self) -> bool {
        matches!(self, Self::String | Self::Textarea | Self::Password)
    }

    /// Whether the value is numeric (and so `min`, `max` and `step` apply as numbers).
    pub fn is_numeric(self) -> bool {
        matches!(self, Self::Number | Self::Integer)
    }
}

/// A choice of a `select` or `multiselect` field.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum OptionEntry {
    /// A value shown as its own label.
    Plain(Scalar),
    /// A value with a separate label.
    Labeled {
        /// The value submitted.
        value: Scalar,
        /// The text shown.
        label: String,
    },
}

impl OptionEntry {
    /// The value submitted when this option is chosen.
    pub fn value(&self) -> &Scalar {
        match self {
            Self::Plain(value) | Self::Labeled { value, .. } => value,
        }
    }

    /// The text shown for this option.
    pub fn label(&self) -> Cow<'_, str> {
        match self {
            Self::Plain(value) => value.to_text(),
            Self::Labeled { label, .. } => Cow::Borrowed(label),
        }
    }
}

/// A string, number or boolean.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Scalar {
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(serde_json::Number),
    /// Text.
    String(String),
}

impl Scalar {
    /// The value as text, as a form shows it.
    pub fn to_text(&self) -> Cow<'_, str> {
        match self {
            Self::Bool(b) => Cow::Owned(b.to_string()),
            Self::Number(n) => Cow::Owned(n.to_string()),
            Self::String(s) => Cow::Borrowed(s),
        }
    }

    /// The value as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Bool(b) => serde_json::Value::Bool(*b),
            Self::Number(n) => serde_json::Value::Number(n.clone()),
            Self::String(s) => serde_json::Value::String(s.clone()),
        }
    }
}

/// `{ value, label }` of a labelled option.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LabeledOption {
    value: Scalar,
    label: String,
}

/// Reads a plain value or a `{ value, label }` mapping, by what the input is: unlike
/// `#[serde(untagged)]`, no failed attempt (and its error message) is made first.
impl<'de> Deserialize<'de> for OptionEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = OptionEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a value, or a mapping with `value` and `label`")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<OptionEntry, E> {
                ScalarVisitor.visit_bool(v).map(OptionEntry::Plain)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<OptionEntry, E> {
                ScalarVisitor.visit_i64(v).map(OptionEntry::Plain)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<OptionEntry, E> {
                ScalarVisitor.visit_u64(v).map(OptionEntry::Plain)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<OptionEntry, E> {
                ScalarVisitor.visit_f64(v).map(OptionEntry::Plain)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OptionEntry, E> {
                ScalarVisitor.visit_str(v).map(OptionEntry::Plain)
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<OptionEntry, E> {
                ScalarVisitor.visit_string(v).map(OptionEntry::Plain)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<OptionEntry, A::Error> {
                let LabeledOption { value, label } =
                    LabeledOption::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(OptionEntry::Labeled { value, label })
            }
        }
        deserializer.deserialize_any(EntryVisitor)
    }
}

struct ScalarVisitor;

impl Visitor<'_> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string, number or boolean")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        serde_json::Number::from_f64(v).map(Scalar::Number).ok_or_else(|| E::custom("a number must be finite"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::String(v))
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

impl JsonSchema for Scalar {
    fn schema_name() -> Cow<'static, str> {
        "Scalar".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A string, number or boolean.",
            "type": ["string", "number", "boolean"]
        })
    }
}

/// Constraints on a field's value. Which keys apply depends on the field type: `pattern`,
/// `minLength`, `maxLength` for text; `min`, `max`, `step` for numbers; `min`, `max` (dates) for
/// dates; `minItems`, `maxItems` for multiselect.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Validation {
    /// Regular expression the whole value must match (ECMAScript syntax, anchored with `^...$`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Fewest characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u64>,
    /// Most characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    /// Smallest number, or earliest date (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Scalar>,
    /// Largest number, or latest date (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Scalar>,
    /// Numbers must be `min` plus a multiple of `step` (or a multiple of it without `min`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub step: Option<f64>,
    /// Fewest choices of a multiselect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_items: Option<u64>,
    /// Most choices of a multiselect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u64>,
    /// Message shown when the value breaks a constraint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Shows a field only while an earlier field meets a condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Conditional {
    /// Id of the field this one depends on; it must come earlier in the form.
    pub depends_on: String,
    /// How the other field's value is compared: `equals`, `notEquals`, `in`, `notIn`, `truthy`
    /// or `falsy`.
    pub condition: Condition,
    /// Value compared against; a list for `in` and `notIn`; unused by `truthy` and `falsy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
}

/// Comparison of a conditional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Condition {
    /// The other field equals `value`.
    Equals,
    /// The other field differs from `value`.
    NotEquals,
    /// The other field is one of the list `value`.
    In,
    /// The other field is none of the list `value`.
    NotIn,
    /// The other field is set, non-empty and not `false` or `0`.
    Truthy,
    /// The other field is unset, empty, `false` or `0`.
    Falsy,
}

impl Condition {
    /// The condition as written in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Equals => "equals",
            Self::NotEquals => "notEquals",
            Self::In => "in",
            Self::NotIn => "notIn",
            Self::Truthy => "truthy",
            Self::Falsy => "falsy",
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn options_read_plain_values_and_labelled_mappings() {
        let options: Vec<OptionEntry> =
            serde_json::from_value(json!(["16", 15, true, 2.5, { "value": "17", "label": "PostgreSQL 17" }])).unwrap();
        assert_eq!(options[0], OptionEntry::Plain(Scalar::String("16".into())));
        assert_eq!(options[1].value().to_json(), json!(15));
        assert_eq!(options[2].value(), &Scalar::Bool(true));
        assert_eq!(options[3].label(), "2.5");
        assert_eq!(options[4].label(), "PostgreSQL 17");
        assert_eq!(options[4].value().to_text(), "17");
    }

    #[test]
    fn options_reject_other_shapes() {
        assert!(serde_json::from_value::<OptionEntry>(json!(["a"])).is_err());
        assert!(serde_json::from_value::<OptionEntry>(json!(null)).is_err());
        let err = serde_json::from_value::<OptionEntry>(json!({ "value": 1, "label": "x", "extra": 2 })).unwrap_err();
        assert!(err.to_string().contains("extra"), "{err}");
        assert!(serde_json::from_value::<OptionEntry>(json!({ "label": "x" })).is_err());
    }
}
