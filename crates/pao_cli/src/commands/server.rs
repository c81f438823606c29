//! `pao-lint server`: the language server on stdin/stdout (`pao_lsp`).

use anyhow::Context;

use crate::ExitStatus;

/// Serves until the client shuts the server down; exit 0 after a clean `shutdown`/`exit`.
pub fn run() -> anyhow::Result<ExitStatus> {
    pao_lsp::run_stdio().context("pao-lint server stopped")?;
    Ok(ExitStatus::Success)
}
