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

#[test]
fn absolute_git_and_backslash_paths_are_refused_with_the_reason() {
    for path in ["/etc/x", "infra/.git/hooks", "infra\\..\\x", "a//b", "./a"] {
        let config = TerraformConfig { path: path.into(), module: None, variables: None };
        let message = files(&config).unwrap_err().message;
        assert!(message.contains("must be a relative directory inside the state repository"), "{path}: {message}");
    }
    let config = TerraformConfig { path: "infra/db/".into(), module: None, variables: None };
    assert_eq!(files(&config).unwrap()[0].0, "infra/db/terraform.tfvars.json");
}

#[test]
fn run_notifications_map_to_outcomes() {
    use super::{RunState, run_state};
    let of = |status: &str| run_state(&json!({ "run_id": "run-1", "notifications": [{ "run_status": status }] }));
    assert_eq!(of("applied"), RunState::Applied("run run-1 applied".into()));
    assert!(matches!(of("planned_and_finished"), RunState::Applied(_)));
    for failed in ["errored", "discarded", "canceled", "force_canceled", "policy_soft_failed"] {
        assert!(matches!(of(failed), RunState::Failed(_)), "{failed}");
    }
    for running in ["pending", "planning", "planned", "applying", ""] {
        assert_eq!(of(running), RunState::Running, "{running}");
    }
}

#[test]
fn only_terraform_and_atlantis_statuses_count() {
    use super::{RunState, status_state};
    let statuses = |apply: &str| {
        json!([
            { "context": "ci/lint", "state": "failure", "description": "lint" },
            { "context": "atlantis/plan", "state": "success" },
            { "context": "atlantis/apply", "state": apply, "description": "1 resource failed" }
        ])
    };
    assert_eq!(status_state(&statuses("pending")), RunState::Running);
    assert_eq!(status_state(&statuses("success")), RunState::Applied("atlantis/plan, atlantis/apply".into()));
    assert_eq!(
        status_state(&statuses("error")),
        RunState::Failed("atlantis/apply reported error: 1 resource failed".into())
    );
    assert_eq!(status_state(&json!([{ "context": "ci/test", "state": "success" }])), RunState::Running);
    assert!(matches!(
        status_state(&json!([{ "context": "Terraform Cloud/acme/db", "state": "failure" }])),
        RunState::Failed(_)
    ));
}
