//! A whole catalog document through the template engine, as `pao-lint` and `pao vars render`
//! take it: every template checked statically (`check_document`), then the document rendered
//! as a dry run (`render_document`), then each automated action rendered for execution with
//! real secrets. Bundles look their components' items up in the example catalog.
//!
//! Input: the document's YAML, optionally followed by a NUL byte and the form values' YAML.
//!
//! Checks: nothing panics or runs away; every problem's range slices the file and its JSON
//! Pointer names a string of the document; a dry run is deterministic.
#![no_main]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use pao_schema::{CatalogDocument, CatalogItem};
use pao_vars::{Engine, ListKind, RenderInput};

static ENGINE: LazyLock<Engine> = LazyLock::new(|| Engine::new(["AWS_REGION"]));

static CATALOG: LazyLock<BTreeMap<String, CatalogItem>> =
    LazyLock::new(|| pao_vars::load_catalog_items(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../catalog")));

fuzz_target!(|data: &[u8]| {
    let (document, values) = pao_fuzz::split_nul(data).unwrap_or((data, b""));
    let Some((source, root, doc)) = pao_fuzz::catalog_document(document) else { return };
    let engine = &*ENGINE;
    let catalog = &*CATALOG;
    for problem in pao_vars::check_document(engine, &source, &root, &doc, catalog) {
        pao_fuzz::assert_range(&source, &problem.range, "template problem");
        let site = root.pointer(&problem.pointer);
        assert!(
            site.is_some_and(|node| node.as_str().is_some()),
            "problem {problem:?} points at {:?}, which is no string of the document",
            problem.pointer
        );
    }
    let values = pao_form::parse_values(values).unwrap_or_default();
    let input = RenderInput { values, deterministic: true, ..RenderInput::default() };
    let first = pao_vars::render_document(engine, &doc, catalog, &input);
    let second = pao_vars::render_document(engine, &doc, catalog, &input);
    assert_eq!(first, second, "a deterministic dry run differs between two runs");
    if let Err(failure) = &first {
        assert!(!failure.errors.is_empty(), "a failure without errors");
    }
    if let CatalogDocument::Item(item) = &doc {
        let secrets: BTreeMap<String, String> = [("platform-api-token".to_owned(), "t0ken-value".to_owned())].into();
        let automated = item.fulfillment.automated.as_ref().map_or(0, |list| list.actions.len());
        for index in 0..=automated {
            let rendered =
                pao_vars::render_action_for_execution(engine, item, ListKind::Automated, index, &input, &secrets);
            if let Ok(rendered) = rendered {
                let _ = rendered.redacted();
            }
        }
    }
});
