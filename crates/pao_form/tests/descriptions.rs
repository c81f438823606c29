//! Snapshots of the form description (`pao form preview --format json`) of every catalog item
//! under `catalog/` and of the test fixtures.

use std::path::Path;

use pao_form::{FormDescription, parse_document};

fn describe(path: &Path) -> FormDescription {
    let bytes = std::fs::read(path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()));
    let document = parse_document(&bytes).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    FormDescription::from_document(&document)
}

#[test]
fn catalog_items() {
    insta::glob!("../../../catalog", "**/*.yaml", |path| {
        let description = describe(path);
        insta::with_settings!({ omit_expression => true, prepend_module_to_snapshot => false }, {
            insta::assert_json_snapshot!(description);
        });
    });
}

#[test]
fn fixtures() {
    insta::glob!("fixtures/*.yaml", |path| {
        let description = describe(path);
        insta::with_settings!({ omit_expression => true, prepend_module_to_snapshot => false }, {
            insta::assert_json_snapshot!(description);
        });
    });
}

#[test]
fn postgresql_standard_is_described() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog/databases/postgresql-standard.yaml");
    let description = describe(&root);
    assert_eq!(description.catalog_item_id, "postgresql-standard");
    assert_eq!(description.validation_endpoint, "/api/v1/validate/request");
    let json = serde_json::to_value(&description).expect("serialisable");
    let keys: Vec<&str> = json.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(keys, ["catalogItemId", "version", "name", "description", "validationEndpoint", "form"]);
    let field = &json["form"]["groups"][0]["fields"][0];
    assert_eq!(field["component"], "text-input");
    assert_eq!(field["required"], true);
    let engine = description.fields().find(|f| f.id == "engineVersion").expect("engineVersion");
    assert_eq!(
        serde_json::to_value(engine.options.as_ref().expect("options")[1].clone()).expect("json"),
        serde_json::json!({ "value": "16", "label": "PostgreSQL 16" })
    );
    let environment = description.fields().find(|f| f.id == "environment").expect("environment");
    assert_eq!(environment.options.as_ref().expect("options")[0].label, "dev");
}
