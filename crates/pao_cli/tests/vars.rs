//! `pao vars render` and `pao vars test` end to end.

use std::process::Command;

use insta_cmd::{assert_cmd_snapshot, get_cargo_bin};
use pao_testutil::workspace_root;

fn pao() -> Command {
    let mut command = Command::new(get_cargo_bin("pao"));
    command.current_dir(workspace_root());
    command
}

const PG: &str = "catalog/databases/postgresql-standard.yaml";
const INPUTS: &str = "crates/pao_cli/tests/vars_inputs";

#[test]
fn render_prints_every_action_as_json_with_placeholders_and_masks() {
    let output = pao()
        .args(["vars", "render", PG, "--deterministic", "--values"])
        .arg(format!("{INPUTS}/pg-values.yaml"))
        .arg("--request")
        .arg(format!("{INPUTS}/pg-request.yaml"))
        .arg("--outputs")
        .arg(format!("{INPUTS}/pg-outputs.yaml"))
        .output()
        .expect("run pao");
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(!text.contains("never-print-this-password"), "passwords are masked");
    let json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(json["automated"][0]["config"]["body"]["identifier"], "orders-db-production");
    assert_eq!(json["automated"][0]["config"]["body"]["allocatedStorage"], 50);
    assert_eq!(json["automated"][0]["config"]["body"]["masterPassword"], "***");
    assert_eq!(json["automated"][0]["config"]["headers"]["Idempotency-Key"], "req-0042");
    assert_eq!(json["automated"][0]["config"]["body"]["region"], "<environment.AWS_REGION>");
    assert_eq!(
        json["automated"][1]["config"]["variables"]["db_instance_arn"],
        "arn:aws:rds:eu-west-1:123456789012:db:orders-db-production"
    );
    assert_eq!(
        json["automated"][1]["config"]["variables"]["credentials_secret_arn"],
        "<outputs.create_db.credentialsSecretArn>"
    );
    assert_eq!(json["manual"][0]["config"]["priority"], "High");
}

#[test]
fn render_reports_static_problems_with_positions() {
    let typo = format!("{INPUTS}/pg-typo.yaml");
    let values = format!("{INPUTS}/pg-values.yaml");
    assert_cmd_snapshot!(pao().args(["vars", "render", &typo, "--values", &values]));
}

#[test]
fn render_of_a_missing_file_is_a_tool_error() {
    let output = pao().args(["vars", "render", "nope.yaml", "--values", "nope.yaml"]).output().expect("run pao");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn test_runs_the_shipped_cases() {
    let output = pao().args(["vars", "test"]).output().expect("run pao");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    assert!(stdout.contains("ok   tests/vars/databases/postgresql-standard.yaml :: "), "{stdout}");
}

#[test]
fn test_shows_a_diff_and_exits_1_on_mismatch() {
    let dir = tempfile::tempdir().expect("temp dir");
    let case = dir.path().join("case.yaml");
    let item = workspace_root().join("catalog/storage/s3-bucket.yaml");
    std::fs::write(
        &case,
        format!(
            "item: {}\ncases:\n  - name: wrong on purpose\n    values: {{ bucketName: my-bucket }}\n    expect:\n      /automated/0/config/path: storage/s3/prod/my-bucket\n",
            item.display()
        ),
    )
    .expect("write case");
    let output = pao().args(["vars", "test"]).arg(&case).output().expect("run pao");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("-\"storage/s3/prod/my-bucket\""), "{stdout}");
    assert!(stdout.contains("+\"storage/s3/dev/my-bucket\""), "{stdout}");
}

#[test]
fn render_errors_point_at_the_expression_in_the_file() {
    let item = format!("{INPUTS}/needs-value.yaml");
    let values = format!("{INPUTS}/empty.yaml");
    let output = pao().args(["vars", "render", &item, "--values", &values]).output().expect("run pao");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "{item}:28:31: undefined value: `fields.instanceName` is undefined [/manual/0/config/summary]"
        )),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("{item}:30:")), "the block scalar's line: {stderr}");
}
