//! PAO's language server, `pao-lint server`: every pao-lint rule as you type, plus completion,
//! hover, code actions and go to definition, over LSP 3.17 on stdio.
//!
//! ```text
//! client ──stdio──► main loop (server.rs) ──LintJob──► lint thread (scheduler.rs, debounced)
//!                     │ documents (document.rs)            │ lint.rs: open buffers + the files
//!                     │ repositories (workspace.rs)        │ they depend on → pao_lint
//!                     │ completion / hover / definition    ▼
//!                     ◄──────────── publishDiagnostics ── Outcome
//! ```
//!
//! Positions: pao_lint's diagnostics carry byte ranges; [`position::LineIndex16`] turns them
//! into LSP positions (UTF-16 columns) and back. The YAML structure at the cursor is read from
//! indentation ([`yaml_path`]) so completion works while the document does not parse; the
//! rest comes from the document's last good tree ([`outline`]) and the generated JSON Schemas
//! ([`schema_nav`]). Design notes: `docs/editors.md`.

#![deny(missing_docs)]

pub mod analysis;
pub mod code_action;
pub mod completion;
pub mod convert;
pub mod definition;
pub mod describe;
pub mod document;
pub mod hover;
pub mod lint;
pub mod outline;
pub mod position;
pub mod scheduler;
pub mod schema_nav;
pub mod server;
pub mod template;
pub mod workspace;
pub mod yaml_path;

pub use server::{DEFAULT_DEBOUNCE_MS, Options};

/// Why the server stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The client broke the protocol (e.g. no `initialize` first).
    #[error("LSP protocol error: {0}")]
    Protocol(#[from] lsp_server::ProtocolError),
    /// A request or notification had parameters that do not fit its method.
    #[error("invalid parameters: {0}")]
    Params(String),
    /// A request for a method the server does not implement.
    #[error("unknown method `{0}`")]
    MethodNotFound(String),
    /// The connection to the client closed while the server was sending.
    #[error("the connection to the client closed")]
    Disconnected,
    /// Reading stdin or writing stdout failed.
    #[error("stdio: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves on stdin/stdout until the client sends `shutdown` and `exit` (or closes stdin).
///
/// # Errors
/// When the client breaks the protocol or the connection fails.
pub fn run_stdio() -> Result<(), ServerError> {
    let (connection, io_threads) = lsp_server::Connection::stdio();
    server::run(&connection)?;
    drop(connection);
    io_threads.join()?;
    Ok(())
}
