//! Form posts to request values.
//!
//! With its script, the item page sends the typed values as JSON in the `values` input (the
//! same values `pao form preview` shows). Without it, the fields arrive as the browser encodes
//! them and are typed here from the form description: option indices become the option values,
//! numbers become numbers, a checkbox is `true` when present. The API validates either way.

use pao_form::{Component, FormDescription};
use serde_json::{Map, Value};

/// The request values a form post carries.
pub(crate) fn values(form: &[(String, String)], description: Option<&FormDescription>) -> Map<String, Value> {
    let posted = form.iter().find(|(k, _)| k == "values").map_or("", |(_, v)| v.as_str());
    if let Ok(Value::Object(values)) = serde_json::from_str::<Value>(posted) {
        return values;
    }
    let mut values = Map::new();
    let Some(description) = description else { return values };
    for field in description.fields() {
        let given: Vec<&str> = form.iter().filter(|(k, _)| *k == field.id).map(|(_, v)| v.as_str()).collect();
        let option = |index: &str| {
            index
                .parse::<usize>()
                .ok()
                .and_then(|i| field.options.as_deref().and_then(|options| options.get(i)))
                .map(|o| o.value.clone())
        };
        let value = match field.component {
            Component::Checkbox => Some(Value::Bool(!given.is_empty())),
            Component::MultiDropdown => Some(Value::Array(given.iter().filter_map(|i| option(i)).collect())),
            Component::Dropdown => given.first().filter(|v| !v.is_empty()).and_then(|i| option(i)),
            Component::NumberInput => given.first().filter(|v| !v.is_empty()).map(|text| {
                text.parse::<i64>()
                    .map(Value::from)
                    .or_else(|_| text.parse::<f64>().map(Value::from))
                    .unwrap_or_else(|_| Value::from(*text))
            }),
            _ => given.first().filter(|v| !v.is_empty()).map(|text| Value::from(*text)),
        };
        if let Some(value) = value {
            values.insert(field.id.clone(), value);
        }
    }
    values
}
