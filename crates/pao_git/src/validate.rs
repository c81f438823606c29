//! Validation of catalog documents read from Git.
//!
//! [`validate_documents`] is the one place that decides which files enter the served catalog.
//! It runs `pao_lint` over the files in memory (`Linter::lint_sources`, the same checks as
//! `pao-lint`, with the revision's own `pao.toml` and CODEOWNERS), leaves out every document
//! with an error-severity diagnostic, and type-checks the rest with `pao_schema`.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use pao_schema::{CatalogBundle, CatalogDocument, CatalogItem};
use pao_source::{LineIndex, Node, decode, parse_yaml};
use serde::Serialize;

/// Where the linter looks for CODEOWNERS, in GitHub's order.
pub const CODEOWNERS_PATHS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

/// One file as read from Git.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the repository root, with `/` separators (`catalog/databases/pg.yaml`).
    pub path: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// A file that passed validation.
#[derive(Debug, Clone)]
pub struct ValidDocument {
    /// Path relative to the repository root.
    pub path: String,
    /// The typed document.
    pub document: CatalogDocument,
}

/// A problem found in the catalog: a file left out of it, or (for repository files such as
/// CODEOWNERS and `pao.toml`) a problem that leaves documents in but should be fixed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationError {
    /// Path relative to the repository root.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based character column.
    pub column: u32,
    /// What is wrong, led by the rule code when the linter found it (`PAO201: ...`).
    pub message: String,
}

/// Validates catalog files; returns the valid documents and the errors, both in path order.
///
/// `files` holds the catalog documents (`catalog/**/*.yaml|yml`) and, when the revision has
/// them, `pao.toml` (rule levels, exclusions, GitHub organisation) and a CODEOWNERS file. A
/// document with any error-severity lint diagnostic is left out whole; warnings do not exclude.
pub fn validate_documents(files: &[SourceFile]) -> (Vec<ValidDocument>, Vec<ValidationError>) {
    let mut errors = Vec::new();
    let config = files.iter().find(|f| f.path == "pao.toml").map_or_else(pao_config::Config::default, |file| {
        let text = String::from_utf8_lossy(&file.bytes);
        pao_config::Config::parse(&text, Path::new("pao.toml")).unwrap_or_else(|err| {
            errors.push(ValidationError { file: file.path.clone(), line: 1, column: 1, message: err.to_string() });
            pao_config::Config::default()
        })
    });
    let linter = pao_lint::Linter::new(&config).or_else(|err| {
        errors.push(ValidationError { file: "pao.toml".into(), line: 1, column: 1, message: err.to_string() });
        pao_lint::Linter::new(&pao_config::Config::default())
    });
    let codeowners = CODEOWNERS_PATHS
        .iter()
        .find_map(|path| files.iter().find(|f| f.path == *path))
        .map(|f| String::from_utf8_lossy(&f.bytes).into_owned());
    let mut documents: Vec<&SourceFile> = files.iter().filter(|f| f.path.starts_with("catalog/")).collect();
    documents.sort_by(|a, b| a.path.cmp(&b.path));
    let mut rejected = std::collections::BTreeSet::new();
    if let Ok(linter) = &linter {
        let inputs =
            documents.iter().map(|f| pao_lint::SourceInput { path: f.path.clone(), bytes: f.bytes.clone() }).collect();
        let report = linter.lint_sources(inputs, codeowners);
        for diagnostic in report.diagnostics.iter().filter(|d| d.severity == pao_lint::Severity::Error) {
            let position = report.sources.get(&diagnostic.file).map(|source| source.line_col(diagnostic.range.start));
            errors.push(ValidationError {
                file: diagnostic.file.clone(),
                line: position.map_or(1, |p| p.line),
                column: position.map_or(1, |p| p.column),
                message: format!("{}: {}", diagnostic.code, diagnostic.message),
            });
            rejected.insert(diagnostic.file.clone());
        }
    }
    let mut valid = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for file in documents.into_iter().filter(|f| !rejected.contains(&f.path)) {
        match validate_one(file) {
            Ok((document, id_span, text)) => {
                let id = document.metadata().id.clone();
                if let Some(first) = seen.get(&id) {
                    errors.push(error_at(
                        file,
                        &text,
                        id_span,
                        format!("duplicate item id `{id}`, already defined in {first}"),
                    ));
                } else {
                    seen.insert(id, file.path.clone());
                    valid.push(ValidDocument { path: file.path.clone(), document });
                }
            }
            Err(mut file_errors) => errors.append(&mut file_errors),
        }
    }
    errors.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    errors.dedup();
    (valid, errors)
}

/// The typed document, with the span of its id, or the errors that keep it out. The linter has
/// already checked these files; this is the last line of defence, and the step that produces the
/// typed value.
fn validate_one(file: &SourceFile) -> Result<(CatalogDocument, Range<usize>, String), Vec<ValidationError>> {
    let text = decode(&file.bytes).map_err(|err| vec![error_at(file, "", 0..0, err.to_string())])?;
    let parsed = parse_yaml(text);
    if !parsed.errors.is_empty() {
        return Err(parsed
            .errors
            .iter()
            .map(|err| error_at(file, text, err.span.clone(), err.message.clone()))
            .collect());
    }
    let Some(root) = parsed.root else {
        return Err(vec![error_at(file, text, 0..0, "empty document".to_owned())]);
    };
    let document = typed(&root).map_err(|(pointer, message)| {
        let span = deepest_span(&root, &pointer);
        vec![error_at(file, text, span, message)]
    })?;
    let mut errors = Vec::new();
    let metadata = document.metadata();
    let stem = file.path.rsplit('/').next().and_then(|name| name.rsplit_once('.')).map_or("", |(stem, _)| stem);
    let id_span = root.pointer("/metadata/id").map_or(0..0, |node| node.span.clone());
    if let Err(err) = crate::names::ItemId::parse(&metadata.id) {
        errors.push(error_at(file, text, id_span.clone(), format!("metadata.id: {err}")));
    }
    if metadata.id != stem {
        errors.push(error_at(
            file,
            text,
            id_span.clone(),
            format!("metadata.id `{}` must equal the file name stem `{stem}`", metadata.id),
        ));
    }
    let directory = file.path.strip_prefix("catalog/").and_then(|rest| rest.split_once('/')).map_or("", |(dir, _)| dir);
    if metadata.category != directory {
        let span = root.pointer("/metadata/category").map_or(0..0, |node| node.span.clone());
        errors.push(error_at(
            file,
            text,
            span,
            format!("metadata.category `{}` must equal the directory `catalog/{directory}/`", metadata.category),
        ));
    }
    if errors.is_empty() { Ok((document, id_span, text.to_owned())) } else { Err(errors) }
}

/// The typed document, or the JSON Pointer and message of the first type error.
fn typed(root: &Node) -> Result<CatalogDocument, (String, String)> {
    let value = root.to_json();
    match value.get("kind").and_then(serde_json::Value::as_str) {
        Some("CatalogItem") => serde_path_to_error::deserialize::<_, CatalogItem>(value)
            .map(|item| CatalogDocument::Item(Box::new(item)))
            .map_err(path_error),
        Some("CatalogBundle") => serde_path_to_error::deserialize::<_, CatalogBundle>(value)
            .map(|bundle| CatalogDocument::Bundle(Box::new(bundle)))
            .map_err(path_error),
        // Unknown or missing kind: let the schema crate word the error.
        _ => CatalogDocument::from_value(value).map_err(|err| ("/kind".to_owned(), err.to_string())),
    }
}

fn path_error(err: serde_path_to_error::Error<serde_json::Error>) -> (String, String) {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in err.path().iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } => pointer.push_str(&format!("/{}", key.replace('~', "~0").replace('/', "~1"))),
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    let location = if pointer.is_empty() { String::new() } else { format!(" at {}", err.path()) };
    let message = format!("{}{location}", err.inner());
    (pointer, message)
}

/// The span of the deepest node on `pointer` that exists (the key itself when it does).
fn deepest_span(root: &Node, pointer: &str) -> Range<usize> {
    let mut current = pointer;
    loop {
        if let Some(span) = root.key_span(current) {
            return span;
        }
        match current.rfind('/') {
            Some(cut) => current = &current[..cut],
            None => return root.span.clone(),
        }
    }
}

fn error_at(file: &SourceFile, text: &str, span: Range<usize>, message: String) -> ValidationError {
    let position = LineIndex::new(text).line_col(text, span.start);
    ValidationError { file: file.path.clone(), line: position.line, column: position.column, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> SourceFile {
        SourceFile { path: path.to_owned(), bytes: text.as_bytes().to_vec() }
    }

    #[test]
    fn reports_position_of_type_errors_and_keeps_valid_files() {
        let good = include_str!("../tests/fixtures/pgsql.yaml");
        let bad = good.replace("    team: dba\n", "    team: dba\n    colour: red\n");
        let (valid, errors) = validate_documents(&[
            file("catalog/databases/pgsql.yaml", good),
            file("catalog/databases/bad.yaml", &bad.replace("id: pgsql", "id: bad")),
            file("catalog/databases/broken.yaml", "a: [1,\n"),
        ]);
        assert_eq!(valid.len(), 1);
        // A repository without CODEOWNERS is reported, but keeps its documents.
        assert!(errors.iter().any(|e| e.file == ".github/CODEOWNERS" && e.message.starts_with("PAO612")));
        let errors: Vec<_> = errors.into_iter().filter(|e| e.file.starts_with("catalog/")).collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        let unknown = errors.iter().find(|e| e.file.ends_with("bad.yaml")).unwrap();
        assert!(unknown.message.contains("colour"), "{unknown:?}");
        let line = bad.lines().position(|l| l.contains("colour")).unwrap() + 1;
        assert_eq!(unknown.line as usize, line, "{unknown:?}");
        assert!(errors.iter().any(|e| e.file.ends_with("broken.yaml")));
    }

    #[test]
    fn id_must_match_stem_and_be_unique() {
        let good = include_str!("../tests/fixtures/pgsql.yaml");
        let (valid, errors) = validate_documents(&[
            file("catalog/databases/pgsql.yaml", good),
            file("catalog/databases/other.yaml", good),
            file("catalog/storage/pgsql.yaml", good),
        ]);
        // Every file is at fault: a stem mismatch, a category mismatch, and the id twice.
        assert!(valid.is_empty(), "{valid:?}");
        for file in ["catalog/databases/pgsql.yaml", "catalog/databases/other.yaml", "catalog/storage/pgsql.yaml"] {
            assert!(errors.iter().any(|e| e.file == file), "{file}: {errors:#?}");
        }
    }
}
