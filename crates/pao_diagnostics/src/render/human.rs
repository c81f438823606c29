//! `--format human`: miette reports with source snippets, then a one-line summary.

use std::fmt;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

use crate::{Diagnostic, Report, Severity, SourceFile};

/// How to draw human output.
#[derive(Debug, Clone, Copy)]
pub struct HumanOptions {
    /// ANSI colours (only on a terminal, and never with `NO_COLOR`).
    pub color: bool,
    /// Line width to wrap at.
    pub width: usize,
}

impl Default for HumanOptions {
    fn default() -> Self {
        Self { color: false, width: 100 }
    }
}

/// Every diagnostic as a miette report, then `N files checked: E errors, W warnings`.
pub fn render_human(report: &Report, options: HumanOptions) -> String {
    let theme = if options.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(options.width).with_links(false);
    let mut out = String::new();
    // Sources holding control characters, masked once per file.
    let mut masked: std::collections::HashMap<&str, Arc<SourceFile>> = std::collections::HashMap::new();
    for original in report.active() {
        let source = report.sources.get(&original.file).map(|file| {
            if let Some(done) = masked.get(original.file.as_str()) {
                return Arc::clone(done);
            }
            match super::mask_source(&file.text) {
                std::borrow::Cow::Borrowed(_) => Arc::clone(file),
                std::borrow::Cow::Owned(text) => {
                    let clean = Arc::new(SourceFile::new(file.path.clone(), text));
                    masked.insert(original.file.as_str(), Arc::clone(&clean));
                    clean
                }
            }
        });
        let diagnostic = escaped(original);
        let adapter = MietteAdapter::new(&diagnostic, source);
        if handler.render_report(&mut out, &adapter).is_err() {
            out.push_str(&format!("{}: {} {}\n", diagnostic.file, diagnostic.code, diagnostic.message));
        }
        out.push('\n');
    }
    let (errors, warnings) = (report.errors(), report.warnings());
    out.push_str(&format!(
        "{} checked: {} {}, {} {}",
        plural(report.files, "file", "files"),
        errors,
        if errors == 1 { "error" } else { "errors" },
        warnings,
        if warnings == 1 { "warning" } else { "warnings" },
    ));
    let suppressed = report.suppressed();
    if suppressed > 0 {
        out.push_str(&format!(" ({suppressed} suppressed by comments)"));
    }
    out.push('\n');
    out
}

/// The diagnostic with control characters in its file name, message, help and labels escaped.
fn escaped(d: &Diagnostic) -> Diagnostic {
    let mut d = d.clone();
    d.file = super::escape_text(&d.file, false).into_owned();
    d.message = super::escape_text(&d.message, true).into_owned();
    d.help = d.help.map(|help| super::escape_text(&help, true).into_owned());
    if let Some(fix) = &d.fix {
        let line = format!("fixable with `pao-lint --fix`: {}", super::escape_text(&fix.title, true));
        d.help = Some(match d.help.take() {
            Some(help) => format!("{help}\n{line}"),
            None => line,
        });
    }
    for label in &mut d.labels {
        label.message = super::escape_text(&label.message, true).into_owned();
    }
    d
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A diagnostic seen through miette's trait.
struct MietteAdapter<'a> {
    diagnostic: &'a Diagnostic,
    source: Option<NamedSource<Arc<str>>>,
    location: String,
}

impl<'a> MietteAdapter<'a> {
    fn new(diagnostic: &'a Diagnostic, source: Option<Arc<SourceFile>>) -> Self {
        let location = match &source {
            Some(file) => {
                let at = file.line_col(diagnostic.range.start);
                format!("{}:{}:{}", diagnostic.file, at.line, at.column)
            }
            None => diagnostic.file.clone(),
        };
        let source = source
            .filter(|file| !file.text.is_empty())
            .map(|file| NamedSource::new(&diagnostic.file, Arc::clone(&file.text)));
        Self { diagnostic, source, location }
    }
}

impl fmt::Debug for MietteAdapter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MietteAdapter").field("code", &self.diagnostic.code).finish()
    }
}

impl fmt::Display for MietteAdapter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.source.is_some() {
            write!(f, "{} {}", self.diagnostic.code, self.diagnostic.message)
        } else {
            write!(f, "{}: {} {}", self.location, self.diagnostic.code, self.diagnostic.message)
        }
    }
}

impl std::error::Error for MietteAdapter<'_> {}

impl miette::Diagnostic for MietteAdapter<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic.help.as_ref().map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|source| source as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        let d = self.diagnostic;
        let primary = LabeledSpan::new_primary_with_span(Some("here".into()), span(&d.range));
        let others =
            d.labels.iter().map(|label| LabeledSpan::new_with_span(Some(label.message.clone()), span(&label.range)));
        Some(Box::new(std::iter::once(primary).chain(others)))
    }
}

fn span(range: &std::ops::Range<usize>) -> SourceSpan {
    SourceSpan::new(range.start.into(), range.end.saturating_sub(range.start))
}
