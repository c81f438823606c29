//! `pao form preview` and `pao form validate` end to end.

use std::process::Command;

use insta_cmd::{assert_cmd_snapshot, get_cargo_bin};
use pao_testutil::workspace_root;

fn pao() -> Command {
    let mut command = Command::new(get_cargo_bin("pao"));
    command.current_dir(workspace_root());
    command
}

const PG: &str = "catalog/databases/postgresql-standard.yaml";

#[test]
fn validate_reports_one_line_per_invalid_field() {
    let values = "crates/pao_cli/tests/form_values/pg-invalid.yaml";
    assert_cmd_snapshot!(pao().args(["form", "validate", PG, "--values", values]), @r"
    success: false
    exit_code: 1
    ----- stdout -----
    instanceName: Must be 4-30 chars, lowercase, alphanumeric with hyphens
    allocatedStorageGb: Must be a multiple of 10
    extensions: `nope` is not one of: pg_stat_statements, pg_trgm, pgvector, postgis, uuid-ossp
    encryptionKey: KMS Key ARN is hidden because Enable Encryption is not true; remove this value
    masterPassword: 16-64 characters, without /, @, double quotes or spaces
    bogus: Unknown field: the form has no field `bogus`

    ----- stderr -----
    ");
}

#[test]
fn validate_accepts_valid_values_and_prints_normalised_json() {
    let values = "crates/pao_cli/tests/form_values/pg-valid.json";
    let output = pao().args(["form", "validate", PG, "--values", values]).output().expect("run pao");
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stdout.is_empty());
    assert_cmd_snapshot!(pao().args(["form", "validate", PG, "--format", "json", "--values", values]));
}

#[test]
fn preview_json_and_html() {
    let output = pao().args(["form", "preview", PG]).output().expect("run pao");
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["catalogItemId"], "postgresql-standard");
    assert_eq!(json["validationEndpoint"], "/api/v1/validate/request");
    assert_eq!(json["form"]["groups"][0]["fields"][0]["component"], "text-input");

    let dir = tempfile::tempdir().expect("temp dir");
    let values = dir.path().join("values.yaml");
    std::fs::write(&values, "instanceName: prefilled-db\nmasterPassword: do-not-leak-this-one\n").expect("write");
    let output = pao().args(["form", "preview", PG, "--values"]).arg(&values).output().expect("run pao");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["values"], serde_json::json!({ "instanceName": "prefilled-db", "masterPassword": "***" }));

    let page = dir.path().join("page.html");
    let output = pao()
        .args(["form", "preview", PG, "--format", "html", "--values"])
        .arg(&values)
        .arg("--output")
        .arg(&page)
        .output()
        .expect("run pao");
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.stdout.is_empty());
    let html = std::fs::read_to_string(&page).expect("page written");
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("value=\"prefilled-db\""));
    assert!(!html.contains("do-not-leak-this-one"));
}

#[test]
fn unreadable_inputs_exit_2() {
    let output = pao().args(["form", "validate", "missing.yaml", "--values", "missing.yaml"]).output().expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read missing.yaml"));
    let dir = tempfile::tempdir().expect("temp dir");
    let values = dir.path().join("values.yaml");
    std::fs::write(&values, "- not\n- a mapping\n").expect("write");
    let output = pao().args(["form", "validate", PG, "--values"]).arg(&values).output().expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("values must be a mapping"));
}
