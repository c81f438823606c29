//! Command-line arguments of `pao` and `pao-lint` (clap derive; doc comments are the help).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// pao-lint: check a PAO catalog repository offline, with file:line:col diagnostics.
#[derive(Debug, Parser)]
#[command(name = "pao-lint", version, args_conflicts_with_subcommands = true)]
pub struct LintCli {
    /// When to color the output: `auto` (a terminal, unless `NO_COLOR` is set or `TERM=dumb`),
    /// `always` or `never`.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Explain rules instead of linting.
    #[command(subcommand)]
    pub command: Option<LintSubcommand>,
    /// What to lint and how to report it.
    #[command(flatten)]
    pub lint: LintArgs,
}

/// `pao-lint rule` and `pao-lint rules`.
#[derive(Debug, Subcommand)]
pub enum LintSubcommand {
    /// Explain one rule: what it flags, why, and an example.
    Rule {
        /// Rule code (`PAO201`) or name (`unknown-key`).
        code: String,
        /// Print the rule as JSON.
        #[arg(long, value_enum, default_value_t = DocFormat::Text)]
        format: DocFormat,
    },
    /// List every rule with its code, default severity and summary.
    Rules {
        /// Print the list as JSON.
        #[arg(long, value_enum, default_value_t = DocFormat::Text)]
        format: DocFormat,
    },
    /// Run the language server (LSP 3.17 over stdin/stdout) for editors: every rule as you
    /// type, completion, hover, code actions and go to definition. See docs/editors.md.
    Server,
}

/// `--color auto|always|never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Color when writing to a terminal, unless `NO_COLOR` is set (non-empty) or `TERM` is `dumb`.
    Auto,
    /// Always color, even into a pipe or file.
    Always,
    /// Never color.
    Never,
}

impl ColorChoice {
    /// Whether to color output going to a stream that `is_terminal` or not, with the environment
    /// variable lookup given (`NO_COLOR`, `TERM`).
    pub fn enabled(self, is_terminal: bool, env: impl Fn(&str) -> Option<std::ffi::OsString>) -> bool {
        match self {
            Self::Always => true,
            Self::Never => false,
            Self::Auto => {
                let no_color = env("NO_COLOR").is_some_and(|v| !v.is_empty());
                let dumb = env("TERM").is_some_and(|v| v == "dumb");
                is_terminal && !no_color && !dumb
            }
        }
    }
}

/// How rule documentation is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DocFormat {
    /// Markdown-ish text for people.
    Text,
    /// JSON for tools.
    Json,
}

/// Options of a lint run (shared by `pao-lint` and `pao lint`).
#[derive(Debug, Clone, Args)]
pub struct LintArgs {
    /// The catalog repository to lint (a directory; default `.`), or just the named files.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Report only on files changed since this Git revision; cross-file rules still see the
    /// whole catalog, and each changed item is compared with its version at the revision.
    #[arg(long, value_name = "REV")]
    pub changed_since: Option<String>,
    /// Configuration file (default: pao.toml at the repository root, if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Report only findings this baseline does not hold, and name its entries that no longer
    /// occur (on standard error).
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    pub baseline: Option<PathBuf>,
    /// Record today's findings in FILE (by rule, file and fingerprint) instead of reporting
    /// them; exit 0 unless pao-lint could not run.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Neither read nor write the cache (.pao-cache/ at the repository root).
    #[arg(long)]
    pub no_cache: bool,
    /// Apply the safe fixes rules offer, in place (comments and formatting outside each edit are
    /// kept), then report what is left.
    #[arg(long, help_heading = "Fixes")]
    pub fix: bool,
    /// With `--fix`: print the fixes as a unified diff and change nothing.
    #[arg(long, requires = "fix", help_heading = "Fixes")]
    pub diff: bool,
}

/// Output formats of `pao-lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// miette diagnostics with source snippets.
    Human,
    /// One JSON object: diagnostics and a summary.
    Json,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

/// pao: the Platform Automation Orchestrator.
#[derive(Debug, Parser)]
#[command(name = "pao", version)]
pub struct PaoCli {
    /// When to color the output: `auto` (a terminal, unless `NO_COLOR` is set or `TERM=dumb`),
    /// `always` or `never`.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// What to do.
    #[command(subcommand)]
    pub command: PaoCommand,
}

/// `pao` subcommands.
#[derive(Debug, Subcommand)]
pub enum PaoCommand {
    /// Lint a catalog repository (the same as `pao-lint`).
    Lint(LintArgs),
    /// Explain one lint rule (the same as `pao-lint rule`).
    Rule {
        /// Rule code (`PAO201`) or name.
        code: String,
    },
    /// The JSON Schemas generated from the catalog types.
    #[command(subcommand)]
    Schema(SchemaCommand),
    /// Preview an item's request form (JSON or HTML) and check values against it.
    #[command(subcommand)]
    Form(crate::commands::form::FormCommand),
    /// Requests as pull requests on a Git state repository: submit, list, get, status, merge,
    /// abort, decommission.
    Request(Box<crate::commands::request::RequestArgs>),
    /// Check the local state repository for stale locks and dangling refs; `--fix` repairs
    /// what is safe to repair. Exit 0 healthy, 1 problems found, 2 could not run.
    Doctor(crate::commands::doctor::DoctorArgs),
    /// Template tools: render an item's actions with values, run template test cases.
    #[command(subcommand)]
    Vars(crate::commands::vars::VarsCommand),
    /// The REST API (SPEC section 7) over the state repository, with JSON logs on stderr.
    Serve(Box<crate::commands::serve::ServeArgs>),
    /// The served catalog (`list`, `get`, `versions`, `refresh`, `validation-errors`): from a
    /// running server with `--api`, or the same API in-process over the local repositories.
    Catalog(Box<crate::commands::catalog::CatalogArgs>),
    /// Execute merged requests as they appear (polls the state repository; `--once`: one pass).
    Worker(Box<crate::commands::worker::WorkerArgs>),
    /// Print a shell completion script for `pao` (or `pao-lint`) to standard output.
    ///
    /// bash: `pao completions bash > ~/.local/share/bash-completion/completions/pao`;
    /// zsh: `pao completions zsh > "${fpath[1]}/_pao"`;
    /// fish: `pao completions fish > ~/.config/fish/completions/pao.fish`;
    /// PowerShell: `pao completions powershell | Out-String | Invoke-Expression`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: Shell,
        /// Which command the script completes.
        #[arg(long = "for", value_enum, default_value_t = Program::Pao, value_name = "COMMAND")]
        program: Program,
    },
    /// Write man pages (roff) generated from the command-line definitions: pao.1, one
    /// pao-<subcommand>.1 per subcommand, and pao-lint.1.
    Man {
        /// Directory to write the pages into (created if missing).
        #[arg(long, value_name = "DIR", default_value = "man")]
        out_dir: PathBuf,
    },
}

/// Shells `pao completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// GNU bash (bash-completion).
    Bash,
    /// Z shell.
    Zsh,
    /// fish.
    Fish,
    /// PowerShell.
    Powershell,
}

/// The two command-line tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Program {
    /// `pao`.
    Pao,
    /// `pao-lint`.
    #[value(name = "pao-lint")]
    PaoLint,
}

/// `pao schema` subcommands.
#[derive(Debug, Subcommand)]
pub enum SchemaCommand {
    /// Write schema/catalog-item.json, schema/catalog-bundle.json and schema/common-types.json.
    Generate {
        /// Directory to write into.
        #[arg(long, default_value = "schema")]
        out_dir: PathBuf,
        /// Write nothing; exit 1 if the files differ from what the types generate.
        #[arg(long)]
        check: bool,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn verify_cli() {
        LintCli::command().debug_assert();
        PaoCli::command().debug_assert();
    }

    #[test]
    fn color_choice() {
        let none = |_: &str| None;
        assert!(ColorChoice::Auto.enabled(true, none));
        assert!(!ColorChoice::Auto.enabled(false, none));
        assert!(ColorChoice::Always.enabled(false, none));
        assert!(!ColorChoice::Never.enabled(true, none));
        assert!(!ColorChoice::Auto.enabled(true, |k: &str| (k == "NO_COLOR").then(|| "1".into())));
        assert!(ColorChoice::Auto.enabled(true, |k: &str| (k == "NO_COLOR").then(|| "".into())));
        assert!(!ColorChoice::Auto.enabled(true, |k: &str| (k == "TERM").then(|| "dumb".into())));
        assert!(ColorChoice::Always.enabled(true, |k: &str| (k == "TERM").then(|| "dumb".into())));
    }
}
