//! `pao`: the PAO command line (schemas, linting, templates, forms, requests, server).

fn main() -> std::process::ExitCode {
    pao_cli::main_pao()
}
