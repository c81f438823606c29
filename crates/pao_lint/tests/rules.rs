//! One fixture directory per rule case: `resources/test/fixtures/<CODE>_<case>/`, a small catalog
//! repository. The linter runs with only that rule enabled; the rule must fire on files named
//! `bad-*` (or other files, for cross-file cases) and never on files named `ok-*`. The human and
//! JSON output are snapshot-tested.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pao_config::{Config, RuleLevel};
use pao_diagnostics::render::{HumanOptions, render_human, render_json};
use pao_lint::codes::RULES;
use pao_lint::{Linter, Targets};

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("resources/test/fixtures");
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    dirs
}

/// Rules whose cases need a Git history or a file system trick; they are tested in
/// `tests/git.rs` and `tests/bad_input.rs` instead.
const TESTED_ELSEWHERE: &[&str] = &["PAO100", "PAO103", "PAO107", "PAO801", "PAO802", "PAO803", "PAO804"];

fn only(code: &str, mut config: Config) -> Config {
    config.lint.rules = RULES
        .iter()
        .map(|r| (r.code.to_owned(), if r.code == code { RuleLevel::Error } else { RuleLevel::Off }))
        .collect::<BTreeMap<_, _>>();
    config
}

#[test]
fn every_rule_fires_and_stays_quiet_where_it_should() {
    let mut failures = Vec::new();
    for dir in fixtures() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let code = name.split('_').next().unwrap().to_owned();
        let config = only(&code, Config::discover(&dir).unwrap());
        let linter = Linter::new(&config).unwrap();
        let report = linter.lint_repository(&dir, &Targets::default()).unwrap();
        let file_name = |d: &pao_lint::Diagnostic| d.file.rsplit('/').next().unwrap_or_default().to_owned();
        if !report.diagnostics.iter().any(|d| d.code == code) {
            failures.push(format!("{name}: {code} did not fire"));
        }
        for d in report.diagnostics.iter().filter(|d| file_name(d).starts_with("ok-")) {
            failures.push(format!("{name}: fired on {}:{:?}: {}", d.file, d.range, d.message));
        }
        insta::with_settings!({ snapshot_path => "../src/rules/snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(format!("{name}.human"), render_human(&report, HumanOptions { color: false, width: 100 }));
            insta::assert_snapshot!(format!("{name}.json"), render_json(&report));
        });
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn every_rule_has_a_fixture() {
    let names: Vec<String> = fixtures().iter().map(|d| d.file_name().unwrap().to_string_lossy().into_owned()).collect();
    let missing: Vec<&str> = RULES
        .iter()
        .map(|r| r.code)
        .filter(|code| !TESTED_ELSEWHERE.contains(code) && !names.iter().any(|n| n.starts_with(&format!("{code}_"))))
        .collect();
    assert!(missing.is_empty(), "rules without a fixture: {missing:?}");
}
