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
//! **Bounded output.** Every function that builds text or a list pays fuel for the bytes (or
//! items) of its result *before* allocating it, at minijinja's rate (64 bytes per unit of fuel,
//! as its own `*` and `~` do), so `replace(x, '', x)` or a `json` of a huge lazy list stops with
//! "out of fuel" instead of allocating gigabytes.
//!
//! In deterministic mode (`--deterministic`, the test harness) `uuid()` and `timestamp()` return
//! the fixed `system.uuid` and `system.timestamp`, so rendered output is reproducible.

use std::fmt::Write as _;

use base64::Engine as _;
use minijinja::value::Rest;
use minijinja::{Error, ErrorKind, State, Value};

use crate::context::SystemValues;

/// The namespace of `x | uuid` (UUID v5), fixed so the same text always gives the same UUID.
const PAO_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6f1c_2b1e_8d5a_4c3f_9a7e_5b0d_2c4e_8f10);

fn undefined_error(function: &str) -> Error {
    Error::new(ErrorKind::UndefinedError, format!("`{function}` was given an undefined value"))
}

/// Bytes one unit of fuel pays for (minijinja's `UNITS_PER_FUEL`, one unit per byte).
const BYTES_PER_FUEL: u64 = 64;

/// Pays for `bytes` of output before they are allocated.
fn pay(state: &State, bytes: u64) -> Result<(), Error> {
    state.consume_fuel(bytes.div_ceil(BYTES_PER_FUEL))
}

/// A `fmt::Write`/`io::Write` sink that pays for every chunk written, so formatting a huge
/// (possibly lazy) value stops when the fuel does.
struct PaidWriter<'a, 's, 'env> {
    state: &'a State<'s, 'env>,
    out: String,
    error: Option<Error>,
}

impl<'a, 's, 'env> PaidWriter<'a, 's, 'env> {
    fn new(state: &'a State<'s, 'env>) -> Self {
        Self { state, out: String::new(), error: None }
    }

    fn push(&mut self, chunk: &str) -> bool {
        match pay(self.state, chunk.len() as u64) {
            Ok(()) => {
                self.out.push_str(chunk);
                true
            }
            Err(err) => {
                self.error = Some(err);
                false
            }
        }
    }
}

impl std::fmt::Write for PaidWriter<'_, '_, '_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.push(s) { Ok(()) } else { Err(std::fmt::Error) }
    }
}

impl std::io::Write for PaidWriter<'_, '_, '_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // serde_json writes whole UTF-8 tokens, so each chunk is text.
        let chunk = std::str::from_utf8(buf).map_err(std::io::Error::other)?;
        if self.push(chunk) { Ok(buf.len()) } else { Err(std::io::Error::other("out of fuel")) }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The text of a value for string functions; undefined is an error (strict mode). A value that
/// is not text is formatted paying for its bytes as they are written.
fn text(state: &State, function: &str, value: &Value) -> Result<String, Error> {
    if value.is_undefined() {
        return Err(undefined_error(function));
    }
    Ok(match value.as_str() {
        Some(s) => s.to_owned(),
        None if value.is_none() => String::new(),
        None => {
            // Each item of a list or map prints at least its separator: paid before formatting
            // starts, so a lazy list of a hundred million items is refused at once.
            pay(state, value.len().map_or(0, |n| n as u64).saturating_mul(2))?;
            let mut writer = PaidWriter::new(state);
            if write!(writer, "{value}").is_err() {
                return Err(writer.error.unwrap_or_else(|| Error::new(ErrorKind::InvalidOperation, "cannot format")));
            }
            writer.out
        }
    })
}

pub(crate) fn upper(state: &State, value: &Value) -> Result<String, Error> {
    let text = text(state, "upper", value)?;
    // Upper-casing can grow text (ß → SS): at most three times.
    pay(state, (text.len() as u64).saturating_mul(3))?;
    Ok(text.to_uppercase())
}

pub(crate) fn lower(state: &State, value: &Value) -> Result<String, Error> {
    let text = text(state, "lower", value)?;
    pay(state, (text.len() as u64).saturating_mul(3))?;
    Ok(text.to_lowercase())
}

pub(crate) fn concat(state: &State, args: Rest<Value>) -> Result<Value, Error> {
    let Some(first) = args.0.first() else {
        return Ok(Value::from(""));
    };
    let is_list =
        |v: &Value| matches!(v.kind(), minijinja::value::ValueKind::Seq | minijinja::value::ValueKind::Iterable);
    if is_list(first) {
        let mut items = Vec::new();
        for arg in &args.0 {
            if is_list(arg) {
                pay(state, arg.len().map_or(0, |n| n as u64).saturating_mul(32))?;
                // A list slot costs what minijinja charges for one (a few words), paid up front
                // when the length is known and per item otherwise.
                let sized = arg.len().is_some();
                for item in arg.try_iter()? {
                    if !sized {
                        pay(state, 32)?;
                    }
                    items.push(item);
                }
            } else if arg.is_undefined() {
                return Err(undefined_error("concat"));
            } else {
                pay(state, 32)?;
                items.push(arg.clone());
            }
        }
        return Ok(Value::from(items));
    }
    let texts = args.0.iter().map(|arg| text(state, "concat", arg)).collect::<Result<Vec<_>, _>>()?;
    let len = texts.iter().map(String::len).sum::<usize>();
    pay(state, len as u64)?;
    Ok(Value::from(texts.concat()))
}

pub(crate) fn replace(state: &State, value: &Value, old: &Value, new: &Value) -> Result<String, Error> {
    let (value, old, new) =
        (text(state, "replace", value)?, text(state, "replace", old)?, text(state, "replace", new)?);
    // The result's size, known before it is built: an empty `old` matches before every
    // character and at the end.
    let count = if old.is_empty() { value.chars().count() + 1 } else { value.matches(old.as_str()).count() };
    let len = (value.len() as u64).saturating_add((count as u64).saturating_mul(new.len() as u64));
    pay(state, len.saturating_sub((count as u64).saturating_mul(old.len() as u64)))?;
    Ok(value.replace(&old, &new))
}

pub(crate) fn json(state: &State, value: &Value) -> Result<String, Error> {
    if value.is_undefined() {
        return Err(undefined_error("json"));
    }
    pay(state, value.len().map_or(0, |n| n as u64).saturating_mul(2))?;
    let mut writer = PaidWriter::new(state);
    match serde_json::to_writer(&mut writer, value) {
        Ok(()) => Ok(writer.out),
        Err(err) => Err(writer.error.unwrap_or_else(|| Error::new(ErrorKind::BadSerialization, err.to_string()))),
    }
}

pub(crate) fn base64(state: &State, value: &Value) -> Result<String, Error> {
    let text = text(state, "base64", value)?;
    pay(state, (text.len() as u64).div_ceil(3).saturating_mul(4))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(text))
}

pub(crate) fn uuid(state: &State, deterministic: bool, value: Option<Value>) -> Result<String, Error> {
    match value {
        Some(value) => Ok(uuid::Uuid::new_v5(&PAO_NAMESPACE, text(state, "uuid", &value)?.as_bytes()).to_string()),
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
