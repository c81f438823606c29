//! The allow-listed functions (each also a filter) and tests.
//!
//! | name | call | filter | result |
//! | --- | --- | --- | --- |
//! | `upper` | `upper(x)` | `x \| upper` | text in upper case |
//! | `lower` | `lower(x)` | `x \| lower` | text in lower case |
//! | `concat` | `concat(a, b, ...)` | `a \| concat(b, ...)` | lists joined into one list when the first argument is a list, otherwise the texts joined |
//! | `replace` | `replace(x, old, new)` | `x \| replace(old, new)` | every `old` replaced by `new` |
//! | `json` | `json(x)` | `x \| json` | compact JSON text |
//! | `base64` | `base64(x)` | `x \| base64` | standard Base64 (with padding) of the text |
//! | `uuid` | `uuid()` | `x \| uuid` | a random UUID v4; as a filter, the UUID v5 of the text (stable) |
//! | `timestamp` | `timestamp()` | `x \| timestamp` | now as RFC 3339 UTC; as a filter, Unix seconds as RFC 3339 |
//! | `default` | `default(x, d)` | `x \| default(d)` | `d` (default `""`) when `x` is undefined, null or `""` |
//!
//! Tests (for `{% if x is defined %}`): `defined`, `undefined`, `none`. Nothing else: the
//! environment starts from `Environment::empty()`.
//!
//! In deterministic mode (`--deterministic`, the test harness) `uuid()` and `timestamp()` return
//! the fixed `system.uuid` and `system.timestamp`, so rendered output is reproducible.

use base64::Engine as _;
use minijinja::value::Rest;
use minijinja::{Error, ErrorKind, Value};

use crate::context::SystemValues;
use crate::convert::to_json;

/// The namespace of `x | uuid` (UUID v5), fixed so the same text always gives the same UUID.
const PAO_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6f1c_2b1e_8d5a_4c3f_9a7e_5b0d_2c4e_8f10);

fn undefined_error(function: &str) -> Error {
    Error::new(ErrorKind::UndefinedError, format!("`{function}` was given an undefined value"))
}

/// The text of a value for string functions; undefined is an error (strict mode).
fn text(function: &str, value: &Value) -> Result<String, Error> {
    if value.is_undefined() {
        return Err(undefined_error(function));
    }
    Ok(match value.as_str() {
        Some(s) => s.to_owned(),
        None if value.is_none() => String::new(),
        None => value.to_string(),
    })
}

pub(crate) fn upper(value: &Value) -> Result<String, Error> {
    Ok(text("upper", value)?.to_uppercase())
}

pub(crate) fn lower(value: &Value) -> Result<String, Error> {
    Ok(text("lower", value)?.to_lowercase())
}

pub(crate) fn concat(args: Rest<Value>) -> Result<Value, Error> {
    let Some(first) = args.0.first() else {
        return Ok(Value::from(""));
    };
    if first.kind() == minijinja::value::ValueKind::Seq {
        let mut items = Vec::new();
        for arg in &args.0 {
            if arg.kind() == minijinja::value::ValueKind::Seq {
                items.extend(arg.try_iter()?);
            } else if arg.is_undefined() {
                return Err(undefined_error("concat"));
            } else {
                items.push(arg.clone());
            }
        }
        return Ok(Value::from(items));
    }
    let mut out = String::new();
    for arg in &args.0 {
        out.push_str(&text("concat", arg)?);
    }
    Ok(Value::from(out))
}

pub(crate) fn replace(value: &Value, old: &Value, new: &Value) -> Result<String, Error> {
    Ok(text("replace", value)?.replace(&text("replace", old)?, &text("replace", new)?))
}

pub(crate) fn json(value: &Value) -> Result<String, Error> {
    if value.is_undefined() {
        return Err(undefined_error("json"));
    }
    serde_json::to_string(&to_json(value)?).map_err(|err| Error::new(ErrorKind::BadSerialization, err.to_string()))
}

pub(crate) fn base64(value: &Value) -> Result<String, Error> {
    Ok(base64::engine::general_purpose::STANDARD.encode(text("base64", value)?))
}

pub(crate) fn uuid(deterministic: bool, value: Option<Value>) -> Result<String, Error> {
    match value {
        Some(value) => Ok(uuid::Uuid::new_v5(&PAO_NAMESPACE, text("uuid", &value)?.as_bytes()).to_string()),
        None if deterministic => Ok(SystemValues::deterministic().uuid),
        None => Ok(uuid::Uuid::new_v4().to_string()),
    }
}

pub(crate) fn timestamp(deterministic: bool, value: Option<Value>) -> Result<String, Error> {
    match value {
        Some(value) => {
            if value.is_undefined() {
                return Err(undefined_error("timestamp"));
            }
            let seconds =
                value.as_i64().or_else(|| value.as_str().and_then(|s| s.trim().parse().ok())).ok_or_else(|| {
                    Error::new(ErrorKind::InvalidOperation, format!("`timestamp` expects Unix seconds, got `{value}`"))
                })?;
            Ok(crate::context::rfc3339(seconds))
        }
        None if deterministic => Ok(SystemValues::deterministic().timestamp),
        None => Ok(SystemValues::now().timestamp),
    }
}

pub(crate) fn default(value: &Value, fallback: Option<Value>) -> Value {
    let empty = value.is_undefined() || value.is_none() || value.as_str().is_some_and(str::is_empty);
    if empty { fallback.unwrap_or_else(|| Value::from("")) } else { value.clone() }
}

pub(crate) fn is_defined(value: &Value) -> bool {
    !value.is_undefined()
}

pub(crate) fn is_undefined(value: &Value) -> bool {
    value.is_undefined()
}

pub(crate) fn is_none(value: &Value) -> bool {
    value.is_none()
}
