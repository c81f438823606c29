//! PAO1xx: the file itself — readable text, well-formed YAML, one mapping document.

use pao_source::{DecodeError, YamlError, YamlErrorKind};

use crate::checker::Checker;
use crate::declare_rule;

declare_rule! {
    /// ## What it does
    /// Flags a catalog file that cannot be read at all: a permission problem, a dangling or
    /// looping symbolic link, or an I/O error.
    ///
    /// ## Why is this bad?
    /// A file nobody can read is a catalog entry nobody can order, and it hides every other check.
    ///
    /// ## Example
    /// `catalog/compute/app.yaml -> app.yaml` (a link to itself).
    ///
    /// Use instead: a regular file.
    pub(crate) static UNREADABLE_FILE = ("PAO100", "unreadable-file", Error, "The file cannot be read");
}

declare_rule! {
    /// ## What it does
    /// Flags YAML that is not well-formed: bad indentation, an unclosed quote or bracket, a tab
    /// used for indentation, nesting deeper than 64 levels, aliases that expand past 100,000
    /// nodes (an "alias bomb"), or a mapping key that is itself a mapping.
    ///
    /// ## Why is this bad?
    /// Nothing else in the file can be checked until it parses.
    ///
    /// ## Example
    /// ```yaml
    /// metadata:
    ///   id: pg
    ///    name: PostgreSQL   # one space too many
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// metadata:
    ///   id: pg
    ///   name: PostgreSQL
    /// ```
    pub(crate) static INVALID_YAML = ("PAO101", "invalid-yaml", Error, "The file is not well-formed YAML");
}

declare_rule! {
    /// ## What it does
    /// Flags a mapping that has the same key twice.
    ///
    /// ## Why is this bad?
    /// YAML forbids it, and parsers disagree on which value wins: one tool would see one value,
    /// another tool the other. PAO keeps the first and reports the second.
    ///
    /// ## Example
    /// ```yaml
    /// metadata:
    ///   version: 1.4.0
    ///   version: 1.5.0
    /// ```
    ///
    /// Use instead: one `version` key.
    pub(crate) static DUPLICATE_KEY = ("PAO102", "duplicate-key", Error, "A mapping has the same key twice");
}

declare_rule! {
    /// ## What it does
    /// Flags a file that is not a YAML text file: larger than 2 MiB, holding NUL bytes (binary),
    /// or not valid UTF-8.
    ///
    /// ## Why is this bad?
    /// Catalog documents are small UTF-8 text; anything else was committed by mistake, and
    /// refusing it early keeps the linter fast and its memory bounded.
    ///
    /// ## Example
    /// A PNG saved as `catalog/compute/diagram.yaml`, or a file saved as Latin-1.
    ///
    /// Use instead: save the file as UTF-8 text, and keep binaries out of `catalog/`.
    pub(crate) static NOT_TEXT = ("PAO103", "not-a-text-file", Error, "The file is not UTF-8 YAML text of a sane size");
}

declare_rule! {
    /// ## What it does
    /// Flags a catalog file that is empty, holds only comments, or whose document is not a
    /// mapping (a list or a plain value).
    ///
    /// ## Why is this bad?
    /// Every catalog document is a mapping starting with `apiVersion` and `kind`.
    ///
    /// ## Example
    /// ```yaml
    /// - apiVersion: pao/v1
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: pao/v1
    /// kind: CatalogItem
    /// ```
    pub(crate) static NOT_A_MAPPING = ("PAO104", "document-not-a-mapping", Error, "The file does not hold one mapping document");
}

declare_rule! {
    /// ## What it does
    /// Flags a second YAML document (`---`) in a catalog file.
    ///
    /// ## Why is this bad?
    /// One file is one catalog item: its name is the item id, and CODEOWNERS and history work
    /// per file. A second document would be silently ignored by some tools.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: pao/v1
    /// kind: CatalogItem
    /// ---
    /// apiVersion: pao/v1
    /// ```
    ///
    /// Use instead: one file per item.
    pub(crate) static MULTIPLE_DOCUMENTS = ("PAO105", "multiple-documents", Error, "The file holds more than one YAML document");
}

declare_rule! {
    /// ## What it does
    /// Flags YAML tags such as `!Ref` or `!!binary`.
    ///
    /// ## Why is this bad?
    /// PAO reads plain YAML 1.2 data; a custom tag means something only to some other tool and
    /// would be read here as plain text.
    ///
    /// ## Example
    /// ```yaml
    /// url: !Sub "https://${Host}"
    /// ```
    ///
    /// Use instead: a template, `url: "https://{{ fields.host }}"`.
    pub(crate) static UNSUPPORTED_TAG = ("PAO106", "unsupported-tag", Error, "A YAML tag PAO does not interpret");
}

declare_rule! {
    /// ## What it does
    /// Says how many more findings a file has when it has more than pao-lint shows for one file
    /// (200). The findings past that are counted, not described.
    ///
    /// ## Why is this bad?
    /// A file with hundreds of findings is usually generated or pasted wrongly; a wall of output
    /// helps nobody, and describing each finding of a hostile file costs time and memory.
    ///
    /// ## Example
    /// A 2 MB file with 160,000 unknown keys: 200 `unknown-key` findings, then
    /// "159800 more findings in this file are not shown".
    ///
    /// Use instead: fix the findings shown and run pao-lint again.
    pub(crate) static TOO_MANY_FINDINGS = ("PAO107", "too-many-findings", Warning, "The file has more findings than are shown");
}

/// Reports why the bytes of `file` are not text.
pub(crate) fn report_decode(error: &DecodeError, file: &str, checker: &mut Checker<'_>) {
    let help = match error {
        DecodeError::TooLarge { .. } => {
            "catalog documents are a few kilobytes; split the file or remove it from catalog/"
        }
        DecodeError::Binary { .. } => "this looks like a binary file; remove it from catalog/",
        DecodeError::InvalidUtf8 { .. } | DecodeError::Utf16 { .. } => "save the file as UTF-8",
    };
    checker.report(&NOT_TEXT, file, error.range(), error.to_string(), help.to_owned());
}

/// Reports a problem the YAML loader found.
pub(crate) fn report_yaml(error: &YamlError, file: &str, checker: &mut Checker<'_>) {
    let (rule, help) = match error.kind {
        YamlErrorKind::Syntax => (&INVALID_YAML, "fix the YAML syntax at this position"),
        YamlErrorKind::TooDeep => (&INVALID_YAML, "catalog documents nest about ten levels; flatten this structure"),
        YamlErrorKind::AliasBudget => (&INVALID_YAML, "write the repeated values out instead of nesting aliases"),
        YamlErrorKind::ComplexKey => (&INVALID_YAML, "use a plain text key"),
        YamlErrorKind::DuplicateKey => (&DUPLICATE_KEY, "remove one of the two keys"),
        YamlErrorKind::MultipleDocuments => (&MULTIPLE_DOCUMENTS, "move the second document into a file of its own"),
        YamlErrorKind::UnsupportedTag => (&UNSUPPORTED_TAG, "remove the tag and write the plain value"),
    };
    if let Some(diagnostic) = checker.report(rule, file, error.span.clone(), error.message.clone(), help.to_owned()) {
        if let Some(related) = &error.related {
            diagnostic.labels.push(pao_diagnostics::Label { range: related.clone(), message: "first set here".into() });
        }
    }
}
