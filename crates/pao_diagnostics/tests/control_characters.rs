//! Control characters from a file name or from YAML never come out raw, in any format.

use std::sync::Arc;

use pao_diagnostics::render::{HumanOptions, SarifTool, render_github, render_human, render_json, render_sarif};
use pao_diagnostics::{Diagnostic, Report, Severity, SourceFile};

fn hostile_report() -> Report {
    let file = "catalog/evil\u{1b}[2J\u{9b}31m\n.yaml".to_owned();
    let text = "metadata:\n  \u{1b}[31mkey\u{9b}: 1\n";
    let mut diagnostic = Diagnostic::new(
        "PAO201",
        Severity::Error,
        file.clone(),
        12..25,
        "unknown key `\u{1b}[31mkey\u{9b}` in `metadata`",
    );
    diagnostic.help = Some("remove \u{7}it".to_owned());
    let mut report = Report { files: 1, diagnostics: vec![diagnostic], ..Report::default() };
    report.sources.insert(file.clone(), Arc::new(SourceFile::new(file, text)));
    report
}

fn assert_no_raw_controls(format: &str, output: &str) {
    let raw: Vec<char> = output.chars().filter(|c| c.is_control() && *c != '\n').collect();
    assert!(raw.is_empty(), "{format} output holds raw control characters {raw:?}:\n{output}");
}

#[test]
fn every_format_escapes_control_characters() {
    let report = hostile_report();
    let human = render_human(&report, HumanOptions { color: false, width: 100 });
    assert_no_raw_controls("human", &human);
    assert!(human.contains("\\u{1b}[31mkey\\u{9b}"), "{human}");
    assert!(human.contains("catalog/evil\\u{1b}[2J\\u{9b}31m\\u{a}.yaml"), "{human}");
    let github = render_github(&report);
    assert_no_raw_controls("github", &github);
    assert_eq!(github.lines().count(), 1, "one annotation, one line: {github}");
    let json = render_json(&report);
    assert_no_raw_controls("json", &json);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["diagnostics"][0]["file"], "catalog/evil\u{1b}[2J\u{9b}31m\n.yaml", "JSON keeps the exact name");
    let tool = SarifTool { name: "pao-lint", version: "0", information_uri: "https://example.com", rules: &[] };
    let sarif = render_sarif(&report, &tool);
    assert_no_raw_controls("sarif", &sarif);
    insta::assert_snapshot!(human);
}
