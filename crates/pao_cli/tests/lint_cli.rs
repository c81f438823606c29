//! `pao-lint` end to end: the example catalog, the invalid fixtures, output formats, exit codes.

use std::path::PathBuf;
use std::process::Command;

use insta_cmd::{assert_cmd_snapshot, get_cargo_bin};
use pao_testutil::workspace_root;

fn pao_lint() -> Command {
    let mut cmd = Command::new(get_cargo_bin("pao-lint"));
    cmd.current_dir(workspace_root()).env("NO_COLOR", "1").env_remove("CI");
    cmd
}

#[test]
fn example_catalog_is_clean() {
    assert_cmd_snapshot!(pao_lint().args(["--format", "json"]));
}

#[test]
fn every_invalid_fixture_is_rejected_with_a_position() {
    let dir = workspace_root().join("tests/invalid");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 8);
    for file in files {
        let output = pao_lint().arg(&file).args(["--format", "json"]).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{} was not rejected", file.display());
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let diagnostics = report["diagnostics"].as_array().unwrap();
        assert!(!diagnostics.is_empty());
        for d in diagnostics {
            assert!(d["file"].as_str().unwrap().starts_with("tests/invalid/"), "{d}");
            assert!(d["line"].as_u64().unwrap() >= 1 && d["column"].as_u64().unwrap() >= 1, "{d}");
            assert!(d["code"].as_str().unwrap().starts_with("PAO"), "{d}");
            assert!(d["help"].is_string(), "every diagnostic says how to fix it: {d}");
        }
    }
}

#[test]
fn invalid_fixtures_human_output() {
    assert_cmd_snapshot!(pao_lint().arg("tests/invalid"));
}

#[test]
fn github_and_sarif_formats() {
    assert_cmd_snapshot!(pao_lint().args(["tests/invalid/invalid-naming-conventions.yaml", "--format", "github"]));
    let output = pao_lint().args(["tests/invalid/wrong-types.yaml", "--format", "sarif"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert!(run["tool"]["driver"]["rules"].as_array().unwrap().len() > 40);
    let result = &run["results"][0];
    assert!(result["ruleId"].as_str().unwrap().starts_with("PAO"));
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert!(region["startLine"].as_u64().unwrap() > 1);
    assert_eq!(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "tests/invalid/wrong-types.yaml");
}

#[test]
fn rule_explanations() {
    assert_cmd_snapshot!(pao_lint().args(["rule", "PAO201"]));
    assert_cmd_snapshot!(pao_lint().args(["rules"]));
    let output = pao_lint().args(["rule", "PAO999"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn could_not_run_is_exit_2() {
    let output = pao_lint().arg("does/not/exist").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = pao_lint().args(["--format", "xml"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("catalog")).unwrap();
    std::fs::copy(workspace_root().join("tests/invalid/wrong-types.yaml"), dir.path().join("catalog/a.yaml")).unwrap();
    std::fs::write(dir.path().join("pao.toml"), "[lint]\nexclud = []\n").unwrap();
    let output = pao_lint().arg(dir.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("pao.toml:2:1") && stderr.contains("exclud"), "{stderr}");
    std::fs::write(dir.path().join("pao.toml"), "[lint.rules]\nPAO999 = \"off\"\n").unwrap();
    let output = pao_lint().arg(dir.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn rule_levels_from_config() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("catalog/misc")).unwrap();
    std::fs::copy(
        workspace_root().join("tests/invalid/unknown-keys.yaml"),
        root.join("catalog/misc/unknown-keys.yaml"),
    )
    .unwrap();
    let run = |config: &str| {
        std::fs::write(root.join("pao.toml"), config).unwrap();
        let output = pao_lint().arg(root).args(["--format", "json"]).output().unwrap();
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        (output.status.code(), report)
    };
    let (status, report) = run("");
    assert_eq!(status, Some(1));
    assert!(report["diagnostics"].as_array().unwrap().iter().any(|d| d["code"] == "PAO201"));
    let everything_off =
        "[lint.rules]\nPAO201 = \"warning\"\nPAO302 = \"off\"\nPAO303 = \"off\"\nPAO612 = \"off\"\nPAO610 = \"off\"\n";
    let (_, report) = run(everything_off);
    let pao201: Vec<_> = report["diagnostics"].as_array().unwrap().iter().filter(|d| d["code"] == "PAO201").collect();
    assert!(!pao201.is_empty() && pao201.iter().all(|d| d["severity"] == "warning"));
    let (_, report) = run("[lint]\nexclude = [\"catalog/misc/**\"]\n");
    assert_eq!(report["summary"]["files"], 0);
}

#[test]
fn no_catalog_files_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let stderr_of = |args: &[&std::ffi::OsStr]| {
        let output = pao_lint().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stderr).replace(&root.display().to_string(), "<dir>")
    };
    // A directory that is not a catalog repository at all (a wrong `path:` in CI).
    let none = stderr_of(&[root.as_os_str()]);
    // A repository whose catalog/ holds no YAML.
    std::fs::create_dir_all(root.join("repo/catalog/databases")).unwrap();
    std::fs::write(root.join("repo/catalog/README.md"), "no items yet\n").unwrap();
    let empty = stderr_of(&[root.join("repo").as_os_str()]);
    // The same, from inside the repository with no PATH.
    let output = pao_lint().current_dir(root.join("repo")).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(format!("{none}{empty}"), @r"
    error: <dir>: no catalog files here (no .yaml or .yml file in this directory or below); give the catalog repository's root (the directory that holds catalog/) or the catalog files to lint
    error: <dir>/repo: no catalog files to lint: catalog/ holds no .yaml or .yml file; add catalog items (catalog/<category>/<id>.yaml) or point pao-lint at the right repository
    ");
    // With a catalog file, the same directory lints.
    std::fs::copy(
        workspace_root().join("catalog/databases/postgresql-standard.yaml"),
        root.join("repo/catalog/databases/postgresql-standard.yaml"),
    )
    .unwrap();
    let output = pao_lint().arg(root.join("repo")).args(["--format", "json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"]["files"], 1, "{report}");
}

#[test]
fn a_cause_is_printed_once() {
    let output = pao_lint().args(["--config", "no-such-pao.toml"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let os_message = std::io::Error::from(std::io::ErrorKind::NotFound).to_string();
    let needle = if stderr.contains("No such file") { "No such file" } else { os_message.as_str() };
    assert_eq!(stderr.matches(needle).count(), 1, "{stderr}");
    assert!(!stderr.contains("caused by"), "{stderr}");
}

#[test]
fn a_value_is_quoted_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("catalog/databases")).unwrap();
    let text = std::fs::read_to_string(workspace_root().join("catalog/databases/postgresql-standard.yaml")).unwrap();
    let version_line = text.lines().find(|l| l.trim_start().starts_with("version:")).unwrap();
    let indent = &version_line[..version_line.len() - version_line.trim_start().len()];
    let text = text.replacen(version_line, &format!("{indent}version: 1.0"), 1);
    std::fs::write(root.join("catalog/databases/postgresql-standard.yaml"), text).unwrap();
    let output = pao_lint().arg(root).args(["--format", "json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let messages: Vec<&str> =
        report["diagnostics"].as_array().unwrap().iter().filter_map(|d| d["message"].as_str()).collect();
    assert!(messages.contains(&"`metadata.version` must be text, found number `1.0`"), "{messages:?}");
}

#[test]
fn color_choice() {
    let has_escape = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = pao_lint();
        cmd.arg("tests/invalid/wrong-types.yaml").args(args).env_remove("NO_COLOR");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let output = cmd.output().unwrap();
        assert_eq!(output.status.code(), Some(1));
        output.stdout.contains(&0x1b)
    };
    assert!(has_escape(&["--color", "always"], &[]));
    assert!(has_escape(&["--color", "always"], &[("NO_COLOR", "1"), ("TERM", "dumb")]), "always beats NO_COLOR");
    assert!(!has_escape(&["--color", "never"], &[]));
    assert!(!has_escape(&[], &[]), "auto: not a terminal, no color");
    let output = pao_lint().args(["--color", "sometimes"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// Copies a directory tree.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn fix_and_diff() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = workspace_root().join("crates/pao_lint/resources/test/fixtures/PAO701_item_not_found");
    copy_tree(&fixture, dir.path());
    let bundle = dir.path().join("catalog/bundles/bad-item.yaml");
    let before = std::fs::read_to_string(&bundle).unwrap();

    // --diff prints the fix and changes nothing.
    let output = pao_lint().arg(dir.path()).args(["--fix", "--diff"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "the findings are still there");
    insta::assert_snapshot!("fix_diff", String::from_utf8(output.stdout).unwrap());
    assert_eq!(String::from_utf8(output.stderr).unwrap(), "would fix 1 finding in 1 file\n");
    assert_eq!(std::fs::read_to_string(&bundle).unwrap(), before);

    // --fix applies it in place and reports what is left.
    let output = pao_lint().arg(dir.path()).args(["--fix", "--format", "json"]).output().unwrap();
    assert_eq!(String::from_utf8(output.stderr).unwrap(), "fixed 1 finding in 1 file\n");
    let after = std::fs::read_to_string(&bundle).unwrap();
    assert_eq!(after, before.replace("postgresql-standrad", "postgresql-standard"));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let left: Vec<&str> =
        report["diagnostics"].as_array().unwrap().iter().filter_map(|d| d["message"].as_str()).collect();
    assert!(!left.iter().any(|m| m.contains("postgresql-standrad")), "{left:?}");
    assert!(report["diagnostics"].as_array().unwrap().iter().all(|d| d["fix"].is_null()), "{report}");
    // The runs above read and wrote the cache; the run after the rewrite did not trust the
    // rewritten file's entry: an uncached run reports the same.
    assert!(dir.path().join(".pao-cache/lint").is_dir());
    let uncached = pao_lint().arg(dir.path()).args(["--no-cache", "--format", "json"]).output().unwrap();
    assert_eq!(String::from_utf8(uncached.stdout).unwrap(), String::from_utf8(output.stdout).unwrap());

    // --diff without --fix is a usage error.
    let output = pao_lint().arg(dir.path()).arg("--diff").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}
