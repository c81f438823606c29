//! `pao completions SHELL` and `pao man`: shell completion scripts and man pages, generated from
//! the clap definitions in [`crate::args`] so they never drift from the real options.

use std::path::Path;

use anyhow::Context;
use clap::CommandFactory;

use crate::args::{LintCli, PaoCli, Program, Shell};
use crate::{ExitStatus, print_stdout};

/// The clap command of one of the two tools.
fn command(program: Program) -> clap::Command {
    match program {
        Program::Pao => PaoCli::command(),
        Program::PaoLint => LintCli::command(),
    }
}

/// The completion script for `shell`, as text.
pub fn completion_script(shell: Shell, program: Program) -> String {
    let mut cmd = command(program);
    let name = cmd.get_name().to_owned();
    let mut out = Vec::new();
    match shell {
        Shell::Bash => clap_complete::generate(clap_complete::Shell::Bash, &mut cmd, name, &mut out),
        Shell::Zsh => clap_complete::generate(clap_complete::Shell::Zsh, &mut cmd, name, &mut out),
        Shell::Fish => clap_complete::generate(clap_complete::Shell::Fish, &mut cmd, name, &mut out),
        Shell::Powershell => clap_complete::generate(clap_complete::Shell::PowerShell, &mut cmd, name, &mut out),
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `pao completions SHELL [--for pao-lint]`.
pub fn completions(shell: Shell, program: Program) -> anyhow::Result<ExitStatus> {
    print_stdout(&completion_script(shell, program))?;
    Ok(ExitStatus::Success)
}

/// Every man page: (file name, roff text). `pao.1`, `pao-<sub>.1` per subcommand (nested ones
/// too, `pao-request-submit.1`), and `pao-lint.1`.
pub fn man_page_texts() -> anyhow::Result<Vec<(String, String)>> {
    let mut pages = Vec::new();
    for program in [Program::Pao, Program::PaoLint] {
        let mut cmd = command(program);
        cmd.build();
        collect(&cmd, cmd.get_name(), cmd.get_name(), &mut pages)?;
    }
    Ok(pages)
}

/// Renders `cmd`'s page as `file`.1 (`pao-request-submit`), its usage as `usage` (`pao request
/// submit`), then its subcommands'.
fn collect(cmd: &clap::Command, file: &str, usage: &str, pages: &mut Vec<(String, String)>) -> anyhow::Result<()> {
    let page = cmd.clone().display_name(file.to_owned()).bin_name(usage.to_owned());
    let mut out = Vec::new();
    clap_mangen::Man::new(page).render(&mut out).context("cannot render a man page")?;
    pages.push((format!("{file}.1"), String::from_utf8_lossy(&out).into_owned()));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        collect(sub, &format!("{file}-{}", sub.get_name()), &format!("{usage} {}", sub.get_name()), pages)?;
    }
    Ok(())
}

/// `pao man --out-dir DIR`.
#[allow(clippy::print_stderr)]
pub fn man_pages(out_dir: &Path) -> anyhow::Result<ExitStatus> {
    std::fs::create_dir_all(out_dir).with_context(|| format!("cannot create the directory {}", out_dir.display()))?;
    let pages = man_page_texts()?;
    for (file, text) in &pages {
        let path = out_dir.join(file);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    eprintln!("wrote {} man pages to {}", pages.len(), out_dir.display());
    Ok(ExitStatus::Success)
}
