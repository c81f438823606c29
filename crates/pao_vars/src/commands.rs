//! The logic of `pao vars render`, as a library function (the CLI only prints).

use std::path::{Path, PathBuf};

use pao_source::LineIndex;

use crate::Engine;
use crate::check::{ItemLookup, check_document};
use crate::load::{LoadError, load_document, render_input_from_files};
use crate::locate::ScalarMap;
use crate::problem::TemplateProblem;
use crate::render::{RenderFailure, render_document};

/// Arguments of `pao vars render`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderArgs {
    /// The item (or bundle) file.
    pub item: PathBuf,
    /// `--values`: form values.
    pub values: PathBuf,
    /// `--request`: request context.
    pub request: Option<PathBuf>,
    /// `--outputs`: stubbed outputs of earlier actions.
    pub outputs: Option<PathBuf>,
    /// `--deterministic`: fixed `system.*`, no process environment.
    pub deterministic: bool,
}

/// Why `pao vars render` failed.
#[derive(Debug, thiserror::Error)]
pub enum VarsError {
    /// A file could not be read (exit 2).
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The templates have static problems (exit 1); each line is `file:line:col: message`.
    #[error("{}", .0.join("\n"))]
    Problems(Vec<String>),
    /// Rendering failed (exit 1); each message is `file:line:col: message [pointer]`.
    #[error("{}", .messages.join("\n"))]
    Render {
        /// The item file.
        path: PathBuf,
        /// The failures, located in the file.
        messages: Vec<String>,
        /// The failures.
        failure: RenderFailure,
    },
}

/// `pao vars render`: checks the document's templates statically, then renders every action
/// (automated and manual) as JSON; see [`crate::render_document`] for the shape.
///
/// # Errors
/// [`VarsError::Load`] for unreadable input, [`VarsError::Problems`] when a template refers to
/// something that does not exist, [`VarsError::Render`] when rendering fails.
pub fn render_command(
    engine: &Engine,
    args: &RenderArgs,
    catalog: &dyn ItemLookup,
) -> Result<serde_json::Value, VarsError> {
    let loaded = load_document(&args.item)?;
    let problems = check_document(engine, &loaded.source, &loaded.root, &loaded.doc, catalog);
    if !problems.is_empty() {
        return Err(VarsError::Problems(format_problems(&loaded.path, &loaded.source, &problems)));
    }
    let input = render_input_from_files(
        &args.values,
        args.request.as_deref(),
        args.outputs.as_deref(),
        args.deterministic,
        engine.environment_allowlist(),
    )?;
    render_document(engine, &loaded.doc, catalog, &input).map_err(|failure| VarsError::Render {
        path: loaded.path.clone(),
        messages: format_render_failure(&loaded.path, &loaded.source, &loaded.root, &failure),
        failure,
    })
}

/// `file:line:col: message [pointer]` lines for render errors: the pointer into the rendered
/// document is mapped back to the YAML string, and the error's range inside the template to
/// the exact spot when minijinja reports one.
pub fn format_render_failure(
    path: &Path,
    source: &str,
    root: &pao_source::Node,
    failure: &RenderFailure,
) -> Vec<String> {
    let index = LineIndex::new(source);
    failure
        .errors
        .iter()
        .map(|error| {
            let offset = file_pointer(&error.pointer).and_then(|pointer| root.pointer(&pointer)).map(|node| {
                match (node.as_str(), &error.error.range) {
                    (Some(text), Some(range)) => {
                        ScalarMap::new(source, node.span.clone(), text).map(range.clone()).start
                    }
                    _ => node.span.start,
                }
            });
            match offset {
                Some(offset) => {
                    let at = index.line_col(source, offset);
                    format!("{}:{}:{}: {} [{}]", path.display(), at.line, at.column, error.error, error.pointer)
                }
                None => format!("{}: {} [{}]", path.display(), error.error, error.pointer),
            }
        })
        .collect()
}

/// The YAML pointer of a pointer into the rendered document.
fn file_pointer(rendered: &str) -> Option<String> {
    let mut parts = rendered.strip_prefix('/')?.splitn(3, '/');
    let (head, index, rest) = (parts.next()?, parts.next()?, parts.next().unwrap_or(""));
    let rest = if rest.is_empty() { String::new() } else { format!("/{rest}") };
    match head {
        "automated" | "manual" => Some(format!("/fulfillment/{head}/actions/{index}{rest}")),
        "components" => Some(format!("/components/{index}{rest}")),
        _ => None,
    }
}

/// `file:line:col: message (help)` lines for problems.
pub fn format_problems(path: &Path, source: &str, problems: &[TemplateProblem]) -> Vec<String> {
    let index = LineIndex::new(source);
    problems
        .iter()
        .map(|problem| {
            let at = index.line_col(source, problem.range.start);
            let help = problem.help.as_ref().map(|h| format!(" (help: {h})")).unwrap_or_default();
            format!(
                "{}:{}:{}: {} [{}]{help}",
                path.display(),
                at.line,
                at.column,
                problem.message,
                problem.kind.as_str()
            )
        })
        .collect()
}
