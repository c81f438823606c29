//! PAO2xx: the document against the JSON Schemas generated from the catalog types.

use pao_source::Node;

use crate::checker::{Checker, did_you_mean};
use crate::declare_rule;
use crate::schema::DocKind;

declare_rule! {
    /// ## What it does
    /// Flags a document whose `apiVersion` is not `pao/v1` or whose `kind` is not `CatalogItem`
    /// or `CatalogBundle`.
    ///
    /// ## Why is this bad?
    /// The version and kind decide which schema applies; without them nothing else can be checked.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Item
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: pao/v1
    /// kind: CatalogItem
    /// ```
    pub(crate) static UNKNOWN_DOCUMENT = ("PAO200", "unknown-document-kind", Error, "`apiVersion` or `kind` is missing or unknown");
}

declare_rule! {
    /// ## What it does
    /// Flags a key the schema does not define at that place, with the closest valid key.
    ///
    /// ## Why is this bad?
    /// A misspelt key is silently ignored by lenient tools: `requried: true` would leave a field
    /// optional. PAO rejects unknown keys so typos surface.
    ///
    /// ## Example
    /// ```yaml
    /// metdata:
    ///   id: pg
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// metadata:
    ///   id: pg
    /// ```
    pub(crate) static UNKNOWN_KEY = ("PAO201", "unknown-key", Error, "A key the schema does not allow here");
}

declare_rule! {
    /// ## What it does
    /// Flags a mapping that lacks a required key, pointing at the mapping.
    ///
    /// ## Why is this bad?
    /// The orchestrator, the form renderer and the linter's other rules rely on it.
    ///
    /// ## Example
    /// ```yaml
    /// metadata:
    ///   id: pg
    ///   name: PostgreSQL
    /// ```
    ///
    /// Use instead: add `description`, `version`, `category`, `owner` and `lifecycle`.
    pub(crate) static MISSING_KEY = ("PAO202", "missing-required-key", Error, "A required key is missing");
}

declare_rule! {
    /// ## What it does
    /// Flags a value of the wrong type: text where a number is expected, a number where text is
    /// expected (`version: 1.4` is a number in YAML), `yes` where a boolean is expected (YAML 1.2
    /// reads `yes` as text).
    ///
    /// ## Why is this bad?
    /// The value would be read differently from what the author meant.
    ///
    /// ## Example
    /// ```yaml
    /// required: yes
    /// ```
    ///
    /// Use instead: `required: true`.
    pub(crate) static WRONG_TYPE = ("PAO203", "wrong-type", Error, "A value has the wrong type");
}

declare_rule! {
    /// ## What it does
    /// Flags a value outside its fixed set: a field `type`, a lifecycle `status`, an action
    /// `type`, a `condition`, an HTTP `method`.
    ///
    /// ## Why is this bad?
    /// Only the listed values have a meaning.
    ///
    /// ## Example
    /// ```yaml
    /// type: dropdown
    /// ```
    ///
    /// Use instead: `type: select`.
    pub(crate) static INVALID_VALUE = ("PAO204", "invalid-enum-value", Error, "A value is not one of the allowed values");
}

declare_rule! {
    /// ## What it does
    /// Flags numbers outside their range (`retry.maxAttempts` is 1 to 5) and empty or too long
    /// texts and lists.
    ///
    /// ## Why is this bad?
    /// The limits protect the systems PAO drives, and an empty list is almost always a mistake.
    ///
    /// ## Example
    /// ```yaml
    /// retry: { maxAttempts: 9 }
    /// ```
    ///
    /// Use instead: `retry: { maxAttempts: 5, backoffSeconds: 10 }`.
    pub(crate) static OUT_OF_RANGE = ("PAO205", "value-out-of-range", Error, "A number, text or list is outside its allowed size");
}

declare_rule! {
    /// ## What it does
    /// Flags text that does not match the pattern the schema requires (identifiers and versions
    /// have rules of their own: PAO301, PAO304, PAO305, PAO310).
    ///
    /// ## Why is this bad?
    /// The value would be rejected by the systems it is passed to.
    ///
    /// ## Example
    /// ```yaml
    /// owner: { team: "DBA Team" }
    /// ```
    ///
    /// Use instead: `owner: { team: dba }`.
    pub(crate) static PATTERN_MISMATCH = ("PAO206", "pattern-mismatch", Error, "Text does not match the required pattern");
}

declare_rule! {
    /// ## What it does
    /// Flags dates that are not calendar dates in `YYYY-MM-DD` form.
    ///
    /// ## Why is this bad?
    /// Deprecation and sunset dates drive lifecycle checks and what requesters are told.
    ///
    /// ## Example
    /// ```yaml
    /// sunset: 01/07/2026
    /// ```
    ///
    /// Use instead: `sunset: 2026-07-01`.
    pub(crate) static INVALID_FORMAT = ("PAO207", "invalid-format", Error, "A date or other formatted value is malformed");
}

declare_rule! {
    /// ## What it does
    /// Flags any other schema violation, such as an option that is neither a value nor a
    /// `{ value, label }` mapping.
    ///
    /// ## Why is this bad?
    /// The document does not have the shape every PAO tool expects.
    ///
    /// ## Example
    /// ```yaml
    /// options: [[a, b]]
    /// ```
    ///
    /// Use instead: `options: [a, b]`.
    pub(crate) static SCHEMA_VIOLATION = ("PAO209", "schema-violation", Error, "The document does not match the schema");
}

const KINDS: [&str; 2] = ["CatalogItem", "CatalogBundle"];

/// Reads `apiVersion` and `kind`; reports and returns `None` when they do not name a schema.
pub(crate) fn document_kind(root: &Node, text: &str, file: &str, checker: &mut Checker<'_>) -> Option<DocKind> {
    let start = root.entries().first().map_or(root.span.start..root.span.start, |e| e.key_span.clone());
    let mut ok = true;
    match root.get("apiVersion") {
        None => {
            let reported = checker.report(
                &UNKNOWN_DOCUMENT,
                file,
                start.clone(),
                "the document has no `apiVersion`",
                "start the file with `apiVersion: pao/v1`".to_owned(),
            );
            // Safe when the document is a block mapping whose keys start their lines, and says
            // which kind it is: the line goes above its first key.
            let at_line_start = start.start == 0 || text.as_bytes().get(start.start - 1) == Some(&b'\n');
            let known_kind = root.get("kind").and_then(Node::as_str).is_some_and(|k| KINDS.contains(&k));
            if let Some(diagnostic) = reported
                && at_line_start
                && known_kind
                && root.span.start == start.start
            {
                diagnostic.fix = Some(pao_diagnostics::Fix::replace(
                    format!("add `apiVersion: {}`", pao_schema::API_VERSION),
                    start.start..start.start,
                    format!("apiVersion: {}\n", pao_schema::API_VERSION),
                ));
            }
            ok = false;
        }
        Some(node) if node.as_str() != Some(pao_schema::API_VERSION) => {
            checker.report(
                &UNKNOWN_DOCUMENT,
                file,
                node.span.clone(),
                format!("unsupported `apiVersion`; this version of PAO reads `{}`", pao_schema::API_VERSION),
                format!("write `apiVersion: {}`", pao_schema::API_VERSION),
            );
            ok = false;
        }
        Some(_) => {}
    }
    let kind = match root.get("kind") {
        None => {
            checker.report(
                &UNKNOWN_DOCUMENT,
                file,
                start,
                "the document has no `kind`",
                "add `kind: CatalogItem` or `kind: CatalogBundle`".to_owned(),
            );
            None
        }
        Some(node) => match node.as_str() {
            Some("CatalogItem") => Some(DocKind::Item),
            Some("CatalogBundle") => Some(DocKind::Bundle),
            other => {
                let given = other.unwrap_or_default();
                let help =
                    did_you_mean(given, KINDS).unwrap_or_else(|| "use `CatalogItem` or `CatalogBundle`".to_owned());
                checker.report(
                    &UNKNOWN_DOCUMENT,
                    file,
                    node.span.clone(),
                    "unknown `kind`: expected `CatalogItem` or `CatalogBundle`",
                    help,
                );
                None
            }
        },
    };
    kind.filter(|_| ok)
}
