//! The state-repository backend: where requests are written as branches and pull requests.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::names::{Identity, NameError, RequestId, ResourceKey};
use crate::trailers;

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

    /// The status a request shows, from the last status recorded for it (`None`: nothing
    /// recorded beyond opening) and its pull request's state. The one rule every backend
    /// applies, so the local and the GitHub backend never disagree:
    ///
    /// * a merged pull request whose record stops at an opening status (`submitted`,
    ///   `validating`, `pr_open`; a crash between merging and recording, or a merge by a
    ///   person on GitHub) is `pr_merged`;
    /// * a closed pull request whose record stops at an opening status or at `escalated`
    ///   (closed by a person before it was merged) is `pr_closed`;
    /// * otherwise the record wins, and an open pull request with no record is `pr_open`.
    pub fn derive(recorded: Option<Self>, state: ChangeState) -> Self {
        use RequestStatus::{Escalated, PrClosed, PrMerged, PrOpen, Submitted, Validating};
        let opening = matches!(recorded, None | Some(Submitted | Validating | PrOpen));
        match state {
            ChangeState::Merged if opening => PrMerged,
            ChangeState::Closed if opening || recorded == Some(Escalated) => PrClosed,
            _ => recorded.unwrap_or(PrOpen),
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
    /// More files the same commit writes, `(path, content)` (a `terraform` action's module
    /// and variables files); paths are checked by whoever builds them.
    pub extra_files: Vec<(String, String)>,
    /// Pull request title and commit summary.
    pub title: String,
    /// Pull request body (Markdown) and commit body.
    pub body: String,
    /// Labels of the pull request.
    pub labels: Vec<String>,
    /// Extra commit trailers (requester, correlation id, ...); backends add the `Pao-*` keys
    /// they need themselves.
    pub trailers: Vec<(String, String)>,
    /// The requester: the commit's author (validated, so it always makes a well-formed commit).
    pub author: Identity,
    /// A retry with the same key returns the change opened first instead of a new one.
    pub idempotency_key: Option<String>,
}

impl ChangeSpec {
    /// The `Pao-*` trailers that identify the change: request, operation and resource.
    pub fn identity_trailers(&self) -> Vec<(String, String)> {
        vec![
            (trailers::REQUEST_ID.to_owned(), self.id.to_string()),
            (trailers::OPERATION.to_owned(), self.operation.as_str().to_owned()),
            (trailers::TEAM.to_owned(), self.key.team.to_string()),
            (trailers::ITEM.to_owned(), self.key.item.to_string()),
            (trailers::RESOURCE.to_owned(), self.key.resource.to_string()),
        ]
    }

    /// The extra trailers without any that would override an identity trailer
    /// ([`trailers::IDENTITY_KEYS`]).
    pub fn extra_trailers(&self) -> impl Iterator<Item = &(String, String)> {
        self.trailers.iter().filter(|(key, _)| !trailers::IDENTITY_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key)))
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

/// Every change of a backend, as [`StateBackend::changes`] lists them.
#[derive(Debug, Clone, Default)]
pub struct ChangeList {
    /// The readable changes, newest first.
    pub changes: Vec<ChangeInfo>,
    /// The ones that could not be read, skipped.
    pub unreadable: Vec<UnreadableChange>,
}

/// A change [`StateBackend::changes`] skipped because it could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnreadableChange {
    /// Where it is: the branch (`pao/requests/<id>`) or the pull request (`#12`).
    pub location: String,
    /// Why it could not be read, with what to do.
    pub error: String,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

    /// Puts a change no status record holds (a merge or close made outside PAO, known by its
    /// own time) into `events`: after the opening, before whatever was recorded at that second
    /// or later (a worker taking the merged request up within the same second).
    pub fn insert_derived(events: &mut Vec<Self>, derived: Self) {
        let opening = 3.min(events.len());
        let when = crate::parse_rfc3339(&derived.at);
        let place = events[opening..]
            .iter()
            .position(|e| crate::parse_rfc3339(&e.at) >= when)
            .map_or(events.len(), |i| opening + i);
        events.insert(place, derived);
    }
}

/// Why a backend operation failed.
///
/// Every variant carries owned, typed information (no `git2` or HTTP client types), so the
/// trait's callers neither depend on nor can match on a backend's libraries.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// A name failed validation.
    #[error(transparent)]
    InvalidName(#[from] NameError),
    /// A branch name given for the base branch is not a valid Git branch name.
    #[error("`{branch}` is not a valid branch name; pass --base with a branch of the state repository")]
    InvalidBranch {
        /// The name given.
        branch: String,
    },
    /// The base branch does not exist, and the repository has other branches (so it is not a
    /// fresh repository whose first merge would create it).
    #[error(
        "branch `{branch}` does not exist in the state repository {repository}{}; pass --base with an existing branch",
        if branches.is_empty() { String::new() } else { format!(" (its branches: {})", branches.join(", ")) }
    )]
    NoBaseBranch {
        /// The base branch asked for.
        branch: String,
        /// The state repository.
        repository: String,
        /// Branches that do exist (request branches left out), at most ten.
        branches: Vec<String>,
    },
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
    /// A lock file of the state repository is held for longer than any PAO or Git writer holds
    /// one: most likely left by a process that was killed.
    #[error(
        "the state repository is locked: {lock_file} exists (held for {}); if no pao or git process is using the repository, run `pao doctor --fix` or remove the file",
        format_age(*age_seconds)
    )]
    Locked {
        /// The lock file's path.
        lock_file: String,
        /// How long it has existed, in seconds.
        age_seconds: u64,
    },
    /// Compare-and-swap kept losing against concurrent writers.
    #[error("gave up updating {what} after repeated concurrent changes; try again")]
    Contention {
        /// The ref or object.
        what: String,
    },
    /// Stored data does not have the expected shape.
    #[error("corrupt state: {0}; run `pao doctor` on the state repository")]
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
    #[error("Git error while {operation}: {message}")]
    Git {
        /// What was attempted (`reading ref refs/heads/main`).
        operation: String,
        /// What Git said.
        message: String,
    },
    /// The state repository could not be opened.
    #[error("cannot open Git repository {path}: {message}")]
    Open {
        /// The path given.
        path: String,
        /// What Git said.
        message: String,
    },
}

impl BackendError {
    /// What kind of failure this is.
    pub fn kind(&self) -> crate::ErrorKind {
        use crate::ErrorKind;
        match self {
            Self::InvalidName(_) | Self::InvalidBranch { .. } | Self::NoBaseBranch { .. } => ErrorKind::InvalidInput,
            Self::NotFound(_) | Self::NoSuchFile { .. } => ErrorKind::NotFound,
            Self::ResourceBusy { .. }
            | Self::AlreadyExists(_)
            | Self::NotOpen { .. }
            | Self::MergeConflict { .. }
            | Self::DirtyWorkTree { .. } => ErrorKind::Conflict,
            Self::Contention { .. } | Self::Locked { .. } => ErrorKind::Busy,
            Self::Remote { .. } => ErrorKind::Upstream,
            Self::Corrupt(_) | Self::Git { .. } | Self::Open { .. } => ErrorKind::Internal,
        }
    }

    /// A failed Git operation. A libgit2 "locked" failure becomes [`BackendError::Locked`]
    /// naming the lock file, when the message names one.
    pub(crate) fn git(operation: &str, err: &git2::Error) -> Self {
        if err.code() == git2::ErrorCode::Locked
            && let Some(lock_file) = lock_file_in(err.message())
        {
            let age_seconds = file_age(std::path::Path::new(&lock_file)).unwrap_or(0);
            return Self::Locked { lock_file, age_seconds };
        }
        Self::Git { operation: operation.to_owned(), message: err.message().to_owned() }
    }
}

/// Adds what was being done to a libgit2 failure.
pub(crate) trait GitContext<T> {
    /// Maps the error to [`BackendError::git`] with `operation`.
    fn during(self, operation: &str) -> Result<T, BackendError>;
}

impl<T> GitContext<T> for Result<T, git2::Error> {
    fn during(self, operation: &str) -> Result<T, BackendError> {
        self.map_err(|err| BackendError::git(operation, &err))
    }
}

/// The lock file a libgit2 message names (`failed to lock file '<path>.lock' for writing`).
pub(crate) fn lock_file_in(message: &str) -> Option<String> {
    let start = message.find('\'')? + 1;
    let end = start + message[start..].find('\'')?;
    let path = &message[start..end];
    Some(if path.ends_with(".lock") { path.to_owned() } else { format!("{path}.lock") })
}

/// How long ago a file was last modified, in whole seconds (`None` when it does not exist).
pub(crate) fn file_age(path: &std::path::Path) -> Option<u64> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    Some(std::time::SystemTime::now().duration_since(modified).map_or(0, |age| age.as_secs()))
}

/// `75` → `1m 15s`.
pub(crate) fn format_age(seconds: u64) -> String {
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m {}s", seconds / 60, seconds % 60),
        3600..86_400 => format!("{}h {}m", seconds / 3600, seconds % 3600 / 60),
        _ => format!("{}d {}h", seconds / 86_400, seconds % 86_400 / 3600),
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

    /// Several changes, each as [`Self::change`] reads it, in the order of `ids`: what an index
    /// reads again when refs moved. A backend that can share work between them (the local one
    /// opens the repository once, not once per change) overrides it.
    ///
    /// # Errors
    /// When the backend cannot be read at all; one change that cannot be read is an `Err` in
    /// its place.
    fn changes_of(&self, ids: &[RequestId]) -> Result<Vec<Result<ChangeInfo, BackendError>>, BackendError> {
        Ok(ids.iter().map(|id| self.change(id)).collect())
    }

    /// Every change ever opened, newest first. A change that cannot be read (a damaged commit,
    /// a pull request without PAO's block) is skipped and reported in
    /// [`ChangeList::unreadable`]: one bad request never takes the listing down.
    ///
    /// # Errors
    /// When the backend cannot be read at all.
    fn changes(&self) -> Result<ChangeList, BackendError>;

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

    /// Where the files of a request's action (`terraform`: `(path, content)`, paths checked by
    /// the caller) stand: on the base branch as they are, or on the action's follow-up change
    /// `pao/terraform/<request-id>/<action-id>`, which is created (one commit on the base tip,
    /// with `message`) when neither holds them. Locally the follow-up is that branch; on GitHub
    /// it is the branch and a pull request for it. Calling again (after a crash, or from a
    /// racing worker) finds the same change instead of writing another.
    ///
    /// # Errors
    /// [`BackendError::NoBaseBranch`] without a base branch, or a write failure.
    fn place_follow_up(
        &self,
        id: &RequestId,
        action: &str,
        files: &[(String, String)],
        message: &str,
    ) -> Result<crate::FilesAt, BackendError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_status_derivation_for_every_backend() {
        use ChangeState::{Closed, Merged, Open};
        use RequestStatus::{
            Aborted, Completed, Escalated, Failed, InProgress, PrClosed, PrMerged, PrOpen, Submitted, Validating,
        };
        assert_eq!(RequestStatus::derive(None, Open), PrOpen);
        for opening in [None, Some(Submitted), Some(Validating), Some(PrOpen)] {
            assert_eq!(RequestStatus::derive(opening, Open), opening.unwrap_or(PrOpen), "{opening:?}");
            assert_eq!(RequestStatus::derive(opening, Merged), PrMerged, "{opening:?}");
            // The case the backends used to disagree on: the local one kept the opening status.
            assert_eq!(RequestStatus::derive(opening, Closed), PrClosed, "{opening:?}");
        }
        assert_eq!(RequestStatus::derive(Some(Escalated), Closed), PrClosed, "closed by a person while escalated");
        assert_eq!(RequestStatus::derive(Some(Escalated), Merged), Escalated);
        assert_eq!(RequestStatus::derive(Some(Escalated), Open), Escalated);
        for recorded in [PrMerged, InProgress, Completed, Failed, Aborted, PrClosed] {
            for state in [Open, Merged, Closed] {
                assert_eq!(RequestStatus::derive(Some(recorded), state), recorded, "{recorded:?} {state:?}");
            }
        }
        // Whatever is derived for a recorded status is reachable from it in the status model.
        let reachable = |from: RequestStatus, to: RequestStatus| {
            let mut seen = vec![from];
            let mut next = vec![from];
            while let Some(status) = next.pop() {
                for later in RequestStatus::ALL {
                    if status.can_become(later) && !seen.contains(&later) {
                        seen.push(later);
                        next.push(later);
                    }
                }
            }
            seen.contains(&to)
        };
        for recorded in RequestStatus::ALL {
            for state in [Open, Merged, Closed] {
                let derived = RequestStatus::derive(Some(recorded), state);
                assert!(reachable(recorded, derived), "{recorded:?} {state:?} -> {derived:?}");
            }
        }
    }

    #[test]
    fn locked_failures_name_the_lock_file() {
        let err = git2::Error::new(
            git2::ErrorCode::Locked,
            git2::ErrorClass::Os,
            "failed to lock file '/srv/state.git/refs/heads/main.lock' for writing",
        );
        let err = BackendError::git("updating refs/heads/main", &err);
        assert!(
            matches!(&err, BackendError::Locked { lock_file, .. } if lock_file == "/srv/state.git/refs/heads/main.lock")
        );
        assert_eq!(err.kind(), crate::ErrorKind::Busy);
        let other = git2::Error::new(git2::ErrorCode::GenericError, git2::ErrorClass::Odb, "object not found");
        assert_eq!(
            BackendError::git("reading commit 1234", &other).to_string(),
            "Git error while reading commit 1234: object not found"
        );
        assert_eq!(format_age(0), "0s");
        assert_eq!(format_age(75), "1m 15s");
        assert_eq!(format_age(7300), "2h 1m");
        assert_eq!(format_age(90_000), "1d 1h");
    }
}
