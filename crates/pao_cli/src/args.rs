//! Command-line arguments of `pao` and `pao-lint` (clap derive; doc comments are the help).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// pao-lint: check a PAO catalog repository offline, with file:line:col diagnostics.
#[derive(Debug, Parser)]
#[command(name = "pao-lint", version, args_conflicts_with_subcommands = true)]
pub struct LintCli {
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
    /// Template tools: render an item's actions with values, run template test cases.
    #[command(subcommand)]
    Vars(crate::commands::vars::VarsCommand),
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
}
