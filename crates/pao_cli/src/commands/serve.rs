//! `pao serve [--addr 127.0.0.1:8080] [--worker]`: the REST API over the same repository
//! options as `pao request`. Logs are JSON lines on standard error; Ctrl-C or SIGTERM stops
//! it after in-flight requests finish.

use std::net::SocketAddr;

use anyhow::Context;
use clap::Args;

use crate::ExitStatus;
use crate::commands::request::RepositoryArgs;

/// `pao serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
    pub addr: SocketAddr,
    /// Also run the executor loop in-process (what `pao worker` does), so merged requests are
    /// fulfilled without a separate worker.
    #[arg(long)]
    pub worker: bool,
    /// Where the repositories are.
    #[command(flatten)]
    pub repository: RepositoryArgs,
}

/// Runs the server until a shutdown signal.
///
/// # Errors
/// When the repositories or the configuration cannot be used, or the address cannot be bound.
pub fn run(args: &ServeArgs) -> anyhow::Result<ExitStatus> {
    // Dropped last (at the end of this function): the queued log lines are flushed then.
    let _logs = pao_server::init_logging();
    let app = pao_app::App::open(&args.repository.options())?;
    let mut server = pao_server::Server::new(&app, pao_server::WebhookSecrets::from_env())
        .with_context(|| format!("the server cannot start with the configuration of {}", app.config_source))?;
    if args.worker {
        // Same loop as `pao worker`; the GitHub, JIRA and Terraform webhooks wake it early.
        server = server.with_worker(std::time::Duration::from_secs(app.config.executor.poll_seconds.max(1)));
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr).await.with_context(|| {
            format!("cannot listen on {}; is another process using it? pass --addr HOST:PORT", args.addr)
        })?;
        server.run(listener, pao_server::shutdown_signal()).await.context("the server failed")
    })?;
    Ok(ExitStatus::Success)
}
