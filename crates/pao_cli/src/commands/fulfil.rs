//! `pao request execute|status|logs|retry|abort|escalate`: fulfilment of merged requests from
//! the command line, through `pao_executor` (SPEC section 9). Each command builds a small
//! Tokio runtime for the executor's HTTP calls.

use std::fmt::Write as _;
use std::time::Duration;

use pao_executor::{ActionStatus, EscalationRecord, ExecError, ExecutionReport, Executor, ExecutorOptions};
use pao_git::LogEntry;
use pao_orchestrator::StatusReport;
use serde_json::json;

use crate::commands::request::{RequestCommand, pretty};
use crate::{ExitStatus, print_stdout};

/// The `pao request` subcommands that go through the executor.
#[derive(Debug, Clone)]
pub enum FulfilCommand {
    /// `execute <id>`.
    Execute(String),
    /// `status <id> [--watch]`.
    Status(String, bool),
    /// `logs <id> [--follow]`.
    Logs(String, bool),
    /// `retry <id>`.
    Retry(String),
    /// `abort <id> --reason`.
    Abort(String, String),
    /// `escalate <id> --reason`.
    Escalate(String, String),
}

impl FulfilCommand {
    /// The fulfilment command `command` is, if it is one.
    pub fn from_request(command: &RequestCommand) -> Option<Self> {
        Some(match command {
            RequestCommand::Execute { id } => Self::Execute(id.clone()),
            RequestCommand::Status { id, watch } => Self::Status(id.clone(), *watch),
            RequestCommand::Logs { id, follow } => Self::Logs(id.clone(), *follow),
            RequestCommand::Retry { id } => Self::Retry(id.clone()),
            RequestCommand::Abort { id, reason } => Self::Abort(id.clone(), reason.clone()),
            RequestCommand::Escalate { id, reason } => Self::Escalate(id.clone(), reason.clone()),
            _ => return None,
        })
    }
}

/// A Tokio runtime for one command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
}

/// Runs a fulfilment command. Refusals (not merged, busy, wrong status) exit 1; a request
/// that ends `failed` exits 1 too, so scripts notice.
///
/// # Errors
/// When the executor cannot be set up (exit 2).
pub fn run(app: &pao_app::App, command: FulfilCommand, user: &str, json: bool) -> anyhow::Result<ExitStatus> {
    let executor = Executor::new(app, ExecutorOptions::default())?;
    let runtime = runtime()?;
    let result: Result<String, ExecError> = runtime.block_on(async {
        match command {
            FulfilCommand::Execute(id) => executor.execute(&id).await.map(|r| report(&r, json)),
            FulfilCommand::Status(id, watch) => {
                let mut shown = String::new();
                loop {
                    let history = app.orchestrator.status(&id)?;
                    let report = executor.report(&id)?;
                    let text = status_text(&history, &report, json);
                    if !watch {
                        return Ok(text);
                    }
                    if text != shown {
                        let _ = print_stdout(&text);
                        shown = text;
                    }
                    if is_settled(report.status.as_str()) && !executor.running(&id)? {
                        return Ok(String::new());
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
            FulfilCommand::Logs(id, follow) => logs(&executor, &id, follow, json).await,
            FulfilCommand::Retry(id) => executor.retry(&id, user).await.map(|r| report(&r, json)),
            FulfilCommand::Abort(id, reason) => executor.abort(&id, user, &reason).await.map(|r| report(&r, json)),
            FulfilCommand::Escalate(id, reason) => {
                executor.escalate(&id, user, &reason).await.map(|e| escalation_text(&id, &e, json))
            }
        }
    });
    super::answer(result, |err| refused(err, json))
}

async fn logs(executor: &Executor, id: &str, follow: bool, json: bool) -> Result<String, ExecError> {
    let mut cursor: Option<String> = None;
    loop {
        let entries = executor.logs(id, cursor.as_deref())?;
        let mut out = String::new();
        for entry in &entries {
            out.push_str(&log_line(entry, json));
        }
        if let Some(last) = entries.last() {
            cursor = Some(last.commit.clone());
        }
        if !follow {
            return Ok(out);
        }
        let _ = print_stdout(&out);
        if is_settled(executor.report(id)?.status.as_str()) && !executor.running(id)? {
            return Ok(String::new());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Whether a request in `status` has nothing more coming on its own (a person may still retry).
pub(crate) fn is_settled(status: &str) -> bool {
    matches!(status, "completed" | "failed" | "aborted" | "escalated" | "pr_closed")
}

/// A status and its transitions, then each action's outcome once executed.
pub(crate) fn status_text(history: &StatusReport, r: &ExecutionReport, json: bool) -> String {
    if json {
        return pretty(
            &json!({ "id": history.id, "status": history.status, "state": history.state, "history": history.history, "fulfilment": r }),
        );
    }
    let mut out = format!("{}: {}\n", history.id, history.status);
    for event in &history.history {
        let note = if event.note.is_empty() { String::new() } else { format!("  {}", event.note) };
        let _ = writeln!(out, "  {}  {:<12}{note}", event.at, event.status.as_str());
    }
    if !r.actions.is_empty() {
        out.push_str(&report(r, false).split_once('\n').map(|(_, rest)| rest.to_owned()).unwrap_or_default());
    }
    out
}

/// What `escalate` did: the ticket, and the description handed to people.
pub(crate) fn escalation_text(id: &str, e: &EscalationRecord, json: bool) -> String {
    if json {
        return pretty(e);
    }
    let ticket = e.ticket.as_ref().map_or_else(
        || "no ticket ([escalation] is not configured)".to_owned(),
        |t| format!("ticket {} {}", t.id, t.url.as_deref().unwrap_or_default()),
    );
    format!("Escalated {id} (status escalated): {ticket}\n\n{}", e.description)
}

/// One fulfilment log entry: `at  summary`, or the entry as one line of JSON.
pub(crate) fn log_line(entry: &LogEntry, json: bool) -> String {
    if json {
        format!("{}\n", serde_json::to_string(entry).unwrap_or_default())
    } else {
        format!("{}  {}\n", entry.at, entry.summary)
    }
}

/// A request's fulfilment: each action's list, id, type, status, attempts and reference.
pub(crate) fn report(r: &ExecutionReport, json: bool) -> String {
    if json {
        return pretty(r);
    }
    let mut out = format!("{}: {}\n", r.id, r.status);
    for a in &r.actions {
        let status = match a.status {
            ActionStatus::Pending => "pending",
            ActionStatus::Running => "running",
            ActionStatus::Waiting => "waiting",
            ActionStatus::Succeeded => "succeeded",
            ActionStatus::Failed => "failed",
        };
        let reference = a
            .reference
            .as_ref()
            .map(|x| format!("  {} {}", x.system, x.url.as_deref().unwrap_or(&x.id)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {}/{:<20} {:<16} {:<10} attempts {}{reference}",
            a.list.as_str(),
            a.id,
            a.action_type,
            status,
            a.attempts
        );
        if let Some(error) = a.error.as_ref().filter(|_| a.status != ActionStatus::Succeeded) {
            let _ = writeln!(out, "      error: {error}");
        }
    }
    if let Some(waiting) = &r.waiting_on {
        let _ = writeln!(out, "  waiting on {waiting}");
    }
    if let Some(failure) = &r.failed_over {
        let _ = writeln!(out, "  failed over to the manual list after {}: {}", failure.action, failure.error);
    }
    out
}

#[allow(clippy::print_stderr)]
fn refused(err: &ExecError, json: bool) -> anyhow::Result<()> {
    if json {
        let body = json!({ "error": { "code": err.kind().as_str(), "message": err.to_string() } });
        return print_stdout(&pretty(&body));
    }
    eprintln!("error: {err}");
    Ok(())
}
