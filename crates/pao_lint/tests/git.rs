//! `--changed-since`: a real Git repository made with the git CLI; only changed files are
//! reported, and each changed item is compared with its version at the revision.

use pao_config::Config;
use pao_lint::{Linter, Targets};
use pao_testutil::{commit, git, write};

fn item(id: &str, version: &str, description: &str, options: &str, extra_field: &str) -> String {
    format!(
        "apiVersion: pao/v1
kind: CatalogItem
metadata:
  id: {id}
  name: {id}
  description: {description}
  version: {version}
  category: databases
  owner: {{ team: dba, contact: dba@example.com }}
  lifecycle: {{ status: stable }}
presentation:
  form:
    groups:
      - id: basic
        name: Basic
        fields:
          - {{ id: size, name: Size, type: select, options: [{options}], default: small }}
{extra_field}fulfillment:
  strategy: manual
  manual:
    actions:
      - id: ticket
        name: Ticket
        type: jira-ticket
        config: {{ project: DBA, issueType: Task, summary: s, description: d }}
"
    )
}

const BUNDLE: &str = "apiVersion: pao/v1
kind: CatalogBundle
metadata:
  id: stack
  name: Stack
  description: Uses the legacy item.
  version: 1.0.0
  category: bundles
  owner: { team: dba, contact: dba@example.com }
  lifecycle: { status: stable }
components:
  - { id: legacy, item: legacy-db, version: \"^1.0\" }
";

#[test]
fn changed_items_are_compared_with_the_revision() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    write(root, ".github/CODEOWNERS", "/catalog/ @acme/dba\n");
    write(root, "catalog/databases/same-version.yaml", &item("same-version", "1.0.0", "Before.", "small, large", ""));
    write(root, "catalog/databases/narrowed.yaml", &item("narrowed", "1.2.0", "Options.", "small, large", ""));
    write(root, "catalog/databases/went-down.yaml", &item("went-down", "2.0.0", "Down.", "small, large", ""));
    write(root, "catalog/databases/major.yaml", &item("major", "1.0.0", "Major.", "small, large", ""));
    write(root, "catalog/databases/untouched.yaml", &item("untouched", "1.0.0", "Untouched.", "small, large", ""));
    write(root, "catalog/databases/legacy-db.yaml", &item("legacy-db", "1.0.0", "Legacy.", "small, large", ""));
    write(root, "catalog/bundles/stack.yaml", BUNDLE);
    commit(root, "initial", 1_700_000_000);

    // Changes in the work tree, some staged, one untracked.
    write(root, "catalog/databases/same-version.yaml", &item("same-version", "1.0.0", "After.", "small, large", ""));
    write(root, "catalog/databases/narrowed.yaml", &item("narrowed", "1.3.0", "Options.", "small", ""));
    write(root, "catalog/databases/went-down.yaml", &item("went-down", "1.9.0", "Down.", "small, large", ""));
    let required = "          - { id: owner, name: Owner, type: string, required: true }\n";
    write(root, "catalog/databases/major.yaml", &item("major", "2.0.0", "Major.", "small", required));
    std::fs::remove_file(root.join("catalog/databases/legacy-db.yaml")).unwrap();
    git(root, &["add", "-A"]);
    write(root, "catalog/databases/brand-new.yaml", &item("brand-new", "0.1.0", "New.", "small", ""));
    // An error in an unchanged file is not reported with --changed-since.
    write(root, ".github/CODEOWNERS", "/catalog/ @acme/dba\n");

    let linter = Linter::new(&Config::default()).unwrap();
    let report = linter.lint_repository(root, &Targets { files: vec![], changed_since: Some("HEAD".into()) }).unwrap();
    let found: Vec<(&str, &str)> = report.diagnostics.iter().map(|d| (d.file.as_str(), d.code)).collect();
    assert!(found.contains(&("catalog/databases/same-version.yaml", "PAO801")), "{found:#?}");
    assert!(found.contains(&("catalog/databases/narrowed.yaml", "PAO802")), "{found:#?}");
    assert!(found.contains(&("catalog/databases/went-down.yaml", "PAO804")), "{found:#?}");
    let files: Vec<&str> = found.iter().map(|(f, _)| *f).collect();
    assert!(!files.contains(&"catalog/databases/major.yaml"), "a MAJOR bump allows breaking changes: {found:#?}");
    assert!(!files.contains(&"catalog/databases/brand-new.yaml"), "a new item has nothing to compare: {found:#?}");
    assert!(!files.contains(&"catalog/databases/untouched.yaml"));
    // The bundle did not change, so it is not reported on; linting it by name shows PAO803.
    assert!(!files.contains(&"catalog/bundles/stack.yaml"));
    let narrowed = report.diagnostics.iter().find(|d| d.code == "PAO802").unwrap();
    assert!(narrowed.message.contains("options \"large\" removed"), "{}", narrowed.message);
    assert_eq!(report.files, 5, "changed files only: same-version, narrowed, went-down, major, brand-new");

    let report = linter
        .lint_repository(root, &Targets { files: vec!["catalog/bundles/stack.yaml".into()], changed_since: None })
        .unwrap();
    assert_eq!(report.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(), ["PAO701"]);
    let mut touched = BUNDLE.replace("Uses the legacy item.", "Still uses the legacy item.");
    touched = touched.replace("version: 1.0.0", "version: 1.0.1");
    write(root, "catalog/bundles/stack.yaml", &touched);
    let report = linter.lint_repository(root, &Targets { files: vec![], changed_since: Some("HEAD".into()) }).unwrap();
    let bundle: Vec<&str> =
        report.diagnostics.iter().filter(|d| d.file == "catalog/bundles/stack.yaml").map(|d| d.code).collect();
    assert_eq!(bundle, ["PAO803"]);
}

#[test]
fn unknown_revision_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    std::fs::create_dir_all(dir.path().join("catalog")).unwrap();
    let linter = Linter::new(&Config::default()).unwrap();
    let err =
        linter.lint_repository(dir.path(), &Targets { files: vec![], changed_since: Some("nope".into()) }).unwrap_err();
    assert!(err.to_string().contains("unknown revision `nope`"), "{err}");
}

/// The catalog files whose content differs from HEAD's, found the slow, sure way: every
/// visible `.yaml` file in the work tree (not links: the one link here is never changed) hashed
/// by `git hash-object` and compared with `git ls-tree HEAD`; untracked files Git ignores are no
/// change. (`git diff` itself is no oracle here: it compares ctimes in whole seconds, so a
/// same-size edit with its mtime put back within the second passes it unseen.)
fn changed_by_content(root: &std::path::Path) -> Vec<String> {
    let tree: std::collections::HashMap<String, String> = git(root, &["ls-tree", "-r", "HEAD", "--", "catalog"])
        .lines()
        .filter_map(|line| {
            let (meta, path) = line.split_once('\t')?;
            Some((path.to_owned(), meta.split(' ').nth(2)?.to_owned()))
        })
        .collect();
    let mut files: Vec<String> = walkdir::WalkDir::new(root.join("catalog"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(root).unwrap().to_string_lossy().into_owned())
        .filter(|p| p.ends_with(".yaml") && !p.split('/').any(|part| part.starts_with('.')))
        .collect();
    files.sort();
    let mut args = vec!["hash-object", "--no-filters", "--"];
    args.extend(files.iter().map(String::as_str));
    let hashes = git(root, &args);
    let ignored = |path: &str| {
        let status = std::process::Command::new("git").args(["check-ignore", "-q", path]).current_dir(root).status();
        status.unwrap().success()
    };
    files
        .iter()
        .zip(hashes.lines())
        .filter(|(path, hash)| match tree.get(path.as_str()) {
            Some(before) => before != hash,
            None => !ignored(path),
        })
        .map(|(path, _)| path.clone())
        .collect()
}

/// The files a `--changed-since HEAD` run reports on (every file here has a finding: its name is
/// not its id), cached and uncached alike.
fn changed_by_pao_lint(root: &std::path::Path) -> Vec<String> {
    let linter = Linter::new(&Config::default()).unwrap();
    let targets = Targets { files: vec![], changed_since: Some("HEAD".into()) };
    let uncached = linter.lint_repository(root, &targets).unwrap();
    let (cached, _) = linter.lint_repository_cached(root, &targets).unwrap();
    assert_eq!(
        pao_diagnostics::render::render_json(&uncached),
        pao_diagnostics::render::render_json(&cached),
        "cached and uncached runs differ"
    );
    let mut files: Vec<String> = uncached.diagnostics.iter().map(|d| d.file.clone()).collect();
    files.dedup();
    assert_eq!(uncached.files, files.len(), "every changed file has a finding: {files:?}");
    files
}

fn set_mtime(path: &std::path::Path, time: std::time::SystemTime) {
    std::fs::File::options().write(true).open(path).unwrap().set_modified(time).unwrap();
}

/// Every file made old, and the index refreshed: its entries are then not racy, and the run
/// trusts their `stat`s instead of hashing the files.
fn age_and_refresh(root: &std::path::Path) {
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(30);
    for entry in walkdir::WalkDir::new(root.join("catalog")).into_iter().filter_map(Result::ok) {
        if entry.file_type().is_file() {
            set_mtime(entry.path(), old);
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(20));
    git(root, &["update-index", "-q", "--refresh"]);
}

#[cfg(unix)]
#[test]
fn the_files_changed_are_the_ones_whose_content_differs_from_the_revision() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    write(root, ".gitignore", "catalog/databases/ignored-*\n");
    let body = |i: usize, note: &str| item(&format!("item-{i}"), "1.0.0", note, "small, large", "");
    for i in 0..12 {
        write(root, &format!("catalog/databases/f{i}.yaml"), &body(i, "First."));
    }
    write(root, "shared/target.yaml", &body(99, "Linked."));
    std::os::unix::fs::symlink("../../shared/target.yaml", root.join("catalog/databases/link.yaml")).unwrap();
    write(root, "catalog/.hidden.yaml", &body(98, "Hidden."));
    commit(root, "initial", 1_700_000_000);
    assert_eq!(changed_by_pao_lint(root), Vec::<String>::new());

    let mut seed: u64 = 0x9e37_79b9;
    let mut next = |n: usize| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(seed >> 33).unwrap() % n
    };
    let mut made = 12;
    for round in 0..60 {
        let file = format!("catalog/databases/f{}.yaml", next(made));
        let path = root.join(&file);
        let what = next(11);
        match what {
            // Edited, not staged.
            0 => write(root, &file, &body(round, &format!("Edited in round {round}."))),
            // Edited and staged.
            1 if path.exists() => {
                write(root, &file, &body(round, &format!("Staged in round {round}.")));
                git(root, &["add", &file]);
            }
            // Staged, then the work tree put back as it is at HEAD: no change since HEAD.
            2 if path.exists() => {
                write(root, &file, &body(round, "Staged, then undone."));
                git(root, &["add", &file]);
                git(root, &["checkout", "HEAD", "--", &file]);
            }
            // The same size, the modification time put back: only the ctime tells.
            3 if path.exists() => {
                let before = std::fs::metadata(&path).unwrap().modified().unwrap();
                let text = std::fs::read_to_string(&path).unwrap();
                let swapped = if text.contains("small, large") {
                    text.replace("small, large", "large, small")
                } else {
                    text.replace("large, small", "small, large")
                };
                std::fs::write(&path, swapped).unwrap();
                set_mtime(&path, before);
            }
            4 if path.exists() => std::fs::remove_file(&path).unwrap(),
            5 => {
                write(root, &format!("catalog/databases/f{made}.yaml"), &body(made, "New."));
                made += 1;
            }
            6 => write(root, &format!("catalog/databases/ignored-{round}.yaml"), &body(round, "Ignored.")),
            7 => {
                commit(root, &format!("round {round}"), 1_700_000_000);
                age_and_refresh(root);
            }
            8 => age_and_refresh(root),
            9 => write(root, "catalog/.hidden.yaml", &body(round, "Hidden, edited.")),
            // The link's target changes; the link (what Git stores) does not.
            _ => write(root, "shared/target.yaml", &body(round, "Linked, edited.")),
        }
        assert_eq!(changed_by_pao_lint(root), changed_by_content(root), "round {round}, after step {what} on {file}");
    }
}

#[test]
fn files_git_takes_as_recorded_are_neither_changed_nor_removed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    write(root, "catalog/databases/legacy-db.yaml", &item("legacy-db", "1.0.0", "Legacy.", "small, large", ""));
    write(root, "catalog/databases/assumed.yaml", &item("assumed", "1.0.0", "Assumed.", "small, large", ""));
    write(root, "catalog/bundles/stack.yaml", BUNDLE);
    commit(root, "initial", 1_700_000_000);
    // Outside a sparse checkout's cone: not on disk, yet not removed.
    git(root, &["update-index", "--skip-worktree", "catalog/databases/legacy-db.yaml"]);
    std::fs::remove_file(root.join("catalog/databases/legacy-db.yaml")).unwrap();
    // Assumed unchanged: edited on disk, yet as the index records it.
    git(root, &["update-index", "--assume-unchanged", "catalog/databases/assumed.yaml"]);
    write(root, "catalog/databases/assumed.yaml", &item("assumed", "0.9.0", "Went down.", "small", ""));
    let touched = BUNDLE.replace("Uses the legacy item.", "Uses it still.").replace("version: 1.0.0", "version: 1.0.1");
    write(root, "catalog/bundles/stack.yaml", &touched);
    assert_eq!(git(root, &["diff", "--name-only", "HEAD"]), "catalog/bundles/stack.yaml");

    let linter = Linter::new(&Config::default()).unwrap();
    let targets = Targets { files: vec![], changed_since: Some("HEAD".into()) };
    let report = linter.lint_repository(root, &targets).unwrap();
    let found: Vec<(&str, &str)> = report.diagnostics.iter().map(|d| (d.file.as_str(), d.code)).collect();
    // The bundle names an item not in the work tree (PAO701), not one removed since HEAD (PAO803).
    assert_eq!(found, [("catalog/bundles/stack.yaml", "PAO701")]);
    assert_eq!(report.files, 1);
}
