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
fn only_the_applied_contexts_complete_and_any_terraform_failure_fails() {
    use super::{RunState, status_state};
    let applied = vec!["atlantis/apply".to_owned()];
    let statuses = |apply: &str| {
        json!([
            { "context": "ci/lint", "state": "failure", "description": "lint" },
            { "context": "atlantis/plan", "state": "success" },
            { "context": "atlantis/apply", "state": apply, "description": "1 resource failed" }
        ])
    };
    assert_eq!(status_state(&statuses("pending"), &applied), RunState::Running);
    assert_eq!(status_state(&statuses("success"), &applied), RunState::Applied("atlantis/apply".into()));
    assert_eq!(
        status_state(&statuses("error"), &applied),
        RunState::Failed("atlantis/apply reported error: 1 resource failed".into())
    );
    // A successful plan is not an apply (Atlantis plans before merge, applies on comment).
    let planned = json!([{ "context": "atlantis/plan", "state": "success" }]);
    assert_eq!(status_state(&planned, &applied), RunState::Running);
    // Per-project contexts are covered by their prefix; all must succeed.
    let projects = |second: &str| {
        json!([
            { "context": "atlantis/apply: infra/orders", "state": "success" },
            { "context": "atlantis/apply: infra/billing", "state": second }
        ])
    };
    assert_eq!(status_state(&projects("pending"), &applied), RunState::Running);
    assert_eq!(
        status_state(&projects("success"), &applied),
        RunState::Applied("atlantis/apply: infra/orders, atlantis/apply: infra/billing".into())
    );
    assert_eq!(status_state(&json!([{ "context": "ci/test", "state": "success" }]), &applied), RunState::Running);
    // A failed plan never applies, whatever the configuration says.
    assert!(matches!(
        status_state(&json!([{ "context": "Terraform Cloud/acme/db", "state": "failure" }]), &applied),
        RunState::Failed(_)
    ));
    // A pipeline of one's own: its context configured.
    let own = vec!["deploy/terraform-apply".to_owned()];
    let ci = json!([{ "context": "deploy/terraform-apply", "state": "success" }]);
    assert_eq!(status_state(&ci, &own), RunState::Applied("deploy/terraform-apply".into()));
    assert_eq!(status_state(&ci, &applied), RunState::Running, "not a configured context");
    assert_eq!(status_state(&ci, &[String::new()]), RunState::Running, "an empty entry matches nothing");
}
