//! Snapshots of the rendered actions of every example catalog item and bundle, one per case
//! file under `tests/vars/` (each case that is expected to render), so any change to the
//! engine or the catalog shows up as a reviewable diff (`cargo insta review`).

use std::path::{Path, PathBuf};

use pao_vars::{CaseFile, Engine, RenderInput, load_catalog_items, load_document, outputs_from_json, render_document};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn rendered_catalog_items() {
    let root = repo_root();
    let catalog = load_catalog_items(&root.join("catalog"));
    let engine = Engine::new(["AWS_REGION"]);
    insta::glob!("../../../tests/vars", "**/*.yaml", |path| {
        let (_, node) = pao_vars::read_yaml(path).expect("case file reads");
        let case_file: CaseFile = serde_json::from_value(node.to_json()).expect("a case file");
        let item = path.parent().expect("a directory").join(&case_file.item);
        let loaded = load_document(&item).expect("the item loads");
        let mut rendered = serde_json::Map::new();
        for case in case_file.cases.iter().filter(|case| case.expect_error.is_none()) {
            let mut environment = case_file.environment.clone();
            environment.extend(case.environment.clone());
            let input = RenderInput {
                values: case.values.clone(),
                request: case.request.clone(),
                outputs: outputs_from_json(&case.outputs).expect("outputs"),
                environment,
                deterministic: true,
                failure: Default::default(),
            };
            let value = render_document(&engine, &loaded.doc, &catalog, &input).expect("the case renders");
            rendered.insert(case.name.clone(), value);
        }
        insta::with_settings!({ description => case_file.item.clone(), omit_expression => true }, {
            insta::assert_json_snapshot!(rendered);
        });
    });
}
