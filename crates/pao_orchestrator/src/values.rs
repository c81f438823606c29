//! Request values against the item's form, and what of them may be written to Git.
//!
//! [`validate_values`] is the single place the orchestrator checks values; it delegates to
//! `pao_form` (the validator the form preview mirrors), so the API, the CLI and the HTML preview
//! agree on what is valid.

use pao_form::FieldError;
use pao_schema::{FieldType, Form};
use serde_json::{Map, Value};

/// Checks values against a form. Returns the values to store (defaults applied, hidden and empty
/// optional fields left out, types normalised) or one error per invalid field.
///
/// # Errors
/// The invalid fields: unknown keys, missing required fields, wrong types, failed constraints.
pub fn validate_values(form: &Form, values: &Map<String, Value>) -> Result<Map<String, Value>, Vec<FieldError>> {
    let outcome = pao_form::validate_request(form, values);
    if outcome.valid { Ok(outcome.values) } else { Err(outcome.errors) }
}

/// Splits values into what may be written to Git and the ids of the fields left out: every
/// `password` field is removed (passwords and secrets are never written).
pub fn redact_values(form: &Form, values: &Map<String, Value>) -> (Map<String, Value>, Vec<String>) {
    let mut kept = Map::new();
    let mut redacted = Vec::new();
    for (key, value) in values {
        let secret = form.field(key).is_some_and(|field| field.field_type == FieldType::Password);
        if secret {
            redacted.push(key.clone());
        } else {
            kept.insert(key.clone(), value.clone());
        }
    }
    (kept, redacted)
}
