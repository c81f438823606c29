//! One module per subcommand.

pub mod catalog;
pub mod completions;
pub mod doctor;
pub mod fix;
pub mod form;
pub mod fulfil;
pub mod lint;
pub mod remote;
pub mod request;
pub mod schema;
pub mod serve;
pub mod server;
pub mod vars;
pub mod worker;

use crate::ExitStatus;
use crate::args::{PaoCli, PaoCommand};

/// Runs a `pao` subcommand.
pub fn dispatch(cli: PaoCli) -> anyhow::Result<ExitStatus> {
    match cli.command {
        PaoCommand::Lint(args) => lint::run(&args, cli.color),
        PaoCommand::Rule { code } => lint::explain(&code, crate::args::DocFormat::Text),
        PaoCommand::Schema(command) => schema::run(command),
        PaoCommand::Form(command) => form::run(command),
        PaoCommand::Request(args) => request::run(*args),
        PaoCommand::Doctor(args) => doctor::run(&args),
        PaoCommand::Vars(command) => vars::run(command),
        PaoCommand::Serve(args) => serve::run(&args),
        PaoCommand::Catalog(args) => catalog::run(*args),
        PaoCommand::Completions { shell, program } => completions::completions(shell, program),
        PaoCommand::Man { out_dir } => completions::man_pages(&out_dir),
        PaoCommand::Worker(args) => worker::run(&args),
    }
}

/// Ends a command that answers or refuses: prints the answer (exit 0), or reports the refusal
/// with `refuse` (exit 1).
pub(crate) fn answer<E>(
    result: Result<String, E>,
    refuse: impl FnOnce(&E) -> anyhow::Result<()>,
) -> anyhow::Result<ExitStatus> {
    match result {
        Ok(text) => {
            crate::print_stdout(&text)?;
            Ok(ExitStatus::Success)
        }
        Err(err) => {
            refuse(&err)?;
            Ok(ExitStatus::Failure)
        }
    }
}
