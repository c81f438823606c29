//! The `pao` and `pao-lint` command-line tools: argument parsing (`args`), one module per
//! subcommand (`commands`), and exit statuses. The binaries in `src/bin/` only call [`main_pao`]
//! and [`main_lint`].

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

pub mod args;
pub mod commands;

/// Exit statuses, as SPEC section 5 fixes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// No error (warnings allowed).
    Success = 0,
    /// At least one error was found.
    Failure = 1,
    /// The tool could not run: bad arguments, unreadable configuration or path.
    Error = 2,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status as u8)
    }
}

/// Entry point of `pao-lint`.
pub fn main_lint() -> ExitCode {
    let args = match args::LintCli::try_parse() {
        Ok(args) => args,
        Err(err) => return clap_exit(&err),
    };
    finish(commands::lint::run_cli(args))
}

/// Entry point of `pao`.
pub fn main_pao() -> ExitCode {
    let args = match args::PaoCli::try_parse() {
        Ok(args) => args,
        Err(err) => return clap_exit(&err),
    };
    finish(commands::dispatch(args))
}

/// Prints clap's message; help and version exit 0, usage errors 2.
fn clap_exit(err: &clap::Error) -> ExitCode {
    let _ = err.print();
    if err.use_stderr() { ExitStatus::Error.into() } else { ExitStatus::Success.into() }
}

/// Turns a command's result into an exit code, printing the error chain on failure.
#[allow(clippy::print_stderr)]
fn finish(result: anyhow::Result<ExitStatus>) -> ExitCode {
    match result {
        Ok(status) => status.into(),
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitStatus::Success.into();
            }
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "{}", error_text(&err));
            ExitStatus::Error.into()
        }
    }
}

/// `error: …` and one `  caused by: …` line per cause, skipping a cause whose text the lines
/// before already say (an error that quotes its source, e.g. "cannot read pao.toml: No such file
/// or directory", is not followed by "caused by: No such file or directory").
pub fn error_text(err: &anyhow::Error) -> String {
    let mut text = format!("error: {err}\n");
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if cause.is_empty() || text.contains(&cause) {
            continue;
        }
        text.push_str(&format!("  caused by: {cause}\n"));
    }
    text
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().filter_map(|e| e.downcast_ref::<std::io::Error>()).any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Prints the configuration's warnings (settings allowed but probably a mistake) to stderr.
#[allow(clippy::print_stderr)]
pub fn warn_config(config: &pao_config::Config) {
    let mut stderr = std::io::stderr().lock();
    for warning in config.warnings() {
        let _ = writeln!(stderr, "warning: {warning}");
    }
}

/// Writes a note to stderr; a closed stderr is not worth failing over.
pub fn print_stderr(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.flush();
}

/// Writes to stdout; a closed pipe (`pao-lint | head`) is not an error worth a message.
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}
