//! Request-value validation: the one implementation the CLI, the REST API and (mirrored line for
//! line in `assets/form.js`) the HTML preview use.
//!
//! Fields are checked in form order. A field's visibility is decided from the values already
//! normalised (defaults applied) of the fields before it, so chains (A shows B shows C) work and
//! a field whose controlling field is hidden is hidden too. Each field reports at most one error:
//! the first rule it breaks, in the order type, options, length, pattern, range, step, items.
//! See `docs/forms.md` for the full semantics.

use std::collections::HashMap;

use pao_schema::{Condition, FieldType, Form, Scalar};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::describe::{FieldView, FormDescription};
use crate::pattern;

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldError {
    /// Id of the field (or of the unknown key) at fault.
    pub field: String,
    /// What is wrong, for people: the item's own `validation.message` when it has one.
    pub message: String,
    /// Which rule failed, for programs.
    pub rule: Rule,
}

impl std::fmt::Display for FieldError {
    /// `field: message`, as `pao form validate` prints it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// The rule a value broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Rule {
    /// The key is not a field of the form.
    UnknownField,
    /// The field is hidden by its conditional but a value was given.
    Hidden,
    /// A visible required field has no value.
    Required,
    /// The value has the wrong JSON type (or is not a whole number, or not a date).
    Type,
    /// The value is not one of the field's options.
    Option,
    /// A multiselect lists the same choice twice.
    Duplicate,
    /// Text does not match `validation.pattern`.
    Pattern,
    /// The catalog's pattern cannot be compiled, so the value cannot be checked.
    InvalidPattern,
    /// Text shorter than `minLength` characters.
    MinLength,
    /// Text longer than `maxLength` characters.
    MaxLength,
    /// Number or date below `min`.
    Min,
    /// Number or date above `max`.
    Max,
    /// Number off the `step` grid.
    Step,
    /// Fewer choices than `minItems`.
    MinItems,
    /// More choices than `maxItems`.
    MaxItems,
}

/// The result of checking a request's values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// Whether no field is invalid.
    pub valid: bool,
    /// Invalid fields: form fields in form order, then unknown keys in input order.
    pub errors: Vec<FieldError>,
    /// The values to store: every visible field that has a value, defaults applied, select
    /// values in their catalog type (`16` for option `"16"` becomes `"16"`), whole numbers of
    /// `integer` fields as integers. Hidden fields and empty optional fields are left out.
    pub values: Map<String, Value>,
    /// Ids of the fields hidden by their conditionals, in form order.
    pub hidden: Vec<String>,
}

/// A form prepared for validation: patterns compiled once. `Send + Sync`; share it.
#[derive(Debug, Clone)]
pub struct Validator {
    fields: Vec<FieldValidator>,
}

/// One field prepared for checking values: the per-field part of [`Validator`], and what
/// `pao-lint` asks whether a default or a conditional's value is valid for a field, so the two
/// can never disagree.
#[derive(Debug, Clone)]
pub struct FieldValidator {
    view: FieldView,
    pattern: Option<Result<Regex, String>>,
}

impl FieldValidator {
    /// Prepares a catalog field.
    pub fn new(field: &pao_schema::Field) -> Self {
        Self::from_view(FieldView::from_field(field))
    }

    /// Prepares a described field. Its pattern is compiled once per process
    /// ([`pattern::compile_cached`]).
    pub fn from_view(view: FieldView) -> Self {
        let pattern = view
            .validation
            .as_ref()
            .and_then(|v| v.pattern.as_deref())
            .filter(|_| view.field_type.is_text())
            .map(pattern::compile_cached);
        Self { view, pattern }
    }

    /// The field as described.
    pub fn view(&self) -> &FieldView {
        &self.view
    }

    /// Checks one value given for this field while it is visible, as [`Validator::validate`]
    /// checks it: `Ok(None)` when it is no value at all (missing, `null`, `""`, or an empty list
    /// for a multiselect), where only `required` applies; `Ok(Some(value))` normalised (see
    /// [`Outcome::values`]); otherwise the first rule it breaks.
    ///
    /// # Errors
    /// The field's error, as a request with this value would get it.
    pub fn check(&self, value: &Value) -> Result<Option<Value>, FieldError> {
        if is_empty(value) || self.is_empty_selection(value) {
            return Ok(None);
        }
        self.check_present(value).map(Some)
    }

    /// A multiselect with nothing chosen.
    fn is_empty_selection(&self, value: &Value) -> bool {
        self.view.field_type == FieldType::Multiselect && value.as_array().is_some_and(Vec::is_empty)
    }
}

impl Validator {
    /// Prepares a catalog form.
    pub fn new(form: &Form) -> Self {
        Self::from_fields(form.fields().map(FieldView::from_field))
    }

    /// Prepares a form description.
    pub fn from_description(description: &FormDescription) -> Self {
        Self::from_fields(description.fields().cloned())
    }

    /// A field id used twice (PAO307, an error pao-lint reports) names the first field with
    /// that id: values are keyed by id, so the later fields can hold no value and are ignored.
    fn from_fields(fields: impl Iterator<Item = FieldView>) -> Self {
        let mut seen = std::collections::HashSet::new();
        let fields = fields.filter(|view| seen.insert(view.id.clone())).map(FieldValidator::from_view).collect();
        Self { fields }
    }

    /// Fields whose pattern cannot be compiled, with the reason. Values of these fields are
    /// always reported invalid ([`Rule::InvalidPattern`]).
    pub fn pattern_errors(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().filter_map(|field| match &field.pattern {
            Some(Err(reason)) => Some((field.view.id.as_str(), reason.as_str())),
            _ => None,
        })
    }

    /// Checks a request's values.
    pub fn validate(&self, values: &Map<String, Value>) -> Outcome {
        let mut errors = Vec::new();
        let mut output = Map::new();
        let mut hidden = Vec::new();
        // Per field already checked: (visible, effective value).
        let mut state: HashMap<&str, (bool, Value)> = HashMap::new();

        for field in &self.fields {
            let view = &field.view;
            let raw = values.get(&view.id).unwrap_or(&Value::Null);
            let visibility = self.visibility(view, &state, values);
            if let Err(reason) = visibility {
                hidden.push(view.id.clone());
                if !is_blank(raw) {
                    errors.push(FieldError {
                        field: view.id.clone(),
                        message: format!("{} is hidden because {reason}; remove this value", view.name),
                        rule: Rule::Hidden,
                    });
                }
                state.insert(&view.id, (false, Value::Null));
                continue;
            }
            let effective = if is_empty(raw) {
                if view.default.is_null() {
                    if view.required {
                        errors.push(FieldError {
                            field: view.id.clone(),
                            message: format!("{} is required", view.name),
                            rule: Rule::Required,
                        });
                    }
                    Value::Null
                } else if is_blank(&view.default) {
                    output.insert(view.id.clone(), view.default.clone());
                    view.default.clone()
                } else {
                    // The default is checked like a given value: what is stored must validate
                    // again when read back. An invalid default is the catalog item's error
                    // (pao-lint reports it); the requester can still choose a valid value.
                    match field.check_present(&view.default) {
                        Ok(value) => {
                            output.insert(view.id.clone(), value.clone());
                            value
                        }
                        Err(error) => {
                            errors.push(FieldError {
                                message: format!(
                                    "{} needs a value: its default {} is not valid ({}); choose a value, and \
                                     tell the item's owners to fix the default",
                                    view.name, view.default, error.message
                                ),
                                ..error
                            });
                            Value::Null
                        }
                    }
                }
            } else if field.is_empty_selection(raw) {
                // Nothing chosen: a choice (no default), and like any empty value only `required`
                // applies to it, not `minItems`.
                if view.required {
                    errors.push(FieldError {
                        field: view.id.clone(),
                        message: format!("{} is required", view.name),
                        rule: Rule::Required,
                    });
                } else {
                    output.insert(view.id.clone(), raw.clone());
                }
                raw.clone()
            } else {
                match field.check_present(raw) {
                    Ok(value) => {
                        output.insert(view.id.clone(), value.clone());
                        value
                    }
                    Err(error) => {
                        errors.push(error);
                        raw.clone()
                    }
                }
            };
            state.insert(&view.id, (true, effective));
        }

        for key in values.keys() {
            if !self.fields.iter().any(|field| field.view.id == *key) {
                errors.push(FieldError {
                    field: key.clone(),
                    message: format!("Unknown field: the form has no field `{key}`"),
                    rule: Rule::UnknownField,
                });
            }
        }
        Outcome { valid: errors.is_empty(), errors, values: output, hidden }
    }

    /// `Ok` when the field is shown, else why it is hidden.
    fn visibility(
        &self,
        view: &FieldView,
        state: &HashMap<&str, (bool, Value)>,
        values: &Map<String, Value>,
    ) -> Result<(), String> {
        let Some(conditional) = &view.conditional else { return Ok(()) };
        let dep_id = conditional.depends_on.as_str();
        let dep_name = self.fields.iter().find(|f| f.view.id == dep_id).map_or(dep_id, |f| f.view.name.as_str());
        let actual = match state.get(dep_id) {
            Some((false, _)) => return Err(format!("{dep_name} is hidden")),
            Some((true, value)) => value.clone(),
            // A field that comes later (or not at all; both are lint errors): its raw value.
            None => {
                let raw = values.get(dep_id).filter(|v| !is_empty(v)).cloned();
                let default = self.fields.iter().find(|f| f.view.id == dep_id).map(|f| f.view.default.clone());
                raw.or(default).unwrap_or(Value::Null)
            }
        };
        if condition_holds(conditional.condition, &conditional.value, &actual) {
            Ok(())
        } else {
            Err(format!("{dep_name} {}", explain_failed(conditional.condition, &conditional.value)))
        }
    }
}

impl FieldValidator {
    /// Checks a non-empty value; returns it normalised.
    fn check_present(&self, value: &Value) -> Result<Value, FieldError> {
        let view = &self.view;
        let validation = view.validation.clone().unwrap_or_default();
        let fail = |rule: Rule, message: String| FieldError { field: view.id.clone(), message, rule };
        // Constraint failures use the item's own message when it has one.
        let constraint = |rule: Rule, default: String| {
            let message = validation.message.clone().unwrap_or(default);
            FieldError { field: view.id.clone(), message, rule }
        };
        match view.field_type {
            FieldType::String | FieldType::Textarea | FieldType::Password => {
                let Value::String(text) = value else {
                    return Err(fail(Rule::Type, format!("Must be text, not {}", json_kind(value))));
                };
                let length = text.chars().count() as u64;
                if let Some(min) = validation.min_length.filter(|&min| length < min) {
                    return Err(constraint(Rule::MinLength, format!("Must be at least {min} characters")));
                }
                if let Some(max) = validation.max_length.filter(|&max| length > max) {
                    return Err(constraint(Rule::MaxLength, format!("Must be at most {max} characters")));
                }
                match &self.pattern {
                    Some(Err(reason)) => {
                        return Err(fail(
                            Rule::InvalidPattern,
                            format!("Cannot be checked: the catalog item's pattern is not supported ({reason})"),
                        ));
                    }
                    Some(Ok(regex)) if !regex.is_match(text) => {
                        let pattern = validation.pattern.as_deref().unwrap_or_default();
                        return Err(constraint(Rule::Pattern, format!("Must match the pattern {pattern}")));
                    }
                    _ => {}
                }
                Ok(value.clone())
            }
            FieldType::Number | FieldType::Integer => {
                let Some(number) = value.as_f64() else {
                    return Err(fail(Rule::Type, format!("Must be a number, not {}", json_kind(value))));
                };
                let integer = view.field_type == FieldType::Integer;
                if integer && number.fract() != 0.0 {
                    return Err(fail(Rule::Type, "Must be a whole number".to_owned()));
                }
                let min = validation.min.as_ref().and_then(scalar_f64);
                let max = validation.max.as_ref().and_then(scalar_f64);
                if let Some(min) = min.filter(|&min| number < min) {
                    return Err(constraint(Rule::Min, format!("Must be at least {}", number_text(min))));
                }
                if let Some(max) = max.filter(|&max| number > max) {
                    return Err(constraint(Rule::Max, format!("Must be at most {}", number_text(max))));
                }
                if let Some(step) = validation.step.filter(|&step| step > 0.0) {
                    let base = min.unwrap_or(0.0);
                    let quotient = (number - base) / step;
                    if (quotient - quotient.round()).abs() > 1e-9 * quotient.abs().max(1.0) {
                        let message = if base == 0.0 || (base / step).fract() == 0.0 {
                            format!("Must be a multiple of {}", number_text(step))
                        } else {
                            format!("Must be {} plus a multiple of {}", number_text(base), number_text(step))
                        };
                        return Err(constraint(Rule::Step, message));
                    }
                }
                if integer && number.abs() < 9_007_199_254_740_992.0 {
                    // Exact: `number` is whole and within the range f64 holds exactly.
                    #[allow(clippy::cast_possible_truncation)]
                    return Ok(Value::from(number as i64));
                }
                Ok(value.clone())
            }
            FieldType::Boolean => match value {
                Value::Bool(_) => Ok(value.clone()),
                _ => Err(fail(Rule::Type, format!("Must be true or false, not {}", json_kind(value)))),
            },
            FieldType::Select => {
                self.option_for(value).ok_or_else(|| fail(Rule::Option, format!("Must be one of: {}", self.choices())))
            }
            FieldType::Multiselect => {
                let Value::Array(items) = value else {
                    return Err(fail(Rule::Type, format!("Must be a list of choices, not {}", json_kind(value))));
                };
                let mut chosen: Vec<Value> = Vec::with_capacity(items.len());
                for item in items {
                    let Some(option) = self.option_for(item) else {
                        return Err(fail(
                            Rule::Option,
                            format!("`{}` is not one of: {}", value_text(item), self.choices()),
                        ));
                    };
                    if chosen.contains(&option) {
                        return Err(fail(Rule::Duplicate, format!("Lists `{}` more than once", value_text(&option))));
                    }
                    chosen.push(option);
                }
                let count = chosen.len() as u64;
                if let Some(min) = validation.min_items.filter(|&min| count < min) {
                    return Err(constraint(Rule::MinItems, format!("Choose at least {min}")));
                }
                if let Some(max) = validation.max_items.filter(|&max| count > max) {
                    return Err(constraint(Rule::MaxItems, format!("Choose at most {max}")));
                }
                Ok(Value::Array(chosen))
            }
            FieldType::Date => {
                let Some(date) = value.as_str().filter(|text| is_date(text)) else {
                    return Err(fail(Rule::Type, "Must be a date in the form YYYY-MM-DD".to_owned()));
                };
                let bound = |scalar: &Option<Scalar>| match scalar {
                    Some(Scalar::String(text)) if is_date(text) => Some(text.clone()),
                    _ => None,
                };
                if let Some(min) = bound(&validation.min).filter(|min| date < min.as_str()) {
                    return Err(constraint(Rule::Min, format!("Must be on or after {min}")));
                }
                if let Some(max) = bound(&validation.max).filter(|max| date > max.as_str()) {
                    return Err(constraint(Rule::Max, format!("Must be on or before {max}")));
                }
                Ok(value.clone())
            }
        }
    }

    /// The option a value chooses: equal as JSON, or equal as text (`16` chooses `"16"`).
    fn option_for(&self, value: &Value) -> Option<Value> {
        if matches!(value, Value::Array(_) | Value::Object(_) | Value::Null) {
            return None;
        }
        let options = self.view.options.as_deref().unwrap_or_default();
        options
            .iter()
            .find(|option| json_eq(&option.value, value))
            .or_else(|| options.iter().find(|option| value_text(&option.value) == value_text(value)))
            .map(|option| option.value.clone())
    }

    /// The option values, for messages.
    fn choices(&self) -> String {
        let options = self.view.options.as_deref().unwrap_or_default();
        let mut text: Vec<String> = options.iter().take(10).map(|option| value_text(&option.value)).collect();
        if options.len() > 10 {
            text.push(format!("… ({} more)", options.len() - 10));
        }
        text.join(", ")
    }
}

/// No value at all: missing, `null` or the empty string. Defaults replace it.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        _ => false,
    }
}

/// Empty, or an empty list: what a hidden field may carry without error.
fn is_blank(value: &Value) -> bool {
    is_empty(value) || matches!(value, Value::Array(items) if items.is_empty())
}

/// Whether a conditional shows its field, given the controlling field's value.
pub fn condition_holds(condition: Condition, expected: &Value, actual: &Value) -> bool {
    match condition {
        Condition::Equals => json_eq(actual, expected),
        Condition::NotEquals => !json_eq(actual, expected),
        Condition::In => in_list(expected, actual),
        Condition::NotIn => !in_list(expected, actual),
        Condition::Truthy => truthy(actual),
        Condition::Falsy => !truthy(actual),
    }
}

fn in_list(list: &Value, actual: &Value) -> bool {
    match list {
        Value::Array(items) => items.iter().any(|item| json_eq(item, actual)),
        single => json_eq(single, actual),
    }
}

/// SPEC truthiness: set, non-empty and not `false` or `0`.
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// JSON equality as conditionals and options compare values: numbers by value (`1` equals
/// `1.0`), everything else exactly (`16` is not `"16"`).
pub fn same_value(a: &Value, b: &Value) -> bool {
    json_eq(a, b)
}

fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_eq(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(key, value)| y.get(key).is_some_and(|other| json_eq(value, other)))
        }
        _ => a == b,
    }
}

fn explain_failed(condition: Condition, expected: &Value) -> String {
    let list = || match expected {
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        other => value_text(other),
    };
    match condition {
        Condition::Equals => format!("is not {}", value_text(expected)),
        Condition::NotEquals => format!("is {}", value_text(expected)),
        Condition::In => format!("is not one of {}", list()),
        Condition::NotIn => format!("is one of {}", list()),
        Condition::Truthy => "is not set".to_owned(),
        Condition::Falsy => "is set".to_owned(),
    }
}

fn scalar_f64(scalar: &Scalar) -> Option<f64> {
    match scalar {
        Scalar::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// A JSON value as the page's JavaScript `String(value)` shows it.
pub(crate) fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), number_text),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_owned(),
        other => other.to_string(),
    }
}

/// A number as JavaScript prints it, for the usual range (`20`, `0.5`, `-3`).
pub(crate) fn number_text(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e15 {
        #[allow(clippy::cast_possible_truncation)]
        let whole = number as i64;
        whole.to_string()
    } else {
        number.to_string()
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// `YYYY-MM-DD`, a real calendar date (leap years included).
pub fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = &text[range];
        part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse().ok()).flatten()
    };
    let (Some(year), Some(month), Some(day)) = (digits(0..4), digits(5..7), digits(8..10)) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// Checks a request's values against a catalog form; the errors only.
pub fn validate(form: &Form, values: &Map<String, Value>) -> Vec<FieldError> {
    Validator::new(form).validate(values).errors
}

/// Checks a request's values against a catalog form; errors, normalised values and hidden fields.
pub fn validate_request(form: &Form, values: &Map<String, Value>) -> Outcome {
    Validator::new(form).validate(values)
}
