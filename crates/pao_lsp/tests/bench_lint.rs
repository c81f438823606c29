//! The lint step of the language server on a large catalog, timed (ignored: a measurement, not a
//! test). The end-to-end latency over stdio is `scripts/bench-lsp.py`; this isolates what one
//! lint costs with the files the open document depends on, and with the whole catalog.
//!
//! ```sh
//! scripts/gen-catalog.py --items 1000 --out /tmp/corpus
//! PAO_BENCH_CORPUS=/tmp/corpus cargo test --release -p pao_lsp --test bench_lint -- --ignored --nocapture
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use lsp_types::Url;
use pao_lsp::lint::{LintJob, Overlay, run};
use pao_lsp::workspace::Workspace;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[test]
#[ignore = "a measurement; run with PAO_BENCH_CORPUS set"]
#[allow(clippy::print_stderr)] // the measurement is its output
fn lint_one_open_item() {
    let corpus = std::env::var("PAO_BENCH_CORPUS").expect("PAO_BENCH_CORPUS names a generated catalog");
    let root = std::path::Path::new(&corpus).canonicalize().unwrap();
    let started = Instant::now();
    let workspace = Workspace::load(&root);
    let loaded = started.elapsed();
    let (path, file) = workspace
        .files()
        .iter()
        .filter(|(p, _)| !p.starts_with("catalog/bundles/"))
        .max_by_key(|(_, f)| f.bytes.len())
        .expect("the corpus has items");
    let text: Arc<str> = Arc::from(String::from_utf8_lossy(&file.bytes).as_ref());
    let overlay = Overlay { uri: Url::from_file_path(root.join(path)).unwrap(), path: path.clone(), version: 1, text };
    let job = |whole_catalog| LintJob {
        workspace: workspace.clone(),
        settings: Arc::clone(workspace.settings()),
        codeowners: workspace.codeowners().cloned(),
        overlays: vec![overlay.clone()],
        whole_catalog,
    };
    for (name, whole) in [("depending files", false), ("whole catalog", true)] {
        let job = job(whole);
        let mut times = Vec::new();
        let mut files = 0;
        for _ in 0..30 {
            let started = Instant::now();
            let result = run(&job);
            times.push(started.elapsed());
            files = result.files_linted;
        }
        let min = *times.iter().min().unwrap();
        let med = median(times);
        eprintln!("{name}: {files} files linted, median {med:.2?}, min {min:.2?}");
    }
    eprintln!("loading {} files: {loaded:.2?}", workspace.files().len());
}
