//! stub docs
#![deny(missing_docs)]

mod check;
mod context;
mod convert;
mod engine;
mod functions;
mod locate;
mod problem;
mod resolve;
mod scopes;
mod sites;

pub use check::{ItemLookup, NoItems, action_scope, check_document, check_template};
pub use context::{MASK, RenderContext, Secrets, SystemValues};
pub use engine::{
    DEFAULT_FUEL, DEFAULT_RECURSION_LIMIT, Engine, EngineOptions, PointedRenderError, RenderError, RenderErrorKind,
};
pub use locate::ScalarMap;
pub use problem::{TemplateProblem, TemplateProblemKind};
pub use resolve::{OutputScope, ScopeInfo};
pub use scopes::*;
pub use sites::{ListKind, SiteOwner, TemplateSite, collect_templates};
