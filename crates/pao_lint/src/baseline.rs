//! Baselines: `--write-baseline <file>` records a run's findings; `--baseline <file>` reports only
//! findings the baseline does not hold, and names the entries that no longer occur.
//!
//! An entry is a finding's rule, file and [fingerprint](pao_diagnostics::fingerprint) — the one
//! SARIF's `partialFingerprints` carry: made from the text of the finding's line and of what it
//! points at, not from its line number, so an entry keeps matching when lines are added or
//! removed elsewhere in the file, and stops matching when the line at fault is changed. The file
//! is JSON (format in docs/lint-baseline.md), sorted, so it diffs well in review.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use pao_diagnostics::Report;
use pao_diagnostics::fingerprint::fingerprints;
use serde::{Deserialize, Serialize};

/// The baseline format version this build reads and writes.
pub const VERSION: u32 = 1;

/// A baseline file's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Always [`VERSION`].
    pub version: u32,
    /// The recorded findings, sorted by file, rule and fingerprint.
    pub findings: Vec<Entry>,
}

/// One recorded finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Path relative to the repository root, `/` separators.
    pub file: String,
    /// Rule code.
    pub rule: String,
    /// `<16 hex digits>:<occurrence>`, as in SARIF's `primaryLocationLineHash`.
    pub fingerprint: String,
    /// The finding's message when it was recorded; for readers, not matched.
    pub message: String,
}

/// Why a baseline could not be read or written (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The file cannot be read.
    #[error(
        "{}: cannot read the baseline: {source}; check the path, or make one with `pao-lint --write-baseline {}`",
        path.display(),
        path.display()
    )]
    Read {
        /// The baseline file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The file cannot be written.
    #[error("{}: cannot write the baseline: {source}; check that its directory exists and is writable", path.display())]
    Write {
        /// The baseline file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The file is not a baseline.
    #[error(
        "{}: not a pao-lint baseline ({message}); make one with `pao-lint --write-baseline {}`",
        path.display(),
        path.display()
    )]
    Invalid {
        /// The baseline file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl Baseline {
    /// The findings of `report` no `# pao-lint:` comment suppresses.
    pub fn from_report(report: &Report) -> Self {
        let mut findings: Vec<Entry> = report
            .diagnostics
            .iter()
            .zip(fingerprints(report))
            // A suppressed finding is dealt with in the file itself: it is not recorded.
            .filter(|(d, _)| d.suppression.is_none())
            .map(|(d, fingerprint)| Entry {
                file: d.file.clone(),
                rule: d.code.to_owned(),
                fingerprint,
                message: d.message.clone(),
            })
            .collect();
        findings.sort();
        Self { version: VERSION, findings }
    }

    /// Reads a baseline file.
    ///
    /// # Errors
    /// When it cannot be read or is not a baseline of this version.
    pub fn read(path: &Path) -> Result<Self, BaselineError> {
        let bytes = pao_source::read_bounded(path, pao_source::MAX_INPUT_BYTES).map_err(|err| match err {
            pao_source::ReadError::Io { source, .. } => BaselineError::Read { path: path.to_owned(), source },
            other => BaselineError::Invalid { path: path.to_owned(), message: other.to_string() },
        })?;
        let invalid = |message: String| BaselineError::Invalid { path: path.to_owned(), message };
        let baseline: Self = serde_json::from_slice(&bytes).map_err(|err| invalid(err.to_string()))?;
        if baseline.version != VERSION {
            return Err(invalid(format!("format version {}, this pao-lint reads version {VERSION}", baseline.version)));
        }
        Ok(baseline)
    }

    /// Writes the baseline as pretty JSON with a final newline (to a temporary file renamed into
    /// place, so a reader never sees half a baseline).
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn write(&self, path: &Path) -> Result<(), BaselineError> {
        let io = |source| BaselineError::Write { path: path.to_owned(), source };
        let mut text = serde_json::to_string_pretty(self).map_err(|e| io(std::io::Error::other(e)))?;
        text.push('\n');
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let mut file = tempfile::Builder::new().prefix(".pao-baseline-").tempfile_in(dir).map_err(io)?;
        std::io::Write::write_all(&mut file, text.as_bytes()).map_err(io)?;
        file.persist(path).map_err(|e| io(e.error))?;
        Ok(())
    }

    /// Removes from `report` the unsuppressed findings the baseline holds (suppressed ones stay, as
    /// suppressed, and match no entry), and returns the entries that no
    /// longer occur among the files `in_scope` says the run looked at.
    pub fn apply(&self, report: &mut Report, in_scope: impl Fn(&str) -> bool) -> Vec<Entry> {
        let key = |file: &str, rule: &str, fingerprint: &str| format!("{file}\0{rule}\0{fingerprint}");
        let mut left: HashMap<String, usize> = HashMap::new();
        for entry in &self.findings {
            *left.entry(key(&entry.file, &entry.rule, &entry.fingerprint)).or_insert(0) += 1;
        }
        let prints = fingerprints(report);
        let mut keep = Vec::with_capacity(report.diagnostics.len());
        for (d, print) in report.diagnostics.iter().zip(&prints) {
            if d.suppression.is_some() {
                // Reported as suppressed whatever the baseline holds; it matches no entry.
                keep.push(true);
                continue;
            }
            match left.get_mut(&key(&d.file, d.code, print)) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    keep.push(false);
                }
                _ => keep.push(true),
            }
        }
        let mut flags = keep.into_iter();
        report.diagnostics.retain(|_| flags.next().unwrap_or(true));
        // Fingerprints carry their occurrence, so keys are unique unless the file was edited by
        // hand; each unmatched copy is reported once.
        let mut gone: Vec<Entry> = Vec::new();
        for entry in &self.findings {
            if let Some(n) = left.get_mut(&key(&entry.file, &entry.rule, &entry.fingerprint))
                && *n > 0
            {
                *n -= 1;
                if in_scope(&entry.file) {
                    gone.push(entry.clone());
                }
            }
        }
        let used: std::collections::HashSet<&str> = report.diagnostics.iter().map(|d| d.file.as_str()).collect();
        report.sources.retain(|file, _| used.contains(file.as_str()));
        gone
    }
}
