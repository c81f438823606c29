//! The diagnostic model shared by the linter, the template engine and the orchestrator.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use pao_source::{LineCol, LineIndex};
use serde::{Deserialize, Serialize};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails the check (exit 1).
    Error,
    /// Reported, but the check passes.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
        }
    }
}

/// A secondary place a diagnostic points at, e.g. the first of two duplicate keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// Byte range in the same file.
    pub range: Range<usize>,
    /// What is there.
    pub message: String,
}

/// One finding.
///
/// It serialises with serde as a whole (pao-lint's cache keeps per-file diagnostics this way), so
/// a field added here is kept by the cache without further work; the rule code reads back as an
/// interned `&'static str` ([`intern_code`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Stable rule code, `PAO` and three digits.
    #[serde(deserialize_with = "deserialize_code")]
    pub code: StaticStr,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Path relative to the repository root, with `/` separators.
    pub file: String,
    /// Byte range of the key or value at fault.
    pub range: Range<usize>,
    /// Other places involved.
    pub labels: Vec<Label>,
    /// Set when an in-source `# pao-lint: disable` comment suppresses the finding: it is still
    /// reported (JSON, SARIF), but counts as neither error nor warning.
    pub suppression: Option<Suppression>,
    /// A safe fix, when the rule knows one that cannot change what the author meant.
    pub fix: Option<Fix>,
}

/// A fix `pao-lint --fix` may apply: edits in the diagnostic's own file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    /// What it does, e.g. "rename `descripton` to `description`".
    pub title: String,
    /// Byte-range replacements in the file's text, in order, not overlapping.
    pub edits: Vec<Edit>,
}

/// One replacement of a byte range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    /// What is replaced (empty for an insertion).
    pub range: Range<usize>,
    /// The new text.
    pub replacement: String,
}

impl Fix {
    /// A fix of one edit.
    pub fn replace(title: impl Into<String>, range: Range<usize>, replacement: impl Into<String>) -> Self {
        Self { title: title.into(), edits: vec![Edit { range, replacement: replacement.into() }] }
    }
}

/// Why a finding is suppressed: a `# pao-lint: disable` (or `disable-file`) comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// The reason written after `--`; empty when none was given (itself a warning).
    pub justification: String,
    /// Byte range of the comment that suppresses it.
    pub range: Range<usize>,
    /// `until` date (`YYYY-MM-DD`), when the suppression expires.
    pub until: Option<String>,
}

/// `&'static str`, spelt so that serde's derive does not borrow it from the input.
type StaticStr = &'static str;

/// Most distinct rule codes [`intern_code`] keeps: a corrupt or hostile cache file cannot make
/// it hold more than this.
const MAX_INTERNED_CODES: usize = 4096;

/// The `&'static str` for a rule code read back from serialised form: each distinct code is
/// allocated once per process (at most [`MAX_INTERNED_CODES`] of them), so reading a code any
/// number of times does not grow memory. `None` for text that is not `PAO` and three digits, or
/// once the limit is reached.
pub fn intern_code(code: &str) -> Option<&'static str> {
    static CODES: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let well_formed = code.len() == 6 && code.starts_with("PAO") && code[3..].bytes().all(|b| b.is_ascii_digit());
    if !well_formed {
        return None;
    }
    let mut codes = CODES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(known) = codes.iter().find(|known| **known == code) {
        return Some(known);
    }
    if codes.len() >= MAX_INTERNED_CODES {
        return None;
    }
    let leaked: &'static str = Box::leak(code.to_owned().into_boxed_str());
    codes.push(leaked);
    Some(leaked)
}

fn deserialize_code<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<&'static str, D::Error> {
    let code = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
    intern_code(&code)
        .ok_or_else(|| serde::de::Error::custom(format!("`{code}` is not a rule code (`PAO` and three digits)")))
}

impl Diagnostic {
    /// A diagnostic without help or labels.
    pub fn new(
        code: &'static str,
        severity: Severity,
        file: impl Into<String>,
        range: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code,
            severity,
            message: message.into(),
            help: None,
            file: file.into(),
            range,
            labels: Vec::new(),
            suppression: None,
            fix: None,
        }
    }

    /// Adds how to fix it.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds another place involved.
    #[must_use]
    pub fn with_label(mut self, range: Range<usize>, message: impl Into<String>) -> Self {
        self.labels.push(Label { range, message: message.into() });
        self
    }
}

/// A file's text with its line index, kept for rendering positions and snippets.
#[derive(Debug)]
pub struct SourceFile {
    /// Path relative to the repository root.
    pub path: String,
    /// The file's text (empty when it could not be read as text).
    pub text: Arc<str>,
    /// Built on the first position asked for: most files checked have no finding.
    index: OnceLock<LineIndex>,
}

impl SourceFile {
    /// Keeps a file's text.
    pub fn new(path: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        Self { path: path.into(), text: text.into(), index: OnceLock::new() }
    }

    /// Line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> LineCol {
        self.index.get_or_init(|| LineIndex::new(&self.text)).line_col(&self.text, offset)
    }
}

/// A diagnostic with its start and end resolved to lines and columns.
#[derive(Debug, Clone, Copy)]
pub struct Located<'a> {
    /// The diagnostic.
    pub diagnostic: &'a Diagnostic,
    /// Where it starts.
    pub start: LineCol,
    /// Where it ends (exclusive; equal to `start` for an empty range).
    pub end: LineCol,
}

/// Everything a run found: the diagnostics, sorted, and the sources they point into.
#[derive(Debug, Default)]
pub struct Report {
    /// Number of files checked.
    pub files: usize,
    /// Findings, sorted by file, position and code.
    pub diagnostics: Vec<Diagnostic>,
    /// The text of every file that has findings, by path.
    pub sources: BTreeMap<String, Arc<SourceFile>>,
}

impl Report {
    /// Sorts the diagnostics by (file, start, code) and drops exact duplicates.
    pub fn sort(&mut self) {
        self.diagnostics.sort_by(|a, b| {
            (&a.file, a.range.start, a.code, &a.message).cmp(&(&b.file, b.range.start, b.code, &b.message))
        });
        self.diagnostics.dedup();
    }

    /// Number of errors (suppressed ones not counted).
    pub fn errors(&self) -> usize {
        self.active().filter(|d| d.severity == Severity::Error).count()
    }

    /// Number of warnings (suppressed ones not counted).
    pub fn warnings(&self) -> usize {
        self.active().filter(|d| d.severity == Severity::Warning).count()
    }

    /// Number of suppressed findings.
    pub fn suppressed(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.suppression.is_some()).count()
    }

    /// Whether any error was found that is not suppressed.
    pub fn has_errors(&self) -> bool {
        self.active().any(|d| d.severity == Severity::Error)
    }

    /// The findings no comment suppresses.
    pub fn active(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.suppression.is_none())
    }

    /// The diagnostics with lines and columns.
    pub fn located(&self) -> impl Iterator<Item = Located<'_>> {
        self.diagnostics.iter().map(|diagnostic| {
            let (start, end) = match self.sources.get(&diagnostic.file) {
                Some(source) => (source.line_col(diagnostic.range.start), source.line_col(diagnostic.range.end)),
                None => (LineCol { line: 1, column: 1 }, LineCol { line: 1, column: 1 }),
            };
            Located { diagnostic, start, end }
        })
    }
}

/// What renderers need to know about a rule (SARIF lists rules with their help).
#[derive(Debug, Clone, Copy)]
pub struct RuleMeta {
    /// `PAO201`.
    pub code: &'static str,
    /// Kebab-case name, e.g. `unknown-key`.
    pub name: &'static str,
    /// One line.
    pub summary: &'static str,
    /// The longer explanation, Markdown.
    pub explanation: &'static str,
    /// Severity unless configured otherwise.
    pub default_severity: Severity,
}
