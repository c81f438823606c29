//! `pao-lint`: the catalog linter.

/// Linting allocates many small strings and nodes from several threads; mimalloc handles that
/// markedly faster than the system allocator (see docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    pao_cli::main_lint()
}
