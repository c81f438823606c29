//! The language server lints an open document together with only the files its diagnostics
//! depend on (`pao_lsp::lint::select`). This checks that it reports, file for file, exactly what
//! linting the whole catalog reports: on the example catalog, on broken copies of it that
//! exercise every cross-file rule, and on every rule fixture of pao_lint — so a new cross-file
//! rule that depends on other files cannot silently go missing in editors.

use std::path::Path;
use std::sync::Arc;

use lsp_types::Url;
use pao_lsp::lint::{LintJob, Overlay, run};
use pao_lsp::workspace::Workspace;

/// Lints each catalog file as the only open document, both ways, and compares.
fn assert_equivalent(root: &Path) -> usize {
    let workspace = Workspace::load(root);
    let settings = Arc::clone(workspace.settings());
    let mut compared = 0;
    for (path, file) in workspace.files() {
        let overlay = Overlay {
            uri: Url::from_file_path(root.join(path)).unwrap(),
            path: path.clone(),
            version: 1,
            text: Arc::from(String::from_utf8_lossy(&file.bytes).as_ref()),
        };
        let job = |whole_catalog| LintJob {
            workspace: workspace.clone(),
            settings: Arc::clone(&settings),
            codeowners: workspace.codeowners().cloned(),
            overlays: vec![overlay.clone()],
            whole_catalog,
        };
        let subset = run(&job(false));
        let whole = run(&job(true));
        assert_eq!(
            subset.by_path.get(path),
            whole.by_path.get(path),
            "{}: {path} lints differently with the files it depends on ({} files) than with the whole catalog ({})",
            root.display(),
            subset.files_linted,
            whole.files_linted
        );
        compared += 1;
    }
    compared
}

fn copy_example(to: &Path) {
    let source = pao_testutil::workspace_root();
    for entry in walkdir::WalkDir::new(source.join("catalog")) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let relative = entry.path().strip_prefix(&source).unwrap().to_string_lossy().into_owned();
            pao_testutil::write(to, &relative, &std::fs::read_to_string(entry.path()).unwrap());
        }
    }
    for file in [".github/CODEOWNERS", "pao.toml"] {
        pao_testutil::write(to, file, &std::fs::read_to_string(source.join(file)).unwrap());
    }
}

fn edit(root: &Path, path: &str, from: &str, to: &str) {
    let full = root.join(path);
    let text = std::fs::read_to_string(&full).unwrap();
    assert!(text.contains(from), "{path} has no `{from}`");
    std::fs::write(full, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn the_example_catalog() {
    assert!(assert_equivalent(&pao_testutil::workspace_root()) >= 20);
}

#[test]
fn broken_copies_of_the_example_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_example(root);
    // PAO306: a second file with an item's id.
    let pg = std::fs::read_to_string(root.join("catalog/databases/postgresql-standard.yaml")).unwrap();
    pao_testutil::write(root, "catalog/databases/postgresql-copy.yaml", &pg);
    // PAO701 with a "did you mean": a misspelt component item.
    edit(root, "catalog/bundles/web-service-stack.yaml", "item: eks-application", "item: eks-aplication");
    // PAO702: a range the item's version is outside.
    edit(root, "catalog/bundles/web-service-stack.yaml", "version: \"^1.2\"", "version: \"^3.0\"");
    // PAO603: a misspelt replacement.
    let legacy = "catalog/databases/postgresql-legacy.yaml";
    let text = std::fs::read_to_string(root.join(legacy)).unwrap();
    if text.contains("replacement: postgresql-standard") {
        edit(root, legacy, "replacement: postgresql-standard", "replacement: postgresql-standrd");
    }
    // PAO604: a retired item in a bundle.
    edit(root, "catalog/compute/eks-application.yaml", "status: stable", "status: retired");
    // PAO611: an owner the CODEOWNERS line does not give the file to.
    edit(root, "catalog/messaging/kafka-topic.yaml", "team: streaming", "team: dba");
    // PAO610: a directory without a CODEOWNERS line.
    let sqs = std::fs::read_to_string(root.join("catalog/messaging/sqs-queue.yaml")).unwrap();
    pao_testutil::write(root, "catalog/queues/sqs-queue.yaml", &sqs);
    assert!(assert_equivalent(root) >= 22);
}

#[test]
fn every_rule_fixture() {
    let fixtures = pao_testutil::workspace_root().join("crates/pao_lint/resources/test/fixtures");
    let mut dirs: Vec<_> = std::fs::read_dir(&fixtures).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    assert!(dirs.len() > 50, "{} fixtures", dirs.len());
    let mut compared = 0;
    for dir in dirs {
        compared += assert_equivalent(&dir);
    }
    assert!(compared > 100, "{compared} files compared");
}
