//! `pao worker [--once]`: executes merged requests as they appear (polling the state
//! repository; `--once`: one pass, then exit).

use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use pao_executor::{Executor, ExecutorOptions, WakeHandle, WorkerOptions, run_worker};

use crate::ExitStatus;
use crate::commands::request::RepositoryArgs;

/// `pao worker` options.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// One pass over the pending requests, then exit.
    #[arg(long)]
    pub once: bool,
    /// Seconds between passes (default: `[executor] poll-seconds`, 30).
    #[arg(long, value_name = "SECONDS")]
    pub poll: Option<u64>,
    /// Where the repositories are.
    #[command(flatten)]
    pub repository: RepositoryArgs,
}

/// Runs `pao worker`. Exits 1 after `--once` when an execution could not be carried out.
///
/// # Errors
/// When the repositories or the executor cannot be set up.
#[allow(clippy::print_stderr)]
pub fn run(args: &WorkerArgs) -> anyhow::Result<ExitStatus> {
    let app = pao_app::App::open(&args.repository.options())?;
    let poll = Duration::from_secs(args.poll.unwrap_or(app.config.executor.poll_seconds).max(1));
    let executor = Arc::new(Executor::new(&app, ExecutorOptions::default())?);
    let runtime = crate::commands::fulfil::runtime()?;
    let mut failed = false;
    runtime.block_on(run_worker(
        executor,
        WorkerOptions { once: args.once, poll },
        WakeHandle::new(),
        |pass| match pass {
            Ok(report) => {
                for id in &report.executed {
                    eprintln!("pao worker: executed {id}");
                }
                for id in &report.busy {
                    eprintln!("pao worker: {id} is held by another worker");
                }
                for (id, error) in &report.errors {
                    failed = true;
                    eprintln!("pao worker: {id}: {error}");
                }
            }
            Err(err) => {
                failed = true;
                eprintln!("pao worker: cannot read the state repository: {err}");
            }
        },
    ));
    Ok(if failed { ExitStatus::Failure } else { ExitStatus::Success })
}
