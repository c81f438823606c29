//! stub docs
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
pub use commands::{RenderArgs, VarsError, format_problems, render_command};
pub use context::{MASK, RenderContext, Secrets, SystemValues};
pub use engine::{
    DEFAULT_FUEL, DEFAULT_RECURSION_LIMIT, Engine, EngineOptions, PointedRenderError, RenderError, RenderErrorKind,
};
pub use harness::{Case, CaseFile, CaseOutcome, TestReport, discover, run_file, run_tests};
pub use load::{
    LoadError, LoadedDocument, find_repo_root, load_catalog_items, load_document, outputs_from_json, read_mapping,
    read_yaml, render_input_from_files,
};
pub use locate::ScalarMap;
pub use problem::{TemplateProblem, TemplateProblemKind};
pub use render::{
    ExecutionRender, RenderFailure, RenderInput, redact, render_action_for_execution, render_document, render_item,
};
pub use resolve::{OutputScope, ScopeInfo};
pub use scopes::*;
pub use sites::{ListKind, SiteOwner, TemplateSite, collect_templates};
