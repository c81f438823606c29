//! `pao catalog list|get|versions|refresh|validation-errors`: the served catalog, from a running
//! server (`--api`) or, without one, from the same API run in this process over the local
//! repositories. Either way the answer is the API's, so both modes print the same thing.

use std::fmt::Write as _;

use anyhow::Context;
use clap::{Args, Subcommand};
use pao_client::{ApiClient, ClientError, Method, query_value, segment};
use serde_json::{Value, json};

use crate::ExitStatus;
use crate::commands::remote::RemoteArgs;
use crate::commands::request::{RepositoryArgs, pretty};

/// `pao catalog` options.
#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// What to show.
    #[command(subcommand)]
    pub command: CatalogCommand,
    /// Where the repositories are (without `--api`).
    #[command(flatten)]
    pub repository: RepositoryArgs,
    /// Or: the server to ask.
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Print JSON (the API's answer) instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

/// `pao catalog` subcommands.
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// List the served catalog: items and bundles, by category.
    List {
        /// Only this category (`databases`, ...).
        #[arg(long)]
        category: Option<String>,
        /// Only entries whose id, name, description or tags contain this text.
        #[arg(long, short = 'q', value_name = "TEXT")]
        search: Option<String>,
        /// Only this lifecycle: experimental, beta, stable, deprecated or retired.
        #[arg(long)]
        lifecycle: Option<String>,
    },
    /// Show one entry: at its default version (the highest stable release), or `--version`.
    Get {
        /// Item or bundle id.
        id: String,
        /// Another version from the item's Git history.
        #[arg(long)]
        version: Option<String>,
    },
    /// List an item's versions in Git history and the default one.
    Versions {
        /// Item id.
        id: String,
    },
    /// Reload the catalog from the revision's current commit.
    Refresh,
    /// Catalog files left out of the served catalog as invalid, with where and why.
    ValidationErrors,
}

/// Who answers: a server over HTTP, or the API in this process.
enum Api {
    Remote(ApiClient),
    Local { server: Box<pao_server::Server>, runtime: tokio::runtime::Runtime, who: pao_server::Identity },
}

impl Api {
    fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, ClientError> {
        match self {
            Self::Remote(client) => client.call(method, path, body, &[]),
            Self::Local { server, runtime, who } => {
                let method = match method {
                    Method::Get => axum::http::Method::GET,
                    Method::Post => axum::http::Method::POST,
                    Method::Delete => axum::http::Method::DELETE,
                };
                let (status, answer) = runtime.block_on(server.call_as(who.clone(), method, path, body));
                if status.is_success() {
                    Ok(answer)
                } else {
                    Err(pao_client::envelope(&format!("/api/v1{path}"), status.as_u16(), &answer.to_string()))
                }
            }
        }
    }

    fn get_all(&self, path: &str) -> Result<Vec<Value>, ClientError> {
        match self {
            Self::Remote(client) => client.get_all(path),
            Self::Local { .. } => pao_client::collect_pages(path, "/api/v1", |page| self.call(Method::Get, page, None)),
        }
    }
}

/// Runs `pao catalog`.
///
/// # Errors
/// When the repositories cannot be opened or the server cannot be reached (exit 2); a refusal
/// (an unknown item) exits 1.
pub fn run(args: CatalogArgs) -> anyhow::Result<ExitStatus> {
    let api = match args.remote.client()? {
        Some(client) => {
            args.repository.refuse_with_api()?;
            Api::Remote(client)
        }
        None => local(&args.repository)?,
    };
    let json = args.json;
    let result = match args.command {
        CatalogCommand::List { category, search, lifecycle } => {
            let mut query = Vec::new();
            for (key, value) in [("category", category), ("q", search), ("lifecycle", lifecycle)] {
                if let Some(value) = value {
                    query.push(format!("{key}={}", query_value(&value)));
                }
            }
            let path = if query.is_empty() { "/catalog".to_owned() } else { format!("/catalog?{}", query.join("&")) };
            api.get_all(&path).map(|entries| list_text(&entries, json))
        }
        CatalogCommand::Get { id, version } => {
            let path = match version {
                Some(v) => format!("/catalog/items/{}?version={}", segment(&id), query_value(&v)),
                None => format!("/catalog/items/{}", segment(&id)),
            };
            api.call(Method::Get, &path, None).map(|entry| entry_text(&entry, json))
        }
        CatalogCommand::Versions { id } => api
            .call(Method::Get, &format!("/catalog/items/{}/versions", segment(&id)), None)
            .map(|versions| versions_text(&versions, json)),
        CatalogCommand::Refresh => {
            api.call(Method::Post, "/catalog/refresh", Some(&json!({}))).map(|done| refresh_text(&done, json))
        }
        CatalogCommand::ValidationErrors => {
            api.get_all("/catalog/validation-errors").map(|errors| validation_text(&errors, json))
        }
    };
    let result = match result {
        Ok(text) => Ok(text),
        Err(ClientError::Api(err)) => Err(err),
        Err(other) => return Err(other.into()),
    };
    super::answer(result, |err| super::remote::refused(err, json))
}

/// The API over the local repositories, in this process, as the local user (who can read the
/// repositories anyway), with the catalog loaded.
fn local(repository: &RepositoryArgs) -> anyhow::Result<Api> {
    let app = pao_app::App::open(&repository.options())?;
    // Reading the catalog executes nothing and reads no secret: whatever `[secrets]` says (a
    // Vault whose VAULT_TOKEN this shell does not have) must not stop it.
    let options = pao_executor::ExecutorOptions {
        secrets: Some(std::sync::Arc::new(pao_executor::EnvSecrets)),
        ..pao_executor::ExecutorOptions::default()
    };
    let executor = std::sync::Arc::new(pao_executor::Executor::new(&app, options)?);
    let server = pao_server::Server::with_executor(&app, pao_server::WebhookSecrets::default(), executor)
        .context("the configuration's [auth] table is invalid")?;
    let runtime = crate::commands::fulfil::runtime()?;
    runtime.block_on(server.load_catalog());
    let user = std::env::var("PAO_USER").or_else(|_| std::env::var("USER")).unwrap_or_else(|_| "local".to_owned());
    Ok(Api::Local { server: Box::new(server), runtime, who: pao_server::Identity::local_user(&user) })
}

fn text<'v>(value: &'v Value, pointer: &str) -> &'v str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or_default()
}

fn list_text(entries: &[Value], json: bool) -> String {
    if json {
        return pretty(&json!({ "data": entries }));
    }
    if entries.is_empty() {
        return "no catalog entries\n".to_owned();
    }
    let columns = ["/id", "/kind", "/version", "/lifecycle", "/category", "/owner", "/name"];
    let mut rows = vec![["ID", "KIND", "VERSION", "LIFECYCLE", "CATEGORY", "OWNER", "NAME"].map(str::to_owned)];
    rows.extend(entries.iter().map(|e| columns.map(|c| text(e, c).to_owned())));
    let widths: Vec<usize> =
        (0..columns.len()).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ", width = widths[c]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn entry_text(entry: &Value, json: bool) -> String {
    if json {
        return pretty(entry);
    }
    let item = &entry["item"];
    let mut out = format!(
        "{} {} ({}, {})\n  {}\n",
        text(item, "/metadata/id"),
        text(item, "/metadata/version"),
        text(entry, "/kind"),
        text(item, "/metadata/lifecycle/status"),
        text(item, "/metadata/name"),
    );
    let path = text(entry, "/path");
    let commit = text(entry, "/commit");
    let _ = writeln!(
        out,
        "  file: {}  catalog commit: {}\n",
        if path.is_empty() { "(an older version)" } else { path },
        commit.get(..12).unwrap_or(commit)
    );
    out.push_str(&pao_orchestrator::to_yaml(item));
    out
}

fn versions_text(versions: &Value, json: bool) -> String {
    if json {
        return pretty(versions);
    }
    let default = text(versions, "/default");
    let mut out = format!("{}: default {}\n", text(versions, "/id"), if default.is_empty() { "none" } else { default });
    for v in versions.get("versions").and_then(Value::as_array).into_iter().flatten() {
        let version = text(v, "/version");
        let marker = if version == default { "*" } else { " " };
        let commit = text(v, "/commit");
        let _ = writeln!(
            out,
            "  {marker} {:<12} {:<13} {}  {}",
            version,
            text(v, "/lifecycle"),
            text(v, "/date"),
            commit.get(..12).unwrap_or(commit)
        );
    }
    out
}

fn refresh_text(done: &Value, json: bool) -> String {
    if json {
        return pretty(done);
    }
    let count = |key: &str| done.get(key).and_then(Value::as_u64).unwrap_or(0);
    let commit = text(done, "/commit");
    let changed = if done.get("changed").and_then(Value::as_bool) == Some(true) { "reloaded" } else { "unchanged" };
    format!(
        "catalog {changed} at {}: {} entries, {} invalid file(s) left out\n",
        commit.get(..12).unwrap_or(commit),
        count("items"),
        count("validationErrors")
    )
}

fn validation_text(errors: &[Value], json: bool) -> String {
    if json {
        return pretty(&json!({ "data": errors }));
    }
    if errors.is_empty() {
        return "no validation errors: every catalog file is served\n".to_owned();
    }
    let mut out = String::new();
    for e in errors {
        let number = |key: &str| e.get(key).and_then(Value::as_u64).unwrap_or(0);
        let _ = writeln!(
            out,
            "{}:{}:{}: {} {}",
            text(e, "/file"),
            number("line"),
            number("column"),
            text(e, "/code"),
            text(e, "/message")
        );
        let help = text(e, "/help");
        if !help.is_empty() {
            let _ = writeln!(out, "  help: {help}");
        }
    }
    let _ = writeln!(
        out,
        "{} error(s); catalog files with an error are left out of the served catalog until they are fixed",
        errors.len()
    );
    out
}
