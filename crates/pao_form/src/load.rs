//! Reading catalog documents and request values from YAML (or JSON, which is YAML) text.

use pao_schema::CatalogDocument;
use pao_source::{LineIndex, decode, parse_yaml};
use serde_json::{Map, Value};

/// Why a catalog document or a values file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FormError {
    /// The bytes are not a text file.
    #[error(transparent)]
    Decode(#[from] pao_source::DecodeError),
    /// The text is not well-formed YAML.
    #[error("line {line}, column {column}: {message}")]
    Yaml {
        /// What is wrong.
        message: String,
        /// 1-based line.
        line: u32,
        /// 1-based character column.
        column: u32,
    },
    /// The file is empty.
    #[error("the file holds no YAML document")]
    Empty,
    /// The document does not fit the catalog schema (`pao-lint` says exactly where).
    #[error("not a valid catalog document: {0}")]
    Schema(#[source] serde_json::Error),
    /// The values are not a mapping from field id to value.
    #[error("values must be a mapping from field id to value, not {0}")]
    ValuesNotMapping(&'static str),
}

fn parse(bytes: &[u8]) -> Result<Value, FormError> {
    let text = decode(bytes)?;
    let parsed = parse_yaml(text);
    // Any problem, even one the parser recovers from (a duplicate key), makes the meaning unclear.
    if let Some(error) = parsed.errors.first() {
        let at = LineIndex::new(text).line_col(text, error.span.start);
        return Err(FormError::Yaml { message: error.message.clone(), line: at.line, column: at.column });
    }
    parsed.root.map(|root| root.to_json()).ok_or(FormError::Empty)
}

/// Reads a catalog item or bundle.
///
/// # Errors
/// When the bytes are not YAML or not a catalog document.
pub fn parse_document(bytes: &[u8]) -> Result<CatalogDocument, FormError> {
    CatalogDocument::from_value(parse(bytes)?).map_err(FormError::Schema)
}

/// Reads request values: a YAML or JSON mapping from field id to value. An empty file is no values.
///
/// # Errors
/// When the bytes are not YAML or not a mapping.
pub fn parse_values(bytes: &[u8]) -> Result<Map<String, Value>, FormError> {
    match parse(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) | Err(FormError::Empty) => Ok(Map::new()),
        Ok(Value::Array(_)) => Err(FormError::ValuesNotMapping("a list")),
        Ok(_) => Err(FormError::ValuesNotMapping("a single value")),
        Err(err) => Err(err),
    }
}
