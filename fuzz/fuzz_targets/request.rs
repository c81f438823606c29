//! The request file, `requests/<team>/<item>/<resource>.yaml`: read from Git the way the
//! orchestrator reads it (`pao_source::parse_yaml`, then the JSON value and the fields `list`
//! and `decommission` look up), and written the way the orchestrator writes it
//! (`pao_orchestrator::to_yaml`).
//!
//! Input: any bytes, read as a request file; when they are JSON, also that JSON value as the
//! document to write (what the REST API hands the orchestrator).
//!
//! Checks: reading never panics; every value the writer writes reads back as exactly that value,
//! without a YAML error (a request file must mean, when read back, what was stored); writing is
//! deterministic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The fields the orchestrator reads out of a request file.
const POINTERS: [&str; 7] = [
    "/metadata/id",
    "/metadata/requester/id",
    "/metadata/requester/email",
    "/metadata/correlationId",
    "/metadata/createdAt",
    "/catalog/version",
    "/catalog/commit",
];

fn round_trip(value: &Value) {
    let text = pao_orchestrator::to_yaml(value);
    assert_eq!(pao_orchestrator::to_yaml(value), text, "writing is not deterministic");
    let parsed = pao_source::parse_yaml(&text);
    pao_fuzz::assert_well_formed(&text, &parsed);
    assert!(parsed.errors.is_empty(), "the written file does not read back: {:?}\n{text}", parsed.errors);
    let read = parsed.root.map(|root| root.to_json());
    assert_eq!(read.as_ref(), Some(value), "the written file reads back as another value:\n{text}");
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = pao_source::decode(data) else { return };
    let parsed = pao_source::parse_yaml(text);
    pao_fuzz::assert_well_formed(text, &parsed);
    if let Some(root) = &parsed.root {
        let document = root.to_json();
        for pointer in POINTERS {
            let _ = document.pointer(pointer).and_then(Value::as_str);
        }
        round_trip(&document);
    }
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        round_trip(&value);
    }
});
