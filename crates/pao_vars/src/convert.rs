//! JSON values to template values and back.

use minijinja::{Error, ErrorKind, Value};

/// A JSON value as a template value.
pub(crate) fn from_json(json: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match json {
        J::Null => Value::from(()),
        J::Bool(b) => Value::from(*b),
        J::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                Value::from(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        J::String(s) => Value::from(s.as_str()),
        J::Array(items) => Value::from(items.iter().map(from_json).collect::<Vec<_>>()),
        J::Object(map) => Value::from_pairs(map.iter().map(|(k, v)| (k.as_str(), from_json(v)))),
    }
}

/// A template value as JSON. Undefined is an error: a rendered config never holds it.
pub(crate) fn to_json(value: &Value) -> Result<serde_json::Value, Error> {
    if value.is_undefined() {
        return Err(Error::new(ErrorKind::UndefinedError, "the expression is undefined"));
    }
    serde_json::to_value(value).map_err(|err| Error::new(ErrorKind::BadSerialization, err.to_string()))
}
