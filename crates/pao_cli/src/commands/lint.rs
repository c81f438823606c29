//! `pao-lint [PATH ...]`, `pao-lint rule CODE` and `pao-lint rules`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use pao_config::Config;
use pao_diagnostics::render::{HumanOptions, SarifTool, render_github, render_human, render_json, render_sarif};
use pao_lint::codes::{RULES, rule};
use pao_lint::{Linter, Targets};
use serde_json::json;

use crate::args::{DocFormat, LintArgs, LintCli, LintSubcommand, OutputFormat};
use crate::{ExitStatus, print_stdout};

/// Where the rule documentation is published (SARIF `helpUri`s point into it).
const RULES_URI: &str = "https://github.com/pao-dev/pao/blob/main/docs/rules";

/// Runs `pao-lint` with parsed arguments.
pub fn run_cli(cli: LintCli) -> anyhow::Result<ExitStatus> {
    match cli.command {
        Some(LintSubcommand::Rule { code, format }) => explain(&code, format),
        Some(LintSubcommand::Rules { format }) => list(format),
        Some(LintSubcommand::Server) => super::server::run(),
        None => run(&cli.lint),
    }
}

/// The repository root and the files named, from the PATH arguments.
struct Resolved {
    root: PathBuf,
    files: Vec<String>,
}

fn resolve(paths: &[PathBuf]) -> anyhow::Result<Resolved> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let absolute = |p: &Path| if p.is_absolute() { p.to_owned() } else { cwd.join(p) };
    if paths.is_empty() {
        return Ok(Resolved { root: cwd, files: Vec::new() });
    }
    for path in paths {
        if !path.exists() {
            bail!("{}: no such file or directory", path.display());
        }
    }
    let dirs: Vec<&PathBuf> = paths.iter().filter(|p| p.is_dir()).collect();
    match dirs.as_slice() {
        [dir] if paths.len() == 1 && dir.join("catalog").is_dir() => {
            return Ok(Resolved { root: absolute(dir), files: Vec::new() });
        }
        [] => {}
        [_] if paths.len() == 1 => {}
        _ => bail!("give one repository directory, or files (and directories of files) inside one repository"),
    }
    // Files, or a directory of files that is not a repository root: lint them in the catalog of
    // the Git repository that holds them.
    let first = absolute(&paths[0]);
    let anchor = if first.is_dir() { first.clone() } else { first.parent().map_or(cwd.clone(), Path::to_path_buf) };
    let root = pao_config::find_repository_root(&anchor).unwrap_or(anchor);
    let root = root.canonicalize().unwrap_or(root);
    let mut files = Vec::new();
    for path in paths {
        let path = absolute(path).canonicalize().with_context(|| format!("cannot read {}", path.display()))?;
        let mut add = |file: &Path| -> anyhow::Result<()> {
            let relative = file
                .strip_prefix(&root)
                .with_context(|| format!("{} is outside the repository at {}", file.display(), root.display()))?;
            files.push(relative.to_string_lossy().replace('\\', "/"));
            Ok(())
        };
        if path.is_dir() {
            for entry in walk_yaml(&path) {
                add(&entry)?;
            }
        } else {
            add(&path)?;
        }
    }
    files.sort();
    files.dedup();
    Ok(Resolved { root, files })
}

/// The `.yaml`/`.yml` files under `dir`, sorted, skipping hidden entries (not following links).
fn walk_yaml(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect()
}

/// Lints and prints the report; exit 1 when it has errors.
pub fn run(args: &LintArgs) -> anyhow::Result<ExitStatus> {
    let resolved = resolve(&args.paths)?;
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::discover(&resolved.root)?,
    };
    let linter = Linter::new(&config)?;
    let targets = Targets { files: resolved.files, changed_since: args.changed_since.clone() };
    let report = linter.lint_repository(&resolved.root, &targets)?;
    let output = match args.format {
        OutputFormat::Human => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let width = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(100);
            render_human(&report, HumanOptions { color, width })
        }
        OutputFormat::Json => render_json(&report),
        OutputFormat::Github => render_github(&report),
        OutputFormat::Sarif => {
            let metas: Vec<_> = RULES.iter().map(|r| r.meta()).collect();
            let tool = SarifTool {
                name: "pao-lint",
                version: env!("CARGO_PKG_VERSION"),
                information_uri: RULES_URI,
                rules: &metas,
            };
            render_sarif(&report, &tool)
        }
    };
    print_stdout(&output)?;
    Ok(if report.has_errors() { ExitStatus::Failure } else { ExitStatus::Success })
}

/// `pao-lint rule CODE`.
pub fn explain(code: &str, format: DocFormat) -> anyhow::Result<ExitStatus> {
    let Some(rule) = rule(code) else {
        bail!("unknown rule `{code}`; `pao-lint rules` lists them");
    };
    let text = match format {
        DocFormat::Text => format!(
            "# {} ({})\n\nDefault severity: {}\nSummary: {}\n\n{}\n",
            rule.name,
            rule.code,
            rule.default_severity.as_str(),
            rule.summary,
            rule.docs().trim_end()
        ),
        DocFormat::Json => {
            let value = json!({
                "code": rule.code, "name": rule.name, "severity": rule.default_severity.as_str(),
                "family": rule.family(), "summary": rule.summary, "explanation": rule.docs()
            });
            format!("{}\n", serde_json::to_string_pretty(&value)?)
        }
    };
    print_stdout(&text)?;
    Ok(ExitStatus::Success)
}

/// `pao-lint rules`.
pub fn list(format: DocFormat) -> anyhow::Result<ExitStatus> {
    let text = match format {
        DocFormat::Text => RULES
            .iter()
            .map(|r| format!("{}  {:<8} {:<34} {}\n", r.code, r.default_severity.as_str(), r.name, r.summary))
            .collect(),
        DocFormat::Json => {
            let rules: Vec<_> = RULES
                .iter()
                .map(|r| json!({ "code": r.code, "name": r.name, "severity": r.default_severity.as_str(), "family": r.family(), "summary": r.summary }))
                .collect();
            format!("{}\n", serde_json::to_string_pretty(&rules)?)
        }
    };
    print_stdout(&text)?;
    Ok(ExitStatus::Success)
}
