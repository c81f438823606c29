//! Reading catalog documents and values files (YAML) for the commands and the harness.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pao_schema::CatalogDocument;
use pao_source::{LineIndex, Node};

use crate::render::RenderInput;

/// Why a file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Not valid YAML (or not text).
    #[error("{}:{line}:{column}: {message}", path.display())]
    Yaml {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
        /// What is wrong.
        message: String,
    },
    /// A directory, too large, or unreadable (the bounded reader's error, which names the file).
    #[error(transparent)]
    Read(#[from] pao_source::ReadError),
    /// Valid YAML of the wrong shape.
    #[error("{}: {message}", path.display())]
    Shape {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// A catalog document read from a file, with its text and node tree (for [`crate::check_document`]).
#[derive(Debug, Clone)]
pub struct LoadedDocument {
    /// The file.
    pub path: PathBuf,
    /// Its text.
    pub source: String,
    /// Its YAML tree.
    pub root: Node,
    /// The typed document.
    pub doc: CatalogDocument,
}

/// Reads a YAML file into its text and tree.
///
/// # Errors
/// Unreadable file, not text, or a YAML error (the first one, with its position).
pub fn read_yaml(path: &Path) -> Result<(String, Node), LoadError> {
    let bytes = pao_source::read_bounded(path, pao_source::MAX_INPUT_BYTES)?;
    let text = pao_source::decode(&bytes)
        .map_err(|err| LoadError::Shape { path: path.to_owned(), message: err.to_string() })?
        .to_owned();
    let parsed = pao_source::parse_yaml(&text);
    let fatal =
        parsed.errors.iter().find(|e| e.kind != pao_source::YamlErrorKind::DuplicateKey).or(parsed.errors.first());
    if let Some(error) = fatal {
        let at = LineIndex::new(&text).line_col(&text, error.span.start);
        return Err(LoadError::Yaml {
            path: path.to_owned(),
            line: at.line,
            column: at.column,
            message: error.message.clone(),
        });
    }
    let root = parsed.root.unwrap_or(Node { value: pao_source::Value::Null, span: 0..0 });
    Ok((text, root))
}

/// Reads a catalog document (item or bundle).
///
/// # Errors
/// See [`read_yaml`]; also when the document does not fit its kind's type.
pub fn load_document(path: &Path) -> Result<LoadedDocument, LoadError> {
    let (source, root) = read_yaml(path)?;
    let doc = CatalogDocument::from_value(root.to_json()).map_err(|err| LoadError::Shape {
        path: path.to_owned(),
        message: format!("not a valid catalog document: {err}"),
    })?;
    Ok(LoadedDocument { path: path.to_owned(), source, root, doc })
}

/// Reads a YAML file that must hold a mapping (values, request, outputs); an empty file is an
/// empty mapping.
///
/// # Errors
/// See [`read_yaml`]; also when the file holds something other than a mapping.
pub fn read_mapping(path: &Path) -> Result<serde_json::Map<String, serde_json::Value>, LoadError> {
    let (_, root) = read_yaml(path)?;
    match root.to_json() {
        serde_json::Value::Object(map) => Ok(map),
        serde_json::Value::Null => Ok(serde_json::Map::new()),
        _ => Err(LoadError::Shape { path: path.to_owned(), message: "expected a mapping of names to values".into() }),
    }
}

/// `action id → name → value` from a JSON mapping (the `--outputs` file, a case's `outputs`).
///
/// # Errors
/// A message naming the entry that is not a mapping.
pub fn outputs_from_json(
    map: &serde_json::Map<String, serde_json::Value>,
) -> Result<BTreeMap<String, serde_json::Map<String, serde_json::Value>>, String> {
    map.iter()
        .map(|(action, values)| match values {
            serde_json::Value::Object(values) => Ok((action.clone(), values.clone())),
            _ => Err(format!("outputs of `{action}` must be a mapping of output names to values")),
        })
        .collect()
}

/// The input of `pao vars render <item> --values V [--request R] [--outputs O] [--deterministic]`.
///
/// Environment values are read from the process environment for the allow-listed names, except
/// with `deterministic`, where they render as placeholders (`<environment.NAME>`) so the output
/// does not depend on the machine.
///
/// # Errors
/// An unreadable or malformed file.
pub fn render_input_from_files(
    values: &Path,
    request: Option<&Path>,
    outputs: Option<&Path>,
    deterministic: bool,
    environment_allowlist: &std::collections::BTreeSet<String>,
) -> Result<RenderInput, LoadError> {
    let values = read_mapping(values)?;
    let request = request.map(read_mapping).transpose()?.unwrap_or_default();
    let outputs = match outputs {
        Some(path) => outputs_from_json(&read_mapping(path)?)
            .map_err(|message| LoadError::Shape { path: path.to_owned(), message })?,
        None => BTreeMap::new(),
    };
    let environment = if deterministic {
        BTreeMap::new()
    } else {
        environment_allowlist.iter().filter_map(|name| std::env::var(name).ok().map(|v| (name.clone(), v))).collect()
    };
    Ok(RenderInput { values, request, outputs, environment, deterministic, failure: BTreeMap::new() })
}

/// Every valid catalog item under `dir` (a `catalog/` directory), by id; files that do not load
/// are skipped (reporting them is `pao-lint`'s job).
pub fn load_catalog_items(dir: &Path) -> BTreeMap<String, pao_schema::CatalogItem> {
    let mut items = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name().into_iter().filter_map(Result::ok) {
        let is_yaml = entry.path().extension().is_some_and(|ext| ext == "yaml" || ext == "yml");
        if !entry.file_type().is_file() || !is_yaml {
            continue;
        }
        if let Ok(LoadedDocument { doc: CatalogDocument::Item(item), .. }) = load_document(entry.path()) {
            items.entry(item.metadata.id.clone()).or_insert(*item);
        }
    }
    items
}
