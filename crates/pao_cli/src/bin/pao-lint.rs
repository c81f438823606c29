//! `pao-lint`: the catalog linter.

fn main() -> std::process::ExitCode {
    pao_cli::main_lint()
}
