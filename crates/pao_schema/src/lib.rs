//! The PAO catalog types, shared by every other crate, and the JSON Schemas generated from them.
//!
//! The types mirror `SPEC.md` sections 2 and 3 key for key (`camelCase`, unknown keys rejected).
//! Doc comments on fields become the `description`s editors show, so they are written for
//! catalog authors. Checks JSON Schema cannot express (cross-field and cross-file rules) live in
//! `pao_lint`; this crate does no I/O.

#![deny(missing_docs)]

mod bundle;
mod document;
mod form;
mod fulfillment;
mod generate;
mod metadata;
mod patterns;

pub use bundle::{BundleComponent, CatalogBundle};
pub use document::{
    API_VERSION, ApiVersion, BundleKind, CatalogDocument, CatalogItem, HealthCheck, ItemKind, Monitoring,
};
pub use form::{
    Condition, Conditional, Field, FieldType, Form, FormGroup, OptionEntry, Presentation, Scalar, Validation,
};
pub use fulfillment::{
    Action, ActionConfig, ActionList, ActionType, ApiAuth, AuthType, Fulfillment, GithubWorkflowConfig, HttpMethod,
    JiraTicketConfig, RestApiConfig, Retry, Strategy, TerraformConfig, WebhookConfig,
};
pub use generate::{COMMON_TYPES, SchemaFile, generate_schemas};
pub use metadata::{Deprecation, Lifecycle, LifecycleStatus, Metadata, Owner, Sla};
pub use patterns::{ACTION_ID, COMPONENT_ID, FIELD_ID, ITEM_ID, SEMVER};
