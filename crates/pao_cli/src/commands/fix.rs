//! `pao-lint --fix [--diff]`: applies the safe fixes of a report to the files in place, or prints
//! them as a unified diff. The edits come from the rules (`pao_lint::fix`); this module only reads
//! and writes files.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use pao_lint::Report;

use crate::print_stdout;

/// Applies (or, with `diff`, prints) every fix of `report`; returns how many findings were fixed.
/// A file that changed on disk since it was linted is left alone.
#[allow(clippy::print_stderr)]
pub fn apply(root: &Path, report: &Report, diff: bool) -> anyhow::Result<usize> {
    let files: BTreeSet<&str> = report.active().filter(|d| d.fix.is_some()).map(|d| d.file.as_str()).collect();
    let (mut fixed, mut changed_files) = (0, 0);
    let mut diffs = String::new();
    for file in &files {
        let Some(source) = report.sources.get(*file) else { continue };
        let fixes = pao_lint::fix::fixes_of(&report.diagnostics, file);
        let (after, applied) = pao_lint::fix::apply(&source.text, &fixes);
        if after == *source.text {
            continue;
        }
        if diff {
            diffs.push_str(&pao_lint::fix::unified_diff(file, &source.text, &after));
        } else {
            let path = root.join(file);
            let on_disk = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
            if on_disk != *source.text {
                bail!("{}: the file changed while it was linted; run pao-lint --fix again", path.display());
            }
            std::fs::write(&path, &after).with_context(|| format!("cannot write the fixes to {}", path.display()))?;
        }
        fixed += applied;
        changed_files += 1;
    }
    if diff {
        print_stdout(&diffs)?;
    }
    let verb = if diff { "would fix" } else { "fixed" };
    let _ = writeln!(
        std::io::stderr().lock(),
        "{verb} {fixed} finding{} in {changed_files} file{}",
        if fixed == 1 { "" } else { "s" },
        if changed_files == 1 { "" } else { "s" }
    );
    Ok(fixed)
}
