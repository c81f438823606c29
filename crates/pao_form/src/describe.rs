//! The form description: what `pao form preview --format json` and `POST /api/v1/preview/form`
//! return, and what the HTML preview embeds. It is the catalog's `presentation.form` made ready
//! for a renderer: every field names the UI component to draw, options are always
//! `{ value, label }`, and `required`/`default` are always present.
//!
//! Struct field order is the JSON key order, so snapshots and API responses are stable.

use pao_schema::{CatalogBundle, CatalogDocument, CatalogItem, Condition, Field, FieldType, Form};
use serde::{Deserialize, Serialize};

/// Where clients send values to be checked (SPEC section 7, `POST /validate/request`).
pub const VALIDATION_ENDPOINT: &str = "/api/v1/validate/request";

/// A request form, ready to render.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FormDescription {
    /// The catalog item (or bundle) id, e.g. `postgresql-standard`.
    pub catalog_item_id: String,
    /// The item's SemVer version.
    pub version: String,
    /// The item's display name.
    pub name: String,
    /// The item's description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where a client posts the values to have them checked: always [`VALIDATION_ENDPOINT`].
    pub validation_endpoint: String,
    /// The form itself.
    pub form: FormView,
}

/// The groups of a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FormView {
    /// Sections, in order.
    pub groups: Vec<GroupView>,
}

/// One titled section of the form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupView {
    /// Group id.
    pub id: String,
    /// Section title.
    pub name: String,
    /// Text under the title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Fields, in order.
    pub fields: Vec<FieldView>,
}

/// One input, with the component a UI draws for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldView {
    /// Field id; the key of its value in a request.
    pub id: String,
    /// Label.
    pub name: String,
    /// UI component to draw.
    pub component: Component,
    /// Catalog field type.
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// Whether a value is needed while the field is visible.
    pub required: bool,
    /// Value used when none is given; `null` when the field has none.
    pub default: serde_json::Value,
    /// Example shown in the empty input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// Help text under the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Choices, for `select` and `multiselect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<OptionView>>,
    /// Constraints and the message shown when one fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<pao_schema::Validation>,
    /// When the field is shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional: Option<ConditionalView>,
}

/// A choice, always with both value and label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OptionView {
    /// Value submitted.
    pub value: serde_json::Value,
    /// Text shown.
    pub label: String,
}

/// Visibility rule of a field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionalView {
    /// Field whose value decides.
    pub depends_on: String,
    /// Comparison.
    pub condition: Condition,
    /// Compared value; `null` for `truthy` and `falsy`.
    pub value: serde_json::Value,
}

/// The UI component for a field type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Component {
    /// One-line text input (`string`).
    TextInput,
    /// Numeric input (`number`, `integer`).
    NumberInput,
    /// Checkbox (`boolean`).
    Checkbox,
    /// Single choice (`select`).
    Dropdown,
    /// Several choices (`multiselect`).
    MultiDropdown,
    /// Date picker (`date`).
    DatePicker,
    /// Multi-line text (`textarea`).
    Textarea,
    /// Masked text (`password`).
    PasswordInput,
}

impl Component {
    /// The component for a field type.
    pub fn for_type(field_type: FieldType) -> Self {
        match field_type {
            FieldType::String => Self::TextInput,
            FieldType::Number | FieldType::Integer => Self::NumberInput,
            FieldType::Boolean => Self::Checkbox,
            FieldType::Select => Self::Dropdown,
            FieldType::Multiselect => Self::MultiDropdown,
            FieldType::Date => Self::DatePicker,
            FieldType::Textarea => Self::Textarea,
            FieldType::Password => Self::PasswordInput,
        }
    }

    /// The component's name as serialised, e.g. `text-input`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TextInput => "text-input",
            Self::NumberInput => "number-input",
            Self::Checkbox => "checkbox",
            Self::Dropdown => "dropdown",
            Self::MultiDropdown => "multi-dropdown",
            Self::DatePicker => "date-picker",
            Self::Textarea => "textarea",
            Self::PasswordInput => "password-input",
        }
    }
}

impl FormDescription {
    /// Describes a form under the given identity.
    pub fn new(catalog_item_id: &str, version: &str, name: &str, description: Option<&str>, form: &Form) -> Self {
        Self {
            catalog_item_id: catalog_item_id.to_owned(),
            version: version.to_owned(),
            name: name.to_owned(),
            description: description.map(str::to_owned),
            validation_endpoint: VALIDATION_ENDPOINT.to_owned(),
            form: FormView {
                groups: form
                    .groups
                    .iter()
                    .map(|group| GroupView {
                        id: group.id.clone(),
                        name: group.name.clone(),
                        description: group.description.clone(),
                        fields: group.fields.iter().map(FieldView::from_field).collect(),
                    })
                    .collect(),
            },
        }
    }

    /// Describes a catalog item's form.
    pub fn from_item(item: &CatalogItem) -> Self {
        let meta = &item.metadata;
        Self::new(&meta.id, &meta.version, &meta.name, Some(&meta.description), &item.presentation.form)
    }

    /// Describes a bundle's own form (empty when the bundle has none).
    pub fn from_bundle(bundle: &CatalogBundle) -> Self {
        let meta = &bundle.metadata;
        let empty = Form { groups: Vec::new() };
        let form = bundle.presentation.as_ref().map_or(&empty, |p| &p.form);
        Self::new(&meta.id, &meta.version, &meta.name, Some(&meta.description), form)
    }

    /// Describes any catalog document's form.
    pub fn from_document(document: &CatalogDocument) -> Self {
        match document {
            CatalogDocument::Item(item) => Self::from_item(item),
            CatalogDocument::Bundle(bundle) => Self::from_bundle(bundle),
        }
    }

    /// Every field, in form order.
    pub fn fields(&self) -> impl Iterator<Item = &FieldView> {
        self.form.groups.iter().flat_map(|group| group.fields.iter())
    }

    /// The values with every non-empty value of a `password` field replaced by `"***"`, for
    /// anything shown, logged or stored.
    pub fn mask_passwords(
        &self,
        values: &serde_json::Map<String, serde_json::Value>,
    ) -> serde_json::Map<String, serde_json::Value> {
        values
            .iter()
            .map(|(key, value)| {
                let password = self.fields().any(|f| f.id == *key && f.field_type == FieldType::Password);
                let blank = value.is_null() || value.as_str() == Some("");
                let shown = if password && !blank { serde_json::Value::from("***") } else { value.clone() };
                (key.clone(), shown)
            })
            .collect()
    }
}

impl FieldView {
    /// Describes one catalog field.
    pub fn from_field(field: &Field) -> Self {
        Self {
            id: field.id.clone(),
            name: field.name.clone(),
            component: Component::for_type(field.field_type),
            field_type: field.field_type,
            required: field.required,
            default: field.default.clone().unwrap_or(serde_json::Value::Null),
            placeholder: field.placeholder.clone(),
            help: field.help.clone(),
            options: field.options.as_ref().map(|options| {
                options
                    .iter()
                    .map(|option| OptionView { value: option.value().to_json(), label: option.label().into_owned() })
                    .collect()
            }),
            validation: field.validation.clone(),
            conditional: field.conditional.as_ref().map(|c| ConditionalView {
                depends_on: c.depends_on.clone(),
                condition: c.condition,
                value: c.value.clone().unwrap_or(serde_json::Value::Null),
            }),
        }
    }
}
