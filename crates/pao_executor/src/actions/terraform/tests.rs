use std::collections::BTreeMap;

use pao_schema::TerraformConfig;
use serde_json::json;

use super::request::files;

#[test]
fn module_and_variables_files() {
    let config = TerraformConfig {
        path: "db/orders".into(),
        module: Some("git::https://example/modules/rds".into()),
        variables: Some(BTreeMap::from([("size".into(), json!(50))])),
    };
    let files = files(&config).unwrap();
    assert_eq!(files[0].0, "db/orders/main.tf.json");
    let main: serde_json::Value = serde_json::from_str(&files[0].1).unwrap();
    assert_eq!(main["module"]["pao"], json!({ "source": "git::https://example/modules/rds", "size": "${var.size}" }));
    assert_eq!(files[1], ("db/orders/terraform.tfvars.json".into(), "{\n  \"size\": 50\n}\n".into()));
}

#[test]
fn paths_may_not_escape() {
    for path in ["../x", "a/../../b", "", "/"] {
        let config = TerraformConfig { path: path.into(), module: None, variables: None };
        assert!(files(&config).is_err(), "{path}");
    }
}
