//! One module per subcommand.

pub mod form;
pub mod lint;
pub mod request;
pub mod schema;
pub mod server;
pub mod vars;

use crate::ExitStatus;
use crate::args::{PaoCli, PaoCommand};

/// Runs a `pao` subcommand.
pub fn dispatch(cli: PaoCli) -> anyhow::Result<ExitStatus> {
    match cli.command {
        PaoCommand::Lint(args) => lint::run(&args),
        PaoCommand::Rule { code } => lint::explain(&code, crate::args::DocFormat::Text),
        PaoCommand::Schema(command) => schema::run(command),
        PaoCommand::Form(command) => form::run(command),
        PaoCommand::Request(args) => request::run(*args),
        PaoCommand::Vars(command) => vars::run(command),
    }
}
