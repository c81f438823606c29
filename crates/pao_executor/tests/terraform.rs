//! `terraform` actions end to end on a real state repository: variables that hold a secret are
//! refused (nothing is written to Git), and an errored HCP Terraform run reported by
//! `Executor::terraform_webhook` fails the action.

mod support;

use pao_git::RequestStatus;
use serde_json::json;
use support::{MapSecrets, clock, executor, merged_request, world};

fn item(variables: &str) -> String {
    format!(
        r#"{head}fulfillment:
  strategy: automated
  automated:
    actions:
      - id: create_db
        name: Create database
        type: terraform
        config:
          path: "db/{{{{ fields.instanceName }}}}"
          variables: {variables}
"#,
        head = pao_testutil::item_head("pgsql", "PostgreSQL")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_holding_a_secret_are_refused_and_never_written() {
    let w = world(&item(r#"{ password: "{{ secrets.db_password }}" }"#), "");
    let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
    let exec = executor(&w.app, MapSecrets::of(&[("db_password", "pw-TF-SECRET-5e1")]), clock());
    let report = exec.execute(&id).await.unwrap();
    assert_eq!(report.status, RequestStatus::Failed);
    let error = report.error.unwrap();
    assert!(error.contains("PAO never writes secrets to Git"), "{error}");
    assert!(!pao_testutil::all_git_text(&w.state).contains("pw-TF-SECRET-5e1"));
    let branches = pao_testutil::git(&w.state, &["branch", "--list", "pao/terraform/*"]);
    assert!(branches.trim().is_empty(), "{branches}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_errored_run_fails_the_action_and_an_unfinished_one_changes_nothing() {
    let w = world(&item(r#"{ size: "{{ fields.instanceName }}-50" }"#), "");
    let id = merged_request(&w.app, json!({ "instanceName": "orders" }));
    let exec = executor(&w.app, MapSecrets::of(&[]), clock());
    let waiting = exec.execute(&id).await.unwrap();
    assert_eq!(waiting.status, RequestStatus::InProgress);
    // The request's own pull request carried the files, so nothing new was written.
    assert_eq!(waiting.actions[0].outputs.get("branch"), None, "{:?}", waiting.actions[0].outputs);
    let shown = pao_testutil::git(&w.state, &["show", "main:db/orders/terraform.tfvars.json"]);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&shown).unwrap(), json!({ "size": "orders-50" }));

    let label = format!("pao-{id}.create_db");
    let planning = json!({ "run_message": label, "notifications": [{ "run_status": "planning" }] });
    assert!(exec.terraform_webhook(&planning).await.unwrap().is_none());
    let errored = json!({ "run_id": "run-9", "run_message": format!("apply {label}"), "notifications": [{ "run_status": "errored" }] });
    let report = exec.terraform_webhook(&errored).await.unwrap().unwrap();
    assert_eq!(report.status, RequestStatus::Failed);
    assert_eq!(report.error.as_deref(), Some("Terraform run run-9 errored"));
}
