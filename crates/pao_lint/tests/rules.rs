//! One fixture directory per rule case: `resources/test/fixtures/<CODE>_<case>/`, a small catalog
//! repository. The linter runs with only that rule enabled; the rule must fire on files named
//! `bad-*` (or other files, for cross-file cases) and never on files named `ok-*`. The human and
//! JSON output are snapshot-tested.
//!
//! Each fixture is its own test (`cargo test -p pao_lint --test rules pao509` runs the PAO509
//! cases alone), so one mismatch never hides another; `every_fixture_has_a_test` keeps the list
//! below complete.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pao_config::{Config, RuleLevel};
use pao_diagnostics::render::{HumanOptions, render_human, render_json};
use pao_lint::codes::RULES;
use pao_lint::{Linter, Targets};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("resources/test/fixtures")
}

/// Names of the fixture directories, sorted.
fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Rules whose cases need a Git history or a file system trick; they are tested in
/// `tests/git.rs`, `tests/bad_input.rs` and (suppression comments) `tests/suppress.rs` instead.
const TESTED_ELSEWHERE: &[&str] =
    &["PAO100", "PAO103", "PAO107", "PAO801", "PAO802", "PAO803", "PAO804", "PAO901", "PAO902", "PAO903", "PAO904"];

fn only(code: &str, mut config: Config) -> Config {
    config.lint.rules = RULES
        .iter()
        .map(|r| (r.code.to_owned(), if r.code == code { RuleLevel::Error } else { RuleLevel::Off }))
        .collect::<BTreeMap<_, _>>();
    config
}

/// Lints one fixture with only its rule on; checks where the rule fires and the snapshots.
fn check_fixture(name: &str) {
    let dir = fixtures_dir().join(name);
    let code = name.split('_').next().unwrap().to_owned();
    let config = only(&code, Config::discover(&dir).unwrap());
    let linter = Linter::new(&config).unwrap();
    let report = linter.lint_repository(&dir, &Targets::default()).unwrap();
    let file_name = |d: &pao_lint::Diagnostic| d.file.rsplit('/').next().unwrap_or_default().to_owned();
    let mut failures = Vec::new();
    if !report.diagnostics.iter().any(|d| d.code == code) {
        failures.push(format!("{code} did not fire"));
    }
    for d in report.diagnostics.iter().filter(|d| file_name(d).starts_with("ok-")) {
        failures.push(format!("fired on {}:{:?}: {}", d.file, d.range, d.message));
    }
    insta::with_settings!({ snapshot_path => "../src/rules/snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!(format!("{name}.human"), render_human(&report, HumanOptions { color: false, width: 100 }));
        insta::assert_snapshot!(format!("{name}.json"), render_json(&report));
    });
    assert!(failures.is_empty(), "{name}: {failures:#?}");
}

macro_rules! fixtures {
    ($($test:ident => $dir:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check_fixture($dir);
            }
        )*
        /// The fixture directories that have a test above.
        const LISTED: &[&str] = &[$($dir),*];
    };
}

fixtures! {
    pao101_invalid_yaml => "PAO101_invalid_yaml",
    pao102_duplicate_key => "PAO102_duplicate_key",
    pao104_not_a_mapping => "PAO104_not_a_mapping",
    pao105_multiple_documents => "PAO105_multiple_documents",
    pao106_unsupported_tag => "PAO106_unsupported_tag",
    pao200_unknown_document => "PAO200_unknown_document",
    pao201_unknown_key => "PAO201_unknown_key",
    pao202_missing_key => "PAO202_missing_key",
    pao202_option_shape => "PAO202_option_shape",
    pao203_wrong_type => "PAO203_wrong_type",
    pao204_action_type_from_config => "PAO204_action_type_from_config",
    pao204_invalid_value => "PAO204_invalid_value",
    pao205_out_of_range => "PAO205_out_of_range",
    pao206_pattern_mismatch => "PAO206_pattern_mismatch",
    pao207_invalid_format => "PAO207_invalid_format",
    pao209_schema_violation => "PAO209_schema_violation",
    pao301_invalid_item_id => "PAO301_invalid_item_id",
    pao302_id_file_mismatch => "PAO302_id_file_mismatch",
    pao302_with_schema_error => "PAO302_with_schema_error",
    pao303_category_mismatch => "PAO303_category_mismatch",
    pao304_invalid_field_id => "PAO304_invalid_field_id",
    pao305_invalid_action_id => "PAO305_invalid_action_id",
    pao306_duplicate_item_id => "PAO306_duplicate_item_id",
    pao307_duplicate_field_id => "PAO307_duplicate_field_id",
    pao308_duplicate_action_id => "PAO308_duplicate_action_id",
    pao309_misplaced_document => "PAO309_misplaced_document",
    pao310_invalid_semver => "PAO310_invalid_semver",
    pao401_template_syntax => "PAO401_template_syntax",
    pao402_unknown_scope => "PAO402_unknown_scope",
    pao403_unknown_field => "PAO403_unknown_field",
    pao403_with_schema_error => "PAO403_with_schema_error",
    pao404_unknown_output => "PAO404_unknown_output",
    pao405_later_output => "PAO405_later_output",
    pao406_unknown_function => "PAO406_unknown_function",
    pao407_environment_not_allowed => "PAO407_environment_not_allowed",
    pao408_unknown_template_key => "PAO408_unknown_template_key",
    pao409_bundle_cycle => "PAO409_bundle_cycle",
    pao501_conditional_target_missing => "PAO501_conditional_target_missing",
    pao502_conditional_target_later => "PAO502_conditional_target_later",
    pao503_default_type_mismatch => "PAO503_default_type_mismatch",
    pao503_with_schema_error => "PAO503_with_schema_error",
    pao504_default_not_in_options => "PAO504_default_not_in_options",
    pao504_with_schema_error => "PAO504_with_schema_error",
    pao505_invalid_options => "PAO505_invalid_options",
    pao506_invalid_regex => "PAO506_invalid_regex",
    pao507_min_above_max => "PAO507_min_above_max",
    pao508_validation_not_applicable => "PAO508_validation_not_applicable",
    pao509_invalid_conditional_value => "PAO509_invalid_conditional_value",
    pao509_multiselect_target => "PAO509_multiselect_target",
    pao510_default_fails_validation => "PAO510_default_fails_validation",
    pao511_empty_group => "PAO511_empty_group",
    pao601_deprecation_missing => "PAO601_deprecation_missing",
    pao602_deprecation_dates => "PAO602_deprecation_dates",
    pao603_replacement_not_found => "PAO603_replacement_not_found",
    pao603_with_schema_error => "PAO603_with_schema_error",
    pao604_retired_in_bundle => "PAO604_retired_in_bundle",
    pao605_sunset_passed => "PAO605_sunset_passed",
    pao606_deprecation_on_active => "PAO606_deprecation_on_active",
    pao610_file_not_owned => "PAO610_file_not_owned",
    pao611_owner_mismatch => "PAO611_owner_mismatch",
    pao612_codeowners_invalid_glob => "PAO612_codeowners_invalid_glob",
    pao612_codeowners_missing => "PAO612_codeowners_missing",
    pao612_codeowners_unsupported_syntax => "PAO612_codeowners_unsupported_syntax",
    pao650_missing_actions => "PAO650_missing_actions",
    pao651_unused_actions => "PAO651_unused_actions",
    pao701_item_not_found => "PAO701_item_not_found",
    pao701_with_schema_error => "PAO701_with_schema_error",
    pao702_prerelease => "PAO702_prerelease",
    pao702_version_mismatch => "PAO702_version_mismatch",
    pao702_with_schema_error => "PAO702_with_schema_error",
    pao703_invalid_range => "PAO703_invalid_range",
    pao704_unknown_component_field => "PAO704_unknown_component_field",
    pao705_missing_component_field => "PAO705_missing_component_field",
    pao706_nested_bundle => "PAO706_nested_bundle",
}

#[test]
fn every_fixture_has_a_test() {
    let unlisted: Vec<String> = fixture_names().into_iter().filter(|n| !LISTED.contains(&n.as_str())).collect();
    assert!(unlisted.is_empty(), "fixture directories without a test: add them to `fixtures!`: {unlisted:?}");
    let missing: Vec<&&str> = LISTED.iter().filter(|n| !fixtures_dir().join(n).is_dir()).collect();
    assert!(missing.is_empty(), "listed fixtures that do not exist: {missing:?}");
}

#[test]
fn every_rule_has_a_fixture() {
    let names = fixture_names();
    let missing: Vec<&str> = RULES
        .iter()
        .map(|r| r.code)
        .filter(|code| !TESTED_ELSEWHERE.contains(code) && !names.iter().any(|n| n.starts_with(&format!("{code}_"))))
        .collect();
    assert!(missing.is_empty(), "rules without a fixture: {missing:?}");
}

/// With every rule on, a fixture with schema errors reports them and the other rule's findings
/// in one run, and no finding the schema errors caused (a reference to the broken item).
#[test]
fn schema_errors_hide_and_invent_nothing() {
    for (name, expected) in [
        ("PAO403_with_schema_error", &["PAO201", "PAO403"][..]),
        ("PAO503_with_schema_error", &["PAO203", "PAO503"]),
        ("PAO504_with_schema_error", &["PAO201", "PAO504"]),
        ("PAO603_with_schema_error", &["PAO201", "PAO603"]),
        ("PAO701_with_schema_error", &["PAO201", "PAO203", "PAO209", "PAO701"]),
        ("PAO702_with_schema_error", &["PAO201", "PAO702"]),
    ] {
        let dir = fixtures_dir().join(name);
        let linter = Linter::new(&Config::discover(&dir).unwrap()).unwrap();
        let report = linter.lint_repository(&dir, &Targets::default()).unwrap();
        let codes: std::collections::BTreeSet<&str> = report.diagnostics.iter().map(|d| d.code).collect();
        for code in expected {
            assert!(codes.contains(code), "{name}: {code} missing from {codes:?}");
        }
        let code = &name[..6];
        for d in report.diagnostics.iter().filter(|d| d.code == code) {
            assert!(d.file.rsplit('/').next().unwrap().starts_with("bad-"), "{name}: {d:?}");
        }
    }
}
