//! The per-file pipeline, run in parallel: bytes → text → YAML tree → schema → typed document →
//! the single-file rules. Pure: it reads nothing but its input.

use std::sync::Arc;

use pao_diagnostics::SourceFile;
use pao_schema::CatalogDocument;
use pao_source::{Node, decode, parse_yaml};

use crate::checker::{Checker, RuleLevels};
use crate::lenient::{self, Reading};
use crate::rules::{form, lifecycle, naming, schema, templates, yaml};
use crate::schema::Schemas;
use crate::{ANCHORED, Checked};

/// What the per-file pipeline needs, shared by every thread.
pub(crate) struct FileContext<'a> {
    pub(crate) schemas: &'a Schemas,
    pub(crate) levels: &'a RuleLevels,
    pub(crate) today: &'a str,
    pub(crate) engine: &'a pao_vars::Engine,
}

/// Checks one file.
pub(crate) fn check_file(cx: &FileContext<'_>, path: String, bytes: &[u8]) -> Checked {
    let mut checker = Checker::for_file(cx.levels, &path);
    let text = match decode(bytes) {
        Ok(text) => text,
        Err(error) => {
            yaml::report_decode(&error, &path, &mut checker);
            return Checked::new(path, SourceFile::new(String::new(), ""), None, None, checker.finish());
        }
    };
    let source = SourceFile::new(path.clone(), text);
    let parsed = parse_yaml(text);
    for error in &parsed.errors {
        yaml::report_yaml(error, &path, &mut checker);
    }
    let Some(root) = parsed.root else {
        if parsed.errors.is_empty() {
            checker.report(
                &yaml::NOT_A_MAPPING,
                &path,
                0..0,
                if text.trim().is_empty() {
                    "the file is empty"
                } else {
                    "the file holds only comments, no YAML document"
                },
                "a catalog file holds one `apiVersion: pao/v1` document".to_owned(),
            );
        }
        return Checked::new(path, source, None, None, checker.finish());
    };
    if !matches!(root.value, pao_source::Value::Map(_)) {
        checker.report(
            &yaml::NOT_A_MAPPING,
            &path,
            root.span.clone(),
            "the document is not a mapping",
            "a catalog document is a mapping that starts with `apiVersion: pao/v1`".to_owned(),
        );
        return Checked::new(path, source, Some(root), None, checker.finish());
    }
    let read = check_document(cx, text, &root, &path, &mut checker);
    let reading = read.as_ref().map_or(Reading::Exact, |r| r.reading);
    let mut checked = Checked::new(path, source, Some(root), read.map(|r| r.doc), checker.finish());
    checked.reading = reading;
    checked
}

/// The typed document and how faithfully it was read.
pub(crate) struct Read {
    pub(crate) doc: CatalogDocument,
    pub(crate) reading: Reading,
}

fn check_document(
    cx: &FileContext<'_>,
    text: &str,
    root: &Node,
    path: &str,
    checker: &mut Checker<'_>,
) -> Option<Read> {
    let kind = schema::document_kind(root, text, path, checker)?;
    naming::check_document(root, kind, path, checker);
    let Some(faults) = cx.schemas.check(kind, root, text, path, checker) else {
        let doc = match read_document(root) {
            Ok(doc) => doc,
            Err(err) => {
                checker.report(
                    &schema::SCHEMA_VIOLATION,
                    path,
                    root.span.clone(),
                    format!("the document does not fit the catalog types: {err}"),
                    "see the schema description of the keys involved".to_owned(),
                );
                return None;
            }
        };
        check_typed(cx, text, &doc, root, path, checker);
        return Some(Read { doc, reading: Reading::Exact });
    };
    // Schema errors are reported; the rest of the document is still checked (see `lenient`).
    if faults.missing {
        return None;
    }
    for reading in lenient::readings(root, &faults) {
        let Ok(doc) = read_document(&reading.root) else { continue };
        let before = checker.diagnostics.len();
        check_typed(cx, text, &doc, &reading.root, path, checker);
        let mut index = 0;
        checker.diagnostics.retain(|d| {
            index += 1;
            index <= before || !reading.is_doubtful(&d.range)
        });
        return Some(Read { doc, reading: reading.reading });
    }
    None
}

/// The rules that read the typed document.
fn check_typed(
    cx: &FileContext<'_>,
    text: &str,
    doc: &CatalogDocument,
    root: &Node,
    path: &str,
    checker: &mut Checker<'_>,
) {
    if let Some(presentation) = doc.presentation() {
        form::check_form(&presentation.form, root, path, checker);
    }
    lifecycle::check_lifecycle(doc, root, path, cx.today, checker);
    lifecycle::check_fulfillment(doc, root, path, checker);
    // Bundles read other items' outputs: their templates are checked with the whole catalog.
    if matches!(doc, CatalogDocument::Item(_)) {
        templates::check(cx.engine, text, root, doc, &pao_vars::NoItems, path, checker);
    }
}

/// The typed document, read from the YAML tree in place (no JSON value is built for it); an
/// error reads as `serde_json`'s would.
pub(crate) fn read_document(root: &Node) -> Result<CatalogDocument, serde_json::Error> {
    CatalogDocument::from_deserializer(root.get("kind").and_then(Node::as_str), root)
}

impl Checked {
    fn new(
        path: String,
        source: SourceFile,
        root: Option<Node>,
        doc: Option<CatalogDocument>,
        diagnostics: Vec<pao_diagnostics::Diagnostic>,
    ) -> Self {
        let anchors = ANCHORED.iter().map(|p| root.as_ref()?.pointer(p).map(|n| n.span.clone())).collect();
        let first_key = root.as_ref().and_then(|r| r.entries().first()).map_or(0..0, |e| e.key_span.clone());
        let id = root.as_ref().and_then(|r| r.pointer("/metadata/id")).and_then(Node::as_str).map(str::to_owned);
        let kind = root.as_ref().and_then(|r| r.get("kind")).and_then(Node::as_str).map(str::to_owned);
        let root = root.filter(|_| !matches!(doc, Some(CatalogDocument::Item(_))));
        Self {
            path,
            source: Arc::new(source),
            root,
            anchors,
            first_key,
            id,
            kind,
            doc,
            reading: Reading::Exact,
            diagnostics,
            cached: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use pao_schema::CatalogDocument;
    use pao_source::parse_yaml;

    use super::read_document;
    use crate::schema::tests::workspace_documents;

    /// Reads a document from the tree and, as before, from its JSON value; the two must agree,
    /// errors word for word.
    fn read_both(path: &str, root: &pao_source::Node) -> Result<CatalogDocument, String> {
        let direct = read_document(root).map_err(|e| e.to_string());
        let via_json = CatalogDocument::from_value(root.to_json()).map_err(|e| e.to_string());
        assert_eq!(direct, via_json, "{path}");
        direct
    }

    #[test]
    fn the_tree_reads_as_its_json_reads() {
        let (mut read, mut failed) = (0, 0);
        for (path, root) in workspace_documents() {
            match read_both(&path, &root) {
                Ok(_) => read += 1,
                Err(_) => failed += 1,
            }
        }
        assert!(read > 50 && failed > 20, "{read} read, {failed} failed");
    }

    #[test]
    fn errors_deep_in_a_document_read_the_same() {
        let valid =
            std::fs::read_to_string(pao_testutil::workspace_root().join("tests/valid/failover-all-actions.yaml"))
                .expect("the test input is readable");
        let action = "        type: terraform\n";
        let edits = [
            (
                action,
                "        type: terraform\n        timeoutSeconds: .inf\n",
                "invalid type: string \"inf\", expected u32",
            ),
            (
                action,
                "        type: terraform\n        timeoutSeconds: -1\n",
                "invalid value: integer `-1`, expected u32",
            ),
            (
                action,
                "        type: terraform\n        retry: { maxAttempts: 3.0 }\n",
                "invalid type: floating point `3.0`, expected u8",
            ),
            (action, "        type: terraform\n        retry: { maxAttempts: 3, x: 1 }\n", "unknown field `x`"),
            ("method: POST", "method: SEND", "unknown variant `SEND`"),
            ("method: POST", "method: POST\n          methd: GET", "unknown field `methd`"),
            ("expectStatus: [201]", "expectStatus: [.nan]", "invalid type: string \"NaN\", expected u16"),
            ("strategy: failover", "strategy: [failover]", "invalid type: sequence, expected"),
            ("kind: CatalogItem", "kind: CatalogThing", "unknown kind `CatalogThing`"),
            ("kind: CatalogItem", "kinds: CatalogItem", "missing `kind`"),
        ];
        for (from, to, message) in edits {
            assert!(valid.contains(from), "{from}");
            let text = valid.replacen(from, to, 1);
            let root = parse_yaml(&text).root.expect("a document");
            let error = read_both(to, &root).expect_err(to);
            assert!(error.contains(message), "{to}: {error}");
        }
        read_both("valid", &parse_yaml(&valid).root.expect("a document")).expect("the valid document reads");
    }
}
