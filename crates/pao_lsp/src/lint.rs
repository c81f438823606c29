//! One lint of the open documents of a repository, with their unsaved text, against the rest
//! of the catalog as on disk.
//!
//! Re-checking a 1,000-item catalog on every keystroke would cost tens of milliseconds, and
//! most of it is spent on files whose diagnostics are not shown. Only the open documents'
//! diagnostics are published, and those depend on few other files: the cross-file rules read,
//! for a document, the documents with the same `metadata.id` (PAO306), the ones its bundle
//! components and deprecation replacement name (PAO603, PAO604, PAO605, PAO70x, bundle
//! templates), CODEOWNERS, and — for the "did you mean" of a name that is not in the catalog —
//! the documents whose ids are close to it. So each run lints the open documents together
//! with exactly those files ([`select`]); `tests/equivalence.rs` checks that this gives, file
//! for file, what linting the whole catalog gives, on the example catalog, broken copies of it
//! and every rule fixture.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use lsp_types::Url;
use pao_diagnostics::Diagnostic;
use pao_lint::SourceInput;

use crate::outline::Outline;
use crate::workspace::{CodeOwners, Settings, Workspace};

/// An open catalog document, as the editor holds it.
#[derive(Debug, Clone)]
pub struct Overlay {
    /// Its URI.
    pub uri: Url,
    /// Its path relative to the root.
    pub path: String,
    /// The editor's version of the text.
    pub version: i32,
    /// The unsaved text.
    pub text: Arc<str>,
}

/// Everything one lint needs; cheap to build (shared snapshots) and sent to the lint thread.
#[derive(Debug, Clone)]
pub struct LintJob {
    /// The repository as on disk.
    pub workspace: Workspace,
    /// The settings in force (from the open `pao.toml` if it is open).
    pub settings: Arc<Settings>,
    /// CODEOWNERS in force (the open buffer if it is open).
    pub codeowners: Option<CodeOwners>,
    /// The open catalog documents.
    pub overlays: Vec<Overlay>,
    /// Lint the whole catalog instead of the files the open documents depend on.
    pub whole_catalog: bool,
}

/// The diagnostics of each open document (by path), and of CODEOWNERS (by its path).
#[derive(Debug, Default)]
pub struct LintResult {
    /// Diagnostics by repository-relative path.
    pub by_path: BTreeMap<String, Vec<Diagnostic>>,
    /// How many files were linted.
    pub files_linted: usize,
}

/// The files the open documents' diagnostics depend on, besides themselves: the disk files to
/// lint with them (see the module documentation).
pub fn select(workspace: &Workspace, overlays: &[(String, Option<Outline>)]) -> BTreeSet<String> {
    let open: HashSet<&str> = overlays.iter().map(|(path, _)| path.as_str()).collect();
    let mut open_ids: HashSet<&str> = HashSet::new();
    for (_, outline) in overlays {
        if let Some((id, _)) = outline.as_ref().and_then(|o| o.id.as_ref()) {
            open_ids.insert(id);
        }
    }
    let mut wanted = BTreeSet::new();
    let add_holders = |id: &str, wanted: &mut BTreeSet<String>| {
        let mut found = open_ids.contains(id);
        for path in workspace.paths_of(id) {
            if !open.contains(path.as_str()) {
                // A disk file holds the id only if its open overlay (if any) did not change it,
                // and overlaid files are linted anyway.
                wanted.insert(path.clone());
                found = true;
            }
        }
        found
    };
    let mut missing: Vec<&str> = Vec::new();
    for (_, outline) in overlays {
        let Some(outline) = outline else { continue };
        if let Some((id, _)) = &outline.id {
            add_holders(id, &mut wanted);
        }
        for reference in outline.references() {
            if !add_holders(reference, &mut wanted) {
                missing.push(reference);
            }
        }
    }
    if !missing.is_empty() {
        for id in workspace.ids() {
            if missing.iter().any(|name| pao_lint::suggests(name, id)) {
                for path in workspace.paths_of(id) {
                    if !open.contains(path.as_str()) {
                        wanted.insert(path.clone());
                    }
                }
            }
        }
    }
    wanted
}

/// Lints the job's open documents; returns the diagnostics of each open document and of
/// CODEOWNERS.
pub fn run(job: &LintJob) -> LintResult {
    let overlaid: HashSet<&str> = job.overlays.iter().map(|o| o.path.as_str()).collect();
    let mut inputs: Vec<SourceInput> =
        job.overlays.iter().map(|o| SourceInput { path: o.path.clone(), bytes: o.text.as_bytes().to_vec() }).collect();
    let files = job.workspace.files();
    if job.whole_catalog {
        inputs.extend(
            files
                .iter()
                .filter(|(path, _)| !overlaid.contains(path.as_str()) && job.settings.is_catalog_file(path))
                .map(|(path, file)| SourceInput { path: path.clone(), bytes: file.bytes.to_vec() }),
        );
    } else {
        let outlines: Vec<(String, Option<Outline>)> =
            job.overlays.iter().map(|o| (o.path.clone(), crate::workspace::outline_of(o.text.as_bytes()))).collect();
        for path in select(&job.workspace, &outlines) {
            if let Some(file) = files.get(&path) {
                inputs.push(SourceInput { path, bytes: file.bytes.to_vec() });
            }
        }
    }
    let files_linted = inputs.len();
    let codeowners =
        job.codeowners.as_ref().map(|c| SourceInput { path: c.path.clone(), bytes: c.text.as_bytes().to_vec() });
    let linted = job.settings.linter.lint_sources(inputs, codeowners);
    let mut by_path: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
    for diagnostic in linted.report.diagnostics {
        by_path.entry(diagnostic.file.clone()).or_default().push(diagnostic);
    }
    LintResult { by_path, files_linted }
}
