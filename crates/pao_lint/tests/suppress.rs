//! Suppression comments end to end: `resources/test/suppressions/` is a catalog with comments at
//! the end of a line, on the line above, for a whole file and on a cross-file finding, and with
//! every problem a comment can have (no reason, expired, unused, unreadable). The date is fixed,
//! so the `until` checks do not depend on the day the test runs.

use std::path::Path;

use pao_config::Config;
use pao_diagnostics::render::{HumanOptions, SarifTool, render_human, render_json, render_sarif};
use pao_lint::codes::RULES;
use pao_lint::{Linter, Targets};

fn report(today: &str) -> pao_lint::Report {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("resources/test/suppressions");
    let linter = Linter::new(&Config::discover(&dir).unwrap()).unwrap().with_today(today);
    linter.lint_repository(&dir, &Targets::default()).unwrap()
}

#[test]
fn suppressed_findings_are_reported_as_suppressed() {
    let report = report("2026-06-15");
    let suppressed: Vec<(&str, &str)> = report
        .diagnostics
        .iter()
        .filter(|d| d.suppression.is_some())
        .map(|d| (d.code, d.file.rsplit('/').next().unwrap()))
        .collect();
    assert_eq!(
        suppressed,
        [
            ("PAO701", "app-stack.yaml"),
            ("PAO201", "generated-item.yaml"),
            ("PAO201", "generated-item.yaml"),
            ("PAO201", "postgresql-standard.yaml"),
            ("PAO503", "postgresql-standard.yaml"),
            ("PAO503", "postgresql-standard.yaml"),
        ]
    );
    // The expired PAO403 suppression suppresses nothing: the finding is an error again.
    assert!(report.diagnostics.iter().any(|d| d.code == "PAO403" && d.suppression.is_none()));
    insta::assert_snapshot!("suppressions.human", render_human(&report, HumanOptions { color: false, width: 100 }));
    insta::assert_snapshot!("suppressions.json", render_json(&report));
    let rules: Vec<_> = RULES.iter().map(|r| r.meta()).collect();
    let tool =
        SarifTool { name: "pao-lint", version: "0", information_uri: "https://example.test/rules", rules: &rules };
    let sarif: serde_json::Value = serde_json::from_str(&render_sarif(&report, &tool)).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let with_suppressions: Vec<(&str, &str)> = results
        .iter()
        .filter_map(|r| Some((r["ruleId"].as_str()?, r["suppressions"][0]["justification"].as_str()?)))
        .collect();
    insta::assert_debug_snapshot!("suppressions.sarif", with_suppressions);
    for r in results.iter().filter(|r| r.get("suppressions").is_some()) {
        assert_eq!(r["suppressions"][0]["kind"], "inSource");
    }
}

#[test]
fn until_is_checked_against_the_date_given() {
    // On the `until` date itself the suppression holds; the day after it does not.
    let on_the_day = report("2026-06-01");
    let after = report("2026-06-02");
    let template = |r: &pao_lint::Report| {
        r.diagnostics.iter().find(|d| d.code == "PAO403").map(|d| d.suppression.is_some()).unwrap()
    };
    assert!(template(&on_the_day));
    assert!(!on_the_day.diagnostics.iter().any(|d| d.code == "PAO902"));
    assert!(!template(&after));
    assert!(after.diagnostics.iter().any(|d| d.code == "PAO902"));
}

#[test]
fn suppressed_errors_do_not_fail_the_run() {
    let report = report("2026-06-01");
    let errors: Vec<&str> =
        report.active().filter(|d| d.severity == pao_lint::Severity::Error).map(|d| d.code).collect();
    assert_eq!(report.errors(), errors.len());
    assert!(report.suppressed() >= 6);
}
