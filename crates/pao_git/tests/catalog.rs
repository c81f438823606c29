//! The catalog read from Git objects: bare repositories, validation errors, the tree-id cache
//! and versions from history.

mod common;

use common::{PG, bare_clone, commit, git, item, work_repo, write};
use pao_git::CatalogReader;

#[test]
fn reads_a_bare_repository_and_reports_invalid_files() {
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path());
    write(&work, "catalog/databases/pgsql.yaml", PG);
    write(&work, "catalog/databases/mysql.yml", &item("mysql", "0.1.0", "beta"));
    write(&work, "catalog/databases/broken.yaml", "apiVersion: pao/v1\nkind: CatalogItem\nmetadata: [\n");
    write(
        &work,
        "catalog/databases/typo.yaml",
        &item("typo", "1.0.0", "stable").replace("  name: PostgreSQL\n", "  nmae: x\n"),
    );
    write(&work, "catalog/README.md", "not a document");
    write(&work, "docs/other.yaml", "not: catalog");
    write(&work, ".github/CODEOWNERS", "/catalog/databases/ @acme/dba\n");
    write(&work, "pao.toml", "[catalog]\ngithub-org = \"acme\"\n");
    commit(&work, "catalog", 1_700_000_000);
    let bare = bare_clone(&work, tmp.path(), "catalog.git");

    let reader = CatalogReader::open(&bare).unwrap();
    let snapshot = reader.load("HEAD").unwrap();
    let mut ids: Vec<_> = snapshot.catalog.entries().map(|e| e.document.metadata().id.clone()).collect();
    ids.sort();
    assert_eq!(ids, ["mysql", "pgsql"]);
    let errors = snapshot.validation_errors();
    assert_eq!(errors.len(), 3, "{errors:?}");
    let broken = errors.iter().find(|e| e.file == "catalog/databases/broken.yaml").unwrap();
    assert_eq!(broken.line, 4, "{broken:?}"); // the parser stops at the end of the file
    let typo = errors.iter().find(|e| e.file == "catalog/databases/typo.yaml" && e.code == "PAO201").unwrap();
    assert!(typo.message.contains("nmae"), "{typo:?}");
    assert_eq!((typo.line, typo.column, typo.end_line, typo.end_column), (5, 3, 5, 7), "{typo:?}");
    assert!(typo.help.as_deref().is_some_and(|help| help.contains("name")), "{typo:?}");
    assert!(reader.load("no-such-branch").is_err());
}

#[test]
fn unchanged_catalog_tree_is_never_parsed_again() {
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path());
    write(&work, "catalog/databases/pgsql.yaml", PG);
    let first = commit(&work, "one", 1_700_000_000);
    let reader = CatalogReader::open(&work).unwrap();
    let a = reader.load("HEAD").unwrap();
    let b = reader.load(&first).unwrap();
    assert_eq!(reader.parse_count(), 1);
    assert!(std::sync::Arc::ptr_eq(&a.catalog, &b.catalog));

    // A commit outside catalog/ keeps the catalog tree, so nothing is parsed.
    write(&work, "README.md", "hello");
    let second = commit(&work, "readme", 1_700_000_100);
    let c = reader.load("HEAD").unwrap();
    assert_eq!(c.commit, second);
    assert_eq!(c.tree, a.tree);
    assert_eq!(reader.parse_count(), 1);

    // Changing a catalog file changes the tree: parsed once, then cached again.
    write(&work, "catalog/databases/pgsql.yaml", &item("pgsql", "1.1.0", "stable"));
    commit(&work, "bump", 1_700_000_200);
    let d = reader.load("HEAD").unwrap();
    reader.load("main").unwrap();
    assert_ne!(d.tree, a.tree);
    assert_eq!(reader.parse_count(), 2);
    assert_eq!(d.catalog.item("pgsql").unwrap().metadata.version, "1.1.0");

    // pao.toml and CODEOWNERS change what the linter accepts, so they are part of the key.
    write(&work, ".github/CODEOWNERS", "/catalog/ @acme/dba\n");
    commit(&work, "owners", 1_700_000_300);
    let e = reader.load("HEAD").unwrap();
    assert_ne!(e.tree, d.tree);
    assert_eq!(reader.parse_count(), 3);
    assert!(e.validation_errors().is_empty(), "{:?}", e.validation_errors());
}

#[test]
fn versions_come_from_history_with_latest_stable_as_default() {
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path());
    write(&work, "catalog/databases/pgsql.yaml", &item("pgsql", "1.0.0", "stable"));
    let v1 = commit(&work, "1.0.0", 1_700_000_000);
    write(
        &work,
        "catalog/databases/pgsql.yaml",
        &item("pgsql", "1.0.0", "stable").replace("Managed PostgreSQL", "Managed PG"),
    );
    commit(&work, "wording only", 1_700_000_100);
    write(&work, "catalog/databases/pgsql.yaml", &item("pgsql", "1.2.0", "stable"));
    let v12 = commit(&work, "1.2.0", 1_700_000_200);
    write(&work, "catalog/databases/pgsql.yaml", &item("pgsql", "2.0.0-beta.1", "beta"));
    let beta = commit(&work, "2.0.0 beta", 1_700_000_300);
    write(&work, "catalog/databases/other.yaml", &item("other", "0.1.0", "experimental"));
    commit(&work, "another item", 1_700_000_400);
    let bare = bare_clone(&work, tmp.path(), "c.git");

    let reader = CatalogReader::open(&bare).unwrap();
    let versions = reader.versions("main", "pgsql").unwrap();
    let listed: Vec<_> = versions.versions.iter().map(|v| (v.version.as_str(), v.commit.as_str())).collect();
    assert_eq!(listed, [("1.0.0", v1.as_str()), ("1.2.0", v12.as_str()), ("2.0.0-beta.1", beta.as_str())]);
    assert_eq!(versions.versions[0].date, "2023-11-14T22:13:20Z");
    assert_eq!(versions.default.as_deref(), Some("1.2.0"));
    let (old, at) = reader.item_at("main", "pgsql", Some("1.0.0")).unwrap();
    assert_eq!((old.metadata.version.as_str(), at.as_str()), ("1.0.0", v1.as_str()));
    assert!(reader.item_at("main", "pgsql", Some("9.9.9")).is_err());
    assert!(reader.versions("main", "nope").is_err());
    // Five commits, four distinct catalog trees: each parsed once.
    assert_eq!(reader.parse_count(), 5);
    git(&work, &["status"]);
}

#[test]
fn the_revisions_rule_levels_decide_what_is_served() {
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path());
    write(&work, "catalog/databases/pgsql.yaml", PG);
    // The id differs from the file name: PAO302, an error by default.
    write(&work, "catalog/databases/legacy-name.yaml", &item("legacy", "1.0.0", "stable"));
    write(&work, "docs/CODEOWNERS", "/catalog/ @acme/dba\n");
    commit(&work, "strict", 1_700_000_000);
    let reader = CatalogReader::open(&work).unwrap();
    let strict = reader.load("HEAD").unwrap();
    assert!(strict.catalog.entry("legacy").is_none());
    let error = strict.validation_errors().iter().find(|e| e.code == "PAO302").unwrap();
    assert_eq!(error.file, "catalog/databases/legacy-name.yaml");
    // CODEOWNERS is found at any of the places GitHub looks, and its findings point there.
    assert!(
        !strict.validation_errors().iter().any(|e| e.file.contains("CODEOWNERS")),
        "{:?}",
        strict.validation_errors()
    );

    write(&work, "pao.toml", "[lint.rules]\nid-file-name-mismatch = \"off\"\n");
    commit(&work, "relaxed", 1_700_000_100);
    let relaxed = reader.load("HEAD").unwrap();
    assert!(relaxed.catalog.entry("legacy").is_some(), "{:?}", relaxed.validation_errors());
    assert!(relaxed.validation_errors().is_empty(), "{:?}", relaxed.validation_errors());
}

/// The link rule pao-lint applies on disk, applied to links committed in Git: followed within
/// the repository, an error (never read) when they leave it, dangle or loop.
#[cfg(unix)]
#[test]
fn committed_links_follow_the_linters_rule() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path());
    write(&work, "catalog/databases/pgsql.yaml", PG);
    write(&work, "shared/mysql.yml", &item("mysql", "0.1.0", "beta"));
    write(&work, "shared/more/redis.yaml", &item("redis", "1.0.0", "stable"));
    let dbs = work.join("catalog/databases");
    symlink("../../shared/mysql.yml", dbs.join("mysql.yml")).unwrap();
    symlink("../../shared/more", dbs.join("more")).unwrap();
    symlink("/etc/passwd", dbs.join("passwd.yaml")).unwrap();
    symlink("../../../outside.yaml", dbs.join("escape.yaml")).unwrap();
    symlink("missing.yaml", dbs.join("dangling.yaml")).unwrap();
    symlink("..", dbs.join("loop")).unwrap();
    symlink("chain-b.yaml", dbs.join("chain-a.yaml")).unwrap();
    symlink("chain-a.yaml", dbs.join("chain-b.yaml")).unwrap();
    commit(&work, "links", 1_700_000_000);

    let snapshot = CatalogReader::open(&work).unwrap().load("HEAD").unwrap();
    let mut ids: Vec<_> = snapshot.catalog.entries().map(|e| e.document.metadata().id.clone()).collect();
    ids.sort();
    assert_eq!(
        ids,
        ["mysql", "pgsql"],
        "a linked file within the repository is read: {:?}",
        snapshot.validation_errors()
    );
    assert_eq!(snapshot.catalog.entry("mysql").unwrap().path, "catalog/databases/mysql.yml", "named by its link");
    let errors: Vec<(&str, &str, &str)> =
        snapshot.validation_errors().iter().map(|e| (e.file.as_str(), e.code.as_str(), e.message.as_str())).collect();
    let message = |file: &str| errors.iter().find(|(f, _, _)| *f == file).map(|(_, _, m)| *m).unwrap_or("");
    let code = |file: &str| errors.iter().find(|(f, _, _)| *f == file).map(|(_, c, _)| *c).unwrap_or("");
    assert!(message("catalog/databases/passwd.yaml").contains("outside the repository"), "{errors:?}");
    assert!(message("catalog/databases/escape.yaml").contains("outside the repository"), "{errors:?}");
    assert!(message("catalog/databases/dangling.yaml").contains("dangling"), "{errors:?}");
    assert!(message("catalog/databases/loop").contains("loop"), "{errors:?}");
    assert!(message("catalog/databases/chain-a.yaml").contains("loop"), "{errors:?}");
    // A linked directory within the repository is read too (and linted: nesting is not allowed).
    assert_eq!(code("catalog/databases/more/redis.yaml"), "PAO309", "{errors:?}");
    let links = ["passwd.yaml", "escape.yaml", "dangling.yaml", "loop", "chain-a.yaml", "chain-b.yaml"];
    for link in links {
        assert_eq!(code(&format!("catalog/databases/{link}")), "PAO100", "{link}: {errors:?}");
    }
    assert!(!errors.iter().any(|(_, _, m)| m.contains("root:")), "the target's content is never read");
}
