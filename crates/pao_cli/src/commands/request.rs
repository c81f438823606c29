//! `pao request ...`: the request lifecycle from the command line, on a local state repository
//! (Git refs and branches; no server, no network) or, when `pao.toml` has a `[github]` table, on
//! GitHub pull requests. Human output by default, `--json` for tools.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use pao_orchestrator::{
    DecommissionRequest, Hint, OrchestratorError, RequestDetail, RequestFilter, RequestList, RequestStatus,
    RequestView, Requester, SubmitRequest, Submitted,
};
use serde_json::json;

use crate::{ExitStatus, print_stdout};

/// `pao request` options shared by every subcommand.
#[derive(Debug, Args)]
pub struct RequestArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: RequestCommand,
    /// Where the repositories are.
    #[command(flatten)]
    pub repository: RepositoryArgs,
    /// Or: the server to ask instead.
    #[command(flatten)]
    pub remote: crate::commands::remote::RemoteArgs,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The repository options every orchestrator command shares (`pao request`, `pao serve`,
/// `pao worker`); [`RepositoryArgs::options`] hands them to the composition root.
#[derive(Debug, Clone, Args)]
pub struct RepositoryArgs {
    /// The state repository requests are written to (bare or not; default: the Git repository
    /// of the current directory). Its `pao.toml` applies wherever the command runs from.
    #[arg(long, global = true, value_name = "PATH")]
    pub state_repo: Option<PathBuf>,
    /// Branch requests merge into.
    #[arg(long, global = true, value_name = "BRANCH", default_value = "main")]
    pub base: String,
    /// The catalog repository (default: the state repository).
    #[arg(long, global = true, value_name = "PATH")]
    pub catalog_repo: Option<PathBuf>,
    /// The catalog revision requests are checked against.
    #[arg(long, global = true, value_name = "REV", default_value = "HEAD")]
    pub catalog_rev: String,
    /// Configuration file (default: `pao.toml` of the state repository: its work tree's, or the
    /// one committed on the base branch of a bare repository). With a `[github]` table,
    /// requests become GitHub pull requests (token from `GITHUB_TOKEN`).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Write to the local state repository even when the configuration names a GitHub one.
    #[arg(long, global = true)]
    pub local: bool,
}

impl RepositoryArgs {
    /// An error when a repository option is given beside `--api` (which of the two was meant?).
    ///
    /// # Errors
    /// Naming the option.
    pub fn refuse_with_api(&self) -> anyhow::Result<()> {
        let given = [
            ("--state-repo", self.state_repo.is_some()),
            ("--catalog-repo", self.catalog_repo.is_some()),
            ("--config", self.config.is_some()),
            ("--local", self.local),
        ];
        if let Some((flag, _)) = given.iter().find(|(_, set)| *set) {
            anyhow::bail!(
                "{flag} names a repository, and --api (or PAO_API_URL) a server: give one of them (unset PAO_API_URL to \
                 work on the repository)"
            );
        }
        Ok(())
    }

    /// The options as the composition root takes them.
    pub fn options(&self) -> pao_app::RepositoryOptions {
        pao_app::RepositoryOptions {
            state_repo: self.state_repo.clone(),
            base: self.base.clone(),
            catalog_repo: self.catalog_repo.clone(),
            catalog_rev: self.catalog_rev.clone(),
            config: self.config.clone(),
            local: self.local,
        }
    }
}

/// `pao request` subcommands.
#[derive(Debug, Subcommand)]
pub enum RequestCommand {
    /// Request a resource (or update it, when its desired state already exists): opens a pull
    /// request (branch `pao/requests/<id>`).
    Submit(SubmitArgs),
    /// List requests: open pull requests and merged request files.
    List(ListArgs),
    /// Show one request: summary, desired-state file, diff and status history.
    Get {
        /// Request id.
        id: String,
    },
    /// Show a request's status and its transitions.
    Status {
        /// Request id.
        id: String,
        /// Print it again whenever it changes, until the request settles (completed, failed,
        /// aborted, escalated or closed) and no worker runs it.
        #[arg(long, short = 'w')]
        watch: bool,
    },
    /// Merge a request's pull request into the base branch.
    Merge {
        /// Request id.
        id: String,
    },
    /// Abort a request (closes an open pull request; stops a failed or running fulfilment).
    Abort {
        /// Request id.
        id: String,
        /// Why, recorded in the status history.
        #[arg(long, default_value = "aborted from the command line")]
        reason: String,
    },
    /// Hand a request to people: a ticket from `[escalation]` with what succeeded, the error
    /// and cleanup guidance; status `escalated`.
    Escalate {
        /// Request id.
        id: String,
        /// Why, recorded in the status history and the ticket.
        #[arg(long, default_value = "escalated from the command line")]
        reason: String,
    },
    /// Run a failed (or escalated) request's failed action again, then the rest.
    Retry {
        /// Request id.
        id: String,
    },
    /// Run a merged request's fulfilment now (returns when every action has finished or the
    /// request waits on something outside: an open ticket, a running workflow).
    Execute {
        /// Request id.
        id: String,
    },
    /// Show a request's fulfilment log (every attempt, with times, references and errors).
    Logs {
        /// Request id.
        id: String,
        /// Keep printing records as they are written, until the request stops running.
        #[arg(long, short = 'f')]
        follow: bool,
    },
    /// Request removal of a resource: a pull request deleting its desired-state file.
    Decommission(DecommissionArgs),
}

/// `pao request submit` options.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// Catalog item id.
    #[arg(long)]
    pub item: String,
    /// Resource name (`requests/<team>/<item>/<resource>.yaml`).
    #[arg(long)]
    pub resource: String,
    /// Requesting team.
    #[arg(long)]
    pub team: String,
    /// Form values: a YAML or JSON mapping of field id to value.
    #[arg(long, value_name = "FILE")]
    pub values: PathBuf,
    /// Fulfilment: `manual` or `automated` (default: the item's strategy).
    #[arg(long, value_enum)]
    pub hint: Option<HintArg>,
    /// Catalog item version (default: the current stable version).
    #[arg(long)]
    pub version: Option<String>,
    #[command(flatten)]
    pub who: WhoArgs,
    /// A retry with the same key returns the first result instead of a second request.
    #[arg(long, value_name = "KEY")]
    pub idempotency_key: Option<String>,
}

/// `pao request decommission` options.
#[derive(Debug, Args)]
pub struct DecommissionArgs {
    /// Catalog item id.
    #[arg(long)]
    pub item: String,
    /// Resource name.
    #[arg(long)]
    pub resource: String,
    /// Owning team.
    #[arg(long)]
    pub team: String,
    #[command(flatten)]
    pub who: WhoArgs,
    /// A retry with the same key returns the first result.
    #[arg(long, value_name = "KEY")]
    pub idempotency_key: Option<String>,
}

/// Who is asking.
#[derive(Debug, Args)]
pub struct WhoArgs {
    /// Requester id (default: `$PAO_USER`, else `$USER`).
    #[arg(long, value_name = "ID")]
    pub user: Option<String>,
    /// Requester e-mail address.
    #[arg(long, value_name = "EMAIL")]
    pub email: Option<String>,
}

/// `pao request list` filters.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this team's requests.
    #[arg(long)]
    pub team: Option<String>,
    /// Only requests in this status (`pr_open`, `pr_merged`, `completed`, ...).
    #[arg(long, value_parser = parse_status)]
    pub status: Option<RequestStatus>,
    /// Only this requester's requests.
    #[arg(long)]
    pub requestor: Option<String>,
}

/// `--hint` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HintArg {
    /// Straight to manual fulfilment.
    Manual,
    /// Automated fulfilment only.
    Automated,
}

fn parse_status(text: &str) -> Result<RequestStatus, String> {
    RequestStatus::parse(text).ok_or_else(|| {
        let known: Vec<&str> = RequestStatus::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown status `{text}`; one of: {}", known.join(", "))
    })
}

/// Runs `pao request`.
///
/// # Errors
/// When the repositories cannot be opened or a file cannot be read (exit 2); refusals
/// (invalid values, busy resource, unknown request) are reported and exit 1.
pub fn run(args: RequestArgs) -> anyhow::Result<ExitStatus> {
    if let Some(client) = args.remote.client()? {
        args.repository.refuse_with_api()?;
        return crate::commands::remote::run_request(&client, args.command, args.json);
    }
    let app = pao_app::App::open(&args.repository.options())?;
    let orchestrator = &app.orchestrator;
    let json = args.json;
    if let Some(command) = crate::commands::fulfil::FulfilCommand::from_request(&args.command) {
        return crate::commands::fulfil::run(&app, command, &requester(&WhoArgs { user: None, email: None }).id, json);
    }
    let result = match args.command {
        RequestCommand::Submit(submit) => {
            let bytes = pao_source::read_bounded(&submit.values, pao_source::MAX_INPUT_BYTES)
                .with_context(|| format!("cannot read values file {}", submit.values.display()))?;
            let values = pao_form::parse_values(&bytes)
                .with_context(|| format!("cannot read values file {}", submit.values.display()))?;
            let request = SubmitRequest {
                item: submit.item,
                version: submit.version,
                team: submit.team,
                resource: submit.resource,
                values,
                requester: requester(&submit.who),
                hint: match submit.hint {
                    None => Hint::Auto,
                    Some(HintArg::Manual) => Hint::Manual,
                    Some(HintArg::Automated) => Hint::Automated,
                },
                idempotency_key: submit.idempotency_key,
                correlation_id: None,
            };
            orchestrator.submit(&request).map(|done| submitted(&done, json))
        }
        RequestCommand::Decommission(decommission) => {
            let request = DecommissionRequest {
                item: decommission.item,
                team: decommission.team,
                resource: decommission.resource,
                requester: requester(&decommission.who),
                idempotency_key: decommission.idempotency_key,
                correlation_id: None,
            };
            orchestrator.decommission(&request).map(|done| submitted(&done, json))
        }
        RequestCommand::List(list) => {
            let filter = RequestFilter { team: list.team, status: list.status, requestor: list.requestor };
            orchestrator.list_report(&filter).map(|listed| listing(&listed, json))
        }
        RequestCommand::Get { id } => orchestrator.get(&id).map(|detail| detail_text(&detail, json)),
        RequestCommand::Merge { id } => orchestrator.merge(&id).map(|view| {
            if json {
                pretty(&view)
            } else {
                format!("Merged {} into {}: {}\n", view.id, args.repository.base, view.status)
            }
        }),
        RequestCommand::Abort { .. }
        | RequestCommand::Escalate { .. }
        | RequestCommand::Retry { .. }
        | RequestCommand::Execute { .. }
        | RequestCommand::Status { .. }
        | RequestCommand::Logs { .. } => unreachable!("handled by commands::fulfil"),
    };
    super::answer(result, |err| refused(err, json))
}

fn requester(who: &WhoArgs) -> Requester {
    let id = who
        .user
        .clone()
        .or_else(|| std::env::var("PAO_USER").ok())
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".to_owned());
    Requester { id, email: who.email.clone() }
}

/// The listing; requests that could not be read are named (in `skipped`, or on stderr) and
/// `pao doctor` is suggested.
#[allow(clippy::print_stderr)]
pub(crate) fn listing(listed: &RequestList, json: bool) -> String {
    if json {
        return if listed.skipped.is_empty() {
            pretty(&json!({ "data": listed.requests }))
        } else {
            pretty(&json!({ "data": listed.requests, "skipped": listed.skipped }))
        };
    }
    for skipped in &listed.skipped {
        eprintln!("warning: skipped {}: {}", skipped.location, skipped.error);
    }
    if !listed.skipped.is_empty() {
        eprintln!("warning: {} request(s) could not be read; run `pao doctor` for details", listed.skipped.len());
    }
    table(&listed.requests)
}

/// One request in full: summary, desired state and diff.
pub(crate) fn detail_text(detail: &RequestDetail, json: bool) -> String {
    if json {
        return pretty(detail);
    }
    let mut out = summary(&detail.request);
    if let Some(document) = &detail.document {
        let _ = write!(out, "\ndesired state ({}):\n{}", detail.request.item, pao_orchestrator::to_yaml(document));
    }
    let _ = write!(out, "\ndiff:\n{}", detail.diff);
    out
}

pub(crate) fn submitted(done: &Submitted, json: bool) -> String {
    if json {
        return pretty(done);
    }
    let r = &done.request;
    let replay = if done.replayed { " (replayed: this Idempotency-Key was used before)" } else { "" };
    format!(
        "{} request {} for {}/{}/{}{replay}\n  status:  {}\n  branch:  {}\n  title:   {}\n",
        r.operation.as_str(),
        r.id,
        r.team,
        r.item,
        r.resource,
        r.status,
        r.branch,
        r.title
    )
}

fn summary(r: &RequestView) -> String {
    format!(
        "{}  {}\n  {} {}/{}/{} (version {}, catalog {})\n  requester: {}  correlation: {}\n  branch: {}  created: {}  updated: {}\n",
        r.id,
        r.status,
        r.operation.as_str(),
        r.team,
        r.item,
        r.resource,
        r.version,
        r.catalog_commit.get(..12).unwrap_or(&r.catalog_commit),
        r.requester,
        r.correlation_id,
        r.branch,
        r.created_at,
        r.updated_at
    )
}

fn table(views: &[RequestView]) -> String {
    if views.is_empty() {
        return "no requests\n".to_owned();
    }
    let mut out = format!(
        "{:<30} {:<12} {:<14} {:<16} {:<22} {:<13} {:<12} {}\n",
        "ID", "STATUS", "TEAM", "ITEM", "RESOURCE", "OPERATION", "REQUESTER", "CREATED"
    );
    for r in views {
        let _ = writeln!(
            out,
            "{:<30} {:<12} {:<14} {:<16} {:<22} {:<13} {:<12} {}",
            r.id,
            r.status.as_str(),
            r.team,
            r.item,
            r.resource,
            r.operation.as_str(),
            r.requester,
            r.created_at
        );
    }
    out
}

pub(crate) fn pretty<T: serde::Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|err| format!("{{\"error\": \"{err}\"}}"));
    text.push('\n');
    text
}

#[allow(clippy::print_stderr)]
fn refused(err: &OrchestratorError, json: bool) -> anyhow::Result<()> {
    if json {
        let body = json!({ "error": { "code": err.code(), "message": err.to_string(), "details": err.details() } });
        return print_stdout(&pretty(&body));
    }
    eprintln!("error: {err}");
    if let OrchestratorError::InvalidIdentity(invalid) = err {
        let from = match invalid.field {
            pao_git::IdentityField::User => "--user, else $PAO_USER, else $USER",
            pao_git::IdentityField::Email => "--email",
        };
        eprintln!("  the {} comes from {from}", invalid.field);
    }
    if let OrchestratorError::InvalidValues { errors } = err {
        for field in errors {
            eprintln!("  {}: {}", field.field, field.message);
        }
    }
    Ok(())
}
