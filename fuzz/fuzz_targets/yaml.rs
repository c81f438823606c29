//! The YAML loader, differentially: wherever the fast path answers, its answer (tree, spans,
//! errors) is saphyr-parser's; and `parse_yaml`, whatever the bytes, never panics, never
//! recurses too deep and reports only spans that slice the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pao_source::fuzzing::{fast, saphyr};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = pao_source::decode(data) else { return };
    let reference = saphyr(text);
    pao_fuzz::assert_well_formed(text, &reference);
    if let Some(fast) = fast(text) {
        // Debug text, not `==`: a `.nan` is not equal to itself, but prints alike.
        assert_eq!(format!("{fast:?}"), format!("{reference:?}"), "the fast path differs from saphyr-parser");
    }
    let parsed = pao_source::parse_yaml(text);
    assert_eq!(format!("{parsed:?}"), format!("{reference:?}"), "parse_yaml differs from saphyr-parser");
    if let Some(root) = &parsed.root {
        // The typed documents read the tree in place; the schema validator reads `to_json`.
        // Both must see the same document.
        let json = root.to_json();
        let kind = json.get("kind").and_then(serde_json::Value::as_str).map(str::to_owned);
        let in_place = pao_schema::CatalogDocument::from_deserializer(kind.as_deref(), root);
        let via_json = pao_schema::CatalogDocument::from_value(json);
        match (in_place, via_json) {
            (Ok(a), Ok(b)) => {
                assert_eq!(format!("{a:?}"), format!("{b:?}"), "the tree and its JSON deserialise differently")
            }
            (Err(_), Err(_)) => {}
            (a, b) => panic!("the tree and its JSON disagree: in place {:?}, via JSON {:?}", a.is_ok(), b.is_ok()),
        }
    }
});
