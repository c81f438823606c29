//! The committed `schema/*.json` must be exactly what the types generate.

use std::path::Path;

#[test]
fn committed_schemas_match_the_types() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema");
    for file in pao_schema::generate_schemas() {
        let path = dir.join(file.name);
        let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            committed == file.contents(),
            "{} is out of date; run `cargo run -p pao_cli --bin pao -- schema generate`",
            path.display()
        );
    }
}

/// An independent validator (check-jsonschema, from PyPI; `scripts/setup.sh` installs it) checks
/// the schemas against the draft 2020-12 metaschema, accepts every example catalog document and
/// valid fixture, and rejects every invalid fixture. Skipped with a message outside CI when the
/// tool is missing; in CI (`CI` set) its absence fails the test.
#[test]
#[allow(clippy::print_stderr)]
fn independent_validator_agrees() {
    use std::process::Command;
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    if Command::new("check-jsonschema").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "check-jsonschema is not installed; run scripts/setup.sh");
        eprintln!("SKIPPED: check-jsonschema is not installed (scripts/setup.sh installs it)");
        return;
    }
    let schema_files: Vec<_> = ["catalog-item.json", "catalog-bundle.json", "common-types.json"]
        .iter()
        .map(|f| repo.join("schema").join(f))
        .collect();
    let status = Command::new("check-jsonschema").arg("--check-metaschema").args(&schema_files).status().unwrap();
    assert!(status.success(), "the schemas fail the draft 2020-12 metaschema");

    let check = |schema: &str, files: &[std::path::PathBuf]| {
        let output = Command::new("check-jsonschema")
            .arg("--schemafile")
            .arg(repo.join("schema").join(schema))
            .args(files)
            .output()
            .unwrap();
        (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let schema_of = |path: &Path| {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains("kind: CatalogBundle") { "catalog-bundle.json" } else { "catalog-item.json" }
    };
    let valid: Vec<_> = walk(&repo.join("catalog")).into_iter().chain(walk(&repo.join("tests/valid"))).collect();
    for schema in ["catalog-item.json", "catalog-bundle.json"] {
        let files: Vec<_> = valid.iter().filter(|p| schema_of(p) == schema).cloned().collect();
        let (ok, said) = check(schema, &files);
        assert!(ok, "valid documents rejected: {said}");
    }
    for path in walk(&repo.join("tests/invalid")) {
        let (ok, _) = check(schema_of(&path), std::slice::from_ref(&path));
        assert!(!ok, "{} is accepted by check-jsonschema", path.display());
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
    out.sort();
    out
}
