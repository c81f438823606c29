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
