//! Git as PAO's store: the catalog read straight from Git objects, and request state kept in refs.
//!
//! [`CatalogReader`] loads every `catalog/**/*.yaml|yml` document of a revision from the object
//! database (no checkout, bare repositories work), validates each, keeps invalid files out of the
//! served catalog while reporting them, caches the parsed catalog by the `catalog/` tree id and
//! lists an item's versions from history.
//!
//! [`StateBackend`] is the small interface the orchestrator writes requests through: a request
//! is a branch with one commit plus a pull request. [`LocalBackend`] implements it on the refs of
//! a local (possibly bare) repository with compare-and-swap ref updates; `pao_github`
//! implements it with GitHub pull requests.

#![deny(missing_docs)]

mod backend;
mod catalog;
mod doctor;
mod error;
mod followup;
mod history;
mod kind;
mod lease;
mod local;
mod names;
mod outcomes;
mod refs;
mod time;
pub mod trailers;
mod validate;

pub use backend::{
    BackendError, ChangeInfo, ChangeList, ChangeSpec, ChangeState, Opened, Operation, RequestStatus, StateBackend,
    StatusEvent, UnreadableChange,
};
pub use catalog::{Catalog, CatalogEntry, CatalogReader, CatalogSnapshot, discover_repository};
pub use doctor::{DoctorReport, Problem, ProblemKind};
pub use error::GitError;
pub use followup::{FOLLOW_UP_BRANCH_PREFIX, FilesAt, FollowUps};
pub use history::{ItemVersion, ItemVersions};
pub use kind::ErrorKind;
pub use lease::{Acquired, LEASE_REF_PREFIX, Lease, LeaseInfo, LeaseStore};
pub use local::{LocalBackend, REQUEST_BRANCH_PREFIX, STALE_LOCK_SECONDS, idempotency_digest};
pub use names::{
    IDENTITY_MAX_CHARS, Identity, IdentityError, IdentityField, ItemId, NameError, RequestId, ResourceKey,
    ResourceName, Team, validate_identity_value,
};
pub use outcomes::{FULFILMENT_REF_PREFIX, FulfilmentLog, LogEntry};
pub use time::{format_rfc3339, parse_rfc3339};
pub use trailers::{parse_trailers, with_trailers};
pub use validate::{
    CODEOWNERS_PATHS, CONFIG_ERROR_CODE, SourceFile, ValidDocument, ValidationError, validate_documents,
};
