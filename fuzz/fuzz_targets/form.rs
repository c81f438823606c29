//! The form validator (`pao_form::validate_request`, the one implementation behind the CLI, the
//! REST API and the orchestrator) on a catalog item's form and request values.
//!
//! Input: a catalog document's YAML, a NUL byte, the values' YAML; or only values, checked
//! against `tests/valid/all-field-types.yaml`.
//!
//! Checks, besides never panicking: the form description (what UIs receive, also after a JSON
//! round trip) validates exactly like the catalog form; `valid` means no errors; every error
//! names a field or a given key; stored values hold only visible fields, never a hidden one;
//! valid values stay valid and unchanged when validated again (what is stored is accepted when
//! read back); the orchestrator's redaction leaves no password field; the HTML preview renders.
#![no_main]

use std::collections::BTreeSet;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use pao_form::{FormDescription, Validator};
use pao_schema::CatalogDocument;

static ALL_FIELD_TYPES: LazyLock<CatalogDocument> = LazyLock::new(|| {
    pao_fuzz::catalog_document(pao_fuzz::ALL_FIELD_TYPES_ITEM.as_bytes())
        .map(|(_, _, doc)| doc)
        .expect("tests/valid/all-field-types.yaml is a valid catalog item")
});

fuzz_target!(|data: &[u8]| {
    let (doc, values) = match pao_fuzz::split_nul(data) {
        Some((document, values)) => match pao_fuzz::catalog_document(document) {
            Some((_, _, doc)) => (doc, values),
            None => return,
        },
        None => (ALL_FIELD_TYPES.clone(), data),
    };
    let Ok(values) = pao_form::parse_values(values) else { return };
    let Some(presentation) = doc.presentation() else { return };
    let form = &presentation.form;
    let outcome = pao_form::validate_request(form, &values);

    let description = FormDescription::from_document(&doc);
    let described = Validator::from_description(&description).validate(&values);
    assert_eq!(outcome, described, "the form description validates differently from the form");
    let json = serde_json::to_string(&description).expect("a form description serialises");
    let received: FormDescription = serde_json::from_str(&json).expect("a form description reads back");
    assert_eq!(received, description, "the form description changes in a JSON round trip");

    assert_eq!(outcome.valid, outcome.errors.is_empty(), "`valid` disagrees with the errors");
    let ids: BTreeSet<&str> = form.fields().map(|f| f.id.as_str()).collect();
    for error in &outcome.errors {
        assert!(
            ids.contains(error.field.as_str()) || values.contains_key(&error.field),
            "error {error:?} names neither a field nor a given key"
        );
        assert!(!error.message.is_empty(), "an error without a message");
    }
    for key in outcome.values.keys() {
        assert!(ids.contains(key.as_str()), "stored value `{key}` is no field of the form");
    }
    for hidden in &outcome.hidden {
        assert!(!outcome.values.contains_key(hidden), "hidden field `{hidden}` has a stored value");
    }

    if outcome.valid {
        let again = pao_form::validate_request(form, &outcome.values);
        assert!(again.valid, "stored values are rejected when validated again: {:?}", again.errors);
        assert_eq!(again.values, outcome.values, "validating stored values again changes them");
        let (kept, _) = pao_orchestrator::redact_values(form, &outcome.values);
        for key in kept.keys() {
            let field = form.field(key).expect("stored values are fields");
            assert_ne!(field.field_type, pao_schema::FieldType::Password, "password `{key}` would be written to Git");
        }
    }
    let _ = pao_form::render_html(&description, Some(&values));
});
