//! Validation of catalog documents read from Git.
//!
//! [`validate_documents`] is the one place that decides which files enter the served catalog. It
//! runs `pao_lint` once over the files in memory (`Linter::lint_sources`: the same checks as
//! `pao-lint`, with the revision's own `pao.toml` and CODEOWNERS) and takes the typed documents
//! from that same pass: nothing is decoded, parsed or deserialised twice. A document is left out
//! exactly when it has an error-level diagnostic under the revision's rule levels, so a rule
//! turned off (or down to a warning) never excludes one. Two cases are left out whatever the
//! levels, because the catalog could not serve them: a file that does not read as a catalog
//! document, and a second document with an id already served (ids key the catalog).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use pao_lint::{Diagnostic, Linter, Severity, SourceInput};
use pao_schema::CatalogDocument;
use serde::Serialize;

/// Where the linter looks for CODEOWNERS, in GitHub's order (the linter's own list).
pub use pao_lint::CODEOWNERS_PATHS;

/// The code of problems with `pao.toml` itself: not a lint rule, since with a broken
/// configuration the linter falls back to the default rule levels.
pub const CONFIG_ERROR_CODE: &str = "config";

/// One file as read from Git.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the repository root, with `/` separators (`catalog/databases/pg.yaml`).
    pub path: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// A file that passed validation.
#[derive(Debug, Clone)]
pub struct ValidDocument {
    /// Path relative to the repository root.
    pub path: String,
    /// The typed document.
    pub document: CatalogDocument,
}

/// A problem found in the catalog: why a file is left out of it, or (for repository files such
/// as CODEOWNERS and `pao.toml`) a problem that leaves documents in but should be fixed.
///
/// Serialised as one entry of `pao-lint --format json`'s `diagnostics` (same keys, same order),
/// so every client can show it as pao-lint does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationError {
    /// The rule code (`PAO201`), or [`CONFIG_ERROR_CODE`] for a broken `pao.toml`.
    pub code: String,
    /// Always [`Severity::Error`] today: warnings leave documents in and are not listed.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// Path relative to the repository root.
    pub file: String,
    /// 1-based line where the problem starts.
    pub line: u32,
    /// 1-based character column where it starts.
    pub column: u32,
    /// 1-based line where it ends.
    pub end_line: u32,
    /// 1-based character column where it ends (exclusive).
    pub end_column: u32,
    /// How to fix it; `null` when the rule has no advice.
    pub help: Option<String>,
}

impl ValidationError {
    /// A file that cannot be read as a catalog document (PAO100): too large, binary, or a link
    /// the link rule refuses.
    pub(crate) fn unreadable(file: &str, message: String) -> Self {
        Self::file_level(
            "PAO100",
            file,
            (1, 1),
            message,
            "keep catalog files small UTF-8 YAML inside the repository; replace or remove this one",
        )
    }

    /// An error about a whole file (or one place in it, when known).
    fn file_level(code: &str, file: &str, (line, column): (u32, u32), message: String, help: &str) -> Self {
        Self {
            code: code.to_owned(),
            severity: Severity::Error,
            message,
            file: file.to_owned(),
            line,
            column,
            end_line: line,
            end_column: column,
            help: Some(help.to_owned()),
        }
    }
}

/// Validates catalog files; returns the valid documents and the errors, both in path order.
///
/// `files` holds the catalog documents (`catalog/**/*.yaml|yml`) and, when the revision has
/// them, `pao.toml` (rule levels, exclusions, GitHub organisation) and a CODEOWNERS file. A
/// document with any error-level lint diagnostic is left out whole; warnings do not exclude.
pub fn validate_documents(files: &[SourceFile]) -> (Vec<ValidDocument>, Vec<ValidationError>) {
    let mut errors = Vec::new();
    let config = files.iter().find(|f| f.path == "pao.toml").map_or_else(pao_config::Config::default, |file| {
        let text = String::from_utf8_lossy(&file.bytes);
        pao_config::Config::parse(&text, Path::new("pao.toml")).unwrap_or_else(|err| {
            errors.push(config_error(&file.path, &err));
            pao_config::Config::default()
        })
    });
    let linter = match Linter::new(&config) {
        Ok(linter) => linter,
        Err(err) => {
            errors.push(ValidationError::file_level(
                CONFIG_ERROR_CODE,
                "pao.toml",
                (1, 1),
                err.to_string(),
                "fix pao.toml; until then the catalog is checked with the default rule levels",
            ));
            match Linter::new(&pao_config::Config::default()) {
                Ok(linter) => linter,
                // The default configuration names no rule and no glob, so this cannot happen;
                // if it ever did, nothing would be served rather than unchecked documents.
                Err(err) => {
                    errors.push(ValidationError::file_level(
                        CONFIG_ERROR_CODE,
                        "pao.toml",
                        (1, 1),
                        err.to_string(),
                        "report this as a bug in PAO",
                    ));
                    return (Vec::new(), errors);
                }
            }
        }
    };
    let codeowners = CODEOWNERS_PATHS
        .iter()
        .find_map(|path| files.iter().find(|f| f.path == *path))
        .map(|f| SourceInput { path: f.path.clone(), bytes: f.bytes.clone() });
    let mut inputs: Vec<SourceInput> = files
        .iter()
        .filter(|f| f.path.starts_with("catalog/"))
        .map(|f| SourceInput { path: f.path.clone(), bytes: f.bytes.clone() })
        .collect();
    inputs.sort_by(|a, b| a.path.cmp(&b.path));
    let paths: Vec<String> = inputs.iter().map(|f| f.path.clone()).collect();
    let linted = linter.lint_sources(inputs, codeowners);

    let mut rejected = BTreeSet::new();
    for located in linted
        .report
        .located()
        .filter(|l| l.diagnostic.severity == Severity::Error && l.diagnostic.suppression.is_none())
    {
        errors.push(from_diagnostic(located.diagnostic, located.start, located.end));
        rejected.insert(located.diagnostic.file.clone());
    }
    let mut typed = BTreeSet::new();
    let mut valid = Vec::new();
    let mut served: BTreeMap<String, String> = BTreeMap::new();
    for linted in linted.documents {
        typed.insert(linted.path.clone());
        if rejected.contains(&linted.path) {
            continue;
        }
        let id = linted.document.metadata().id.clone();
        if let Some(first) = served.get(&id) {
            // Only when PAO306 is off or a warning: the linter reports it otherwise.
            errors.push(ValidationError::file_level(
                "PAO306",
                &linted.path,
                (1, 1),
                format!("left out of the served catalog: id `{id}` is already served from {first}"),
                "ids are unique across the catalog; rename one of the two (the catalog serves one document per id \
                 whatever PAO306's level)",
            ));
            continue;
        }
        served.insert(id, linted.path.clone());
        valid.push(ValidDocument { path: linted.path, document: linted.document });
    }
    for path in paths.iter().filter(|p| !typed.contains(*p) && !rejected.contains(*p)) {
        // Only when the rules that say where are off: the linter reports it otherwise.
        errors.push(ValidationError::file_level(
            "PAO209",
            path,
            (1, 1),
            "left out of the served catalog: the file does not read as a catalog document".to_owned(),
            "run pao-lint with the PAO1xx and PAO2xx rules turned on to see where",
        ));
    }
    errors.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.code, &a.message).cmp(&(&b.file, b.line, b.column, &b.code, &b.message))
    });
    errors.dedup();
    (valid, errors)
}

fn from_diagnostic(d: &Diagnostic, start: pao_source::LineCol, end: pao_source::LineCol) -> ValidationError {
    ValidationError {
        code: d.code.to_owned(),
        severity: d.severity,
        message: d.message.clone(),
        file: d.file.clone(),
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
        help: d.help.clone(),
    }
}

fn config_error(file: &str, err: &pao_config::ConfigError) -> ValidationError {
    let (at, message) = match err {
        pao_config::ConfigError::Invalid { line, column, message, .. } => {
            ((u32::try_from(*line).unwrap_or(u32::MAX), u32::try_from(*column).unwrap_or(u32::MAX)), message.clone())
        }
        other => ((1, 1), other.to_string()),
    };
    ValidationError::file_level(
        CONFIG_ERROR_CODE,
        file,
        at,
        message,
        "fix pao.toml; until then the catalog is checked with the default rule levels",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> SourceFile {
        SourceFile { path: path.to_owned(), bytes: text.as_bytes().to_vec() }
    }

    #[test]
    fn reports_position_of_type_errors_and_keeps_valid_files() {
        let good = include_str!("../tests/fixtures/pgsql.yaml");
        let bad = good.replace("    team: dba\n", "    team: dba\n    colour: red\n");
        let (valid, errors) = validate_documents(&[
            file("catalog/databases/pgsql.yaml", good),
            file("catalog/databases/bad.yaml", &bad.replace("id: pgsql", "id: bad")),
            file("catalog/databases/broken.yaml", "a: [1,\n"),
        ]);
        assert_eq!(valid.len(), 1);
        // A repository without CODEOWNERS is reported, but keeps its documents.
        assert!(errors.iter().any(|e| e.file == ".github/CODEOWNERS" && e.code == "PAO612"), "{errors:#?}");
        let errors: Vec<_> = errors.into_iter().filter(|e| e.file.starts_with("catalog/")).collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        let unknown = errors.iter().find(|e| e.file.ends_with("bad.yaml")).unwrap();
        assert_eq!(unknown.code, "PAO201", "{unknown:?}");
        assert!(unknown.message.contains("colour"), "{unknown:?}");
        let line = bad.lines().position(|l| l.contains("colour")).unwrap() + 1;
        assert_eq!(unknown.line as usize, line, "{unknown:?}");
        assert_eq!((unknown.end_line, unknown.end_column), (unknown.line, unknown.column + 6), "{unknown:?}");
        assert_eq!(unknown.severity, Severity::Error);
        assert!(unknown.help.is_some(), "{unknown:?}");
        assert!(errors.iter().any(|e| e.file.ends_with("broken.yaml")));
    }

    #[test]
    fn id_must_match_stem_and_be_unique() {
        let good = include_str!("../tests/fixtures/pgsql.yaml");
        let (valid, errors) = validate_documents(&[
            file("catalog/databases/pgsql.yaml", good),
            file("catalog/databases/other.yaml", good),
            file("catalog/storage/pgsql.yaml", good),
        ]);
        // Every file is at fault: a stem mismatch, the id a second and a third time (after the
        // first file in path order, `other.yaml`), and a category mismatch.
        assert!(valid.is_empty(), "{valid:?}");
        let codes = |path: &str| errors.iter().filter(|e| e.file == path).map(|e| e.code.as_str()).collect::<Vec<_>>();
        assert_eq!(codes("catalog/databases/other.yaml"), ["PAO302"], "{errors:#?}");
        assert_eq!(codes("catalog/databases/pgsql.yaml"), ["PAO306"], "{errors:#?}");
        let storage = codes("catalog/storage/pgsql.yaml");
        assert!(storage.contains(&"PAO303") && storage.contains(&"PAO306"), "{errors:#?}");
    }

    #[test]
    fn rule_levels_of_the_revision_decide_what_is_left_out() {
        let good = include_str!("../tests/fixtures/pgsql.yaml");
        let files = [
            file("catalog/databases/pgsql.yaml", good),
            // Breaks PAO302 (id differs from the file name) only.
            file("catalog/databases/renamed.yaml", &good.replace("id: pgsql", "id: pgsql-renamed")),
        ];
        let (valid, errors) = validate_documents(&files);
        assert_eq!(valid.len(), 1);
        assert!(errors.iter().any(|e| e.code == "PAO302" && e.file.ends_with("renamed.yaml")), "{errors:#?}");

        for level in ["off", "warning"] {
            let mut with_config = files.to_vec();
            with_config.push(file("pao.toml", &format!("[lint.rules]\nPAO302 = \"{level}\"\n")));
            let (valid, errors) = validate_documents(&with_config);
            let ids: Vec<&str> = valid.iter().map(|d| d.document.metadata().id.as_str()).collect();
            assert_eq!(ids, ["pgsql", "pgsql-renamed"], "PAO302 = {level}: {errors:#?}");
            assert!(!errors.iter().any(|e| e.code == "PAO302"), "{errors:#?}");
        }
    }

    #[test]
    fn documents_the_catalog_cannot_serve_stay_out_whatever_the_levels() {
        let good = include_str!("../tests/fixtures/pgsql.yaml");
        let rules_off: String =
            ["PAO201", "PAO209", "PAO302", "PAO306"].iter().map(|c| format!("{c} = \"off\"\n")).collect();
        let (valid, errors) = validate_documents(&[
            file("catalog/databases/pgsql.yaml", good),
            file("catalog/databases/copy.yaml", good),
            file("catalog/databases/typo.yaml", &good.replace("    team: dba\n", "    team: dba\n    colour: red\n")),
            file("pao.toml", &format!("[lint.rules]\n{rules_off}")),
        ]);
        let served: Vec<&str> = valid.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(served, ["catalog/databases/copy.yaml"], "{errors:#?}");
        let duplicate = errors.iter().find(|e| e.file == "catalog/databases/pgsql.yaml").unwrap();
        assert_eq!(duplicate.code, "PAO306", "{duplicate:?}");
        assert!(duplicate.message.contains("catalog/databases/copy.yaml"), "{duplicate:?}");
        let untyped = errors.iter().find(|e| e.file == "catalog/databases/typo.yaml").unwrap();
        assert_eq!(untyped.code, "PAO209", "{untyped:?}");
    }

    #[test]
    fn a_broken_config_is_reported_where_it_is_broken() {
        let good = include_str!("../tests/fixtures/pgsql.yaml");
        let (valid, errors) = validate_documents(&[
            file("catalog/databases/pgsql.yaml", good),
            file("pao.toml", "# levels\n[lint.rulez]\nPAO302 = \"off\"\n"),
        ]);
        assert_eq!(valid.len(), 1);
        let config = errors.iter().find(|e| e.file == "pao.toml").unwrap();
        assert_eq!((config.code.as_str(), config.line), (CONFIG_ERROR_CODE, 2), "{config:?}");
        assert!(config.message.contains("rulez"), "{config:?}");
    }

    #[test]
    fn serialises_as_pao_lint_json_diagnostics() {
        let error = ValidationError {
            code: "PAO201".into(),
            severity: Severity::Error,
            message: "unknown key `colour`".into(),
            file: "catalog/databases/pgsql.yaml".into(),
            line: 9,
            column: 5,
            end_line: 9,
            end_column: 11,
            help: None,
        };
        assert_eq!(
            serde_json::to_string(&error).unwrap(),
            r#"{"code":"PAO201","severity":"error","message":"unknown key `colour`","file":"catalog/databases/pgsql.yaml","line":9,"column":5,"endLine":9,"endColumn":11,"help":null}"#
        );
    }
}
