//! PAO's template engine: the variable substitution of catalog items, in four phases, and the
//! template test harness behind `pao vars render` and `pao vars test`.
//!
//! Every string in an action's `config` (and in a bundle component's `fields`) is a MiniJinja
//! template over the scopes `fields`, `metadata`, `request`, `system`, `environment`,
//! `outputs` and `secrets` (SPEC section 4). Design notes: `docs/templates.md`; the case-file
//! format: `docs/template-testing.md`.
//!
//! # The engine
//!
//! [`Engine`] is built once (per `pao.toml`: `Engine::new(config.templates.environment)`) and
//! shared by reference; it is `Send + Sync`. It starts from `Environment::empty()` and adds only
//! the functions `upper`, `lower`, `concat`, `replace`, `json`, `base64`, `uuid`, `timestamp`
//! and `default` (each also a filter) and the tests `defined`, `undefined` and `none`;
//! auto-escaping is off, undefined values are strict, every render has fuel and a recursion
//! limit, and there is no loader (minijinja is built without `multi_template` and `macros`, so
//! `{% include %}`, `{% import %}`, `{% extends %}` and `{% macro %}` do not even parse).
//!
//! # The four phases
//!
//! 1. **parse** — [`collect_templates`]: every template string of a document with its JSON
//!    Pointer and the span of its YAML scalar; `TemplateSite::map` builds, on demand, the
//!    [`ScalarMap`] from bytes of the decoded value to bytes of the YAML file (plain, quoted
//!    with escapes, block `|`/`>` scalars; the scalar's start when exact mapping is impossible).
//! 2. **resolve** — [`check_document`] (or [`check_template`] for one string): a static walk
//!    of minijinja's AST; every reference is checked against what the scopes will hold.
//!    Problems are data: [`TemplateProblem`] with a [`TemplateProblemKind`], a message, an
//!    optional `help` (the closest valid name), the byte range in the file and the pointer.
//! 3. **substitute** — [`render_document`] / [`render_item`] / [`Engine::render_str`]: strings
//!    render to strings, except that a string that is exactly one `{{ expr }}` keeps the JSON
//!    type of the value (`"{{ fields.size }}"` with `size: 50` renders the number `50`).
//! 4. **post-process** — secrets are `***` in every dry run (their values are never in the
//!    context); password fields too. Only [`render_action_for_execution`] sees real values, and
//!    [`ExecutionRender::redacted`] / [`redact`] mask them again for logs.
//!
//! # For `pao_lint`
//!
//! ```no_run
//! # fn demo(source: &str, catalog: &std::collections::BTreeMap<String, pao_schema::CatalogItem>) {
//! let engine = pao_vars::Engine::new(["AWS_REGION"]); // once, from pao.toml
//! let root = pao_source::parse_yaml(source).root.expect("parsed");
//! let doc = pao_schema::CatalogDocument::from_value(root.to_json()).expect("valid");
//! for problem in pao_vars::check_document(&engine, source, &root, &doc, catalog) {
//!     // problem.kind → rule code, problem.range → file span, problem.help → help text
//! #   let _ = problem;
//! }
//! # }
//! ```
//!
//! `check_document` needs a document that deserialised (schema errors are reported by other
//! rules first). `catalog` is any [`ItemLookup`] (`BTreeMap`/`HashMap` of id to item, a slice
//! of items, or [`NoItems`]); it is only consulted for bundles, to learn the outputs of
//! component items.
#![deny(missing_docs)]

mod check;
mod commands;
mod context;
mod convert;
mod engine;
mod functions;
mod harness;
mod load;
mod locate;
mod problem;
mod render;
mod resolve;
mod scopes;
mod sites;

pub use check::{ItemLookup, NoItems, action_scope, check_document, check_template};
pub use commands::{RenderArgs, VarsError, format_problems, format_render_failure, render_command};
pub use context::{MASK, RenderContext, Secrets, SystemValues};
pub use engine::{
    DEFAULT_FUEL, DEFAULT_RECURSION_LIMIT, Engine, EngineOptions, PointedRenderError, RenderError, RenderErrorKind,
};
pub use harness::{Case, CaseFile, CaseOutcome, TestReport, discover, run_file, run_tests};
pub use load::{
    LoadError, LoadedDocument, load_catalog_items, load_document, outputs_from_json, read_mapping, read_yaml,
    render_input_from_files,
};
pub use locate::ScalarMap;
pub use problem::{TemplateProblem, TemplateProblemKind};
pub use render::{
    ExecutionRender, RenderFailure, RenderInput, redact, render_action_for_execution, render_document, render_item,
};
pub use resolve::{OutputScope, ScopeInfo};
pub use scopes::*;
pub use sites::{ListKind, SiteOwner, TemplateSite, collect_templates};
