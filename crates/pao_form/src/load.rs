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
    let root = parsed.root.ok_or(FormError::Empty)?;
    if let Some((span, value)) = non_finite(&root) {
        let at = LineIndex::new(text).line_col(text, span.start);
        let literal = text.get(span.clone()).unwrap_or_default().trim();
        let message = if value.is_nan() {
            format!("`{literal}` is not a number (NaN); write a number")
        } else {
            format!("`{literal}` is out of range: too large for a 64-bit number; write a smaller number")
        };
        return Err(FormError::Yaml { message, line: at.line, column: at.column });
    }
    Ok(root.to_json())
}

/// The first infinite or not-a-number float of the tree (`1e400`, `.inf`, `.nan`), which JSON
/// cannot hold: said so, rather than passed on as text that "must be a number".
fn non_finite(root: &pao_source::Node) -> Option<(std::ops::Range<usize>, f64)> {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match &node.value {
            pao_source::Value::Float(f) if !f.is_finite() => return Some((node.span.clone(), *f)),
            pao_source::Value::Seq(items) => stack.extend(items.iter().rev()),
            pao_source::Value::Map(entries) => stack.extend(entries.iter().rev().map(|e| &e.value)),
            _ => {}
        }
    }
    None
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_and_not_a_number_values_are_named_so() {
        let err = parse_values(b"size: 1\nstorage: 1e400\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2, column 10: `1e400` is out of range: too large for a 64-bit number; write a smaller number"
        );
        let err = parse_values(b"list: [1, .nan]\n").unwrap_err();
        assert!(err.to_string().contains("`.nan` is not a number"), "{err}");
        assert!(parse_values(b"list: [-.inf]\n").unwrap_err().to_string().contains("`-.inf` is out of range"));
    }
}
