//! `pao-lint [PATH ...]`, `pao-lint rule CODE` and `pao-lint rules`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use pao_config::Config;
use pao_diagnostics::render::{HumanOptions, SarifTool, render_github, render_human, render_json, render_sarif};
use pao_lint::baseline::{Baseline, Entry};
use pao_lint::codes::{RULES, rule};
use pao_lint::{CacheStats, Linter, Targets};
use serde_json::json;

use crate::args::{ColorChoice, DocFormat, LintArgs, LintCli, LintSubcommand, OutputFormat};
use crate::{ExitStatus, print_stdout};

/// Where the rule documentation is published (SARIF `helpUri`s point into it).
const RULES_URI: &str = "https://github.com/pao-dev/pao/blob/main/docs/rules";

/// Runs `pao-lint` with parsed arguments.
pub fn run_cli(cli: LintCli) -> anyhow::Result<ExitStatus> {
    match cli.command {
        Some(LintSubcommand::Rule { code, format }) => explain(&code, format),
        Some(LintSubcommand::Rules { format }) => list(format),
        Some(LintSubcommand::Server) => super::server::run(),
        None => run(&cli.lint, cli.color),
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
        require_catalog_files(&cwd)?;
        return Ok(Resolved { root: cwd, files: Vec::new() });
    }
    for path in paths {
        if std::fs::symlink_metadata(path).is_err() {
            bail!("{}: no such file or directory", path.display());
        }
    }
    let dirs: Vec<&PathBuf> = paths.iter().filter(|p| p.is_dir()).collect();
    match dirs.as_slice() {
        [dir] if paths.len() == 1 && dir.join("catalog").is_dir() => {
            let root = absolute(dir);
            require_catalog_files(&root)?;
            return Ok(Resolved { root, files: Vec::new() });
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
        // The link rule is pao-lint's (`pao_lint::walk`): a named file is not resolved through
        // its own link here, only its directory, so a link is judged (and named) as itself.
        let path = absolute(path);
        let real = match (path.parent(), path.file_name()) {
            (Some(parent), Some(name)) if !path.is_dir() => parent
                .canonicalize()
                .map(|dir| dir.join(name))
                .with_context(|| format!("cannot read {}", path.display()))?,
            _ => path.canonicalize().with_context(|| format!("cannot read {}", path.display()))?,
        };
        let relative = real
            .strip_prefix(&root)
            .with_context(|| format!("{} is outside the repository at {}", real.display(), root.display()))?;
        if real.is_dir() && !std::fs::symlink_metadata(&real).is_ok_and(|m| m.file_type().is_symlink()) {
            let found = pao_lint::walk::walk(&root, &real);
            if found.is_empty() {
                bail!(
                    "{}: no catalog files here (no .yaml or .yml file in this directory or below); give the \
                     catalog repository's root (the directory that holds catalog/) or the catalog files to lint",
                    path.display()
                );
            }
            files.extend(found.into_iter().map(|(file, _)| file));
        } else {
            files.push(pao_lint::walk::slash(relative));
        }
    }
    files.sort();
    files.dedup();
    Ok(Resolved { root, files })
}

/// A repository root to lint must have catalog files: linting nothing is never what was meant (a
/// wrong `path:` in CI would pass silently).
fn require_catalog_files(root: &Path) -> anyhow::Result<()> {
    let catalog = root.join("catalog");
    if !catalog.is_dir() {
        bail!(
            "{}: no catalog files to lint: there is no catalog/ directory here; run pao-lint in (or give it) the \
             catalog repository's root, the directory that holds catalog/, or name the files to lint",
            root.display()
        );
    }
    if !pao_lint::walk::finds_any(root, &catalog) {
        bail!(
            "{}: no catalog files to lint: catalog/ holds no .yaml or .yml file; add catalog items \
             (catalog/<category>/<id>.yaml) or point pao-lint at the right repository",
            root.display()
        );
    }
    Ok(())
}

/// Lints and prints the report; exit 1 when it has errors.
pub fn run(args: &LintArgs, color: ColorChoice) -> anyhow::Result<ExitStatus> {
    let resolved = resolve(&args.paths)?;
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::discover(&resolved.root)?,
    };
    crate::warn_config(&config);
    let linter = Linter::new(&config)?;
    let named: std::collections::BTreeSet<String> = resolved.files.iter().cloned().collect();
    let targets = Targets { files: resolved.files, changed_since: args.changed_since.clone() };
    let lint = || -> anyhow::Result<pao_lint::Report> {
        if args.no_cache {
            return Ok(linter.lint_repository(&resolved.root, &targets)?);
        }
        let (report, stats) = linter.lint_repository_cached(&resolved.root, &targets)?;
        debug_cache(&stats);
        Ok(report)
    };
    let mut report = lint()?;
    if args.fix {
        let fixed = super::fix::apply(&resolved.root, &report, args.diff)?;
        if args.diff {
            // The diff is the output; the findings are not printed again.
            return Ok(if report.has_errors() { ExitStatus::Failure } else { ExitStatus::Success });
        }
        if fixed > 0 {
            // The files rewritten have new contents, so their cache entries no longer match.
            report = lint()?;
        }
    }
    if let Some(path) = &args.write_baseline {
        let baseline = Baseline::from_report(&report);
        baseline.write(path)?;
        crate::print_stderr(&format!(
            "pao-lint: recorded {} finding{} in the baseline {}; pass `--baseline {}` to report only new ones\n",
            baseline.findings.len(),
            if baseline.findings.len() == 1 { "" } else { "s" },
            path.display(),
            path.display()
        ));
        return Ok(ExitStatus::Success);
    }
    if let Some(path) = &args.baseline {
        let baseline = Baseline::read(path)?;
        // Which entries should have occurred is known for the files looked at: all of them, or
        // the ones named; with --changed-since, not at all.
        let looked_at = |file: &str| args.changed_since.is_none() && (named.is_empty() || named.contains(file));
        let gone = baseline.apply(&mut report, looked_at);
        if !gone.is_empty() {
            crate::print_stderr(&gone_note(&gone, path));
        }
    }
    let output = match args.format {
        OutputFormat::Human => {
            let color = color.enabled(std::io::stdout().is_terminal(), |name| std::env::var_os(name));
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

/// With `PAO_LINT_DEBUG` set, one line on standard error about the cache: what it answered, and
/// why it could not be used where it could not. Never more: a cache problem only costs time.
fn debug_cache(stats: &CacheStats) {
    if std::env::var_os("PAO_LINT_DEBUG").is_none_or(|v| v.is_empty()) {
        return;
    }
    let mut text = format!(
        "pao-lint: debug: cache: {} from the cache, {} checked, {} shard(s) written\n",
        stats.hits, stats.checked, stats.shards_written
    );
    for note in &stats.notes {
        text.push_str(&format!("pao-lint: debug: cache: {note}\n"));
    }
    crate::print_stderr(&text);
}

/// The note on baseline entries that no longer occur.
fn gone_note(gone: &[Entry], path: &Path) -> String {
    let mut text = format!(
        "pao-lint: {} baseline entr{} in {} no longer occur{} (fixed, or its line changed):\n",
        gone.len(),
        if gone.len() == 1 { "y" } else { "ies" },
        path.display(),
        if gone.len() == 1 { "s" } else { "" },
    );
    for entry in gone.iter().take(20) {
        text.push_str(&format!("  {} {}: {}\n", entry.file, entry.rule, entry.message));
    }
    if gone.len() > 20 {
        text.push_str(&format!("  … and {} more\n", gone.len() - 20));
    }
    text.push_str(&format!(
        "  run `pao-lint --write-baseline {}` to drop {} from the baseline\n",
        path.display(),
        if gone.len() == 1 { "it" } else { "them" }
    ));
    text
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

/// The page `docs/rules/<CODE>.md` of one rule (SARIF `helpUri`s point at these pages), made
/// from the rule's declaration and doc comment. `cargo test -p pao_cli --test rule_pages` checks
/// the committed pages against this; `PAO_UPDATE_DOCS=1` rewrites them.
pub fn rule_page(rule: &pao_lint::registry::Rule) -> String {
    format!(
        "<!-- Generated from the declaration of {code} in crates/pao_lint/src/rules/ (its doc comment). \
         Do not edit: change the doc comment, then run `PAO_UPDATE_DOCS=1 cargo test -p pao_cli --test rule_pages`. -->\n\n\
         # {code} `{name}`\n\n\
         {summary}.\n\n\
         - Default severity: **{severity}** (change it in `pao.toml`: `[lint.rules]` `{code} = \"warning\"`, \
         `\"error\"` or `\"off\"`)\n\
         - Family: {family} — [all rules](../rules.md)\n\
         - On the command line: `pao-lint rule {code}` or `pao-lint rule {name}`\n\n\
         {docs}\n",
        code = rule.code,
        name = rule.name,
        summary = rule.summary.trim_end_matches('.'),
        severity = rule.default_severity.as_str(),
        family = rule.family(),
        docs = rule.docs().trim(),
    )
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
