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
