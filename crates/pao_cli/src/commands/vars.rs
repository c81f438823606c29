//! `pao vars render` and `pao vars test`: the template engine of `pao_vars` on the command line.
//! The logic lives in `pao_vars` (`render_command`, `run_tests`); this module reads `pao.toml`,
//! prints and picks the exit status.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use pao_vars::{Engine, VarsError};

use crate::{ExitStatus, print_stdout};

/// `pao vars` subcommands.
#[derive(Debug, Subcommand)]
pub enum VarsCommand {
    /// Render every action (automated and manual) of an item with form values, as JSON. A dry
    /// run: unsupplied outputs of earlier actions render as `<outputs.ACTION.NAME>`, secrets and
    /// passwords as `***`.
    Render(RenderArgs),
    /// Run template test cases (default: every `.yaml` under `tests/vars/` at the repository
    /// root); exit 1 on any mismatch, with a diff.
    Test(TestArgs),
}

/// `pao vars render` options.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The catalog item (or bundle) YAML file.
    #[arg(value_name = "ITEM")]
    pub item: PathBuf,
    /// Form values: a YAML or JSON mapping of field id to value.
    #[arg(long, value_name = "FILE")]
    pub values: PathBuf,
    /// Request context: `id`, `correlationId`, `timestamp`, `resource`, `user: {id, email, teams}`.
    #[arg(long, value_name = "FILE")]
    pub request: Option<PathBuf>,
    /// Outputs of earlier actions: a mapping of action id to a mapping of output name to value.
    #[arg(long, value_name = "FILE")]
    pub outputs: Option<PathBuf>,
    /// Fix `system.*`, `uuid()` and `timestamp()` and ignore the process environment, for
    /// reproducible output.
    #[arg(long)]
    pub deterministic: bool,
}

/// `pao vars test` options.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Case files or directories (default: `tests/vars` at the repository root).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// Runs a `pao vars` subcommand.
pub fn run(command: VarsCommand) -> anyhow::Result<ExitStatus> {
    match command {
        VarsCommand::Render(args) => render(&args),
        VarsCommand::Test(args) => test(&args),
    }
}

/// The repository root for `start` (a file or directory), or `start`'s directory.
fn repo_root(start: &Path) -> PathBuf {
    let dir = if start.is_dir() { start.to_path_buf() } else { start.parent().unwrap_or(Path::new(".")).to_path_buf() };
    let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
    pao_config::find_repository_root(&dir).unwrap_or(dir)
}

/// The engine configured from `pao.toml` at `root`.
fn engine(root: &Path) -> anyhow::Result<Engine> {
    let config = pao_config::Config::discover(root).context("cannot read pao.toml")?;
    crate::warn_config(&config);
    Ok(Engine::new(config.templates.environment))
}

fn render(args: &RenderArgs) -> anyhow::Result<ExitStatus> {
    let root = repo_root(&args.item);
    let engine = engine(&root)?;
    let catalog = pao_vars::load_catalog_items(&root.join("catalog"));
    let command = pao_vars::RenderArgs {
        item: args.item.clone(),
        values: args.values.clone(),
        request: args.request.clone(),
        outputs: args.outputs.clone(),
        deterministic: args.deterministic,
    };
    match pao_vars::render_command(&engine, &command, &catalog) {
        Ok(rendered) => {
            let mut text = serde_json::to_string_pretty(&rendered)?;
            text.push('\n');
            print_stdout(&text)?;
            Ok(ExitStatus::Success)
        }
        Err(VarsError::Load(err)) => Err(err.into()),
        Err(err) => {
            let _ = writeln!(std::io::stderr().lock(), "{err}");
            Ok(ExitStatus::Failure)
        }
    }
}

fn test(args: &TestArgs) -> anyhow::Result<ExitStatus> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    // The repository of the first PATH, else of the current directory (a case file kept
    // outside any repository still uses the catalog's pao.toml).
    let root =
        args.paths.first().and_then(|path| pao_config::find_repository_root(path)).unwrap_or_else(|| repo_root(&cwd));
    let paths = if args.paths.is_empty() { vec![root.join("tests").join("vars")] } else { args.paths.clone() };
    let files = pao_vars::discover(&paths)?;
    let engine = engine(&root)?;
    let catalog = pao_vars::load_catalog_items(&root.join("catalog"));
    let report = pao_vars::run_tests(&engine, &files, &root, &catalog);
    print_stdout(&report.to_human(&cwd.canonicalize().unwrap_or(cwd)))?;
    Ok(if report.passed() { ExitStatus::Success } else { ExitStatus::Failure })
}
