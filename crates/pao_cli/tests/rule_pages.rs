//! The drift check of `docs/rules/<CODE>.md`: one page per rule, generated from the rule's doc
//! comment by [`pao_cli::commands::lint::rule_page`], the page each SARIF `helpUri` points at.
//! `PAO_UPDATE_DOCS=1 cargo test -p pao_cli --test rule_pages` rewrites the pages.

use std::collections::BTreeSet;

use pao_cli::commands::lint::rule_page;
use pao_lint::codes::RULES;
use pao_testutil::workspace_root;

#[test]
fn every_rule_has_its_generated_page_and_no_page_is_stale() {
    let dir = workspace_root().join("docs/rules");
    let update = std::env::var_os("PAO_UPDATE_DOCS").is_some_and(|v| v == "1");
    if update {
        std::fs::create_dir_all(&dir).unwrap();
    }
    let mut stale = Vec::new();
    let mut expected = BTreeSet::new();
    for rule in RULES {
        let file = format!("{}.md", rule.code);
        let path = dir.join(&file);
        let page = rule_page(rule);
        assert!(!page.contains("\n\n\n"), "{file}: blank lines pile up");
        expected.insert(file.clone());
        if update {
            std::fs::write(&path, &page).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(page.as_str()) {
            stale.push(file);
        }
    }
    let present: BTreeSet<String> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    let extra: Vec<&String> = present.iter().filter(|f| f.starts_with("PAO") && !expected.contains(*f)).collect();
    if update {
        for file in &extra {
            std::fs::remove_file(dir.join(file)).unwrap();
        }
        return;
    }
    assert!(
        stale.is_empty() && extra.is_empty(),
        "docs/rules/ is out of date (stale or missing: {stale:?}; no such rule: {extra:?}); \
         run `PAO_UPDATE_DOCS=1 cargo test -p pao_cli --test rule_pages`"
    );
}

#[test]
fn sarif_help_uris_point_at_pages_that_exist() {
    let output = std::process::Command::new(insta_cmd::get_cargo_bin("pao-lint"))
        .current_dir(workspace_root())
        .args(["tests/invalid/wrong-types.yaml", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), RULES.len());
    for rule in rules {
        let uri = rule["helpUri"].as_str().unwrap();
        let file = uri.strip_prefix("https://github.com/pao-dev/pao/blob/main/").unwrap_or_else(|| panic!("{uri}"));
        assert!(workspace_root().join(file).is_file(), "{uri}: no {file}");
        assert_ne!(rule["shortDescription"], rule["fullDescription"], "{}", rule["id"]);
    }
}
