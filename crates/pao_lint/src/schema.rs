//! The generated JSON Schemas, compiled once, and their errors mapped onto YAML positions.
//!
//! Each error's instance path is walked through the node tree: an unknown key points at the key,
//! a missing key at the mapping that lacks it (its key in the parent), anything else at the value.
//! Pattern errors on identifiers and versions become the specific naming rules, so a bad id reads
//! as "invalid item id", not as a regular expression.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::json::Json;
use jsonschema::{Registry, Validator};
use pao_schema::{COMMON_TYPES, generate_schemas};
use pao_source::Node;
use pao_source::json::NodeJson;
use serde_json::Value;
use std::collections::HashMap;

use crate::checker::{Checker, did_you_mean};
use crate::rules::{naming, schema as rules};

const BASE: &str = "https://schemas.pao.invalid/";

/// The compiled validators of both document kinds, shared by every thread. They validate the
/// YAML tree in place ([`NodeJson`]), without building a JSON value per document.
pub(crate) struct Schemas {
    item: Validator<NodeJson>,
    bundle: Validator<NodeJson>,
    item_json: Value,
    bundle_json: Value,
    common: Value,
}

/// Where a document breaks the schema, for the lenient read ([`crate::lenient`]) that lets the
/// other rules run on what can be read.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    /// JSON Pointers of keys the schema does not allow: they mean nothing, so a reading without
    /// them means what the author meant.
    pub(crate) unknown: Vec<String>,
    /// JSON Pointers of values at fault (wrong type, not an allowed value, out of range, ...).
    pub(crate) values: Vec<String>,
    /// Whether a required key is missing.
    pub(crate) missing: bool,
}

/// A key as a JSON Pointer segment.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Which schema a document is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DocKind {
    Item,
    Bundle,
}

impl Schemas {
    /// The schemas, compiled on first use and then shared by every linter of the process: they
    /// are generated from `pao_schema`'s types, so they never change while it runs.
    pub(crate) fn shared() -> &'static Self {
        static SHARED: std::sync::LazyLock<Schemas> = std::sync::LazyLock::new(Schemas::compile);
        &SHARED
    }

    /// Compiles the schemas generated from `pao_schema`'s types.
    pub(crate) fn compile() -> Self {
        let [item_json, bundle_json, common] = schema_files();
        let [item, bundle] = compile_for::<NodeJson>(&item_json, &bundle_json, &common);
        Self { item, bundle, item_json, bundle_json, common }
    }

    /// Validates a document; reports every error at its place. Returns where it breaks the
    /// schema, or `None` when it is valid.
    pub(crate) fn check(
        &self,
        kind: DocKind,
        root: &Node,
        text: &str,
        file: &str,
        checker: &mut Checker<'_>,
    ) -> Option<Faults> {
        let validator = match kind {
            DocKind::Item => &self.item,
            DocKind::Bundle => &self.bundle,
        };
        let mut faults: Option<Faults> = None;
        for error in validator.iter_errors(root) {
            let faults = faults.get_or_insert_with(Faults::default);
            self.report_error(kind, root, text, &error, file, checker, faults);
        }
        faults
    }

    /// Reports one error. An `anyOf` (an optional value, or an option that is a value or a
    /// mapping) is looked into: the branches whose only complaint is the value's type are the ones
    /// the author did not mean, so when exactly one branch is left, its errors are the real ones.
    #[allow(clippy::too_many_arguments)]
    fn report_error(
        &self,
        kind: DocKind,
        root: &Node,
        text: &str,
        error: &jsonschema::ValidationError<'_>,
        file: &str,
        checker: &mut Checker<'_>,
        faults: &mut Faults,
    ) {
        let pointer = error.instance_path().as_str().to_owned();
        if let ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } = error.kind() {
            // An enum whose values are documented is generated as `oneOf` of `{ type, const }`s: every
            // branch fails on its `const` (and on its `type` too when the value is, say, a number).
            let constants: Option<Vec<Value>> = context
                .iter()
                .map(|branch| {
                    let mut constant = None;
                    for inner in branch {
                        match inner.kind() {
                            _ if inner.instance_path().as_str() != pointer => return None,
                            ValidationErrorKind::Constant { expected_value } => {
                                constant = Some((**expected_value).clone());
                            }
                            ValidationErrorKind::Type { .. } => {}
                            _ => return None,
                        }
                    }
                    constant
                })
                .collect();
            if let Some(options) = constants.filter(|c| !c.is_empty()) {
                let kind_enum = ValidationErrorKind::Enum { options: std::sync::Arc::new(Value::Array(options)) };
                self.report(kind, root, text, &pointer, &kind_enum, file, checker, faults);
                return;
            }
            let meant: Vec<&Vec<jsonschema::ValidationError<'static>>> = context
                .iter()
                .filter(|branch| {
                    !(branch.len() == 1
                        && matches!(branch[0].kind(), ValidationErrorKind::Type { .. })
                        && branch[0].instance_path().as_str() == pointer)
                })
                .collect();
            if let [branch] = meant.as_slice() {
                // The shape meant is a mapping: its missing keys are one finding, which names the
                // keys written instead when they look like misspellings of them.
                let missing: Vec<&str> = branch
                    .iter()
                    .filter(|e| e.instance_path().as_str() == pointer)
                    .filter_map(|e| match e.kind() {
                        ValidationErrorKind::Required { property } => property.as_str(),
                        _ => None,
                    })
                    .collect();
                if !missing.is_empty() && context.len() > 1 {
                    faults.missing = true;
                    self.report_missing_in_shape(kind, root, &pointer, &missing, file, checker);
                }
                for inner in branch.iter().filter(|e| {
                    !(e.instance_path().as_str() == pointer
                        && matches!(e.kind(), ValidationErrorKind::Required { .. })
                        && context.len() > 1)
                }) {
                    self.report_error(kind, root, text, inner, file, checker, faults);
                }
                return;
            }
        }
        self.report(kind, root, text, &pointer, error.kind(), file, checker, faults);
    }

    #[allow(clippy::too_many_arguments)]
    fn report(
        &self,
        kind: DocKind,
        root: &Node,
        text: &str,
        pointer: &str,
        error: &ValidationErrorKind,
        file: &str,
        checker: &mut Checker<'_>,
        faults: &mut Faults,
    ) {
        match error {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                faults.unknown.extend(unexpected.iter().map(|key| format!("{pointer}/{}", escape(key))));
            }
            ValidationErrorKind::Required { .. } => faults.missing = true,
            _ => faults.values.push(pointer.to_owned()),
        }
        let value_span = root.pointer(pointer).map_or(root.span.start..root.span.start, |n| n.span.clone());
        let what = describe(pointer);
        match error {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let allowed = self.allowed_keys(kind, root, pointer);
                // The mapping's key spans, indexed once: looking each key up by pointer would be
                // quadratic in the number of keys.
                let spans: HashMap<&str, &std::ops::Range<usize>> = root
                    .pointer(pointer)
                    .map(|node| node.entries().iter().map(|e| (e.key.as_str(), &e.key_span)).collect())
                    .unwrap_or_default();
                for key in unexpected {
                    if checker.is_full() {
                        // Counted, not described.
                        checker.report(&rules::UNKNOWN_KEY, file, 0..0, String::new(), None);
                        continue;
                    }
                    let span = spans.get(key.as_str()).map_or_else(|| value_span.clone(), |s| (*s).clone());
                    let help = did_you_mean(key, allowed.iter().map(String::as_str)).unwrap_or_else(|| {
                        if allowed.is_empty() {
                            "remove this key".to_owned()
                        } else {
                            format!("remove it; allowed keys here: {}", allowed.join(", "))
                        }
                    });
                    // Safe to rename: the key is a near-certain misspelling of an allowed key the
                    // mapping does not have yet.
                    let meant = crate::fix::misspelt_key(key, allowed.iter().map(String::as_str))
                        .filter(|meant| !spans.contains_key(meant))
                        .map(str::to_owned);
                    let reported = checker.report(
                        &rules::UNKNOWN_KEY,
                        file,
                        span.clone(),
                        format!("unknown key `{key}` in {what}"),
                        help,
                    );
                    if let (Some(diagnostic), Some(meant)) = (reported, meant)
                        && !span.is_empty()
                    {
                        let title = format!("rename `{key}` to `{meant}`");
                        diagnostic.fix = Some(crate::fix::replace_scalar(text, span, &meant, title));
                    }
                }
            }
            ValidationErrorKind::Required { property } => {
                let property = property.as_str().unwrap_or_default();
                let span = if pointer.is_empty() {
                    root.entries().first().map_or(0..0, |e| e.key_span.clone())
                } else {
                    root.key_span(pointer).unwrap_or(value_span)
                };
                let help = format!("add `{property}:` to {what}");
                checker.report(
                    &rules::MISSING_KEY,
                    file,
                    span,
                    format!("{what} is missing the required key `{property}`"),
                    help,
                );
            }
            ValidationErrorKind::Type { kind: expected } => {
                let found = root.pointer(pointer).map_or("nothing".to_owned(), |node| found_text(node, text));
                let expected = type_text(expected);
                checker.report(
                    &rules::WRONG_TYPE,
                    file,
                    value_span,
                    format!("{what} must be {expected}, found {found}"),
                    type_help(&expected, root.pointer(pointer)),
                );
            }
            ValidationErrorKind::Enum { options } => {
                let options: Vec<String> = options.as_array().map_or_else(Vec::new, |o| o.iter().map(plain).collect());
                let found = root.pointer(pointer).map_or_else(String::new, |node| found_text(node, text));
                let given = given(root, pointer);
                let help = self
                    .action_type_from_config(root, pointer)
                    .or_else(|| did_you_mean(&given, options.iter().map(String::as_str)))
                    .unwrap_or_else(|| format!("use one of: {}", options.join(", ")));
                checker.report(
                    &rules::INVALID_VALUE,
                    file,
                    value_span,
                    format!("{what} must be one of {}, found {found}", options.join(", ")),
                    help,
                );
            }
            ValidationErrorKind::Constant { expected_value } => {
                let expected = plain(expected_value);
                checker.report(
                    &rules::INVALID_VALUE,
                    file,
                    value_span,
                    format!("{what} must be `{expected}`"),
                    format!("write `{expected}`"),
                );
            }
            ValidationErrorKind::Pattern { pattern } => {
                let given = given(root, pointer);
                let (rule, message, help) = naming::pattern_finding(pointer, &given, pattern, &what);
                checker.report(rule, file, value_span, message, help);
            }
            ValidationErrorKind::Format { format } => {
                let given = given(root, pointer);
                let help = if format == "date" {
                    "write the date as YYYY-MM-DD, e.g. 2026-07-01".to_owned()
                } else {
                    format!("write a valid {format}")
                };
                checker.report(
                    &rules::INVALID_FORMAT,
                    file,
                    value_span,
                    format!("{what} `{given}` is not a valid {format}"),
                    help,
                );
            }
            ValidationErrorKind::Minimum { limit }
            | ValidationErrorKind::Maximum { limit }
            | ValidationErrorKind::ExclusiveMinimum { limit }
            | ValidationErrorKind::ExclusiveMaximum { limit } => {
                let given = given(root, pointer);
                let relation = match error {
                    ValidationErrorKind::Minimum { .. } => "at least",
                    ValidationErrorKind::Maximum { .. } => "at most",
                    ValidationErrorKind::ExclusiveMinimum { .. } => "more than",
                    _ => "less than",
                };
                checker.report(
                    &rules::OUT_OF_RANGE,
                    file,
                    value_span,
                    format!("{what} is {given}, but must be {relation} {limit}"),
                    format!("use a value {relation} {limit}"),
                );
            }
            ValidationErrorKind::MinLength { limit } | ValidationErrorKind::MinItems { limit } => {
                let unit = if matches!(error, ValidationErrorKind::MinLength { .. }) { "character" } else { "entry" };
                checker.report(
                    &rules::OUT_OF_RANGE,
                    file,
                    value_span,
                    format!("{what} needs at least {limit} {unit}{}", if *limit == 1 { "" } else { "s" }),
                    if *limit == 1 { "it must not be empty".to_owned() } else { format!("give at least {limit}") },
                );
            }
            ValidationErrorKind::MaxLength { limit } | ValidationErrorKind::MaxItems { limit } => {
                let unit =
                    if matches!(error, ValidationErrorKind::MaxLength { .. }) { "characters" } else { "entries" };
                checker.report(
                    &rules::OUT_OF_RANGE,
                    file,
                    value_span,
                    format!("{what} has more than {limit} {unit}"),
                    format!("shorten it to {limit} {unit} or fewer"),
                );
            }
            ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. } => {
                let found = root.pointer(pointer).map_or("nothing".to_owned(), |node| found_text(node, text));
                let (message, help) = if pointer.contains("/options/") {
                    (
                        format!("{what} must be a value or a `{{ value, label }}` mapping, found {found}"),
                        "write `- 16` or `- { value: \"16\", label: PostgreSQL 16 }`",
                    )
                } else {
                    (format!("{what} has an invalid shape, found {found}"), "see the schema description of this key")
                };
                checker.report(&rules::SCHEMA_VIOLATION, file, value_span, message, help.to_owned());
            }
            other => {
                checker.report(
                    &rules::SCHEMA_VIOLATION,
                    file,
                    value_span,
                    format!("{what} is invalid: {}", describe_kind(other)),
                    "see the schema description of this key".to_owned(),
                );
            }
        }
    }

    /// One PAO202 for the keys missing from a mapping that is meant as one shape of several
    /// (an option written as `{ value, label }`): says which shape, every missing key, and which
    /// keys written instead look like them.
    fn report_missing_in_shape(
        &self,
        kind: DocKind,
        root: &Node,
        pointer: &str,
        missing: &[&str],
        file: &str,
        checker: &mut Checker<'_>,
    ) {
        let what = describe(pointer);
        let allowed = self.allowed_keys(kind, root, pointer);
        let shape = if allowed.is_empty() {
            "a mapping".to_owned()
        } else {
            format!("a `{{ {} }}` mapping", allowed.join(", "))
        };
        let keys = missing.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>();
        let keys = match keys.as_slice() {
            [one] => format!("the required key {one}"),
            [init @ .., last] => format!("the required keys {} and {last}", init.join(", ")),
            [] => String::new(),
        };
        let node = root.pointer(pointer);
        let written: Vec<&str> = node
            .map(|n| n.entries().iter().map(|e| e.key.as_str()).filter(|k| !allowed.iter().any(|a| a == k)).collect())
            .unwrap_or_default();
        let renames: Vec<(&str, &str)> = written
            .iter()
            .filter_map(|key| crate::checker::closest(key, missing.iter().copied()).map(|m| (*key, m)))
            .collect();
        let to_add: Vec<String> =
            missing.iter().filter(|m| !renames.iter().any(|(_, r)| r == *m)).map(|k| format!("`{k}:`")).collect();
        let mut help = Vec::new();
        if !renames.is_empty() {
            let list: Vec<String> = renames.iter().map(|(from, to)| format!("`{from}` to `{to}`")).collect();
            help.push(format!("rename {}", list.join(" and ")));
        }
        if !to_add.is_empty() {
            help.push(format!("add {}", to_add.join(" and ")));
        }
        let help = help.join(", and ");
        let span = if pointer.is_empty() {
            root.entries().first().map_or(0..0, |e| e.key_span.clone())
        } else {
            root.key_span(pointer).unwrap_or_else(|| node.map_or(0..0, |n| n.span.clone()))
        };
        checker.report(
            &rules::MISSING_KEY,
            file,
            span,
            format!("{what} is written as {shape}, which is missing {keys}"),
            help,
        );
    }

    /// For an action whose `type` is unknown: the type whose `config` shape fits the keys the
    /// action's `config` has, when one fits best, as a help text naming the keys that say so.
    fn action_type_from_config(&self, root: &Node, pointer: &str) -> Option<String> {
        let action_pointer = pointer.strip_suffix("/type").filter(|p| p.contains("/actions/"))?;
        let config = root.pointer(action_pointer)?.get("config")?;
        let keys: Vec<&str> = config.entries().iter().map(|e| e.key.as_str()).collect();
        let branches = self.common.pointer("/$defs/Action/allOf")?.as_array()?;
        let mut scored: Vec<(usize, &str, Vec<&str>)> = branches
            .iter()
            .filter_map(|branch| {
                let name = branch.pointer("/if/properties/type/const")?.as_str()?;
                let target = branch.pointer("/then/properties/config/$ref")?.as_str()?.rsplit('/').next()?;
                let properties = self.common.pointer(&format!("/$defs/{target}/properties"))?.as_object()?;
                let fitting: Vec<&str> = keys.iter().copied().filter(|k| properties.contains_key(*k)).collect();
                Some((fitting.len(), name, fitting))
            })
            .filter(|(score, ..)| *score > 0)
            .collect();
        scored.sort_by_key(|s| std::cmp::Reverse(s.0));
        match scored.as_slice() {
            [(best, name, fitting), rest @ ..] if rest.first().is_none_or(|next| next.0 < *best) => {
                let list: Vec<String> = fitting.iter().map(|k| format!("`{k}`")).collect();
                Some(format!(
                    "its `config` has {}, the settings of a `{name}` action: did you mean `type: {name}`?",
                    list.join(", ")
                ))
            }
            _ => None,
        }
    }

    /// The property names the schema allows at `pointer` of the instance, for "did you mean".
    fn allowed_keys(&self, kind: DocKind, root: &Node, pointer: &str) -> Vec<String> {
        let mut schema = match kind {
            DocKind::Item => &self.item_json,
            DocKind::Bundle => &self.bundle_json,
        };
        let mut instance = root;
        let segments: Vec<String> =
            pointer.split('/').skip(1).map(|s| s.replace("~1", "/").replace("~0", "~")).collect();
        for segment in &segments {
            schema = self.deref(schema, Some(instance));
            let next_instance = match &instance.value {
                pao_source::Value::Map(_) => instance.get(segment),
                pao_source::Value::Seq(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
            let next_schema = self
                .branch_property(schema, instance, segment)
                .or_else(|| schema.get("properties").and_then(|p| p.get(segment)))
                .or_else(|| schema.get("items").filter(|_| matches!(instance.value, pao_source::Value::Seq(_))));
            match (next_schema, next_instance) {
                (Some(s), Some(i)) => {
                    schema = s;
                    instance = i;
                }
                _ => return Vec::new(),
            }
        }
        let schema = self.deref(schema, Some(instance));
        schema.get("properties").and_then(Value::as_object).map(|p| p.keys().cloned().collect()).unwrap_or_default()
    }

    /// Follows `$ref`s into the common types, and into the `anyOf` alternative that fits the
    /// instance (an optional value is `anyOf: [T, null]`); with no instance, into none.
    fn deref<'s>(&'s self, mut schema: &'s Value, instance: Option<&Node>) -> &'s Value {
        use pao_source::Value as Y;
        let is_object = instance.is_some_and(|node| matches!(node.value, Y::Map(_)));
        let is_array = instance.is_some_and(|node| matches!(node.value, Y::Seq(_)));
        for _ in 0..8 {
            if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
                match target.rsplit('/').next().and_then(|name| self.common["$defs"].get(name)) {
                    Some(next) => schema = next,
                    None => break,
                }
            } else if let Some(alternatives) =
                schema.get("anyOf").or_else(|| schema.get("oneOf")).and_then(Value::as_array)
            {
                let fits = |alt: &&Value| {
                    let alt = self.deref(alt, None);
                    (is_object && alt.get("properties").is_some()) || (is_array && alt.get("items").is_some())
                };
                match alternatives.iter().find(fits) {
                    Some(alt) => schema = alt,
                    None => break,
                }
            } else {
                break;
            }
        }
        schema
    }

    /// The `then` branch of an `if/then` (an action's config by type) that a property lives in.
    fn branch_property<'s>(&'s self, schema: &'s Value, instance: &Node, segment: &str) -> Option<&'s Value> {
        schema.get("allOf")?.as_array()?.iter().find_map(|branch| {
            let wanted = branch.pointer("/if/properties/type/const")?;
            instance
                .get("type")
                .is_some_and(|given| given.to_json() == *wanted)
                .then(|| branch.pointer(&format!("/then/properties/{segment}")))?
        })
    }
}

/// The generated item, bundle and common-types schemas.
fn schema_files() -> [Value; 3] {
    let files = generate_schemas();
    let find = |name: &str| files.iter().find(|f| f.name == name).expect("generated schema present").schema.clone();
    [find("catalog-item.json"), find("catalog-bundle.json"), find(COMMON_TYPES)]
}

/// The item and bundle validators, for instances in the JSON representation `F`.
fn compile_for<F: Json>(item: &Value, bundle: &Value, common: &Value) -> [Validator<F>; 2] {
    let registry = Registry::new()
        .add(format!("{BASE}{COMMON_TYPES}"), common.clone())
        .expect("common types are a valid resource")
        .prepare()
        .expect("the schema registry resolves");
    let build = |name: &str, schema: &Value| {
        jsonschema::options_for::<F>()
            .with_registry(&registry)
            .with_base_uri(format!("{BASE}{name}"))
            .should_validate_formats(true)
            .build(schema)
            .expect("generated schemas compile")
    };
    [build("catalog-item.json", item), build("catalog-bundle.json", bundle)]
}

/// The value at `pointer` as an error message quotes it: text as it is, anything else as JSON.
fn given(root: &Node, pointer: &str) -> String {
    root.pointer(pointer).map(|node| plain(&node.to_json())).unwrap_or_default()
}

/// "`metadata.owner`", "`presentation.form.groups[0].fields[2].type`", or "the document".
pub(crate) fn describe(pointer: &str) -> String {
    if pointer.is_empty() {
        return "the document".to_owned();
    }
    let mut out = String::new();
    for segment in pointer.split('/').skip(1) {
        if segment.parse::<usize>().is_ok() {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment.replace("~1", "/").replace("~0", "~"));
        }
    }
    format!("`{out}`")
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// How a message names the value found: its kind and, for a scalar, its text as written in the
/// file (`version: 1.0` is "number `1.0`", not "number `1`"; `0x1F` stays `0x1F`).
fn found_text(node: &Node, text: &str) -> String {
    use pao_source::Value as Y;
    let written = || {
        text.get(node.span.clone())
            .map(str::trim)
            .filter(|s| !s.is_empty() && !s.contains('\n') && s.chars().count() <= 40)
            .map(str::to_owned)
    };
    match &node.value {
        Y::Null => "nothing (null)".to_owned(),
        Y::Bool(b) => format!("boolean `{}`", written().unwrap_or_else(|| b.to_string())),
        Y::Int(i) => format!("number `{}`", written().unwrap_or_else(|| i.to_string())),
        Y::UInt(u) => format!("number `{}`", written().unwrap_or_else(|| u.to_string())),
        Y::Float(f) if f.is_nan() => "not-a-number (`.nan`)".to_owned(),
        Y::Float(f) if f.is_infinite() => {
            let sign = if *f < 0.0 { "-" } else { "" };
            format!(
                "an out-of-range number (`{sign}.inf`, or a literal such as `{sign}1e400` too large for a 64-bit float)"
            )
        }
        Y::Float(f) => format!("number `{}`", written().unwrap_or_else(|| f.to_string())),
        Y::String(s) if s.chars().count() > 40 => format!("text `{}…`", s.chars().take(40).collect::<String>()),
        Y::String(s) => format!("text `{s}`"),
        Y::Seq(_) => "a list".to_owned(),
        Y::Map(_) => "a mapping".to_owned(),
    }
}

fn type_text(kind: &TypeKind) -> String {
    let name = |t: &jsonschema::JsonType| match t.to_string().as_str() {
        "object" => "a mapping".to_owned(),
        "array" => "a list".to_owned(),
        "string" => "text".to_owned(),
        "integer" => "a whole number".to_owned(),
        "number" => "a number".to_owned(),
        "boolean" => "`true` or `false`".to_owned(),
        "null" => "empty".to_owned(),
        other => other.to_owned(),
    };
    match kind {
        TypeKind::Single(t) => name(t),
        TypeKind::Multiple(types) => {
            let names: Vec<String> = types.iter().map(|t| name(&t)).collect();
            names.join(" or ")
        }
    }
}

fn type_help(expected: &str, node: Option<&Node>) -> String {
    use pao_source::Value as Y;
    match node.map(|n| &n.value) {
        Some(Y::Float(f)) if !f.is_finite() && expected != "text" => {
            format!("write {expected} in range here, e.g. `30`")
        }
        Some(Y::Float(_) | Y::Int(_)) if expected == "text" => "quote the value, e.g. \"1.4.0\" or \"16\"".to_owned(),
        Some(Y::String(s))
            if expected.contains("true")
                && ["yes", "no", "on", "off", "y", "n"].contains(&s.to_lowercase().as_str()) =>
        {
            format!("YAML 1.2 reads `{s}` as text; write `true` or `false`")
        }
        _ => format!("write {expected} here"),
    }
}

fn describe_kind(kind: &ValidationErrorKind) -> String {
    match kind {
        ValidationErrorKind::UniqueItems => "entries must be unique".to_owned(),
        ValidationErrorKind::MultipleOf { .. } => "not a multiple of the required step".to_owned(),
        ValidationErrorKind::FalseSchema => "no value is allowed here".to_owned(),
        _ => "does not match the schema".to_owned(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::Path;

    use jsonschema::json::SerdeJson;
    use pao_source::{Node, parse_yaml};

    use super::{NodeJson, compile_for, schema_files};

    /// Every YAML document of the workspace's catalog, test inputs and rule fixtures, by path.
    pub(crate) fn workspace_documents() -> Vec<(String, Node)> {
        let root = pao_testutil::workspace_root();
        let dirs = ["catalog", "tests", "crates/pao_lint/resources/test/fixtures"];
        let mut documents = Vec::new();
        for entry in dirs.iter().flat_map(|dir| walkdir::WalkDir::new(root.join(dir)).sort_by_file_name()) {
            let path = entry.expect("the test inputs are readable").into_path();
            if !path.extension().is_some_and(|ext| ext == "yaml" || ext == "yml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if let Some(node) = parse_yaml(&text).root {
                let name = path.strip_prefix(&root).unwrap_or(Path::new("?")).display().to_string();
                documents.push((name, node));
            }
        }
        documents
    }

    /// An error as its parts, the branches of an `anyOf`/`oneOf` included (in the kind's `Debug`).
    fn parts(error: &jsonschema::ValidationError<'_>) -> [String; 4] {
        [
            error.instance_path().as_str().to_owned(),
            error.schema_path().as_str().to_owned(),
            error.to_string(),
            format!("{:?}", error.kind()),
        ]
    }

    #[test]
    fn the_tree_gives_the_errors_its_json_gives() {
        let [item, bundle, common] = schema_files();
        let by_node = compile_for::<NodeJson>(&item, &bundle, &common);
        let by_json = compile_for::<SerdeJson>(&item, &bundle, &common);
        let (mut checked, mut invalid) = (0, 0);
        for (path, node) in workspace_documents() {
            let json = node.to_json();
            // Each document against both schemas: the wrong kind's errors are many and varied.
            for (node_validator, json_validator) in by_node.iter().zip(&by_json) {
                let via_node: Vec<_> = node_validator.iter_errors(&node).map(|e| parts(&e)).collect();
                let via_json: Vec<_> = json_validator.iter_errors(&json).map(|e| parts(&e)).collect();
                assert_eq!(via_node, via_json, "{path}");
                assert_eq!(node_validator.is_valid(&node), json_validator.is_valid(&json), "{path}");
                checked += 1;
                invalid += usize::from(!via_json.is_empty());
            }
        }
        assert!(checked > 200 && invalid > 100, "{checked} checks, {invalid} invalid");
    }
}
