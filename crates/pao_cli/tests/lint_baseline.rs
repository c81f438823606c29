//! `pao-lint --write-baseline` / `--baseline` and the cache flags, end to end on a copy of the
//! example catalog with one broken item: what is recorded, what is reported after edits above
//! and at the findings, the notes and the errors (snapshots).

use std::path::Path;
use std::process::Command;

use insta_cmd::{assert_cmd_snapshot, get_cargo_bin};
use pao_testutil::workspace_root;

fn pao_lint(dir: &Path) -> Command {
    let mut cmd = Command::new(get_cargo_bin("pao-lint"));
    cmd.current_dir(dir).env("NO_COLOR", "1").env_remove("CI").env_remove("PAO_LINT_DEBUG");
    cmd
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// The example catalog with `catalog/databases/wrong-types.yaml` from the invalid fixtures.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&workspace_root().join("catalog"), &dir.path().join("catalog"));
    std::fs::copy(workspace_root().join("pao.toml"), dir.path().join("pao.toml")).unwrap();
    std::fs::copy(
        workspace_root().join("tests/invalid/wrong-types.yaml"),
        dir.path().join("catalog/databases/wrong-types.yaml"),
    )
    .unwrap();
    dir
}

fn codes(output: &std::process::Output) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    report["diagnostics"].as_array().unwrap().iter().map(|d| format!("{} {}", d["file"], d["code"])).collect()
}

#[test]
fn a_baseline_reports_only_new_findings() {
    let repo = repository();
    let dir = repo.path();
    let before = pao_lint(dir).args(["--format", "json"]).output().unwrap();
    assert_eq!(before.status.code(), Some(1));
    let all = codes(&before);
    assert!(all.iter().any(|c| c.contains("wrong-types")), "{all:?}");

    assert_cmd_snapshot!("write", pao_lint(dir).args(["--write-baseline", "baseline.json"]));
    let baseline: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("baseline.json")).unwrap()).unwrap();
    assert_eq!(baseline["version"], 1);
    assert_eq!(baseline["findings"].as_array().unwrap().len(), all.len());

    // Nothing new: exit 0, nothing reported.
    let output = pao_lint(dir).args(["--baseline", "baseline.json", "--format", "json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stdout));
    assert!(codes(&output).is_empty());

    // Lines added above the findings move them, and the baseline still holds them.
    let file = dir.join("catalog/databases/wrong-types.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("# a comment\n# and another\n{text}")).unwrap();
    let output = pao_lint(dir).args(["--baseline", "baseline.json", "--format", "json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stdout));

    // A new finding is reported; the fixed one is named as no longer occurring.
    let text = std::fs::read_to_string(&file).unwrap();
    let text =
        text.replace("  version: 1.4\n", "  version: \"1.4.0\"\n").replace("strategy: failover", "strategy: nope");
    std::fs::write(&file, text).unwrap();
    assert_cmd_snapshot!("new_and_gone", pao_lint(dir).args(["--baseline", "baseline.json", "--format", "github"]));
}

#[test]
fn baseline_errors_say_what_to_do() {
    let repo = repository();
    let dir = repo.path();
    assert_cmd_snapshot!("missing", pao_lint(dir).args(["--baseline", "nope.json"]));
    std::fs::write(dir.join("bad.json"), "{\"version\": 7, \"findings\": []}").unwrap();
    assert_cmd_snapshot!("wrong_version", pao_lint(dir).args(["--baseline", "bad.json"]));
    std::fs::write(dir.join("bad.json"), "[1, 2").unwrap();
    assert_cmd_snapshot!("not_json", pao_lint(dir).args(["--baseline", "bad.json"]));
    let output = pao_lint(dir).args(["--baseline", "a.json", "--write-baseline", "b.json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn no_cache_leaves_no_cache_and_the_cache_says_little() {
    let repo = repository();
    let dir = repo.path();
    let uncached = pao_lint(dir).args(["--no-cache", "--format", "json"]).output().unwrap();
    assert!(!dir.join(".pao-cache").exists(), "--no-cache wrote a cache");
    let cold = pao_lint(dir).args(["--format", "json"]).env("PAO_LINT_DEBUG", "1").output().unwrap();
    assert!(dir.join(".pao-cache/lint").is_dir());
    let warm = pao_lint(dir).args(["--format", "json"]).env("PAO_LINT_DEBUG", "1").output().unwrap();
    assert_eq!(uncached.stdout, cold.stdout);
    assert_eq!(uncached.stdout, warm.stdout);
    assert_eq!(uncached.status.code(), warm.status.code());
    let note = String::from_utf8_lossy(&warm.stderr);
    assert!(note.starts_with("pao-lint: debug: cache: "), "{note}");
    // Without PAO_LINT_DEBUG, a cache that cannot be written costs no word.
    std::fs::remove_dir_all(dir.join(".pao-cache")).unwrap();
    std::fs::write(dir.join(".pao-cache"), "in the way").unwrap();
    let blocked = pao_lint(dir).args(["--format", "json"]).output().unwrap();
    assert_eq!(blocked.stdout, uncached.stdout);
    assert!(blocked.stderr.is_empty(), "{}", String::from_utf8_lossy(&blocked.stderr));
}

#[test]
fn a_baseline_leaves_suppressed_findings_alone() {
    let repo = repository();
    let dir = repo.path();
    let file = dir.join("catalog/databases/wrong-types.yaml");
    let first = codes(&pao_lint(dir).args(["--format", "json"]).output().unwrap());
    let code = first.iter().find(|c| c.contains("wrong-types")).unwrap().rsplit(' ').next().unwrap().trim_matches('"');
    let code = code.to_owned();
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("# pao-lint: disable-file {code} -- accepted for now\n{text}")).unwrap();

    // Not recorded: the comment deals with it.
    pao_lint(dir).args(["--write-baseline", "baseline.json"]).output().unwrap();
    let baseline: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("baseline.json")).unwrap()).unwrap();
    let rules: Vec<&str> = baseline["findings"].as_array().unwrap().iter().filter_map(|f| f["rule"].as_str()).collect();
    assert!(!rules.is_empty() && !rules.contains(&code.as_str()), "{code}: {rules:?}");

    // Still reported, as suppressed, under the baseline; the run passes.
    let output = pao_lint(dir).args(["--baseline", "baseline.json", "--format", "json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stdout));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let left = report["diagnostics"].as_array().unwrap();
    assert!(!left.is_empty(), "{report}");
    assert!(left.iter().all(|d| d["code"] == code.as_str() && d["suppression"].is_object()), "{report}");
    assert!(output.stderr.is_empty(), "{}", String::from_utf8_lossy(&output.stderr));

    // Removing the comment brings the findings back as new ones.
    std::fs::write(&file, text).unwrap();
    let output = pao_lint(dir).args(["--baseline", "baseline.json", "--format", "json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(codes(&output).iter().all(|c| c.ends_with(&format!("\"{code}\""))), "{:?}", codes(&output));
}
