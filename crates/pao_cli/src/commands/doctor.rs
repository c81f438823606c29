//! `pao doctor [--fix] [--json]`: checks the local state repository (stale lock files,
//! resource refs without an open request, idempotency refs pointing nowhere, open requests not
//! holding their resource, unreadable requests, orphan status logs) and, with `--fix`, repairs
//! what is safe to repair. The checks live in `pao_git` (`LocalBackend::doctor`); this module
//! only prints. Exit 0 when healthy (or everything found was fixed), 1 when problems remain,
//! 2 when the repository could not be checked.

use std::fmt::Write as _;

use anyhow::Context;
use clap::Args;
use pao_git::{DoctorReport, LocalBackend};

use crate::commands::request::RepositoryArgs;
use crate::{ExitStatus, print_stdout};

/// `pao doctor` options.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Where the repositories are (as for `pao request`).
    #[command(flatten)]
    pub repository: RepositoryArgs,
    /// Repair what is safe to repair: remove stale lock files, delete dangling refs, give open
    /// requests their resource ref back. Only run it when no other pao or git process is
    /// writing to the repository.
    #[arg(long)]
    pub fix: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `pao doctor`.
///
/// # Errors
/// When the state repository cannot be opened or read (exit 2).
pub fn run(args: &DoctorArgs) -> anyhow::Result<ExitStatus> {
    // The checks are about the local repository's refs and lock files, also when `[github]`
    // is configured (and then no GitHub token is needed).
    let mut options = args.repository.options();
    options.local = true;
    let app = pao_app::App::open(&options)?;
    let backend = LocalBackend::open(&app.state_repo, Some(&options.base))
        .with_context(|| format!("cannot open state repository {}", app.state_repo.display()))?;
    let report = backend.doctor(args.fix).with_context(|| format!("cannot check {}", app.state_repo.display()))?;
    let text = if args.json {
        let mut text = serde_json::to_string_pretty(&serde_json::json!({
            "repository": report.repository,
            "base": report.base,
            "healthy": report.healthy(),
            "problems": report.problems,
        }))?;
        text.push('\n');
        text
    } else {
        human(&report, args.fix)
    };
    print_stdout(&text)?;
    Ok(if report.healthy() { ExitStatus::Success } else { ExitStatus::Failure })
}

fn human(report: &DoctorReport, fixing: bool) -> String {
    let mut out = format!("state repository {} (base {})\n", report.repository, report.base);
    if report.problems.is_empty() {
        out.push_str("no problems found\n");
        return out;
    }
    for problem in &report.problems {
        let _ = writeln!(out, "{}: {}", problem.kind_name(), problem.message);
        match (&problem.fix, problem.fixed) {
            (Some(fix), true) => {
                let _ = writeln!(out, "  fixed: {fix}");
            }
            (Some(fix), false) if fixing => {
                let _ = writeln!(out, "  not fixed (it changed meanwhile or needs a person): would {fix}");
            }
            (Some(fix), false) => {
                let _ = writeln!(out, "  `pao doctor --fix` would {fix}");
            }
            (None, _) => {}
        }
    }
    let fixed = report.problems.iter().filter(|p| p.fixed).count();
    let fixable = report.problems.iter().filter(|p| p.fix.is_some() && !p.fixed).count();
    let _ = write!(out, "{} problem(s)", report.problems.len());
    if fixed > 0 {
        let _ = write!(out, ", {fixed} fixed");
    }
    if fixable > 0 && !fixing {
        let _ = write!(out, ", {fixable} fixable with `pao doctor --fix`");
    }
    out.push('\n');
    out
}
