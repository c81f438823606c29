//! The loader on well-formed, hostile and malformed YAML.

use std::time::{Duration, Instant};

use pao_source::{LineCol, LineIndex, MAX_DEPTH, Value, YamlErrorKind, parse_yaml};

fn at(text: &str, offset: usize) -> LineCol {
    LineIndex::new(text).line_col(text, offset)
}

#[test]
fn keys_and_values_keep_their_positions() {
    let text = "apiVersion: pao/v1\nmetadata:\n  id: pg\n  tags: [a, \"b\"]\n  nämé: 'ü'\n  version: 1.4.0\n";
    let parsed = parse_yaml(text);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let root = parsed.root.unwrap();
    let id = root.pointer("/metadata/id").unwrap();
    assert_eq!(id.as_str(), Some("pg"));
    assert_eq!(at(text, id.span.start), LineCol { line: 3, column: 7 });
    assert_eq!(&text[id.span.clone()], "pg");
    let key = root.key_span("/metadata/id").unwrap();
    assert_eq!(at(text, key.start), LineCol { line: 3, column: 3 });
    let b = root.pointer("/metadata/tags/1").unwrap();
    assert_eq!(&text[b.span.clone()], "\"b\"");
    // Columns after multi-byte characters count characters.
    let u = root.pointer("/metadata/nämé").unwrap();
    assert_eq!(at(text, u.span.start), LineCol { line: 5, column: 9 });
    assert_eq!(root.pointer("/metadata/version").unwrap().as_str(), Some("1.4.0"));
}

#[test]
fn core_schema_scalars() {
    let text = "a: yes\nb: true\nc: 12\nd: 1.5\ne: ~\nf: '12'\ng: 2026-01-15\nh: 0x1F\ni: .inf\nj: 1e3\n";
    let root = parse_yaml(text).root.unwrap();
    let json = root.to_json();
    assert_eq!(json["a"], "yes");
    assert_eq!(json["b"], true);
    assert_eq!(json["c"], 12);
    assert_eq!(json["d"], 1.5);
    assert!(json["e"].is_null());
    assert_eq!(json["f"], "12");
    assert_eq!(json["g"], "2026-01-15");
    assert_eq!(json["h"], 31);
    assert_eq!(json["i"], "inf");
    assert_eq!(json["j"], 1000.0);
}

#[test]
fn duplicate_keys_are_reported_with_both_places() {
    let text = "metadata:\n  id: a\n  name: x\n  id: b\n";
    let parsed = parse_yaml(text);
    assert_eq!(parsed.errors.len(), 1);
    let error = &parsed.errors[0];
    assert_eq!(error.kind, YamlErrorKind::DuplicateKey);
    assert_eq!(at(text, error.span.start), LineCol { line: 4, column: 3 });
    assert_eq!(at(text, error.related.clone().unwrap().start), LineCol { line: 2, column: 3 });
    // The first value is kept.
    assert_eq!(parsed.root.unwrap().pointer("/metadata/id").unwrap().as_str(), Some("a"));
}

#[test]
fn syntax_errors_point_at_the_fault() {
    let text = "metadata:\n  id: a\n   name: b\n";
    let parsed = parse_yaml(text);
    assert!(parsed.root.is_none());
    let error = &parsed.errors[0];
    assert_eq!(error.kind, YamlErrorKind::Syntax);
    assert_eq!(at(text, error.span.start).line, 3);
    assert!(error.message.starts_with("invalid YAML"), "{}", error.message);
}

#[test]
fn alias_bomb_fails_fast() {
    let mut text = String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in names.windows(2) {
        let (prev, next) = (pair[0], pair[1]);
        text.push_str(&format!(
            "{next}: &{next} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
    }
    let start = Instant::now();
    let parsed = parse_yaml(&text);
    assert!(start.elapsed() < Duration::from_secs(2));
    assert!(parsed.root.is_none());
    assert_eq!(parsed.errors.last().unwrap().kind, YamlErrorKind::AliasBudget);
}

#[test]
fn small_aliases_expand() {
    let text = "base: &b {x: 1}\nother: *b\n";
    let root = parse_yaml(text).root.unwrap();
    assert_eq!(root.to_json()["other"]["x"], 1);
    // The alias's copy points at the alias, not at the anchor.
    assert_eq!(at(text, root.pointer("/other").unwrap().span.start), LineCol { line: 2, column: 8 });
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    for text in ["[".repeat(10_000) + &"]".repeat(10_000), "a:\n".to_owned() + &"{b: ".repeat(10_000)] {
        let parsed = parse_yaml(&text);
        assert!(parsed.root.is_none());
        let kind = parsed.errors.last().unwrap().kind;
        assert!(matches!(kind, YamlErrorKind::TooDeep | YamlErrorKind::Syntax), "{kind:?}");
    }
    let ok = "[".repeat(MAX_DEPTH - 1) + &"]".repeat(MAX_DEPTH - 1);
    assert!(parse_yaml(&ok).errors.is_empty());
    let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
    assert_eq!(parse_yaml(&deep).errors[0].kind, YamlErrorKind::TooDeep);
}

#[test]
fn second_document_is_reported() {
    let parsed = parse_yaml("a: 1\n---\nb: 2\n");
    assert_eq!(parsed.errors[0].kind, YamlErrorKind::MultipleDocuments);
    assert_eq!(parsed.root.unwrap().to_json()["a"], 1);
}

#[test]
fn empty_and_comment_only_files_have_no_root() {
    for text in ["", "# just a comment\n", "\n\n"] {
        let parsed = parse_yaml(text);
        assert!(parsed.root.is_none() && parsed.errors.is_empty(), "{text:?}");
    }
}

#[test]
fn byte_order_mark_keeps_offsets_right() {
    let text = "\u{feff}id: x\n";
    let root = parse_yaml(text).root.unwrap();
    let x = root.get("id").unwrap();
    assert_eq!(&text[x.span.clone()], "x");
}

#[test]
fn unsupported_tags_and_complex_keys() {
    let parsed = parse_yaml("a: !Ref b\n");
    assert_eq!(parsed.errors[0].kind, YamlErrorKind::UnsupportedTag);
    let parsed = parse_yaml("? [a, b]\n: c\n");
    assert_eq!(parsed.errors[0].kind, YamlErrorKind::ComplexKey);
    let parsed = parse_yaml("a: !!str 12\nb: !!int x\n");
    assert_eq!(parsed.root.as_ref().unwrap().to_json()["a"], "12");
    assert_eq!(parsed.errors[0].kind, YamlErrorKind::UnsupportedTag);
}

#[test]
fn non_string_keys_become_text() {
    let root = parse_yaml("1: a\ntrue: b\n").root.unwrap();
    assert!(matches!(root.value, Value::Map(_)));
    assert_eq!(root.to_json()["1"], "a");
    assert_eq!(root.to_json()["true"], "b");
}

#[test]
fn duplicate_keys_in_large_mappings() {
    let mut text: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
    text.push_str("k7: again\nk39: again\n");
    let parsed = parse_yaml(&text);
    assert_eq!(parsed.errors.len(), 2);
    assert!(parsed.errors.iter().all(|e| e.kind == YamlErrorKind::DuplicateKey));
    assert_eq!(parsed.root.unwrap().to_json()["k7"], 7);
}

#[test]
fn anchored_keys_and_values_resolve() {
    let parsed = parse_yaml("&k key: &v 12\nother: *v\n");
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let json = parsed.root.unwrap().to_json();
    assert_eq!(json["key"], 12);
    assert_eq!(json["other"], 12);
}

/// Fuzz finding (`request` target): a block mapping whose start carries a tag (`!`) was taken
/// for a flow mapping, so its span ran to a guessed closing bracket, here into the middle of a
/// byte-order mark (a span a caller slicing the text would panic on).
#[test]
fn a_tagged_block_mapping_is_not_a_flow_mapping() {
    for text in ["!\n?\n\u{feff}", "!t\na: 1\nb: é\n", "&x\na: [1, 2]\nb: {c: d}\n"] {
        let parsed = pao_source::parse_yaml(text);
        let root = parsed.root.expect("a tree");
        assert!(text.get(root.span.clone()).is_some(), "{text:?}: {:?}", root.span);
        assert!(root.span.end <= text.trim_end().len() || root.span.end == text.len(), "{text:?}: {:?}", root.span);
    }
    let text = "&x\na: [1, 2]\nb: {c: d}\n";
    let root = pao_source::parse_yaml(text).root.expect("a tree");
    assert_eq!(&text[root.get("a").unwrap().span.clone()], "[1, 2]");
    assert_eq!(&text[root.get("b").unwrap().span.clone()], "{c: d}");
    assert_eq!(&text[root.span.clone()], "&x\na: [1, 2]\nb: {c: d}");
}
