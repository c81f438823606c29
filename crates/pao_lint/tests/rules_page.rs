//! `docs/rules.md` must be exactly what the registry generates (as `schema/` must be what the types
//! generate). `PAO_UPDATE_DOCS=1` rewrites it instead of failing.

use std::path::Path;

#[test]
fn committed_rules_page_matches_the_registry() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules.md");
    let generated = pao_lint::rules_page::rules_page();
    if std::env::var_os("PAO_UPDATE_DOCS").is_some_and(|v| !v.is_empty()) {
        std::fs::write(&path, &generated).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        committed == generated,
        "{} is out of date; run `PAO_UPDATE_DOCS=1 cargo test -p pao_lint --test rules_page`",
        path.display()
    );
}
