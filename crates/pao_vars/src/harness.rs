//! `pao vars test`: template test cases in YAML files, run against the real engine.
//!
//! A case file (format documented in `docs/template-testing.md`):
//!
//! ```yaml
//! item: ../../../catalog/databases/postgresql-standard.yaml   # relative to this file (or the repo root)
//! environment: { AWS_REGION: eu-west-1 }                       # optional, for every case
//! cases:
//!   - name: production database
//!     values: { instanceName: orders-db, environment: production }
//!     request: { id: req-1, user: { email: alice@acme.example } }
//!     outputs: { create_db: { instanceArn: "arn:aws:rds:eu-west-1:1:db:orders" } }
//!     expect:
//!       /automated/0/config/body/identifier: orders-db-production
//!   - name: instance name is required
//!     values: {}
//!     expectError: fields.instanceName
//! ```
//!
//! Every case renders deterministically (fixed `system.*`, no process environment). Before
//! the cases run, the item's templates are checked statically; problems fail the file.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::Engine;
use crate::check::{ItemLookup, check_document};
use crate::commands::format_problems;
use crate::load::{LoadError, load_document, outputs_from_json, read_yaml};
use crate::render::{RenderInput, render_document};

/// One case file.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CaseFile {
    /// The catalog item (or bundle) under test: relative to the case file, or else to the
    /// repository root.
    pub item: String,
    /// Environment values for every case (only allow-listed names are used).
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// The cases.
    pub cases: Vec<Case>,
}

/// One test case.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Case {
    /// What the case shows.
    pub name: String,
    /// Form values.
    #[serde(default)]
    pub values: serde_json::Map<String, serde_json::Value>,
    /// Request context.
    #[serde(default)]
    pub request: serde_json::Map<String, serde_json::Value>,
    /// Stubbed outputs: `action id → name → value`.
    #[serde(default)]
    pub outputs: serde_json::Map<String, serde_json::Value>,
    /// Environment values for this case, over the file's.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Expected values at JSON Pointers into the rendered document.
    #[serde(default)]
    pub expect: BTreeMap<String, serde_json::Value>,
    /// Rendering must fail with an error containing this text.
    #[serde(default)]
    pub expect_error: Option<String>,
}

/// The result of one case (or of a whole file that could not run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseOutcome {
    /// The case file.
    pub file: PathBuf,
    /// The case name; empty for a problem with the whole file.
    pub name: String,
    /// Why it failed, readable (with diffs); empty when it passed.
    pub failures: Vec<String>,
}

impl CaseOutcome {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// The results of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestReport {
    /// Every case, in file then case order.
    pub outcomes: Vec<CaseOutcome>,
}

impl TestReport {
    /// Whether every case passed (and there was at least one file).
    pub fn passed(&self) -> bool {
        self.outcomes.iter().all(CaseOutcome::passed)
    }

    /// Number of passed and failed cases.
    pub fn counts(&self) -> (usize, usize) {
        let passed = self.outcomes.iter().filter(|o| o.passed()).count();
        (passed, self.outcomes.len() - passed)
    }

    /// The report as people read it: one `ok`/`FAIL` line per case, the failures with diffs,
    /// and a summary line. Paths are shown relative to `base` when they are below it.
    pub fn to_human(&self, base: &Path) -> String {
        let mut out = String::new();
        for outcome in &self.outcomes {
            let file = display_path(&outcome.file, base);
            let name = if outcome.name.is_empty() { String::new() } else { format!(" :: {}", outcome.name) };
            if outcome.passed() {
                let _ = writeln!(out, "ok   {file}{name}");
            } else {
                let _ = writeln!(out, "FAIL {file}{name}");
                for failure in &outcome.failures {
                    for line in failure.lines() {
                        let _ = writeln!(out, "     {line}");
                    }
                }
            }
        }
        let (passed, failed) = self.counts();
        let _ = writeln!(out, "\n{passed} passed, {failed} failed");
        out
    }
}

fn display_path(path: &Path, base: &Path) -> String {
    path.strip_prefix(base).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

/// The case files under `paths` (files as given, directories walked for `.yaml`/`.yml`), sorted.
///
/// # Errors
/// A path that does not exist.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LoadError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_file() {
            files.push(path.clone());
            continue;
        }
        if !path.is_dir() {
            return Err(LoadError::Io {
                path: path.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory"),
            });
        }
        for entry in walkdir::WalkDir::new(path).sort_by_file_name().into_iter().filter_map(Result::ok) {
            let is_yaml = entry.path().extension().is_some_and(|ext| ext == "yaml" || ext == "yml");
            if entry.file_type().is_file() && is_yaml {
                files.push(entry.into_path());
            }
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// Runs every case of every file. `root` is the repository root (for item paths relative to
/// it); `catalog` resolves bundle components.
pub fn run_tests(engine: &Engine, files: &[PathBuf], root: &Path, catalog: &dyn ItemLookup) -> TestReport {
    let mut report = TestReport::default();
    for file in files {
        report.outcomes.extend(run_file(engine, file, root, catalog));
    }
    report
}

fn file_failure(file: &Path, message: String) -> Vec<CaseOutcome> {
    vec![CaseOutcome { file: file.to_owned(), name: String::new(), failures: vec![message] }]
}

/// Runs one case file.
pub fn run_file(engine: &Engine, file: &Path, root: &Path, catalog: &dyn ItemLookup) -> Vec<CaseOutcome> {
    let case_file: CaseFile = match read_yaml(file).map_err(|e| e.to_string()).and_then(|(_, node)| {
        serde_json::from_value(node.to_json()).map_err(|e| format!("{}: not a template test file: {e}", file.display()))
    }) {
        Ok(case_file) => case_file,
        Err(message) => return file_failure(file, message),
    };
    let beside = file.parent().unwrap_or(Path::new(".")).join(&case_file.item);
    let item_path = if beside.exists() { beside } else { root.join(&case_file.item) };
    let loaded = match load_document(&item_path) {
        Ok(loaded) => loaded,
        Err(err) => return file_failure(file, format!("item `{}`: {err}", case_file.item)),
    };
    let problems = check_document(engine, &loaded.source, &loaded.root, &loaded.doc, catalog);
    if !problems.is_empty() {
        let shown = display_path(&loaded.path, root);
        let lines = format_problems(Path::new(&shown), &loaded.source, &problems);
        return file_failure(file, format!("the item's templates have problems:\n{}", lines.join("\n")));
    }
    if case_file.cases.is_empty() {
        return file_failure(file, "the file has no cases".into());
    }
    case_file
        .cases
        .iter()
        .map(|case| CaseOutcome {
            file: file.to_owned(),
            name: case.name.clone(),
            failures: run_case(engine, &loaded.doc, catalog, &case_file, case),
        })
        .collect()
}

fn run_case(
    engine: &Engine,
    doc: &pao_schema::CatalogDocument,
    catalog: &dyn ItemLookup,
    file: &CaseFile,
    case: &Case,
) -> Vec<String> {
    let outputs = match outputs_from_json(&case.outputs) {
        Ok(outputs) => outputs,
        Err(message) => return vec![message],
    };
    let mut environment = file.environment.clone();
    environment.extend(case.environment.clone());
    let input = RenderInput {
        values: case.values.clone(),
        request: case.request.clone(),
        outputs,
        environment,
        deterministic: true,
        failure: Default::default(),
    };
    let mut failures = Vec::new();
    match (render_document(engine, doc, catalog, &input), &case.expect_error) {
        (Ok(_), Some(expected)) => {
            failures.push(format!("expected an error containing {expected:?}, but rendering succeeded"))
        }
        (Err(failure), Some(expected)) => {
            let text = failure.to_string();
            if !text.contains(expected.as_str()) {
                failures.push(format!("expected an error containing {expected:?}, got:\n{text}"));
            }
        }
        (Err(failure), None) => failures.push(format!("rendering failed:\n{failure}")),
        (Ok(rendered), None) => {
            for (pointer, expected) in &case.expect {
                match rendered.pointer(pointer) {
                    None => failures.push(format!("{pointer}: nothing rendered at this pointer")),
                    Some(actual) if actual == expected => {}
                    Some(actual) => failures.push(format!("{pointer}:\n{}", diff(expected, actual))),
                }
            }
        }
    }
    failures
}

/// A unified diff of two JSON values, pretty-printed.
fn diff(expected: &serde_json::Value, actual: &serde_json::Value) -> String {
    let expected = format!("{}\n", serde_json::to_string_pretty(expected).unwrap_or_default());
    let actual = format!("{}\n", serde_json::to_string_pretty(actual).unwrap_or_default());
    similar::TextDiff::from_lines(&expected, &actual)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}
