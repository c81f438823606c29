//! The example catalog: every template checks clean, from several threads sharing one engine
//! (as `pao-lint`'s rayon workers do).

use std::path::Path;

use pao_vars::{Engine, check_document, load_catalog_items, load_document};

#[test]
fn every_catalog_template_checks_clean_from_shared_engine_on_many_threads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog");
    let catalog = load_catalog_items(&root);
    assert!(catalog.len() >= 14, "the example catalog has its items");
    let files: Vec<_> = walkdir::WalkDir::new(&root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "yaml"))
        .map(walkdir::DirEntry::into_path)
        .collect();
    let engine = Engine::new(["AWS_REGION"]);
    let problems: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(files.len().div_ceil(4))
            .map(|chunk| {
                let (engine, catalog) = (&engine, &catalog);
                scope.spawn(move || {
                    let mut found = Vec::new();
                    for file in chunk {
                        let loaded = load_document(file).expect("catalog document loads");
                        for problem in check_document(engine, &loaded.source, &loaded.root, &loaded.doc, catalog) {
                            found.push(format!("{}: {}", file.display(), problem.message));
                        }
                    }
                    found
                })
            })
            .collect();
        handles.into_iter().flat_map(|handle| handle.join().expect("thread")).collect()
    });
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_catalog_template_maps_exactly_into_its_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog");
    let mut sites = 0;
    for entry in walkdir::WalkDir::new(&root).into_iter().filter_map(Result::ok) {
        if entry.path().extension().is_none_or(|ext| ext != "yaml") {
            continue;
        }
        let loaded = load_document(entry.path()).expect("catalog document loads");
        for site in pao_vars::collect_templates(&loaded.root) {
            sites += 1;
            let map = site.map(&loaded.source);
            assert!(map.is_exact(), "{}: {} is not mapped exactly", entry.path().display(), site.pointer);
            // The first `{{` of the value is a `{{` in the file.
            if let Some(at) = site.text.find("{{") {
                let range = map.map(at..at + 2);
                assert_eq!(&loaded.source[range], "{{", "{}", site.pointer);
            }
        }
    }
    assert!(sites > 100, "the catalog has many templates ({sites})");
}
