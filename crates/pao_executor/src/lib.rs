//! Fulfilment of merged PAO requests (SPEC section 9).
//!
//! A merged request's actions are rendered again with real values — secrets from the
//! [`SecretsProvider`], outputs of earlier actions — and run in order by [`Executor::execute`].
//! `strategy: failover` runs the automated list and, when an action fails after its retries,
//! the manual list; `manual` and `automated` run one list. Every attempt is recorded in the
//! request's fulfilment log in Git (`refs/pao/fulfilment/<id>`, [`pao_git::FulfilmentLog`])
//! before and after its call, so a crash never re-runs a completed action, and an interrupted
//! call is made again with the same `Idempotency-Key: <request-id>.<action-id>`. Only the
//! holder of the request's lease (`refs/pao/leases/<id>`) executes it.
//!
//! Layout (vector's sinks are the model): one directory per action type under `actions/`
//! with the same files in each; the retry policy ([`retry`]), circuit breakers ([`breaker`]),
//! secrets providers ([`secrets`]), the masker ([`mask`]), notifications and the worker loop
//! ([`worker`]) are modules of their own. Design notes: docs/fulfilment.md.

#![deny(missing_docs)]

mod actions;
pub mod breaker;
pub mod clock;
mod error;
mod escalation;
mod executor;
pub mod http;
pub mod mask;
mod notify;
pub mod record;
mod request;
pub mod retry;
pub mod secrets;
pub mod worker;

pub use actions::GithubApi;
pub use actions::jira_ticket::{TicketState, ticket_state};
pub use actions::terraform::{
    RunState as TerraformRunState, run_state as terraform_run_state, status_state as terraform_status_state,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::ExecError;
pub use executor::{ExecutionReport, Executor, ExecutorOptions};
pub use mask::Masker;
pub use record::{
    ActionState, ActionStatus, EscalationRecord, FailureContext, List, Outcome, Record, Reference, RunState,
};
pub use secrets::{EnvSecrets, SecretError, SecretsProvider, VaultSecrets};
pub use worker::{PassReport, WakeHandle, WorkerOptions, pass, run_worker};
