//! The state-repository backend: where requests are written as branches and pull requests.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::names::{NameError, RequestId, ResourceKey};

/// What a request does to its desired-state file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// Writes a file that did not exist on the base branch.
    Create,
    /// Rewrites an existing file.
    Update,
    /// Removes the file.
    Decommission,
}

impl Operation {
    /// The operation as written in trailers and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Decommission => "decommission",
        }
    }

    /// Parses [`Self::as_str`] output.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Create, Self::Update, Self::Decommission].into_iter().find(|op| op.as_str() == text)
    }
}

/// Where a request's pull request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeState {
    /// Open: not merged, not closed.
    Open,
    /// Merged into the base branch.
    Merged,
    /// Closed without merging.
    Closed,
}

/// Request status, SPEC section 7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Received, not yet checked.
    Submitted,
    /// Values being checked against the item's form.
    Validating,
    /// The pull request is open, waiting for review and merge.
    PrOpen,
    /// The pull request was merged; fulfilment can start.
    PrMerged,
    /// Fulfilment actions are running.
    InProgress,
    /// Fulfilled.
    Completed,
    /// Fulfilment failed (may be retried or escalated).
    Failed,
    /// Stopped by a person.
    Aborted,
    /// Handed to people (manual fulfilment).
    Escalated,
    /// The pull request was closed without merging.
    PrClosed,
}

impl RequestStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [Self; 10] = [
        Self::Submitted,
        Self::Validating,
        Self::PrOpen,
        Self::PrMerged,
        Self::InProgress,
        Self::Completed,
        Self::Failed,
        Self::Aborted,
        Self::Escalated,
        Self::PrClosed,
    ];

    /// The status as written in Git and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Validating => "validating",
            Self::PrOpen => "pr_open",
            Self::PrMerged => "pr_merged",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Aborted => "aborted",
            Self::Escalated => "escalated",
            Self::PrClosed => "pr_closed",
        }
    }

    /// Parses [`Self::as_str`] output.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// Whether nothing more happens to the request.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Aborted | Self::PrClosed)
    }

    /// Whether `next` may follow this status.
    pub fn can_become(self, next: Self) -> bool {
        use RequestStatus::{
            Aborted, Completed, Escalated, Failed, InProgress, PrClosed, PrMerged, PrOpen, Submitted, Validating,
        };
        match self {
            Submitted => matches!(next, Validating | PrOpen | Failed),
            Validating => matches!(next, PrOpen | Failed),
            PrOpen => matches!(next, PrMerged | PrClosed | Aborted | Escalated),
            PrMerged => matches!(next, InProgress | Completed | Failed | Aborted | Escalated),
            InProgress => matches!(next, Completed | Failed | Aborted | Escalated),
            Failed => matches!(next, InProgress | Aborted | Escalated),
            Escalated => matches!(next, PrMerged | PrClosed | InProgress | Completed | Failed | Aborted),
            Completed | Aborted | PrClosed => false,
        }
    }
}

impl fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A change to open: one commit on a new branch `pao/requests/<id>`, and its pull request.
#[derive(Debug, Clone)]
pub struct ChangeSpec {
    /// The request id; names the branch.
    pub id: RequestId,
    /// The resource; names the file `requests/<team>/<item>/<resource>.yaml`.
    pub key: ResourceKey,
    /// What the commit does to the file.
    pub operation: Operation,
    /// The new file content; `None` removes the file (decommission).
    pub content: Option<String>,
    /// Pull request title and commit summary.
    pub title: String,
    /// Pull request body (Markdown) and commit body.
    pub body: String,
    /// Labels of the pull request.
    pub labels: Vec<String>,
    /// Extra commit trailers (requester, correlation id, ...); backends add the `Pao-*` keys
    /// they need themselves.
    pub trailers: Vec<(String, String)>,
    /// Commit author name (the requester).
    pub author_name: String,
    /// Commit author e-mail.
    pub author_email: String,
    /// A retry with the same key returns the change opened first instead of a new one.
    pub idempotency_key: Option<String>,
}

impl ChangeSpec {
    /// The `Pao-*` trailers that identify the change: request, operation and resource.
    pub fn identity_trailers(&self) -> Vec<(String, String)> {
        vec![
            ("Pao-Request-Id".to_owned(), self.id.to_string()),
            ("Pao-Operation".to_owned(), self.operation.as_str().to_owned()),
            ("Pao-Team".to_owned(), self.key.team.to_string()),
            ("Pao-Item".to_owned(), self.key.item.to_string()),
            ("Pao-Resource".to_owned(), self.key.resource.to_string()),
        ]
    }
}

/// A request's change as read back from the backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeInfo {
    /// The request id.
    pub id: RequestId,
    /// The resource.
    pub key: ResourceKey,
    /// What the change does.
    pub operation: Operation,
    /// The branch, `pao/requests/<id>`.
    pub branch: String,
    /// The branch it merges into.
    pub base: String,
    /// The request commit (hex).
    pub head: String,
    /// Open, merged or closed.
    pub state: ChangeState,
    /// The request status (status log first, then the pull request's state).
    pub status: RequestStatus,
    /// Pull request title.
    pub title: String,
    /// Web address of the pull request, when the backend has one.
    pub url: Option<String>,
    /// Pull request number, when the backend has one.
    pub number: Option<u64>,
    /// Trailers of the request commit (`Pao-Requester`, `Pao-Correlation-Id`, ...).
    pub metadata: BTreeMap<String, String>,
    /// When the change was opened, RFC 3339.
    pub created_at: String,
    /// Last status change, RFC 3339.
    pub updated_at: String,
}

/// The result of [`StateBackend::open_change`].
#[derive(Debug, Clone)]
pub struct Opened {
    /// The change.
    pub change: ChangeInfo,
    /// Whether an earlier call with the same idempotency key opened it.
    pub replayed: bool,
}

/// One status transition, as recorded in Git.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusEvent {
    /// The new status.
    pub status: RequestStatus,
    /// When, RFC 3339.
    pub at: String,
    /// Why, for people.
    pub note: String,
}

impl StatusEvent {
    /// The transitions every request goes through when its pull request opens (`submitted`,
    /// `validating`, `pr_open`), all at `created_at`; `opened` says where (branch or PR number).
    pub fn opening(created_at: &str, opened: String) -> Vec<Self> {
        let at = |status, note| Self { status, at: created_at.to_owned(), note };
        vec![
            at(RequestStatus::Submitted, String::new()),
            at(RequestStatus::Validating, String::new()),
            at(RequestStatus::PrOpen, opened),
        ]
    }
}

/// Why a backend operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// A name failed validation.
    #[error(transparent)]
    InvalidName(#[from] NameError),
    /// No request with this id.
    #[error("request `{0}` not found")]
    NotFound(String),
    /// Another request for the same resource is still open.
    #[error("resource {key} already has an open request: {open} (merge or abort it first)")]
    ResourceBusy {
        /// The resource.
        key: String,
        /// The open request's id.
        open: String,
    },
    /// The request id is taken.
    #[error("request `{0}` already exists")]
    AlreadyExists(String),
    /// The request is not open (merged or closed), so it cannot be merged or closed.
    #[error("request `{id}` is {state:?}, not open")]
    NotOpen {
        /// The request id.
        id: String,
        /// Its state.
        state: ChangeState,
    },
    /// Merging would conflict.
    #[error("request `{id}` conflicts with the base branch in: {}", paths.join(", "))]
    MergeConflict {
        /// The request id.
        id: String,
        /// Conflicting paths.
        paths: Vec<String>,
    },
    /// A decommission or update found no file to change.
    #[error("no desired-state file {path} on the base branch")]
    NoSuchFile {
        /// The path.
        path: String,
    },
    /// The base branch is checked out in the state repository's work tree, with uncommitted
    /// changes there.
    #[error(
        "branch {branch} is checked out with uncommitted changes in the state repository; commit or stash them, or use a bare state repository"
    )]
    DirtyWorkTree {
        /// The base branch.
        branch: String,
    },
    /// Compare-and-swap kept losing against concurrent writers.
    #[error("gave up updating {what} after repeated concurrent changes")]
    Contention {
        /// The ref or object.
        what: String,
    },
    /// Stored data does not have the expected shape.
    #[error("corrupt state: {0}")]
    Corrupt(String),
    /// A forge (GitHub) API call failed.
    #[error("{operation} failed: HTTP {status}: {message}")]
    Remote {
        /// What was attempted.
        operation: String,
        /// HTTP status, 0 when none was received.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// A local Git operation failed.
    #[error("Git error: {0}")]
    Git(#[from] git2::Error),
    /// Opening the repository failed.
    #[error(transparent)]
    Open(#[from] crate::error::GitError),
}

impl BackendError {
    /// What kind of failure this is.
    pub fn kind(&self) -> crate::ErrorKind {
        use crate::ErrorKind;
        match self {
            Self::InvalidName(_) => ErrorKind::InvalidInput,
            Self::NotFound(_) | Self::NoSuchFile { .. } => ErrorKind::NotFound,
            Self::ResourceBusy { .. }
            | Self::AlreadyExists(_)
            | Self::NotOpen { .. }
            | Self::MergeConflict { .. }
            | Self::DirtyWorkTree { .. } => ErrorKind::Conflict,
            Self::Contention { .. } => ErrorKind::Busy,
            Self::Remote { .. } => ErrorKind::Upstream,
            Self::Corrupt(_) | Self::Git(_) => ErrorKind::Internal,
            Self::Open(err) => err.kind(),
        }
    }
}

/// Where requests are written. Implementations are synchronous (Git work blocks); async
/// servers call them from blocking threads (`tokio::task::spawn_blocking`).
pub trait StateBackend: Send + Sync {
    /// A short description for logs and `--json` output (`local:/srv/state.git`).
    fn describe(&self) -> String;

    /// The base branch requests merge into (`main` by default).
    fn base_branch(&self) -> &str;

    /// A file on the base branch, if it exists.
    ///
    /// # Errors
    /// When the backend cannot be read.
    fn read_base_file(&self, path: &str) -> Result<Option<String>, BackendError>;

    /// Every `requests/**/*.yaml` file on the base branch, as (path, content), in path order.
    ///
    /// # Errors
    /// When the backend cannot be read.
    fn base_request_files(&self) -> Result<Vec<(String, String)>, BackendError>;

    /// Opens a change. Refuses a second open change for the same resource
    /// ([`BackendError::ResourceBusy`]) and a taken id ([`BackendError::AlreadyExists`]); with
    /// an idempotency key seen before, returns the first change with `replayed: true`.
    ///
    /// # Errors
    /// As above, and when the backend cannot be written.
    fn open_change(&self, spec: &ChangeSpec) -> Result<Opened, BackendError>;

    /// One change.
    ///
    /// # Errors
    /// [`BackendError::NotFound`] when there is none with this id.
    fn change(&self, id: &RequestId) -> Result<ChangeInfo, BackendError>;

    /// Every change ever opened, newest first.
    ///
    /// # Errors
    /// When the backend cannot be read.
    fn changes(&self) -> Result<Vec<ChangeInfo>, BackendError>;

    /// The request file as the change writes it (`None` for a decommission).
    ///
    /// # Errors
    /// When there is no such change or it cannot be read.
    fn change_file(&self, id: &RequestId) -> Result<Option<String>, BackendError>;

    /// The change's diff against the commit it was based on, unified format.
    ///
    /// # Errors
    /// When there is no such change or it cannot be read.
    fn diff(&self, id: &RequestId) -> Result<String, BackendError>;

    /// Merges an open change into the base branch (fast-forward or merge commit).
    ///
    /// # Errors
    /// [`BackendError::NotOpen`], [`BackendError::MergeConflict`], or a write failure.
    fn merge(&self, id: &RequestId) -> Result<ChangeInfo, BackendError>;

    /// Closes an open change without merging, recording `status` (`aborted` or `pr_closed`).
    ///
    /// # Errors
    /// [`BackendError::NotOpen`] or a write failure.
    fn close(&self, id: &RequestId, status: RequestStatus, note: &str) -> Result<ChangeInfo, BackendError>;

    /// Records a status transition (the caller checks that it is allowed).
    ///
    /// # Errors
    /// When there is no such change or it cannot be written.
    fn record_status(&self, id: &RequestId, status: RequestStatus, note: &str) -> Result<ChangeInfo, BackendError>;

    /// Every recorded transition of a change, oldest first.
    ///
    /// # Errors
    /// When there is no such change or it cannot be read.
    fn status_history(&self, id: &RequestId) -> Result<Vec<StatusEvent>, BackendError>;
}
