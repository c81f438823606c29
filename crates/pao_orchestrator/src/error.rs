//! Errors of the request lifecycle, with the stable codes and HTTP statuses the REST API uses.

use pao_form::FieldError;
use pao_git::{BackendError, ErrorKind, GitError, IdentityError, NameError, RequestStatus};

/// Why a request operation failed.
#[derive(Debug, thiserror::Error)]
pub enum OrchestratorError {
    /// A team, item, resource or request id failed validation.
    #[error(transparent)]
    InvalidName(#[from] NameError),
    /// The requester's user id or e-mail address cannot be written to Git.
    #[error(transparent)]
    InvalidIdentity(#[from] IdentityError),
    /// The catalog has no such item (or not at that version).
    #[error("catalog item `{item}` not found{}", version.as_ref().map(|v| format!(" at version {v}")).unwrap_or_default())]
    ItemNotFound {
        /// The item id.
        item: String,
        /// The version asked for.
        version: Option<String>,
    },
    /// The item is retired (or is a bundle, which is not orderable on its own here).
    #[error("catalog item `{item}` cannot be requested: {reason}")]
    NotOrderable {
        /// The item id.
        item: String,
        /// Why.
        reason: String,
    },
    /// The values do not fit the item's form.
    #[error("invalid values: {}", errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    InvalidValues {
        /// One entry per invalid field.
        errors: Vec<FieldError>,
    },
    /// The fulfilment hint asks for actions the item does not have.
    #[error("catalog item `{item}` has no {hint} actions")]
    UnsupportedHint {
        /// The item id.
        item: String,
        /// The hint given.
        hint: String,
    },
    /// The item's templates fail with these values (a catalog bug `pao-lint` should have caught).
    #[error("catalog item `{item}` cannot be rendered with these values: {message}")]
    Render {
        /// The item id.
        item: String,
        /// Every failing template, located.
        message: String,
    },
    /// A decommission for a resource that has no desired-state file.
    #[error("nothing to decommission: no {path} on the base branch")]
    NothingToDecommission {
        /// The file that does not exist.
        path: String,
    },
    /// The status change is not allowed from the request's current status.
    #[error("request `{id}` is {from}; it cannot become {to}")]
    InvalidTransition {
        /// The request id.
        id: String,
        /// Current status.
        from: RequestStatus,
        /// Requested status.
        to: RequestStatus,
    },
    /// The catalog could not be read.
    #[error(transparent)]
    Catalog(GitError),
    /// The state backend failed or refused.
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl From<GitError> for OrchestratorError {
    fn from(err: GitError) -> Self {
        match err {
            GitError::ItemNotFound { id, .. } => Self::ItemNotFound { item: id, version: None },
            GitError::VersionNotFound { id, version, .. } => Self::ItemNotFound { item: id, version: Some(version) },
            other => Self::Catalog(other),
        }
    }
}

impl OrchestratorError {
    /// A stable, machine-readable code for the REST API's `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidName(_) => "invalid_name",
            Self::InvalidIdentity(_) => "invalid_identity",
            Self::ItemNotFound { .. } => "item_not_found",
            Self::NotOrderable { .. } => "item_not_orderable",
            Self::InvalidValues { .. } => "validation_failed",
            Self::UnsupportedHint { .. } => "unsupported_hint",
            Self::Render { .. } => "render_failed",
            Self::NothingToDecommission { .. } => "nothing_to_decommission",
            Self::InvalidTransition { .. } => "invalid_transition",
            Self::Catalog(_) => "catalog_unavailable",
            Self::Backend(err) => match err {
                BackendError::InvalidName(_) => "invalid_name",
                BackendError::InvalidBranch { .. } => "invalid_branch",
                BackendError::NoBaseBranch { .. } => "no_base_branch",
                BackendError::Locked { .. } => "state_locked",
                BackendError::NotFound(_) => "request_not_found",
                BackendError::ResourceBusy { .. } => "resource_busy",
                BackendError::AlreadyExists(_) => "request_exists",
                BackendError::NotOpen { .. } => "request_not_open",
                BackendError::MergeConflict { .. } => "merge_conflict",
                BackendError::NoSuchFile { .. } => "nothing_to_decommission",
                BackendError::Contention { .. } => "contention",
                BackendError::DirtyWorkTree { .. } => "dirty_work_tree",
                BackendError::Corrupt(_) => "corrupt_state",
                BackendError::Remote { .. } => "forge_error",
                BackendError::Git { .. } | BackendError::Open { .. } => "state_unavailable",
            },
        }
    }

    /// What kind of failure this is; front ends map kinds to HTTP statuses or exit codes.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidName(_) | Self::InvalidIdentity(_) | Self::UnsupportedHint { .. } => ErrorKind::InvalidInput,
            Self::InvalidValues { .. } | Self::Render { .. } | Self::NotOrderable { .. } => ErrorKind::Unprocessable,
            Self::ItemNotFound { .. } | Self::NothingToDecommission { .. } => ErrorKind::NotFound,
            Self::InvalidTransition { .. } => ErrorKind::Conflict,
            Self::Catalog(err) => err.kind(),
            Self::Backend(err) => err.kind(),
        }
    }

    /// Extra data for the REST API's `error.details` (field errors, the open request).
    pub fn details(&self) -> serde_json::Value {
        match self {
            Self::InvalidValues { errors } => serde_json::json!({ "fields": errors }),
            Self::Backend(BackendError::ResourceBusy { key, open }) => {
                serde_json::json!({ "resource": key, "openRequest": open })
            }
            Self::Backend(BackendError::MergeConflict { paths, .. }) => serde_json::json!({ "paths": paths }),
            Self::InvalidIdentity(err) => serde_json::json!({ "field": err.field }),
            Self::Backend(BackendError::Locked { lock_file, age_seconds }) => {
                serde_json::json!({ "lockFile": lock_file, "ageSeconds": age_seconds })
            }
            _ => serde_json::Value::Null,
        }
    }
}
