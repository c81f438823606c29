//! PAO50x-51x: form consistency — conditionals, defaults, options and validation constraints.

use std::collections::HashMap;

use pao_form::{FieldValidator, FieldView, Rule as FormRule};
use pao_schema::{Condition, Field, FieldType, Form, OptionEntry, Scalar};
use pao_source::Node;
use serde_json::Value;

use crate::checker::{Checker, did_you_mean};
use crate::declare_rule;

declare_rule! {
    /// ## What it does
    /// Flags a `conditional.dependsOn` that names no field of the item.
    ///
    /// ## Why is this bad?
    /// The field would never be shown (or always, depending on the UI).
    ///
    /// ## Example
    /// ```yaml
    /// conditional: { dependsOn: enableEncrption, condition: truthy }
    /// ```
    ///
    /// Use instead: `dependsOn: enableEncryption`.
    pub(crate) static CONDITIONAL_TARGET_MISSING = ("PAO501", "conditional-target-missing", Error, "A conditional depends on a field that does not exist");
}

declare_rule! {
    /// ## What it does
    /// Flags a conditional that depends on the field itself or on a field that comes later in the
    /// form.
    ///
    /// ## Why is this bad?
    /// Forms are filled top to bottom; a field controlled from below jumps around as the user
    /// types, and chains of such fields can form a cycle.
    ///
    /// ## Example
    /// `encryptionKey` (first group) depending on `enableEncryption` (second group).
    ///
    /// Use instead: move `enableEncryption` above `encryptionKey`.
    pub(crate) static CONDITIONAL_TARGET_LATER = ("PAO502", "conditional-target-not-earlier", Error, "A conditional depends on itself or a later field");
}

declare_rule! {
    /// ## What it does
    /// Flags a `default` whose type does not fit the field: text for a number, a number for a
    /// boolean, a single value for a multiselect, a malformed date.
    ///
    /// ## Why is this bad?
    /// The form would start with a value its own validation rejects.
    ///
    /// ## Example
    /// ```yaml
    /// type: integer
    /// default: "7"
    /// ```
    ///
    /// Use instead: `default: 7`.
    pub(crate) static DEFAULT_TYPE_MISMATCH = ("PAO503", "default-type-mismatch", Error, "A default value does not fit the field type");
}

declare_rule! {
    /// ## What it does
    /// Flags a `default` of a select or multiselect that is not among its `options`.
    ///
    /// ## Why is this bad?
    /// The dropdown cannot show it, and a request submitted with it would be rejected.
    ///
    /// ## Example
    /// ```yaml
    /// options: ["15", "16"]
    /// default: "17"
    /// ```
    ///
    /// Use instead: `default: "16"`.
    pub(crate) static DEFAULT_NOT_IN_OPTIONS = ("PAO504", "default-not-in-options", Error, "A default is not one of the field's options");
}

declare_rule! {
    /// ## What it does
    /// Flags a select or multiselect without options, options on a field of another type, and
    /// an option value listed twice.
    ///
    /// ## Why is this bad?
    /// A dropdown with nothing to choose cannot be submitted; options on a text field are
    /// ignored; duplicate values make choices indistinguishable.
    ///
    /// ## Example
    /// ```yaml
    /// type: select
    /// options: []
    /// ```
    ///
    /// Use instead: `options: ["small", "medium", "large"]`.
    pub(crate) static INVALID_OPTIONS = ("PAO505", "invalid-options", Error, "Options are missing, empty, misplaced or repeated");
}

declare_rule! {
    /// ## What it does
    /// Flags a `validation.pattern` that is not a valid regular expression.
    ///
    /// ## Why is this bad?
    /// Every value would be rejected (or the check skipped) at request time.
    ///
    /// ## Example
    /// ```yaml
    /// pattern: "^[a-z+$"
    /// ```
    ///
    /// Use instead: `pattern: "^[a-z]+$"`.
    pub(crate) static INVALID_REGEX = ("PAO506", "invalid-validation-pattern", Error, "A validation pattern does not compile");
}

declare_rule! {
    /// ## What it does
    /// Flags a minimum above its maximum: `minLength` > `maxLength`, `min` > `max` (numbers or
    /// dates), `minItems` > `maxItems`.
    ///
    /// ## Why is this bad?
    /// No value can ever be valid.
    ///
    /// ## Example
    /// ```yaml
    /// validation: { min: 100, max: 10 }
    /// ```
    ///
    /// Use instead: `validation: { min: 10, max: 100 }`.
    pub(crate) static MIN_ABOVE_MAX = ("PAO507", "min-greater-than-max", Error, "A minimum is greater than its maximum");
}

declare_rule! {
    /// ## What it does
    /// Flags validation keys that do not apply to the field type: `pattern` on a number,
    /// `minItems` on a text field, a `step` on a date.
    ///
    /// ## Why is this bad?
    /// The constraint is silently ignored, so the author believes in a check that never runs.
    ///
    /// ## Example
    /// ```yaml
    /// type: integer
    /// validation: { pattern: "^[0-9]+$" }
    /// ```
    ///
    /// Use instead: `validation: { min: 0 }`.
    pub(crate) static VALIDATION_NOT_APPLICABLE = ("PAO508", "validation-not-applicable", Warning, "A validation key does not apply to the field type");
}

declare_rule! {
    /// ## What it does
    /// Flags a conditional whose `value` does not fit its `condition` or the field it depends
    /// on: `equals`, `in` (and their negations) without a value, a value the other field can
    /// never hold — one request validation refuses for that field (not among its options, the
    /// wrong type, outside its validation) or stores as something else (`16` for option `"16"`).
    /// `in: x` is `in: [x]`. A multiselect's value is the list of selected options and is
    /// compared whole, so its conditions compare with lists (`equals: [a]`,
    /// `in: [[a], [a, b]]`) or use `truthy`/`falsy`.
    ///
    /// ## Why is this bad?
    /// The field would never (or always) be shown.
    ///
    /// ## Example
    /// ```yaml
    /// # engineVersion: { type: select, options: ["15", "16"] }
    /// conditional: { dependsOn: engineVersion, condition: in, value: [16, "17"] }
    /// ```
    ///
    /// Use instead: `value: ["16"]`.
    pub(crate) static INVALID_CONDITIONAL_VALUE = ("PAO509", "invalid-conditional-value", Error, "A conditional's value cannot match the field it depends on");
}

declare_rule! {
    /// ## What it does
    /// Flags a `default` that breaks the field's own `validation` (pattern, length, range,
    /// `step`, `minItems`/`maxItems`, date bounds, a choice listed twice), exactly as request
    /// validation would refuse it.
    ///
    /// ## Why is this bad?
    /// Requesters who keep the default get an error they did not cause.
    ///
    /// ## Example
    /// ```yaml
    /// default: 2
    /// validation: { min: 7, max: 35 }
    /// ```
    ///
    /// Use instead: `default: 7`.
    pub(crate) static DEFAULT_FAILS_VALIDATION = ("PAO510", "default-fails-validation", Error, "A default value fails the field's validation");
}

declare_rule! {
    /// ## What it does
    /// Flags a form group without fields, and a form without groups.
    ///
    /// ## Why is this bad?
    /// An empty section is clutter; an empty form usually means fields were lost in an edit.
    ///
    /// ## Example
    /// ```yaml
    /// groups:
    ///   - { id: advanced, name: Advanced, fields: [] }
    /// ```
    ///
    /// Use instead: remove the group, or add its fields.
    pub(crate) static EMPTY_GROUP = ("PAO511", "empty-form-group", Warning, "A form or form group has no fields");
}

/// A field with the pointer to it, in form order.
struct Located<'f> {
    field: &'f Field,
    at: At<'f>,
}

/// A field's node in the YAML tree, for pointing at its parts without building JSON Pointers.
#[derive(Clone, Copy)]
struct At<'n>(Option<&'n Node>);

impl<'n> At<'n> {
    fn node(self, path: &[&str]) -> Option<&'n Node> {
        path.iter().try_fold(self.0?, |node, key| node.get(key))
    }

    /// The value at `path`, or an empty range.
    fn span(self, path: &[&str]) -> std::ops::Range<usize> {
        self.node(path).map_or(0..0, |n| n.span.clone())
    }

    /// The key that `path` ends in.
    fn key_span(self, path: &[&str]) -> Option<std::ops::Range<usize>> {
        let (last, parent) = path.split_last()?;
        self.node(parent)?.entry(last).map(|e| e.key_span.clone())
    }
}

/// Checks the form of an item or bundle; `base` is `/presentation/form`.
pub(crate) fn check_form(form: &Form, root: &Node, file: &str, checker: &mut Checker<'_>) {
    let base = "/presentation/form";
    let span = |pointer: &str| root.pointer(pointer).map_or(0..0, |n| n.span.clone());
    let key_span = |pointer: &str| root.key_span(pointer).unwrap_or_else(|| span(pointer));
    if form.groups.is_empty() {
        checker.report(
            &EMPTY_GROUP,
            file,
            key_span(&format!("{base}/groups")),
            "the form has no groups",
            "add a group with the fields requesters fill in".to_owned(),
        );
    }
    let mut fields = Vec::new();
    let groups = root.pointer("/presentation/form/groups");
    for (g, group) in form.groups.iter().enumerate() {
        let group_node = At(groups.and_then(|n| n.items().get(g)));
        if group.fields.is_empty() {
            checker.report(
                &EMPTY_GROUP,
                file,
                group_node.span(&["id"]),
                format!("group `{}` has no fields", group.id),
                "remove the group or add fields to it".to_owned(),
            );
        }
        let field_nodes = group_node.node(&["fields"]).map_or(&[][..], Node::items);
        for (f, field) in group.fields.iter().enumerate() {
            fields.push(Located { field, at: At(field_nodes.get(f)) });
        }
    }
    let position: HashMap<&str, usize> =
        fields.iter().enumerate().rev().map(|(i, l)| (l.field.id.as_str(), i)).collect();
    for (index, located) in fields.iter().enumerate() {
        let field = located.field;
        let at = located.at;
        check_options(field, at, file, checker);
        check_default(field, at, file, checker);
        if let Some(validation) = &field.validation {
            check_validation(field, validation, at, file, checker);
        }
        let Some(conditional) = &field.conditional else { continue };
        let depends_span = at.span(&["conditional", "dependsOn"]);
        match position.get(conditional.depends_on.as_str()) {
            None => {
                let earlier = &fields[..index];
                // The field meant, when that is certain: named by its display name, or one edit
                // away from the id of exactly one earlier field.
                let wanted = conditional.depends_on.trim();
                let by_name: Vec<&str> = earlier
                    .iter()
                    .filter(|l| l.field.name.trim().eq_ignore_ascii_case(wanted))
                    .map(|l| l.field.id.as_str())
                    .collect();
                let meant = match by_name.as_slice() {
                    [id] => Some((*id, format!("`{wanted}` is the display name of `{id}`; name the field by its id"))),
                    [] => crate::fix::one_edit_away(wanted, earlier.iter().map(|l| l.field.id.as_str()))
                        .map(|id| (id, format!("did you mean `{id}`?"))),
                    _ => None,
                };
                let help = meant.as_ref().map(|(_, help)| help.clone()).unwrap_or_else(|| {
                    did_you_mean(&conditional.depends_on, fields.iter().map(|l| l.field.id.as_str()))
                        .unwrap_or_else(|| "name a field defined earlier in this form".to_owned())
                });
                let reported = checker.report(
                    &CONDITIONAL_TARGET_MISSING,
                    file,
                    depends_span.clone(),
                    format!(
                        "field `{}` depends on `{}`, which is not a field of this form",
                        field.id, conditional.depends_on
                    ),
                    help,
                );
                if let (Some(diagnostic), Some((id, _))) = (reported, meant)
                    && !depends_span.is_empty()
                {
                    diagnostic.fix = Some(pao_diagnostics::Fix::replace(format!("depend on `{id}`"), depends_span, id));
                }
            }
            Some(&target) if target >= index => {
                let (message, help) = if target == index {
                    (
                        format!("field `{}` depends on itself", field.id),
                        "name the earlier field that decides whether this one is shown".to_owned(),
                    )
                } else {
                    (
                        format!(
                            "field `{}` depends on `{}`, which comes later in the form",
                            field.id, conditional.depends_on
                        ),
                        format!("move `{}` above `{}`", conditional.depends_on, field.id),
                    )
                };
                if let Some(d) = checker.report(&CONDITIONAL_TARGET_LATER, file, depends_span, message, help) {
                    if target != index {
                        d.labels.push(pao_diagnostics::Label {
                            range: fields[target].at.span(&["id"]),
                            message: "defined here".into(),
                        });
                    }
                }
            }
            Some(&target) => check_conditional_value(field, fields[target].field, at, file, checker),
        }
    }
}

fn check_options(field: &Field, at: At<'_>, file: &str, checker: &mut Checker<'_>) {
    let options_span = at.key_span(&["options"]);
    match (&field.options, field.field_type.has_options()) {
        (None, true) => {
            checker.report(
                &INVALID_OPTIONS,
                file,
                at.span(&["type"]),
                format!("{} field `{}` has no `options`", field.field_type.as_str(), field.id),
                "add `options:` with the choices".to_owned(),
            );
        }
        (Some(options), true) if options.is_empty() => {
            checker.report(
                &INVALID_OPTIONS,
                file,
                options_span.unwrap_or(0..0),
                format!("field `{}` has an empty `options` list", field.id),
                "list at least one choice".to_owned(),
            );
        }
        (Some(_), false) => {
            checker.report(
                &INVALID_OPTIONS,
                file,
                options_span.unwrap_or(0..0),
                format!("`options` is ignored on a {} field", field.field_type.as_str()),
                "use `type: select` or `type: multiselect`, or remove `options`".to_owned(),
            );
        }
        (Some(options), true) => {
            // Two options are one when request validation cannot tell them apart: equal as it
            // compares values (`pao_form::same_value`: numbers by value, so `1` and `1.0`).
            let mut seen: HashMap<String, usize> = HashMap::new();
            for (i, option) in options.iter().enumerate() {
                let key = match option.value().to_json() {
                    Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), |f| format!("{f:?}")),
                    other => other.to_string(),
                };
                if seen.insert(key, i).is_some() {
                    let span = at.node(&["options"]).and_then(|n| n.items().get(i)).map_or(0..0, |n| n.span.clone());
                    checker.report(
                        &INVALID_OPTIONS,
                        file,
                        span,
                        format!("option `{}` is listed twice", option.value().to_text()),
                        "remove the repeated option".to_owned(),
                    );
                }
            }
        }
        (None, false) => {}
    }
}

fn option_values(field: &Field) -> Vec<&Scalar> {
    field.options.iter().flatten().map(OptionEntry::value).collect()
}

/// The option values as JSON, for help texts.
fn shown_options(field: &Field) -> String {
    let values: Vec<String> = option_values(field).iter().map(|v| v.to_json().to_string()).collect();
    values.join(", ")
}

/// Whether the value of a field of this type is valid is decided by request validation itself
/// (`pao_form`), field by field, so lint and `pao form validate` cannot disagree. The item's own
/// `validation.message` is left out: it tells requesters what the constraint wants, while lint
/// says which constraint a default breaks.
fn value_validator(field: &Field) -> FieldValidator {
    let mut view = FieldView::from_field(field);
    if let Some(validation) = &mut view.validation {
        validation.message = None;
    }
    FieldValidator::from_view(view)
}

/// What a value of this field type is, for help texts.
fn expected(field_type: FieldType) -> &'static str {
    match field_type {
        FieldType::String | FieldType::Textarea | FieldType::Password => "text",
        FieldType::Number => "a number",
        FieldType::Integer => "a whole number",
        FieldType::Boolean => "`true` or `false`",
        FieldType::Select => "one option value",
        FieldType::Multiselect => "a list of option values",
        FieldType::Date => "a date `YYYY-MM-DD`",
    }
}

/// A validator message as the second half of a lint message: `Must be at least 7` → `must be
/// at least 7`.
fn lowercase_first(message: &str) -> String {
    let mut chars = message.chars();
    chars.next().map_or_else(String::new, |first| first.to_lowercase().chain(chars).collect())
}

fn check_default(field: &Field, at: At<'_>, file: &str, checker: &mut Checker<'_>) {
    let Some(default) = field.default.as_ref() else { return };
    if ![&DEFAULT_TYPE_MISMATCH, &DEFAULT_NOT_IN_OPTIONS, &DEFAULT_FAILS_VALIDATION].iter().any(|r| checker.enabled(r))
    {
        return;
    }
    // `null`, `""` and an empty selection are no value: the field starts empty.
    let Err(error) = value_validator(field).check(default) else { return };
    let span = at.span(&["default"]);
    let (id, kind) = (&field.id, field.field_type.as_str());
    let said = lowercase_first(&error.message);
    let not_one_value = field.field_type == FieldType::Select && (default.is_array() || default.is_object());
    match error.rule {
        // PAO506 reports the pattern itself.
        FormRule::InvalidPattern => {}
        FormRule::Type => {
            checker.report(
                &DEFAULT_TYPE_MISMATCH,
                file,
                span,
                format!("the default of {kind} field `{id}` does not fit its type: {said}"),
                format!("write {}", expected(field.field_type)),
            );
        }
        FormRule::Option if not_one_value => {
            checker.report(
                &DEFAULT_TYPE_MISMATCH,
                file,
                span,
                format!("the default of {kind} field `{id}` must be one option value, not a list"),
                format!("write {}", expected(field.field_type)),
            );
        }
        FormRule::Option => {
            let help = if option_values(field).is_empty() {
                "the field has no options yet; add them, then pick the default among them".to_owned()
            } else {
                format!("use one of {}", shown_options(field))
            };
            checker.report(
                &DEFAULT_NOT_IN_OPTIONS,
                file,
                span,
                format!("the default of `{id}` is not one of its options: {said}"),
                help,
            );
        }
        _ => {
            checker.report(
                &DEFAULT_FAILS_VALIDATION,
                file,
                span,
                format!("the default of `{id}` fails its validation: {said}"),
                "change the default or the validation".to_owned(),
            );
        }
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// "a" or "an" before a field type name.
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" }
}

/// `YYYY-MM-DD` naming a real calendar day: the same check request validation applies.
pub(crate) use pao_form::is_date;

fn number(scalar: Option<&Scalar>) -> Option<f64> {
    match scalar? {
        Scalar::Number(n) => n.as_f64(),
        _ => None,
    }
}

fn date(scalar: Option<&Scalar>) -> Option<&str> {
    match scalar? {
        Scalar::String(s) if is_date(s) => Some(s),
        _ => None,
    }
}

fn check_validation(field: &Field, v: &pao_schema::Validation, at: At<'_>, file: &str, checker: &mut Checker<'_>) {
    let key = |name: &str| at.key_span(&["validation", name]).unwrap_or(0..0);
    let value_span = |name: &str| at.span(&["validation", name]);
    let t = field.field_type;
    if let Some(pattern) = &v.pattern {
        // Compiled exactly as request validation (CLI, API, HTML page) compiles it.
        if let Err(detail) = pao_form::pattern::compile_cached(pattern) {
            checker.report(
                &INVALID_REGEX,
                file,
                value_span("pattern"),
                format!("`validation.pattern` of `{}` is not a valid regular expression: {detail}", field.id),
                "fix the expression; remember to escape `\\` inside double quotes".to_owned(),
            );
        }
    }
    let not_applicable: &[(&str, bool)] = &[
        ("pattern", v.pattern.is_some() && !t.is_text()),
        ("minLength", v.min_length.is_some() && !t.is_text()),
        ("maxLength", v.max_length.is_some() && !t.is_text()),
        ("min", v.min.is_some() && !(t.is_numeric() || t == FieldType::Date)),
        ("max", v.max.is_some() && !(t.is_numeric() || t == FieldType::Date)),
        ("step", v.step.is_some() && !t.is_numeric()),
        ("minItems", v.min_items.is_some() && t != FieldType::Multiselect),
        ("maxItems", v.max_items.is_some() && t != FieldType::Multiselect),
    ];
    for (name, misplaced) in not_applicable {
        if *misplaced {
            checker.report(
                &VALIDATION_NOT_APPLICABLE,
                file,
                key(name),
                format!("`validation.{name}` does not apply to {} {} field", article(t.as_str()), t.as_str()),
                "remove it, or change the field type".to_owned(),
            );
        }
    }
    let pairs: [(&str, &str, Option<f64>, Option<f64>); 3] = [
        ("minLength", "maxLength", v.min_length.map(|n| n as f64), v.max_length.map(|n| n as f64)),
        ("min", "max", number(v.min.as_ref()), number(v.max.as_ref())),
        ("minItems", "maxItems", v.min_items.map(|n| n as f64), v.max_items.map(|n| n as f64)),
    ];
    for (name, max_name, min, max) in pairs {
        if let (Some(min), Some(max)) = (min, max) {
            if min > max {
                checker.report(
                    &MIN_ABOVE_MAX,
                    file,
                    value_span(name),
                    format!(
                        "`validation.{name}` ({min}) is greater than `validation.{max_name}` ({max}) on `{}`",
                        field.id
                    ),
                    "swap the two values".to_owned(),
                );
            }
        }
    }
    if t == FieldType::Date {
        for name in ["min", "max"] {
            let scalar = if name == "min" { v.min.as_ref() } else { v.max.as_ref() };
            if scalar.is_some() && date(scalar).is_none() {
                checker.report(
                    &DEFAULT_TYPE_MISMATCH,
                    file,
                    value_span(name),
                    format!("`validation.{name}` of date field `{}` must be a date `YYYY-MM-DD`", field.id),
                    "write e.g. 2026-01-31".to_owned(),
                );
            }
        }
        if let (Some(min), Some(max)) = (date(v.min.as_ref()), date(v.max.as_ref())) {
            if min > max {
                checker.report(
                    &MIN_ABOVE_MAX,
                    file,
                    value_span("min"),
                    format!("`validation.min` ({min}) is after `validation.max` ({max}) on `{}`", field.id),
                    "swap the two dates".to_owned(),
                );
            }
        }
    }
    if t.is_numeric() {
        if let Some(scalar @ Scalar::String(_)) = v.min.as_ref().or(v.max.as_ref()) {
            let name = if v.min.as_ref() == Some(scalar) { "min" } else { "max" };
            checker.report(
                &DEFAULT_TYPE_MISMATCH,
                file,
                value_span(name),
                format!("`validation.{name}` of numeric field `{}` must be a number", field.id),
                "remove the quotes".to_owned(),
            );
        }
    }
}

fn check_conditional_value(field: &Field, target: &Field, at: At<'_>, file: &str, checker: &mut Checker<'_>) {
    let Some(conditional) = &field.conditional else { return };
    if !checker.enabled(&INVALID_CONDITIONAL_VALUE) {
        return;
    }
    let span = at
        .node(&["conditional", "value"])
        .or_else(|| at.node(&["conditional", "condition"]))
        .map_or(0..0, |n| n.span.clone());
    let mut report = |message: String, help: String| {
        checker.report(&INVALID_CONDITIONAL_VALUE, file, span.clone(), message, help);
    };
    let condition = conditional.condition;
    let listed = matches!(condition, Condition::In | Condition::NotIn);
    let compared: Vec<&Value> = match conditional.value.as_ref() {
        _ if matches!(condition, Condition::Truthy | Condition::Falsy) => return,
        None | Some(Value::Null) => {
            let help = if listed { "add `value: [a, b]`" } else { "add `value:`, or use `truthy`/`falsy`" };
            return report(
                format!("condition `{}` on `{}` needs a `value`", condition.as_str(), field.id),
                help.to_owned(),
            );
        }
        Some(Value::Array(items)) if listed => items.iter().collect(),
        // `in: x` is `in: [x]` (docs/forms.md): request validation reads a single value so.
        Some(value) => vec![value],
    };
    let multiselect = target.field_type == FieldType::Multiselect;
    let validator = value_validator(target);
    for value in compared {
        // A value the field can never hold is one request validation refuses, or one it stores
        // as something else (`16` chooses option `"16"`, and the condition then compares `"16"`).
        let error = match validator.check(value) {
            Ok(None) => continue,
            Ok(Some(stored)) if pao_form::same_value(&stored, value) => continue,
            Ok(Some(stored)) => {
                return report(
                    format!("`{}` can never be {value}: its value would be {stored}", target.id),
                    format!("write {stored}, with the option's type"),
                );
            }
            Err(error) => error,
        };
        match error.rule {
            FormRule::InvalidPattern => {}
            // A multiselect's value is the list of selected options, and conditions compare it
            // whole (`equals: [a]`, `in: [[a], [a, b]]`): a plain value can never match it.
            FormRule::Type if multiselect => {
                let example = if listed {
                    format!("`value: [[{}]]`", plain(value))
                } else {
                    format!("`value: [{}]`", plain(value))
                };
                return report(
                    format!(
                        "`{}` is a multiselect field, whose value is the list of selected options, so it is never {value}",
                        target.id
                    ),
                    format!("compare with a whole selection, e.g. {example}, or use `truthy`/`falsy`"),
                );
            }
            FormRule::Type => {
                return report(
                    format!(
                        "`{}` is {} {} field, so it can never be {value}: {}",
                        target.id,
                        article(target.field_type.as_str()),
                        target.field_type.as_str(),
                        lowercase_first(&error.message)
                    ),
                    format!("write {}", expected(target.field_type)),
                );
            }
            FormRule::Option => {
                let why =
                    if multiselect { lowercase_first(&error.message) } else { "it is not one of its options".into() };
                return report(
                    format!("`{}` can never be {value}: {why}", target.id),
                    format!("compare with one of {}", shown_options(target)),
                );
            }
            _ => {
                return report(
                    format!(
                        "`{}` can never be {value}: its validation refuses it ({})",
                        target.id,
                        lowercase_first(&error.message)
                    ),
                    "compare with a value the field accepts".to_owned(),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_date;

    #[test]
    fn dates_are_real_calendar_days() {
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2023-02-29"));
        assert!(!is_date("2026-13-01"));
        assert!(!is_date("01/07/2026"));
    }
}
