//! Phase 2, resolve: every reference of a template checked against what the scopes will hold,
//! statically, by walking minijinja's AST (no rendering).
//!
//! Loop variables (and `loop`), `{% set %}` and `{% with %}` locals are tracked with a scope
//! stack, so they are never flagged. A chain `a.b["c"].d` is checked segment by segment until a
//! dynamic subscript (`fields[name]`) or an opaque value (a field's own value, a list) is
//! reached: what cannot be known statically is not guessed.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::Arc;

use minijinja::machinery::ast::{self, Expr, Stmt};

use crate::problem::TemplateProblemKind;
use crate::scopes::{
    FAILURE_KEYS, FUNCTIONS, KeyTree, METADATA_KEYS, REQUEST_KEYS, SCOPES, SYSTEM_KEYS, TESTS, closest,
};

/// What the scopes hold for one template, as far as can be known without rendering.
#[derive(Debug, Clone, Default)]
pub struct ScopeInfo {
    /// Field ids the item (or bundle) defines; shared by the scopes of one document.
    pub fields: Arc<BTreeSet<String>>,
    /// Allow-listed environment names; shared by every scope.
    pub environment: Arc<BTreeSet<String>>,
    /// What `outputs.*` may name.
    pub outputs: OutputScope,
    /// Whether `failure.*` is in scope (the manual list's actions).
    pub failure: bool,
}

/// What `outputs.<id>.<name>` may name in one template.
#[derive(Debug, Clone, Default)]
pub struct OutputScope {
    /// Actions (or components) that run earlier, with the names they expose; `None` when the
    /// names cannot be known (a component whose item is not in the catalog).
    pub earlier: BTreeMap<String, Option<BTreeSet<String>>>,
    /// Ids that exist but may not be read from here (the current one, later ones), with the
    /// problem to report.
    pub unavailable: BTreeMap<String, (TemplateProblemKind, String)>,
    /// Ids that exist elsewhere (the other action list), with an explanation.
    pub elsewhere: BTreeMap<String, String>,
    /// `action` or `component`, for messages.
    pub unit: &'static str,
}

/// A problem inside one template, with its byte range in the template text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawProblem {
    pub kind: TemplateProblemKind,
    pub message: String,
    pub help: Option<String>,
    pub range: Range<usize>,
}

/// The result of resolving one template.
#[derive(Debug, Default)]
pub(crate) struct Resolution {
    pub problems: Vec<RawProblem>,
    /// Ids read as `outputs.<id>` (for the bundle ordering check).
    pub output_ids: BTreeSet<String>,
}

/// Parses and resolves one template.
///
/// Most catalog templates are text with plain references and filters,
/// `https://{{ fields.host }}/x`, `{{ fields.size | default(20) }}`: those are read by
/// [`simple_checks`] without building minijinja's syntax tree, and checked by the same
/// [`Walker`] methods in the order its walk would reach them. The differential test in `tests.rs`
/// holds both paths to the same problems.
pub(crate) fn resolve(engine: &crate::Engine, text: &str, scope: &ScopeInfo) -> Resolution {
    let mut resolution = Resolution::default();
    if let Some(checks) = simple_checks(text) {
        let mut walker = Walker { scope, locals: vec![BTreeSet::new()], out: &mut resolution };
        for check in checks {
            match check {
                Check::Filter(name, at) => walker.filter_name(name, at),
                Check::Reference(name, root, segments) => walker.reference(name, root, &segments),
            }
        }
        return resolution;
    }
    resolve_with_minijinja(engine, text, scope)
}

/// Words minijinja reads as constants, operators or statements, never as variable names.
fn reserved(word: &str) -> bool {
    matches!(
        word,
        "true"
            | "false"
            | "none"
            | "True"
            | "False"
            | "None"
            | "and"
            | "or"
            | "not"
            | "in"
            | "is"
            | "if"
            | "else"
            | "elif"
            | "for"
            | "endfor"
            | "endif"
            | "recursive"
            | "loop"
            | "self"
            | "super"
            | "caller"
            | "varargs"
            | "kwargs"
    )
}

/// One thing the walker checks, in the order its walk of minijinja's tree reaches it.
enum Check<'t> {
    /// A filter's name, with the range minijinja gives the filter (its name to its end).
    Filter(&'t str, Range<usize>),
    /// A reference: its root name, the root's range, its attribute segments (each from the
    /// root's start to the attribute's end, as minijinja's spans go).
    Reference(&'t str, Range<usize>, Vec<Segment>),
}

/// The checks of a template that is only text and `{{ ref | filter | filter(arg, ...) }}`
/// expressions, where a reference is `name.attr.attr` and an argument is a reference, a string
/// without escapes, an integer or `[]`. `None` for any other template (statements, comments,
/// whitespace control, operators, subscripts, calls, tests), which minijinja's parser reads.
fn simple_checks(text: &str) -> Option<Vec<Check<'_>>> {
    if text.contains("{%") || text.contains("{#") {
        return None;
    }
    let reader = Reader { text, bytes: text.as_bytes() };
    let mut checks = Vec::new();
    let mut at = 0;
    while let Some(open) = text[at..].find("{{").map(|i| at + i) {
        let i = open + 2;
        if matches!(reader.bytes.get(i), Some(b'-' | b'+' | b'{')) {
            return None;
        }
        let (root, mut i) = reader.reference(reader.skip_spaces(i))?;
        // `a | f(x) | g`: minijinja's tree is g(f(a, x)); its walk checks g, f, a, then x.
        let mut filters = Vec::new();
        loop {
            let pipe = reader.skip_spaces(i);
            if reader.bytes.get(pipe) != Some(&b'|') {
                break;
            }
            let name_start = reader.skip_spaces(pipe + 1);
            let name_end = reader.ident(name_start)?;
            let (args, end) = if reader.bytes.get(name_end) == Some(&b'(') {
                reader.arguments(name_end + 1)?
            } else {
                (Vec::new(), name_end)
            };
            filters.push((&text[name_start..name_end], name_start..end, args));
            i = end;
        }
        let close = reader.skip_spaces(i);
        if !text[close..].starts_with("}}") {
            return None;
        }
        checks.extend(filters.iter().rev().map(|(name, range, _)| Check::Filter(name, range.clone())));
        checks.push(root);
        checks.extend(filters.into_iter().flat_map(|(_, _, args)| args));
        at = close + 2;
    }
    Some(checks)
}

/// The small scanner behind [`simple_checks`].
struct Reader<'t> {
    text: &'t str,
    bytes: &'t [u8],
}

impl<'t> Reader<'t> {
    fn skip_spaces(&self, i: usize) -> usize {
        i + self.bytes[i.min(self.bytes.len())..].iter().take_while(|b| **b == b' ').count()
    }

    /// The end of an identifier starting at `from` that minijinja reads as a name.
    fn ident(&self, from: usize) -> Option<usize> {
        let rest = self.bytes.get(from..)?;
        let len = rest.iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count();
        let valid = len > 0 && !rest[0].is_ascii_digit() && !reserved(&self.text[from..from + len]);
        valid.then_some(from + len)
    }

    /// `name.attr.attr` at `from`, and where it ends.
    fn reference(&self, from: usize) -> Option<(Check<'t>, usize)> {
        let root_end = self.ident(from)?;
        let mut i = root_end;
        let mut segments = Vec::new();
        while self.bytes.get(i) == Some(&b'.') {
            let end = self.ident(i + 1)?;
            segments.push(Segment::Name(self.text[i + 1..end].to_owned(), from..end));
            i = end;
        }
        Some((Check::Reference(&self.text[from..root_end], from..root_end, segments), i))
    }

    /// Arguments after a filter's `(`: the references among them, and the position after `)`.
    fn arguments(&self, from: usize) -> Option<(Vec<Check<'t>>, usize)> {
        let mut references = Vec::new();
        let mut i = self.skip_spaces(from);
        if self.bytes.get(i) == Some(&b')') {
            return Some((references, i + 1));
        }
        loop {
            i = match *self.bytes.get(i)? {
                quote @ (b'\'' | b'"') => {
                    let len = self.bytes[i + 1..].iter().position(|b| *b == quote || *b == b'\\')?;
                    (self.bytes[i + 1 + len] == quote).then_some(i + len + 2)?
                }
                b'0'..=b'9' => i + self.bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count(),
                b'[' if self.bytes.get(i + 1) == Some(&b']') => i + 2,
                _ => {
                    let (reference, end) = self.reference(i)?;
                    references.push(reference);
                    end
                }
            };
            i = self.skip_spaces(i);
            match self.bytes.get(i)? {
                b',' => i = self.skip_spaces(i + 1),
                b')' => return Some((references, i + 1)),
                _ => return None,
            }
        }
    }
}

/// Parses the template with minijinja and walks its syntax tree.
fn resolve_with_minijinja(engine: &crate::Engine, text: &str, scope: &ScopeInfo) -> Resolution {
    let mut resolution = Resolution::default();
    match engine.parse(text) {
        Ok(stmt) => {
            let mut walker = Walker { scope, locals: vec![BTreeSet::new()], out: &mut resolution };
            walker.stmt(&stmt);
        }
        Err(err) => {
            let detail = err.detail().unwrap_or("invalid template").to_owned();
            let unsupported = ["include", "import", "extends", "from", "macro", "call", "block", "break", "continue"]
                .iter()
                .any(|tag| detail.contains(&format!("unknown statement {tag}")));
            let help = if unsupported {
                Some(
                    "templates cannot include, import or extend other templates, nor define macros; \
                     write the text out, or use `{% if %}`/`{% for %}`/`{% set %}`"
                        .to_owned(),
                )
            } else {
                Some("templates use MiniJinja syntax: `{{ expr }}`, `{% if %}`, `{% for %}`".to_owned())
            };
            resolution.problems.push(RawProblem {
                kind: TemplateProblemKind::Syntax,
                message: format!("template syntax error: {detail}"),
                help,
                range: err.range().unwrap_or(0..0),
            });
        }
    }
    resolution
}

enum Segment {
    Name(String, Range<usize>),
    Opaque,
}

struct Walker<'a, 's> {
    scope: &'a ScopeInfo,
    locals: Vec<BTreeSet<&'s str>>,
    out: &'a mut Resolution,
}

fn range(span: minijinja::machinery::Span) -> Range<usize> {
    span.start_offset as usize..(span.end_offset as usize).max(span.start_offset as usize)
}

impl<'s> Walker<'_, 's> {
    fn problem(&mut self, kind: TemplateProblemKind, range: Range<usize>, message: String, help: Option<String>) {
        self.out.problems.push(RawProblem { kind, message, help, range });
    }

    fn is_local(&self, name: &str) -> bool {
        self.locals.iter().any(|scope| scope.contains(name))
    }

    fn declare(&mut self, target: &Expr<'s>) {
        match target {
            Expr::Var(var) => {
                if let Some(scope) = self.locals.last_mut() {
                    scope.insert(var.id);
                }
            }
            Expr::List(list) => list.items.iter().for_each(|item| self.declare(item)),
            Expr::Tuple(tuple) => tuple.items.iter().for_each(|item| self.declare(item)),
            // `{% set ns.attr = ... %}` assigns into an existing value: check it as a read.
            other => self.expr(other),
        }
    }

    fn body(&mut self, body: &[Stmt<'s>]) {
        for stmt in body {
            self.stmt(stmt);
        }
    }

    #[allow(unreachable_patterns)]
    fn stmt(&mut self, stmt: &Stmt<'s>) {
        match stmt {
            Stmt::Template(t) => self.body(&t.children),
            Stmt::EmitExpr(e) => self.expr(&e.expr),
            Stmt::EmitRaw(_) => {}
            Stmt::ForLoop(f) => {
                self.expr(&f.iter);
                self.locals.push(BTreeSet::from(["loop"]));
                self.declare(&f.target);
                if let Some(filter) = &f.filter_expr {
                    self.expr(filter);
                }
                self.body(&f.body);
                self.locals.pop();
                self.body(&f.else_body);
            }
            Stmt::IfCond(i) => {
                self.expr(&i.expr);
                self.body(&i.true_body);
                self.body(&i.false_body);
            }
            Stmt::WithBlock(w) => {
                for (_, value) in &w.assignments {
                    self.expr(value);
                }
                self.locals.push(BTreeSet::new());
                for (target, _) in &w.assignments {
                    self.declare(target);
                }
                self.body(&w.body);
                self.locals.pop();
            }
            Stmt::Set(s) => {
                self.expr(&s.expr);
                self.declare(&s.target);
            }
            Stmt::SetBlock(s) => {
                if let Some(filter) = &s.filter {
                    self.expr(filter);
                }
                self.body(&s.body);
                self.declare(&s.target);
            }
            Stmt::AutoEscape(a) => {
                self.expr(&a.enabled);
                self.body(&a.body);
            }
            Stmt::FilterBlock(f) => {
                self.expr(&f.filter);
                self.body(&f.body);
            }
            Stmt::Do(d) => self.call(&d.call, d.span()),
            // Only reachable if another crate enables minijinja's `multi_template` or `macros`
            // features (cargo unifies features): still refuse them.
            other => {
                let span = stmt_span(other);
                self.problem(
                    TemplateProblemKind::Syntax,
                    span,
                    "`{% include %}`, `{% import %}`, `{% extends %}` and macros are not supported in catalog templates"
                        .to_owned(),
                    None,
                );
            }
        }
    }

    fn call(&mut self, call: &ast::Call<'s>, span: minijinja::machinery::Span) {
        match &call.expr {
            Expr::Var(var) => {
                if !self.is_local(var.id) && !FUNCTIONS.contains(&var.id) {
                    let help = closest(var.id, FUNCTIONS).map(|name| format!("did you mean `{name}(...)`?"));
                    self.problem(
                        TemplateProblemKind::UnknownFunction,
                        range(span),
                        format!("unknown function `{}`; the functions are {}", var.id, list(&FUNCTIONS)),
                        help,
                    );
                }
            }
            Expr::GetAttr(attr) => {
                self.expr(&attr.expr);
                let help = FUNCTIONS
                    .contains(&attr.name)
                    .then(|| format!("use the filter instead: `... | {}`", attr.name))
                    .or_else(|| Some(format!("the functions are {}", list(&FUNCTIONS))));
                self.problem(
                    TemplateProblemKind::UnknownFunction,
                    range(span),
                    format!("method calls such as `.{}()` are not supported", attr.name),
                    help,
                );
            }
            other => self.expr(other),
        }
        self.args(&call.args);
    }

    fn args(&mut self, args: &[ast::CallArg<'s>]) {
        for arg in args {
            match arg {
                ast::CallArg::Pos(e)
                | ast::CallArg::Kwarg(_, e)
                | ast::CallArg::PosSplat(e)
                | ast::CallArg::KwargSplat(e) => {
                    self.expr(e);
                }
            }
        }
    }

    fn expr(&mut self, expr: &Expr<'s>) {
        match expr {
            Expr::Var(var) => self.reference(var.id, range(expr.span()), &[]),
            Expr::GetAttr(_) | Expr::GetItem(_) => self.chain(expr),
            Expr::Const(_) => {}
            Expr::Slice(s) => {
                self.expr(&s.expr);
                for part in [&s.start, &s.stop, &s.step].into_iter().flatten() {
                    self.expr(part);
                }
            }
            Expr::UnaryOp(u) => self.expr(&u.expr),
            Expr::BinOp(b) => {
                self.expr(&b.left);
                self.expr(&b.right);
            }
            Expr::Compare(c) => {
                self.expr(&c.expr);
                for op in &c.ops {
                    self.expr(&op.expr);
                }
            }
            Expr::IfExpr(i) => {
                self.expr(&i.test_expr);
                self.expr(&i.true_expr);
                if let Some(e) = &i.false_expr {
                    self.expr(e);
                }
            }
            Expr::Filter(f) => {
                self.filter_name(f.name, range(expr.span()));
                if let Some(e) = &f.expr {
                    self.expr(e);
                }
                self.args(&f.args);
            }
            Expr::Test(t) => {
                if !TESTS.contains(&t.name) {
                    let help = closest(t.name, TESTS).map(|name| format!("did you mean `is {name}`?"));
                    self.problem(
                        TemplateProblemKind::UnknownFunction,
                        range(expr.span()),
                        format!("unknown test `{}`; the tests are {}", t.name, list(&TESTS)),
                        help,
                    );
                }
                self.expr(&t.expr);
                self.args(&t.args);
            }
            Expr::Call(c) => self.call(c, expr.span()),
            Expr::List(l) => l.items.iter().for_each(|e| self.expr(e)),
            Expr::Tuple(t) => t.items.iter().for_each(|e| self.expr(e)),
            Expr::Map(m) => {
                m.keys.iter().for_each(|e| self.expr(e));
                m.values.iter().for_each(|e| self.expr(e));
            }
        }
    }

    /// `a.b[...]...`: collects the chain down to its root and checks it.
    fn chain(&mut self, expr: &Expr<'s>) {
        let mut segments = Vec::new();
        let mut current = expr;
        loop {
            match current {
                Expr::GetAttr(attr) => {
                    segments.push(Segment::Name(attr.name.to_owned(), range(current.span())));
                    current = &attr.expr;
                }
                Expr::GetItem(item) => {
                    match &item.subscript_expr {
                        Expr::Const(c) => match c.value.as_str() {
                            Some(name) if c.value.kind() == minijinja::value::ValueKind::String => {
                                segments.push(Segment::Name(name.to_owned(), range(current.span())));
                            }
                            _ => segments.push(Segment::Opaque),
                        },
                        other => {
                            self.expr(other);
                            segments.push(Segment::Opaque);
                        }
                    }
                    current = &item.expr;
                }
                Expr::Var(var) => {
                    segments.reverse();
                    // A problem at segment k covers the whole path `root.a.b` up to it.
                    let root = range(current.span());
                    for segment in &mut segments {
                        if let Segment::Name(_, at) = segment {
                            *at = root.start..at.end.max(root.start);
                        }
                    }
                    self.reference(var.id, root, &segments);
                    return;
                }
                other => {
                    self.expr(other);
                    return;
                }
            }
        }
    }

    /// A filter must be one of PAO's functions.
    fn filter_name(&mut self, name: &str, at: Range<usize>) {
        if !FUNCTIONS.contains(&name) {
            let help = closest(name, FUNCTIONS).map(|name| format!("did you mean `| {name}`?"));
            self.problem(
                TemplateProblemKind::UnknownFunction,
                at,
                format!("unknown filter `{name}`; the filters are {}", list(&FUNCTIONS)),
                help,
            );
        }
    }

    fn reference(&mut self, name: &str, root: Range<usize>, segments: &[Segment]) {
        if self.is_local(name) {
            return;
        }
        let first = match segments.first() {
            Some(Segment::Name(n, r)) => Some((n.as_str(), r.clone())),
            _ => None,
        };
        match name {
            "fields" => {
                if let Some((field, at)) = first
                    && !self.scope.fields.contains(field)
                {
                    let help = closest(field, self.scope.fields.iter().map(String::as_str))
                        .map(|name| format!("did you mean `fields.{name}`?"))
                        .or_else(|| Some(format!("the fields are {}", list_owned(self.scope.fields.iter()))));
                    self.problem(
                        TemplateProblemKind::UnknownField,
                        at,
                        format!("`fields.{field}` is not a field of this form"),
                        help,
                    );
                }
            }
            "metadata" => self.tree("metadata", METADATA_KEYS, segments),
            "request" => self.tree("request", REQUEST_KEYS, segments),
            "system" => self.tree("system", SYSTEM_KEYS, segments),
            "environment" => {
                if let Some((var, at)) = first
                    && !self.scope.environment.contains(var)
                {
                    let help = closest(var, self.scope.environment.iter().map(String::as_str))
                        .map(|name| format!("did you mean `environment.{name}`?"))
                        .or_else(|| Some(format!("add `{var}` to `[templates] environment` in pao.toml")));
                    self.problem(
                        TemplateProblemKind::EnvironmentNotAllowed,
                        at,
                        format!(
                            "environment variable `{var}` is not allow-listed in pao.toml `[templates] environment`"
                        ),
                        help,
                    );
                }
            }
            "outputs" => {
                if let Some((id, at)) = first {
                    self.output(id, at, segments.get(1));
                }
            }
            "secrets" => {}
            "failure" if self.scope.failure => self.tree("failure", FAILURE_KEYS, segments),
            "failure" => self.problem(
                TemplateProblemKind::UnknownScope,
                root,
                "`failure` is only set in the manual list's actions: it holds the automated action that failed before failover".to_owned(),
                Some("read `failure.action`, `failure.error` or `failure.timestamp` from an action under `fulfillment.manual`".to_owned()),
            ),
            _ => {
                let (message, help) = if FUNCTIONS.contains(&name) {
                    (format!("`{name}` is a function, not a value"), Some(format!("call it: `{name}(...)`")))
                } else {
                    (
                        format!("unknown variable `{name}`; templates read {}", list(&SCOPES)),
                        closest(name, SCOPES).map(|scope| format!("did you mean `{scope}`?")),
                    )
                };
                self.problem(TemplateProblemKind::UnknownScope, root, message, help);
            }
        }
    }

    fn output(&mut self, id: &str, at: Range<usize>, second: Option<&Segment>) {
        self.out.output_ids.insert(id.to_owned());
        let outputs = &self.scope.outputs;
        let unit = if outputs.unit.is_empty() { "action" } else { outputs.unit };
        if let Some(names) = outputs.earlier.get(id) {
            if let (Some(names), Some(Segment::Name(name, at))) = (names, second)
                && !names.contains(name.as_str())
            {
                let help = closest(name, names.iter().map(String::as_str))
                    .map(|n| format!("did you mean `outputs.{id}.{n}`?"))
                    .or_else(|| {
                        Some(if names.is_empty() {
                            format!("{unit} `{id}` declares no outputs")
                        } else {
                            format!("{unit} `{id}` exposes {}", list_owned(names))
                        })
                    });
                self.problem(
                    TemplateProblemKind::UnknownOutput,
                    at.clone(),
                    format!("{unit} `{id}` has no output `{name}`"),
                    help,
                );
            }
            return;
        }
        if let Some((kind, message)) = outputs.unavailable.get(id) {
            self.problem(*kind, at, message.clone(), None);
            return;
        }
        if let Some(message) = outputs.elsewhere.get(id) {
            self.problem(TemplateProblemKind::UnknownOutput, at, message.clone(), None);
            return;
        }
        let help = closest(id, outputs.earlier.keys().map(String::as_str))
            .map(|n| format!("did you mean `outputs.{n}`?"))
            .or_else(|| {
                Some(if outputs.earlier.is_empty() {
                    format!("no {unit} runs before this one, so there are no outputs to read")
                } else {
                    format!("earlier {unit}s: {}", list_owned(outputs.earlier.keys()))
                })
            });
        self.problem(TemplateProblemKind::UnknownOutput, at, format!("there is no earlier {unit} `{id}`"), help);
    }

    fn tree(&mut self, scope: &str, mut keys: &'static [KeyTree], segments: &[Segment]) {
        let mut path = scope.to_owned();
        for segment in segments {
            let Segment::Name(name, at) = segment else { return };
            let Some(key) = keys.iter().find(|key| key.name == name.as_str()) else {
                let help =
                    closest(name, keys.iter().map(|key| key.name)).map(|n| format!("did you mean `{path}.{n}`?"));
                let known = keys.iter().map(|key| key.name).collect::<Vec<_>>();
                self.problem(
                    TemplateProblemKind::UnknownKey,
                    at.clone(),
                    format!("`{path}.{name}` does not exist; `{path}` holds {}", list(&known)),
                    help,
                );
                return;
            };
            if key.children.is_empty() {
                return;
            }
            path.push('.');
            path.push_str(name);
            keys = key.children;
        }
    }
}

#[allow(unreachable_patterns, unused_variables)]
fn stmt_span(stmt: &Stmt<'_>) -> Range<usize> {
    match stmt {
        Stmt::Template(s) => range(s.span()),
        _ => 0..0,
    }
}

fn list(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

fn list_owned<'a>(names: impl IntoIterator<Item = &'a String>) -> String {
    names.into_iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests;
