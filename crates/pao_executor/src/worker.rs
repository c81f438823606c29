//! The worker loop: look for merged requests that are not done (and in-progress ones waiting
//! on something outside), execute each, sleep, repeat. `pao worker` runs it on its own;
//! `pao serve --worker` runs it inside the server, where the GitHub and JIRA webhooks call
//! [`WakeHandle::wake`] to start the next pass at once. Two workers never run one request at
//! the same time: each execution holds the request's lease.

use std::sync::Arc;
use std::time::Duration;

use crate::error::ExecError;
use crate::executor::Executor;

/// Wakes a sleeping worker loop early. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct WakeHandle(Arc<tokio::sync::Notify>);

impl WakeHandle {
    /// A new handle.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts the next pass now (or, when a pass is running, right after it).
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// How the loop runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// One pass, then return.
    pub once: bool,
    /// The pause between passes.
    pub poll: Duration,
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PassReport {
    /// Requests executed (each to completion, failure or a wait).
    pub executed: Vec<String>,
    /// Requests another worker held.
    pub busy: Vec<String>,
    /// Requests whose execution, or the announcement of whose status changes, failed to run
    /// (id, error).
    pub errors: Vec<(String, String)>,
}

/// One pass: announces the status changes made since the last pass (see
/// [`Executor`]'s notifications), then executes the pending requests.
///
/// # Errors
/// When the state repository cannot be listed.
pub async fn pass(executor: &Executor) -> Result<PassReport, ExecError> {
    executor.pass().await
}

/// Runs passes until `once` is done, or forever. Errors reading the state repository are
/// reported through `on_pass` and the loop goes on.
pub async fn run_worker(
    executor: Arc<Executor>,
    options: WorkerOptions,
    wake: WakeHandle,
    mut on_pass: impl FnMut(&Result<PassReport, ExecError>) + Send,
) {
    loop {
        let result = pass(&executor).await;
        on_pass(&result);
        if options.once {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(options.poll) => {}
            () = wake.0.notified() => {}
        }
    }
}
