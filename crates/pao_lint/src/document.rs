//! The per-file pipeline, run in parallel: bytes → text → YAML tree → schema → typed document →
//! the single-file rules. Pure: it reads nothing but its input.

use std::sync::Arc;

use pao_diagnostics::SourceFile;
use pao_schema::CatalogDocument;
use pao_source::{Node, decode, parse_yaml};

use crate::checker::{Checker, RuleLevels};
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
    let mut checker = Checker::new(cx.levels);
    let text = match decode(bytes) {
        Ok(text) => text,
        Err(error) => {
            yaml::report_decode(&error, &path, &mut checker);
            return Checked::new(path, SourceFile::new(String::new(), ""), None, None, checker.diagnostics);
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
        return Checked::new(path, source, None, None, checker.diagnostics);
    };
    if !matches!(root.value, pao_source::Value::Map(_)) {
        checker.report(
            &yaml::NOT_A_MAPPING,
            &path,
            root.span.clone(),
            "the document is not a mapping",
            "a catalog document is a mapping that starts with `apiVersion: pao/v1`".to_owned(),
        );
        return Checked::new(path, source, Some(root), None, checker.diagnostics);
    }
    let doc = check_document(cx, text, &root, &path, &mut checker);
    Checked::new(path, source, Some(root), doc, checker.diagnostics)
}

fn check_document(
    cx: &FileContext<'_>,
    text: &str,
    root: &Node,
    path: &str,
    checker: &mut Checker<'_>,
) -> Option<CatalogDocument> {
    let kind = schema::document_kind(root, path, checker)?;
    naming::check_document(root, kind, path, checker);
    let json = root.to_json();
    if !cx.schemas.check(kind, root, &json, path, checker) {
        return None;
    }
    let doc = match CatalogDocument::from_value(json) {
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
    if let Some(presentation) = doc.presentation() {
        form::check_form(&presentation.form, root, path, checker);
    }
    lifecycle::check_lifecycle(&doc, root, path, cx.today, checker);
    lifecycle::check_fulfillment(&doc, root, path, checker);
    // Bundles read other items' outputs: their templates are checked with the whole catalog.
    if matches!(doc, CatalogDocument::Item(_)) {
        templates::check(cx.engine, text, root, &doc, &pao_vars::NoItems, path, checker);
    }
    Some(doc)
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
        let root = root.filter(|_| !matches!(doc, Some(CatalogDocument::Item(_))));
        Self { path, source: Arc::new(source), root, anchors, first_key, id, doc, diagnostics }
    }
}
