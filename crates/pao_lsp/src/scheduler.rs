//! The lint thread: takes lint jobs from the main loop, waits until the edits pause (the
//! debounce), lints the latest job of each repository, and hands back the diagnostics to
//! publish. A job overtaken by a newer one for the same repository while it ran is not
//! published: the newer one follows right away.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TryRecvError};
use lsp_types::{Diagnostic as LspDiagnostic, Url};

use crate::convert::to_lsp;
use crate::lint::{LintJob, run};
use crate::position::LineIndex16;

/// A job for one repository.
#[derive(Debug)]
pub struct Scheduled {
    /// The repository root.
    pub root: PathBuf,
    /// What to lint.
    pub job: LintJob,
    /// The open CODEOWNERS document (its URI and version), if it is open.
    pub codeowners_document: Option<(Url, i32)>,
}

/// What one lint found, ready to publish.
#[derive(Debug)]
pub struct Outcome {
    /// The repository.
    pub root: PathBuf,
    /// For each open document: its URI, the version linted, its diagnostics.
    pub publish: Vec<(Url, i32, Vec<LspDiagnostic>)>,
    /// How long the lint took.
    pub elapsed: Duration,
    /// How many files were linted.
    pub files_linted: usize,
}

/// Starts the lint thread. Dropping the returned sender stops it.
pub fn spawn(debounce: Duration) -> (Sender<Scheduled>, Receiver<Outcome>) {
    let (job_tx, job_rx) = crossbeam_channel::unbounded::<Scheduled>();
    let (out_tx, out_rx) = crossbeam_channel::unbounded::<Outcome>();
    std::thread::Builder::new()
        .name("pao-lint".into())
        .spawn(move || lint_loop(&job_rx, &out_tx, debounce))
        .expect("spawning a thread only fails when the system is out of resources");
    (job_tx, out_rx)
}

fn lint_loop(jobs: &Receiver<Scheduled>, outcomes: &Sender<Outcome>, debounce: Duration) {
    let mut pending: BTreeMap<PathBuf, Scheduled> = BTreeMap::new();
    loop {
        if pending.is_empty() {
            match jobs.recv() {
                Ok(job) => {
                    pending.insert(job.root.clone(), job);
                }
                Err(_) => return,
            }
        }
        // Wait until no job has come for `debounce`, keeping the latest of each repository.
        loop {
            let next = if debounce.is_zero() {
                jobs.try_recv().map_err(|e| match e {
                    TryRecvError::Empty => RecvTimeoutError::Timeout,
                    TryRecvError::Disconnected => RecvTimeoutError::Disconnected,
                })
            } else {
                jobs.recv_timeout(debounce)
            };
            match next {
                Ok(job) => {
                    pending.insert(job.root.clone(), job);
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        let batch = std::mem::take(&mut pending);
        for (root, scheduled) in batch {
            let started = Instant::now();
            let result = run(&scheduled.job);
            // Overtaken while it ran? Then only the newer job is worth publishing.
            while let Ok(job) = jobs.try_recv() {
                pending.insert(job.root.clone(), job);
            }
            if pending.contains_key(&root) {
                continue;
            }
            let mut publish = Vec::new();
            for overlay in &scheduled.job.overlays {
                let index = LineIndex16::new(&overlay.text);
                let diagnostics = result
                    .by_path
                    .get(&overlay.path)
                    .map(|list| list.iter().map(|d| to_lsp(d, &overlay.uri, &overlay.text, &index)).collect())
                    .unwrap_or_default();
                publish.push((overlay.uri.clone(), overlay.version, diagnostics));
            }
            if let (Some((uri, version)), Some(codeowners)) =
                (&scheduled.codeowners_document, &scheduled.job.codeowners)
            {
                let text: Arc<str> = Arc::clone(&codeowners.text);
                let index = LineIndex16::new(&text);
                let diagnostics = result
                    .by_path
                    .get(&codeowners.path)
                    .map(|list| list.iter().map(|d| to_lsp(d, uri, &text, &index)).collect())
                    .unwrap_or_default();
                publish.push((uri.clone(), *version, diagnostics));
            }
            let outcome = Outcome { root, publish, elapsed: started.elapsed(), files_linted: result.files_linted };
            if outcomes.send(outcome).is_err() {
                return;
            }
        }
    }
}
