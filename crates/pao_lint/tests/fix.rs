//! Safe fixes: for each rule that offers one, a fixture's files before and after `--fix`, as a
//! unified diff snapshot; the fixed files parse and have no fixable finding left. And applying
//! every fix to the example catalog's broken copies (`tests/invalid/`) leaves YAML that parses.

use std::path::Path;

use pao_config::Config;
use pao_lint::{Linter, SourceInput, Targets};

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/resources/test/fixtures"))
}

/// Lints `dir` with every rule on, applies the fixes file by file in memory; returns the diffs.
fn fix_fixture(name: &str) -> String {
    let dir = fixtures().join(name);
    let linter = Linter::new(&Config::discover(&dir).unwrap()).unwrap();
    let report = linter.lint_repository(&dir, &Targets::default()).unwrap();
    let mut diffs = String::new();
    let mut fixed_sources = Vec::new();
    let mut applied_total = 0;
    for (file, source) in &report.sources {
        let fixes = pao_lint::fix::fixes_of(&report.diagnostics, file);
        let (after, applied) = pao_lint::fix::apply(&source.text, &fixes);
        applied_total += applied;
        diffs.push_str(&pao_lint::fix::unified_diff(file, &source.text, &after));
        assert!(pao_source::parse_yaml(&after).errors.is_empty(), "{file} no longer parses:\n{after}");
        fixed_sources.push(SourceInput { path: file.clone(), bytes: after.into_bytes() });
    }
    assert!(applied_total > 0, "{name}: no fix applied");
    // Every file of the fixture, fixed, linted again: nothing fixable is left in the fixed files.
    for entry in walkdir::WalkDir::new(dir.join("catalog")) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(&dir).unwrap().to_string_lossy().replace('\\', "/");
        if entry.file_type().is_file() && !fixed_sources.iter().any(|s| s.path == rel) {
            fixed_sources.push(SourceInput { path: rel, bytes: std::fs::read(entry.path()).unwrap() });
        }
    }
    let again = linter.lint_sources(fixed_sources, None).report;
    let left: Vec<String> =
        again.diagnostics.iter().filter(|d| d.fix.is_some()).map(|d| format!("{} {}", d.code, d.message)).collect();
    assert!(left.is_empty(), "{name}: still fixable after fixing: {left:#?}");
    diffs
}

macro_rules! fix_snapshots {
    ($($test:ident => $dir:literal,)*) => {
        $(
            #[test]
            fn $test() {
                insta::assert_snapshot!(stringify!($test), fix_fixture($dir));
            }
        )*
    };
}

fix_snapshots! {
    pao201_misspelt_key => "PAO201_unknown_key",
    pao501_depends_on_display_name => "PAO501_conditional_target_missing",
    pao603_replacement_one_edit_away => "PAO603_replacement_not_found",
    pao701_item_one_edit_away => "PAO701_item_not_found",
}

#[test]
fn pao200_missing_api_version() {
    let text = "# A comment that stays.\nkind: CatalogItem\nmetadata:\n  id: x\n";
    let linter = Linter::new(&Config::default()).unwrap();
    let report = linter
        .lint_sources(vec![SourceInput { path: "catalog/a/x.yaml".into(), bytes: text.as_bytes().to_vec() }], None)
        .report;
    let fixes = pao_lint::fix::fixes_of(&report.diagnostics, "catalog/a/x.yaml");
    let (after, applied) = pao_lint::fix::apply(text, &fixes);
    assert_eq!(applied, 1);
    insta::assert_snapshot!(pao_lint::fix::unified_diff("catalog/a/x.yaml", text, &after));
    // Not offered for a flow mapping, where a line above would not be a key of the document.
    let flow = "{kind: CatalogItem, metadata: {id: x}}\n";
    let report = linter
        .lint_sources(vec![SourceInput { path: "catalog/a/x.yaml".into(), bytes: flow.as_bytes().to_vec() }], None)
        .report;
    assert!(report.diagnostics.iter().all(|d| d.fix.is_none()));
}

#[test]
fn fixing_the_broken_examples_leaves_yaml_that_parses() {
    let root = pao_testutil::workspace_root();
    let mut sources = Vec::new();
    for dir in ["tests/invalid", "catalog"] {
        for entry in walkdir::WalkDir::new(root.join(dir)).sort_by_file_name() {
            let entry = entry.unwrap();
            if entry.path().extension().is_some_and(|e| e == "yaml" || e == "yml") {
                let rel = entry.path().strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
                sources.push(SourceInput { path: rel, bytes: std::fs::read(entry.path()).unwrap() });
            }
        }
    }
    let linter = Linter::new(&Config::default()).unwrap();
    let report = linter.lint_sources(sources, None).report;
    let mut applied_total = 0;
    for (file, source) in &report.sources {
        let fixes = pao_lint::fix::fixes_of(&report.diagnostics, file);
        let (after, applied) = pao_lint::fix::apply(&source.text, &fixes);
        applied_total += applied;
        let parsed_before = pao_source::parse_yaml(&source.text).errors.is_empty();
        if parsed_before {
            let errors = pao_source::parse_yaml(&after).errors;
            assert!(errors.is_empty(), "{file}: fixed text does not parse: {errors:?}\n{after}");
        }
    }
    assert!(applied_total > 0, "no fix applied to the broken examples");
}
