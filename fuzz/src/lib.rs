//! What PAO's fuzz targets share: the invariants every parsed tree and every reported range must
//! keep, whatever the input, and the fixed catalog item the template and form targets read.
//!
//! A broken invariant panics, which libFuzzer reports as a crash with the input saved under
//! `fuzz/artifacts/<target>/`.

#![forbid(unsafe_code)]

use std::ops::Range;

use pao_source::{LineIndex, Node, ParsedYaml, Value};

/// The catalog item the `template` and `form` targets check against when the input brings no
/// document of its own: the richest of the example catalog (every scope, earlier outputs,
/// conditional fields, patterns, password fields).
pub const POSTGRES_ITEM: &str = include_str!("../../catalog/databases/postgresql-standard.yaml");

/// Every field type and validation rule of the form schema.
pub const ALL_FIELD_TYPES_ITEM: &str = include_str!("../../tests/valid/all-field-types.yaml");

/// Asserts that `range` can slice `text`: in bounds, start before end, both on character
/// boundaries. Every span PAO reports is later used to slice the file for a diagnostic.
#[track_caller]
pub fn assert_range(text: &str, range: &Range<usize>, what: &str) {
    assert!(
        range.start <= range.end && range.end <= text.len(),
        "{what}: range {range:?} is outside the {} bytes of the text",
        text.len()
    );
    assert!(
        text.is_char_boundary(range.start) && text.is_char_boundary(range.end),
        "{what}: range {range:?} splits a character"
    );
}

/// Asserts the invariants of one parse: every node's and key's span slices the text, every
/// error's span and related span too, and each turns into a line and column inside the text.
pub fn assert_well_formed(text: &str, parsed: &ParsedYaml) {
    let index = LineIndex::new(text);
    for error in &parsed.errors {
        assert_range(text, &error.span, "error span");
        if let Some(related) = &error.related {
            assert_range(text, related, "related span");
        }
        let at = index.line_col(text, error.span.start);
        assert!(at.line >= 1 && at.column >= 1, "line/column {at:?} is not 1-based");
        assert!(at.line as usize <= index.line_count().max(1), "line {} of {}", at.line, index.line_count());
        assert!(!error.message.is_empty(), "an error without a message");
    }
    if parsed.root.is_none()
        && let Some(last) = parsed.errors.last()
    {
        // No tree because of an error (an empty text has none): the last error stopped the parse.
        use pao_source::YamlErrorKind::{AliasBudget, ComplexKey, Syntax, TooDeep};
        assert!(
            matches!(last.kind, Syntax | TooDeep | AliasBudget | ComplexKey),
            "no tree, yet the last error is {last:?}"
        );
    }
    if let Some(root) = &parsed.root {
        // With a tree, only the errors the loader recovers from: a duplicate key, a tag it
        // does not interpret, a second document (the first is kept).
        use pao_source::YamlErrorKind::{DuplicateKey, MultipleDocuments, UnsupportedTag};
        assert!(
            parsed.errors.iter().all(|e| matches!(e.kind, DuplicateKey | UnsupportedTag | MultipleDocuments)),
            "a tree with a fatal error: {:?}",
            parsed.errors
        );
        let mut stack: Vec<&Node> = vec![root];
        while let Some(node) = stack.pop() {
            assert_range(text, &node.span, "node span");
            match &node.value {
                Value::Seq(items) => stack.extend(items),
                Value::Map(entries) => {
                    for entry in entries {
                        assert_range(text, &entry.key_span, "key span");
                        stack.push(&entry.value);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Splits an input at its first NUL byte: two texts in one input (NUL is never part of a text
/// PAO reads: `pao_source::decode` refuses it). `None` when there is no NUL.
pub fn split_nul(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = data.iter().position(|&b| b == 0)?;
    Some((&data[..at], &data[at + 1..]))
}

/// Parses a catalog document the way `pao-lint` and the API read one: decode, parse, no YAML
/// error, deserialise. `None` for anything that is not a valid document.
pub fn catalog_document(bytes: &[u8]) -> Option<(String, Node, pao_schema::CatalogDocument)> {
    let text = pao_source::decode(bytes).ok()?;
    let parsed = pao_source::parse_yaml(text);
    assert_well_formed(text, &parsed);
    if !parsed.errors.is_empty() {
        return None;
    }
    let root = parsed.root?;
    let doc = pao_schema::CatalogDocument::from_value(root.to_json()).ok()?;
    Some((text.to_owned(), root, doc))
}

/// The item of [`POSTGRES_ITEM`]. Panics if the example catalog stops parsing, which the main
/// test suite would report first.
pub fn postgres_item() -> pao_schema::CatalogItem {
    match catalog_document(POSTGRES_ITEM.as_bytes()) {
        Some((_, _, pao_schema::CatalogDocument::Item(item))) => *item,
        _ => panic!("catalog/databases/postgresql-standard.yaml is no longer a valid catalog item"),
    }
}
