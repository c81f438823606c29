//! `--changed-since`: a real Git repository made with the git CLI; only changed files are
//! reported, and each changed item is compared with its version at the revision.

use pao_config::Config;
use pao_lint::{Linter, Targets};
use pao_testutil::{git, write};

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
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "initial"]);

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
