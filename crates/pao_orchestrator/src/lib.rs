//! The request lifecycle of SPEC section 7 over a [`pao_git::StateBackend`].
//!
//! [`Orchestrator::submit`] checks a request against the catalog item's form, writes the desired
//! state `requests/<team>/<item>/<resource>.yaml` (values without passwords, the action plan,
//! the catalog item's id, version and commit) as one commit on branch `pao/requests/<id>` and
//! opens a pull request. The same resource again is an update (the pull request shows the
//! diff); [`Orchestrator::decommission`] removes the file. Everything (requests, statuses,
//! idempotency keys) is kept in Git; there is no database.

#![deny(missing_docs)]

mod document;
mod error;
mod orchestrator;
mod plan;
mod values;
mod yaml;

pub use error::OrchestratorError;
pub use orchestrator::{
    DecommissionRequest, Hint, Orchestrator, RequestDetail, RequestFilter, RequestList, RequestView, Requester,
    StatusReport, SubmitRequest, Submitted,
};
pub use pao_git::{ChangeState, ErrorKind, IdentityError, Operation, RequestStatus, StatusEvent, UnreadableChange};
pub use plan::{PlanInput, render_action_plan};
pub use values::{redact_values, validate_values};
pub use yaml::to_yaml;
