//! What can go wrong around an execution (not inside an action: action failures are
//! outcomes, recorded in the log, not errors).

use pao_git::{BackendError, ErrorKind, NameError};
use pao_orchestrator::OrchestratorError;

/// Why an executor call could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The request id is malformed.
    #[error(transparent)]
    InvalidId(#[from] NameError),
    /// The request's pull request is not merged, so there is nothing to execute yet.
    #[error("request `{id}` is {status}; only a merged request is executed (merge it first: pao request merge {id})")]
    NotMerged {
        /// The request.
        id: String,
        /// Its status.
        status: String,
    },
    /// Another worker holds the request's lease.
    #[error("request `{id}` is being executed by {holder} (lease until {until}); try again later")]
    Busy {
        /// The request.
        id: String,
        /// The other worker.
        holder: String,
        /// RFC 3339.
        until: String,
    },
    /// The lease was taken over while this executor ran (it stalled past the lease).
    #[error("lost the lease on request `{id}` to another worker; stopped without recording more")]
    LeaseLost {
        /// The request.
        id: String,
    },
    /// The operation does not apply in the request's status.
    #[error("request `{id}` is {status}: {what}")]
    WrongStatus {
        /// The request.
        id: String,
        /// Its status.
        status: String,
        /// What cannot be done and what can.
        what: String,
    },
    /// The request file or the catalog item it names cannot be read.
    #[error("request `{id}`: {message}")]
    Request {
        /// The request.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// Escalating failed (the ticket could not be opened); nothing was recorded.
    #[error("request `{id}`: could not open the escalation ticket: {message}")]
    Escalation {
        /// The request.
        id: String,
        /// Why (masked).
        message: String,
    },
    /// Setting up the executor failed.
    #[error("{0}")]
    Setup(String),
    /// The request lifecycle refused or failed.
    #[error(transparent)]
    Orchestrator(#[from] OrchestratorError),
    /// The state repository failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl ExecError {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidId(_) => ErrorKind::InvalidInput,
            Self::NotMerged { .. } | Self::WrongStatus { .. } => ErrorKind::Conflict,
            Self::Busy { .. } | Self::LeaseLost { .. } => ErrorKind::Busy,
            Self::Request { .. } => ErrorKind::Unprocessable,
            Self::Escalation { .. } => ErrorKind::Upstream,
            Self::Setup(_) => ErrorKind::Internal,
            Self::Orchestrator(err) => err.kind(),
            Self::Backend(err) => err.kind(),
        }
    }
}
