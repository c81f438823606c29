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
        // Any field with this id: a duplicate id (PAO307) never lets a password through.
        let secret = form.fields().any(|field| field.id == *key && field.field_type == FieldType::Password);
        if secret {
            redacted.push(key.clone());
        } else {
            kept.insert(key.clone(), value.clone());
        }
    }
    (kept, redacted)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A password under a field id used twice (PAO307) is redacted although the first field
    /// with the id is plain text.
    #[test]
    fn a_password_under_a_duplicate_id_is_redacted() {
        let form: Form = serde_json::from_str(
            r#"{"groups": [{"id": "g", "name": "G", "fields": [
                {"id": "token", "name": "Label", "type": "string"},
                {"id": "token", "name": "Token", "type": "password"}]}]}"#,
        )
        .expect("form");
        let values: Map<String, Value> = serde_json::from_str(r#"{"token": "s3cret", "other": 1}"#).unwrap();
        let (kept, redacted) = redact_values(&form, &values);
        assert_eq!(redacted, ["token"]);
        assert!(!kept.contains_key("token"));
    }
}
