//! The one template engine: configured once, shared by reference (it is `Send + Sync`).

use std::collections::BTreeSet;
use std::sync::Arc;

use minijinja::machinery::ast;
use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, Value};

use crate::context::{Prepared, RenderContext};
use crate::convert::to_json;
use crate::functions;

/// Fuel for one render: bounds the work (and memory) of a single template string. Catalog
/// templates use a few hundred units; a runaway loop stops here in milliseconds.
pub const DEFAULT_FUEL: u64 = 50_000;

/// Runtime recursion limit (nested loops, recursive `for`); the parser's nesting limit is a
/// fixed 150 inside minijinja.
pub const DEFAULT_RECURSION_LIMIT: usize = 64;

/// How to build an [`Engine`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineOptions {
    /// The only names `environment.*` may read: `pao.toml` `[templates] environment`.
    pub environment: Vec<String>,
    /// Fuel per template string (see [`DEFAULT_FUEL`]).
    pub fuel: u64,
    /// Runtime recursion limit (see [`DEFAULT_RECURSION_LIMIT`]).
    pub recursion_limit: usize,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self { environment: Vec::new(), fuel: DEFAULT_FUEL, recursion_limit: DEFAULT_RECURSION_LIMIT }
    }
}

/// Why a template string could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RenderError {
    /// The kind of failure.
    pub kind: RenderErrorKind,
    /// What went wrong, naming the failing expression when known.
    pub message: String,
    /// Byte range of the failing part inside the template string, when known.
    pub range: Option<std::ops::Range<usize>>,
}

/// Kinds of render failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RenderErrorKind {
    /// The template does not parse.
    Syntax,
    /// A value the template reads is not there (strict undefined).
    Undefined,
    /// The template used up its fuel (a runaway loop) or nested too deep.
    Limit,
    /// Anything else (a bad argument, an invalid operation).
    Other,
}

impl RenderError {
    fn from_minijinja(err: &minijinja::Error) -> Self {
        let kind = match err.kind() {
            ErrorKind::SyntaxError => RenderErrorKind::Syntax,
            ErrorKind::UndefinedError => RenderErrorKind::Undefined,
            ErrorKind::OutOfFuel => RenderErrorKind::Limit,
            ErrorKind::InvalidOperation if err.to_string().contains("recursion") => RenderErrorKind::Limit,
            _ => RenderErrorKind::Other,
        };
        let failing = err
            .template_source()
            .zip(err.range())
            .and_then(|(source, range)| source.get(range))
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let base = match err.detail() {
            Some(detail) => format!("{}: {detail}", kind_text(err.kind())),
            None => kind_text(err.kind()).to_owned(),
        };
        let message = match failing {
            Some(expr) if !base.contains(&format!("`{expr}`")) => format!("{base} (in `{expr}`)"),
            _ => base,
        };
        let range = match (err.template_source(), err.range()) {
            (Some(source), Some(range)) => Some(char_range(source, range)),
            (None, range) => range,
            (Some(_), None) => None,
        };
        Self { kind, message, range }
    }
}

/// `range` widened to whole characters of `text` and kept inside it: minijinja reports some
/// errors ("unexpected character") as one byte at a character of several.
pub(crate) fn char_range(text: &str, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let ceil = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i += 1;
        }
        i
    };
    let start = floor(range.start);
    start..ceil(range.end).max(start)
}

fn kind_text(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::SyntaxError => "syntax error",
        ErrorKind::UndefinedError => "undefined value",
        ErrorKind::OutOfFuel => "template used up its fuel (too much work: a runaway loop?)",
        ErrorKind::UnknownFilter => "unknown filter",
        ErrorKind::UnknownFunction => "unknown function",
        ErrorKind::UnknownTest => "unknown test",
        ErrorKind::UnknownMethod => "unknown method",
        ErrorKind::TooManyArguments => "too many arguments",
        ErrorKind::MissingArgument => "missing argument",
        ErrorKind::TemplateNotFound => "templates cannot include other templates",
        _ => "invalid operation",
    }
}

/// The template engine: `Environment::empty()` plus exactly the PAO functions and tests, strict
/// undefined, no auto-escaping, no loader, fuel and recursion limits. Build it once (per
/// `pao.toml`) and share it by reference across threads.
#[derive(Debug)]
pub struct Engine {
    /// `uuid()` and `timestamp()` are live.
    env: Environment<'static>,
    /// The same, with `uuid()` and `timestamp()` fixed (deterministic renders).
    fixed: Environment<'static>,
    environment: Arc<BTreeSet<String>>,
}

impl Engine {
    /// An engine whose `environment` scope allow-lists `environment` (from `pao.toml`
    /// `[templates] environment`), with the default limits.
    pub fn new<I, S>(environment: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::with_options(EngineOptions {
            environment: environment.into_iter().map(Into::into).collect(),
            ..EngineOptions::default()
        })
    }

    /// An engine with explicit options.
    pub fn with_options(options: EngineOptions) -> Self {
        Self {
            env: build_environment(&options, false),
            fixed: build_environment(&options, true),
            environment: Arc::new(options.environment.into_iter().collect()),
        }
    }

    /// The names `environment.*` may read.
    pub fn environment_allowlist(&self) -> &BTreeSet<String> {
        &self.environment
    }

    /// The same names, shared (template scopes hold them).
    pub fn environment_shared(&self) -> Arc<BTreeSet<String>> {
        Arc::clone(&self.environment)
    }

    /// Whether `text` holds template syntax at all (`{{`, `{%` or `{#`); other strings are
    /// literals and pass through untouched.
    pub fn is_template(text: &str) -> bool {
        text.contains("{{") || text.contains("{%") || text.contains("{#")
    }

    /// Renders one template string. A string that is exactly one `{{ expr }}` keeps the
    /// expression's JSON type (a number stays a number, a list a list); any other template
    /// renders to a string; a string without template syntax is returned as it is.
    ///
    /// # Errors
    /// Syntax errors, undefined values (strict), exhausted fuel or recursion, bad arguments.
    pub fn render_str(&self, text: &str, context: &RenderContext) -> Result<serde_json::Value, RenderError> {
        self.render_with(text, &context.to_value(&self.environment))
    }

    /// Renders every string in a JSON value (map keys are not templates).
    ///
    /// # Errors
    /// Every failing string, each with its JSON Pointer below `value`.
    pub fn render_json(
        &self,
        value: &serde_json::Value,
        context: &RenderContext,
    ) -> Result<serde_json::Value, crate::RenderFailure> {
        let ctx = context.to_value(&self.environment);
        let mut errors = Vec::new();
        let rendered = self.render_tree(value, &ctx, &mut String::new(), &mut errors);
        if errors.is_empty() { Ok(rendered) } else { Err(crate::RenderFailure { errors }) }
    }

    /// Renders every string below `value`; a failing string becomes `null` and its error is
    /// pushed to `errors`, so one render reports every problem.
    pub(crate) fn render_tree(
        &self,
        value: &serde_json::Value,
        ctx: &Prepared,
        pointer: &mut String,
        errors: &mut Vec<PointedRenderError>,
    ) -> serde_json::Value {
        use serde_json::Value as J;
        match value {
            J::String(text) => self.render_with(text, ctx).unwrap_or_else(|error| {
                errors.push(PointedRenderError { pointer: pointer.clone(), error });
                J::Null
            }),
            J::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&i.to_string());
                    out.push(self.render_tree(item, ctx, pointer, errors));
                    pointer.truncate(len);
                }
                J::Array(out)
            }
            J::Object(map) => {
                let mut out = serde_json::Map::new();
                for (key, item) in map {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                    out.insert(key.clone(), self.render_tree(item, ctx, pointer, errors));
                    pointer.truncate(len);
                }
                J::Object(out)
            }
            other => other.clone(),
        }
    }

    pub(crate) fn render_with(&self, text: &str, ctx: &Prepared) -> Result<serde_json::Value, RenderError> {
        let env = if ctx.deterministic { &self.fixed } else { &self.env };
        if !Self::is_template(text) {
            return Ok(serde_json::Value::String(text.to_owned()));
        }
        if let Some(expr) = single_expression(text) {
            if let Ok(compiled) = env.compile_expression_owned(expr.to_owned()) {
                // minijinja's ranges count from the expression; ours from the whole text.
                let offset = expr.as_ptr() as usize - text.as_ptr() as usize;
                let value = compiled.eval(ctx.value.clone()).map_err(|err| {
                    let mut error = RenderError::from_minijinja(&err);
                    error.range = error.range.map(|range| range.start + offset..range.end + offset);
                    error
                })?;
                if value.is_undefined() {
                    return Err(RenderError {
                        kind: RenderErrorKind::Undefined,
                        message: format!("undefined value: `{}` is undefined", expr.trim()),
                        range: None,
                    });
                }
                return to_json(&value).map_err(|err| RenderError::from_minijinja(&err));
            }
        }
        let template = env.template_from_str(text).map_err(|err| RenderError::from_minijinja(&err))?;
        template
            .render(ctx.value.clone())
            .map(serde_json::Value::String)
            .map_err(|err| RenderError::from_minijinja(&err))
    }

    /// Parses a template into minijinja's AST (for the static resolver).
    pub(crate) fn parse<'s>(&self, text: &'s str) -> Result<ast::Stmt<'s>, minijinja::Error> {
        minijinja::machinery::parse(text, "<template>", self.syntax())
    }

    fn syntax(&self) -> SyntaxConfig {
        self.env.syntax().clone()
    }
}

/// `Environment::empty()` plus exactly the PAO functions and tests.
fn build_environment(options: &EngineOptions, deterministic: bool) -> Environment<'static> {
    let mut env = Environment::empty();
    // Templates become YAML/JSON values, never HTML: no escaping, whatever the name.
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_debug(true);
    // Booleans print as YAML/JSON spell them (`true`, not Jinja's `True`), null as nothing.
    env.set_formatter(|out, state, value| {
        if value.kind() == minijinja::value::ValueKind::Bool {
            let text = if value.is_true() { "true" } else { "false" };
            return out.write_str(text).map_err(minijinja::Error::from);
        }
        if value.is_none() {
            return Ok(());
        }
        minijinja::escape_formatter(out, state, value)
    });
    // A block scalar's final newline (`|`) is part of the value: keep it.
    let mut syntax = SyntaxConfig::builder();
    syntax.keep_trailing_newline(true);
    if let Ok(syntax) = syntax.build() {
        env.set_syntax(syntax);
    }
    env.set_fuel(Some(options.fuel));
    env.set_recursion_limit(options.recursion_limit);
    // No loader is ever set, and the crate is built without `multi_template`, so
    // `{% include %}`, `{% import %}` and `{% extends %}` do not even parse.
    env.add_function("upper", functions::upper);
    env.add_filter("upper", functions::upper);
    env.add_function("lower", functions::lower);
    env.add_filter("lower", functions::lower);
    env.add_function("concat", functions::concat);
    env.add_filter("concat", functions::concat);
    env.add_function("replace", functions::replace);
    env.add_filter("replace", functions::replace);
    env.add_function("json", functions::json);
    env.add_filter("json", functions::json);
    env.add_function("base64", functions::base64);
    env.add_filter("base64", functions::base64);
    env.add_function("uuid", move |state: &minijinja::State, value: Option<Value>| {
        functions::uuid(state, deterministic, value)
    });
    env.add_filter("uuid", |state: &minijinja::State, value: Value| functions::uuid(state, false, Some(value)));
    env.add_function("timestamp", move |value: Option<Value>| functions::timestamp(deterministic, value));
    env.add_filter("timestamp", |value: Value| functions::timestamp(false, Some(value)));
    env.add_function("default", functions::default);
    env.add_filter("default", functions::default);
    env.add_test("defined", functions::is_defined);
    env.add_test("undefined", functions::is_undefined);
    env.add_test("none", functions::is_none);
    env
}

/// A render error and where in the rendered value it happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pointer}: {error}")]
pub struct PointedRenderError {
    /// JSON Pointer of the failing string.
    pub pointer: String,
    /// The failure.
    pub error: RenderError,
}

/// The expression of a template that is exactly one `{{ expr }}`, if it is.
fn single_expression(text: &str) -> Option<&str> {
    let inner = text.strip_prefix("{{")?.strip_suffix("}}")?;
    let inner = inner.strip_prefix(['-', '+']).unwrap_or(inner);
    let inner = inner.strip_suffix(['-', '+']).unwrap_or(inner);
    if inner.contains("{{") || inner.contains("}}") || inner.contains("{%") || inner.contains("{#") {
        return None;
    }
    Some(inner)
}
